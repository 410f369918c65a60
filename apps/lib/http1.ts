/**
 * A raw HTTP/1.1 client over a StreamConn, so that one TCP connection is kept (and seen to
 * be kept) across checkpoints: no agent that would quietly open a new one. Responses must
 * carry Content-Length (the servers here do); requests may be pipelined.
 */
import { StreamConn, type Parser } from './conn';

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export const parseHttpResponse: Parser<HttpResponse> = (buf) => {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) {
    if (buf.length > 64 * 1024) throw new Error('no end of headers in 64 KiB');
    return undefined;
  }
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})( .*)?$/.exec(lines[0]);
  if (!m) throw new Error(`bad status line ${JSON.stringify(lines[0].slice(0, 100))}`);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i <= 0) throw new Error(`bad header line ${JSON.stringify(l.slice(0, 100))}`);
    headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  if (headers['transfer-encoding']) throw new Error(`unexpected Transfer-Encoding ${headers['transfer-encoding']}`);
  const len = Number(headers['content-length']);
  if (!Number.isInteger(len) || len < 0) throw new Error(`no usable Content-Length (${headers['content-length']})`);
  const total = end + 4 + len;
  if (buf.length < total) return undefined;
  return { value: { status: Number(m[1]), headers, body: Buffer.from(buf.subarray(end + 4, total)) }, used: total };
};

export function requestText(pathName: string, port: number, close = false): string {
  return `GET ${pathName} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nUser-Agent: amber-apps\r\nConnection: ${close ? 'close' : 'keep-alive'}\r\n\r\n`;
}

export class HttpConn {
  constructor(
    readonly conn: StreamConn,
    readonly port: number,
    private readonly timeoutMs: number,
  ) {}

  static async connect(label: string, port: number, timeoutMs: number): Promise<HttpConn> {
    return new HttpConn(await StreamConn.connect(label, port, timeoutMs), port, timeoutMs);
  }

  send(pathName: string, close = false): void {
    this.conn.write(requestText(pathName, this.port, close));
  }

  response(what: string, timeoutMs = this.timeoutMs): Promise<HttpResponse> {
    return this.conn.take(parseHttpResponse, timeoutMs, what);
  }

  async get(pathName: string): Promise<HttpResponse> {
    this.send(pathName);
    return this.response(`GET ${pathName}`);
  }
}

/** One request on a new connection that the server closes after answering. */
export async function getOnce(label: string, port: number, pathName: string, timeoutMs: number): Promise<HttpResponse> {
  const c = await HttpConn.connect(label, port, timeoutMs);
  try {
    c.send(pathName, true);
    const r = await c.response(`GET ${pathName}`);
    await c.conn.waitPeerClose(timeoutMs);
    return r;
  } finally {
    c.conn.close();
  }
}
