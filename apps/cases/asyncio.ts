/**
 * A Python asyncio TCP server (programs/asyncio_server.py, run by /usr/bin/python3) keeping
 * a running sum per connection (Python integers: the sums go past 2^64). One connection is
 * kept across every checkpoint (--tcp-established); before each dump a 2 MiB answer is left
 * unread, while checkpointed an ADD is sent. After each restore: both answers arrive exact,
 * the sum continues, the server still sees the same connection (serial and peer port), and a
 * new connection starts from zero.
 */
import * as path from 'node:path';
import { repoRoot } from '../../zdtm/runner/paths';
import type { AppCase, AppEnv, AppRun } from '../lib/app';
import { StreamConn } from '../lib/conn';
import { parseBlob, parseLine } from '../lib/lines';
import { firstDifference, patternBytes } from '../lib/pattern';
import { socketQueues } from '../lib/ss';
import { AppFailure, check, pollFor, sleep } from '../lib/util';

const PYTHON = '/usr/bin/python3';
const PROGRAM = path.join(repoRoot, 'apps', 'programs', 'asyncio_server.py');
const BLOB_SIZE = 2 * 1024 * 1024;

interface Info {
  conn: number;
  port: number;
  sum: bigint;
  adds: number;
}

function parseInfo(line: string, step: string): Info {
  const m = /^CONN (\d+) PORT (\d+) SUM (-?\d+) ADDS (\d+) OPEN (\d+) PID (\d+)$/.exec(line);
  if (!m) throw new AppFailure(step, `INFO answered ${JSON.stringify(line)}`);
  return { conn: Number(m[1]), port: Number(m[2]), sum: BigInt(m[3]), adds: Number(m[4]) };
}

/** The n-th number a connection adds: big, signed, never the same twice. */
const addend = (n: number): bigint => (BigInt(n) * 1_000_000_007n) ** 2n * (n % 3 === 0 ? -1n : 1n) + BigInt(n);

function create(env: AppEnv): AppRun {
  let kept: StreamConn | undefined;
  let sum = 0n;
  let adds = 0;
  let keptConn = 0;
  let blobPending = 0;
  let inFlight = 0;
  const timeout = env.stepMs;
  const k = (): StreamConn => kept as StreamConn;
  const line = (c: StreamConn, what: string): Promise<string> => c.take(parseLine, timeout, what);

  async function add(step: string, n: number): Promise<void> {
    const sent: bigint[] = [];
    for (let i = 0; i < n; i++) {
      const x = addend(adds + i + 1);
      sent.push(x);
      k().write(`ADD ${x}\n`);
    }
    for (const x of sent) {
      sum += x;
      adds++;
      const got = await line(k(), 'ADD');
      if (got !== `SUM ${sum}`) throw new AppFailure(step, `kept: ADD ${x} answered ${JSON.stringify(got)}, expected "SUM ${sum}"`);
    }
  }

  async function info(step: string): Promise<void> {
    k().write('INFO\n');
    const i = parseInfo(await line(k(), 'INFO'), step);
    const want = { conn: keptConn, port: k().localPort, sum, adds };
    for (const key of Object.keys(want) as (keyof Info)[]) {
      if (i[key] !== want[key]) throw new AppFailure(step, `kept: INFO ${key} is ${i[key]}, expected ${want[key]}`);
    }
  }

  async function newConnection(label: string, step: string): Promise<void> {
    const c = await StreamConn.connect(label, env.port, timeout);
    try {
      c.write('INFO\n');
      const i = parseInfo(await line(c, 'INFO'), step);
      check(i.conn !== keptConn && i.sum === 0n && i.port === c.localPort, step, `${label}: INFO says conn ${i.conn}, sum ${i.sum}, port ${i.port}`);
      c.write('ADD 5\nADD -12\n');
      const a = [await line(c, 'ADD'), await line(c, 'ADD')];
      check(a[0] === 'SUM 5' && a[1] === 'SUM -7', step, `${label}: ADDs answered ${JSON.stringify(a)}`);
      c.write('QUIT\n');
      check((await line(c, 'QUIT')) === 'BYE', step, `${label}: QUIT not answered BYE`);
      await c.waitPeerClose(timeout);
    } finally {
      c.close();
    }
  }

  return {
    async start() {
      const p = await env.launch([PYTHON, '-u', PROGRAM, String(env.port)], 'asyncio_server.log');
      const ok = await pollFor(async () => {
        try {
          const c = await StreamConn.connect('probe', env.port, 1000);
          try {
            c.write('QUIT\n');
            if ((await c.take(parseLine, 1000, 'QUIT')) !== 'BYE') return undefined;
            await c.waitPeerClose(1000);
            return true;
          } finally {
            c.close();
          }
        } catch {
          return undefined;
        }
      }, timeout, 100);
      check(ok === true, 'start', `the asyncio server did not answer on 127.0.0.1:${env.port} within ${timeout / 1000} s`);
      return p;
    },

    async load() {
      kept = await StreamConn.connect('kept', env.port, timeout);
      k().write('INFO\n');
      const i = parseInfo(await line(k(), 'INFO'), 'load');
      keptConn = i.conn;
      check(i.sum === 0n && i.port === k().localPort, 'load', `kept: fresh connection says sum ${i.sum}, port ${i.port}`);
      await add('load', 100);
      await info('load');
      env.log(`kept connection: server conn ${keptConn}, local port ${k().localPort}, sum ${sum} after ${adds} ADDs`);
    },

    async beforeDump(cycle) {
      k().pause();
      k().write(`BLOB ${BLOB_SIZE} ${cycle}\n`);
      blobPending = cycle;
      await sleep(300);
      env.log(`cycle ${cycle}: ${BLOB_SIZE}-byte answer left unread: ${socketQueues(env.port)}`);
    },

    async whileCheckpointed(cycle) {
      const x = addend(adds + 1);
      k().write(`ADD ${x}\n`);
      inFlight++;
      env.log(`cycle ${cycle}: sent ADD while checkpointed`);
    },

    async verify(cycle) {
      const step = 'verify';
      k().resume();
      if (blobPending) {
        const b = await k().take(parseBlob, timeout, 'BLOB sent before the dump');
        const diff = firstDifference(b, patternBytes(BLOB_SIZE, blobPending));
        if (diff) throw new AppFailure(step, `kept: the ${BLOB_SIZE}-byte answer pending across the checkpoint differs: ${diff}`);
        blobPending = 0;
      }
      for (; inFlight > 0; inFlight--) {
        adds++;
        sum += addend(adds);
        const got = await line(k(), 'ADD sent while checkpointed');
        if (got !== `SUM ${sum}`) throw new AppFailure(step, `kept: ADD sent while checkpointed answered ${JSON.stringify(got)}, expected "SUM ${sum}"`);
      }
      await add(step, 10);
      await info(step);
      await newConnection(`new connection ${cycle}`, step);
      check(k().unread() === 0, step, `kept: ${k().unread()} bytes arrived that nothing asked for`);
      env.log(`cycle ${cycle}: sum ${sum} after ${adds} ADDs`);
    },

    async finalCheck() {
      await add('final', 3);
      await info('final');
      await newConnection('final new connection', 'final');
      env.log(`final: sum ${sum} after ${adds} ADDs`);
    },

    keptConnections: () => (kept ? [kept] : []),

    close() {
      kept?.close();
    },
  };
}

export const asyncioCase: AppCase = {
  name: 'asyncio',
  summary: 'Python asyncio server with a per-connection running sum; one connection kept (unread 2 MiB answer + ADD in flight); the sum continues',
  needs: [{ bin: PYTHON, pkg: 'python3' }],
  dumpOpts: ['--tcp-established'],
  restoreOpts: ['--tcp-established'],
  stopSignal: 'SIGTERM',
  create,
};
