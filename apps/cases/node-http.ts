/**
 * A node:http server (programs/http_server.ts) with an in-memory counter, and one raw
 * HTTP/1.1 keep-alive connection from the harness kept across every checkpoint
 * (--tcp-established). Before each dump a 2 MiB response is left unread; while checkpointed a
 * pipelined GET /incr is sent. After each restore: both answers arrive exact and in order on
 * the same connection (the server still sees the same connection serial and peer port, and
 * its per-connection request count continues), the counter continues exactly, and a new
 * connection sees the same counter.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { repoRoot } from '../../zdtm/runner/paths';
import type { AppCase, AppEnv, AppRun } from '../lib/app';
import { getOnce, HttpConn, type HttpResponse } from '../lib/http1';
import { firstDifference, patternBytes } from '../lib/pattern';
import { socketQueues } from '../lib/ss';
import { AppFailure, check, pollFor, sleep } from '../lib/util';

const PROGRAM = path.join(repoRoot, 'dist', 'apps', 'programs', 'http_server.js');
const BLOB_SIZE = 2 * 1024 * 1024;

interface State {
  counter: number;
  conn: number;
  remotePort: number;
  served: number;
  pid: number;
}

function json(r: HttpResponse, step: string, what: string): State {
  check(r.status === 200, step, `${what}: HTTP ${r.status}`);
  try {
    return JSON.parse(r.body.toString('utf8')) as State;
  } catch {
    throw new AppFailure(step, `${what}: not JSON: ${r.body.subarray(0, 100).toString()}`);
  }
}

function create(env: AppEnv): AppRun {
  let kept: HttpConn | undefined;
  let counter = 0;
  let served = 0;
  let keptConn = 0;
  let pid = 0;
  let blobPending = 0;
  let incrsInFlight = 0;
  const timeout = env.stepMs;
  const k = (): HttpConn => kept as HttpConn;

  /** A state answer on the kept connection: same server-side connection, counts in step. */
  function expectKept(s: State, step: string, what: string): void {
    served++;
    const want = { counter, conn: keptConn, remotePort: k().conn.localPort, served, pid };
    for (const key of Object.keys(want) as (keyof typeof want)[]) {
      if (s[key] !== want[key]) throw new AppFailure(step, `kept: ${what}: ${key} is ${s[key]}, expected ${want[key]} (answer ${JSON.stringify(s)})`);
    }
  }

  async function incr(step: string, n: number): Promise<void> {
    for (let i = 0; i < n; i++) k().send('/incr');
    for (let i = 0; i < n; i++) {
      counter++;
      expectKept(json(await k().response('GET /incr'), step, 'GET /incr'), step, 'GET /incr');
    }
  }

  return {
    async start() {
      const p = await env.launch([process.execPath, PROGRAM, String(env.port)], 'http_server.log');
      const ok = await pollFor(async () => {
        try {
          return (await getOnce('probe', env.port, '/state', 1000)).status === 200 ? true : undefined;
        } catch {
          return undefined;
        }
      }, timeout, 100);
      check(ok === true, 'start', `the node:http server did not answer on 127.0.0.1:${env.port} within ${timeout / 1000} s`);
      return p;
    },

    async load() {
      kept = await HttpConn.connect('kept', env.port, timeout);
      const s = json(await k().get('/state'), 'load', 'GET /state');
      keptConn = s.conn;
      pid = s.pid;
      counter = s.counter;
      served = 0;
      expectKept(s, 'load', 'GET /state');
      await incr('load', 10);
      env.log(`kept connection: server conn #${keptConn}, local port ${k().conn.localPort}, counter ${counter}`);
    },

    async beforeDump(cycle) {
      k().conn.pause();
      k().send(`/blob?n=${BLOB_SIZE}&s=${cycle}`);
      blobPending = cycle;
      await sleep(300);
      env.log(`cycle ${cycle}: ${BLOB_SIZE}-byte response left unread: ${socketQueues(env.port)}`);
    },

    async whileCheckpointed(cycle) {
      k().send('/incr');
      incrsInFlight++;
      env.log(`cycle ${cycle}: sent GET /incr while checkpointed`);
    },

    async verify(cycle) {
      const step = 'verify';
      k().conn.resume();
      if (blobPending) {
        const r = await k().response('GET /blob sent before the dump');
        check(r.status === 200, step, `kept: GET /blob: HTTP ${r.status}`);
        served++;
        const diff = firstDifference(r.body, patternBytes(BLOB_SIZE, blobPending));
        if (diff) throw new AppFailure(step, `kept: the ${BLOB_SIZE}-byte response pending across the checkpoint differs: ${diff}`);
        blobPending = 0;
      }
      for (; incrsInFlight > 0; incrsInFlight--) {
        counter++;
        expectKept(json(await k().response('GET /incr sent while checkpointed'), step, 'GET /incr sent while checkpointed'), step, 'GET /incr sent while checkpointed');
      }
      await incr(step, 5);
      const fresh = json(await getOnce(`new connection ${cycle}`, env.port, '/state', timeout), step, 'new connection GET /state');
      check(fresh.counter === counter, step, `new connection: counter ${fresh.counter}, expected ${counter}`);
      check(fresh.conn !== keptConn && fresh.served === 1, step, `new connection: server says conn #${fresh.conn}, served ${fresh.served}`);
      check(k().conn.unread() === 0, step, `kept: ${k().conn.unread()} bytes arrived that nothing asked for`);
      env.log(`cycle ${cycle}: counter ${counter}, kept conn #${keptConn} (${served} requests on it)`);
    },

    async finalCheck() {
      const s = json(await k().get('/state'), 'final', 'GET /state');
      expectKept(s, 'final', 'GET /state');
      const fresh = json(await getOnce('final new connection', env.port, '/state', timeout), 'final', 'GET /state');
      check(fresh.counter === counter, 'final', `new connection: counter ${fresh.counter}, expected ${counter}`);
      env.log(`final: counter ${counter}`);
    },

    keptConnections: () => (kept ? [kept.conn] : []),

    close() {
      kept?.conn.close();
    },
  };
}

export const nodeHttpCase: AppCase = {
  name: 'node-http',
  summary: 'node:http counter server; one raw keep-alive connection kept (unread 2 MiB response + pipelined GET in flight); same connection, counter continues',
  needs: [],
  preflight: () => (fs.existsSync(PROGRAM) ? undefined : `${PROGRAM} is not built (tsc -p apps/tsconfig.json)`),
  dumpOpts: ['--tcp-established'],
  restoreOpts: ['--tcp-established'],
  stopSignal: 'SIGTERM',
  create,
};
