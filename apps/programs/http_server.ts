/**
 * The app of the node-http test: a node:http server on 127.0.0.1:PORT holding an in-memory
 * counter. Each answer says which server-side connection served it (a serial number given at
 * accept time, and the peer port the server sees), so the harness can tell that its kept
 * connection is still the same one after a restore.
 *   GET /incr          counter + 1, then the JSON state
 *   GET /state         the JSON state
 *   GET /blob?n=N&s=S  N deterministic bytes (lib/pattern.ts)
 * Idle keep-alive connections are never timed out. SIGTERM: prints the state, exits 0.
 * Usage: node http_server.js PORT
 */
import * as http from 'node:http';
import type { Socket } from 'node:net';
import { patternBytes } from '../lib/pattern';

type Tracked = Socket & { connId?: number; served?: number };

const port = Number(process.argv[2]);
if (!Number.isInteger(port) || port <= 0) {
  process.stderr.write('usage: http_server.js PORT\n');
  process.exit(2);
}

let counter = 0;
let connections = 0;
let requests = 0;

const server = http.createServer((req, res) => {
  requests++;
  const sock = req.socket as Tracked;
  sock.served = (sock.served ?? 0) + 1;
  const url = new URL(req.url ?? '/', 'http://localhost');
  let body: Buffer;
  let type = 'application/json';
  if (url.pathname === '/incr' || url.pathname === '/state') {
    if (url.pathname === '/incr') counter++;
    const state = { counter, conn: sock.connId, remotePort: sock.remotePort, served: sock.served, pid: process.pid, requests };
    body = Buffer.from(JSON.stringify(state));
  } else if (url.pathname === '/blob') {
    body = patternBytes(Number(url.searchParams.get('n') ?? 0), Number(url.searchParams.get('s') ?? 0));
    type = 'application/octet-stream';
  } else {
    res.writeHead(404, { 'Content-Type': 'text/plain', 'Content-Length': 10 });
    res.end('not found\n');
    return;
  }
  res.writeHead(200, { 'Content-Type': type, 'Content-Length': body.length });
  res.end(body);
});

server.on('connection', (s: Tracked) => {
  s.connId = ++connections;
});
server.keepAliveTimeout = 0;
server.requestTimeout = 0;
server.headersTimeout = 0;

server.listen(port, '127.0.0.1', () => {
  process.stdout.write(`listening on 127.0.0.1:${port}, pid ${process.pid}\n`);
});

process.on('SIGTERM', () => {
  process.stdout.write(`SIGTERM: counter ${counter}, ${connections} connections, ${requests} requests\n`);
  process.exit(0);
});
