/**
 * redis-server, no persistence, 100,000 keys loaded over a pipelined RESP connection that is
 * then kept open across every checkpoint (amber needs --tcp-established: the harness, the
 * peer, is outside the dumped tree). Before each dump a 2 MiB GET is left unread (the answer
 * sits in redis's output buffer and both kernels' socket queues); while the app is checkpointed
 * an INCR is sent. After each restore the kept connection delivers both answers byte-exact, is
 * still the same client (CLIENT ID), and the counter continues exactly; sampled keys, DBSIZE
 * and a new connection are checked too; at the end every key is read back.
 */
import type { AppCase, AppEnv, AppRun } from '../lib/app';
import { firstDifference, patternBytes } from '../lib/pattern';
import { RespClient, RespError, showResp, type Resp } from '../lib/resp';
import { socketQueues } from '../lib/ss';
import { AppFailure, check, pollFor, prng, sleep } from '../lib/util';

const REDIS = '/usr/bin/redis-server';
const KEYS = 100_000;
const BATCH = 2000;
const COUNTER = 'amber:counter';
const BIG = 'amber:big';
const BIG_SIZE = 2 * 1024 * 1024;
const BIG_SEED = 7;
const EXTRA_KEYS = 2;

const keyName = (i: number): string => `key:${i}`;
const value = (i: number): string => `value:${i}:${'abcdefghijklmnopqrstuvwxyz0123456789'.slice(0, i % 37)}:${(Math.imul(i, 2654435761) >>> 0).toString(16)}`;

const asText = (v: Resp): string | undefined => (Buffer.isBuffer(v) ? v.toString('latin1') : typeof v === 'string' ? v : undefined);

function sample(seed: number, n: number): number[] {
  const rnd = prng(seed);
  const out = [0, KEYS - 1];
  while (out.length < n) out.push(Math.floor(rnd() * KEYS));
  return out;
}

/** GETs of the sampled keys in one pipeline: each must be exact. */
async function checkKeys(c: RespClient, idx: number[], step: string): Promise<void> {
  const got = await c.pipeline(idx.map((i) => ['GET', keyName(i)]), `${c.conn.label}: GET of ${idx.length} sampled keys`);
  got.forEach((v, j) => {
    if (asText(v) !== value(idx[j])) throw new AppFailure(step, `${c.conn.label}: GET ${keyName(idx[j])} = ${showResp(v)}, expected "${value(idx[j])}"`);
  });
}

function create(env: AppEnv): AppRun {
  const big = patternBytes(BIG_SIZE, BIG_SEED);
  let kept: RespClient | undefined;
  let keptId = 0;
  let counter = 0;
  let bigPending = false;
  let incrsInFlight = 0;
  const others: RespClient[] = [];
  const timeout = env.stepMs;

  const k = (): RespClient => kept as RespClient;

  async function fresh(label: string): Promise<RespClient> {
    const c = await RespClient.connect(label, env.port, timeout);
    others.push(c);
    return c;
  }

  async function quit(c: RespClient, step: string): Promise<void> {
    await c.expect(step, 'OK', 'QUIT');
    await c.conn.waitPeerClose(timeout);
  }

  async function incr(step: string, n: number): Promise<void> {
    const got = await k().pipeline(Array.from({ length: n }, () => ['INCR', COUNTER]), 'kept: INCR');
    for (const v of got) {
      counter++;
      if (v !== counter) throw new AppFailure(step, `kept: INCR ${COUNTER} answered ${showResp(v)}, expected ${counter}`);
    }
  }

  return {
    async start() {
      const pid = await env.launch(
        [REDIS, '--port', String(env.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', env.workdir, '--logfile', '', '--databases', '1'],
        'redis.log',
      );
      const ready = await pollFor(async () => {
        try {
          const c = await RespClient.connect('probe', env.port, 1000);
          try {
            const pong = await c.call('PING');
            if (pong !== 'PONG') return undefined;
            await quit(c, 'start');
            return true;
          } finally {
            c.conn.close();
          }
        } catch {
          return undefined;
        }
      }, timeout, 100);
      check(ready === true, 'start', `redis-server did not answer PING on 127.0.0.1:${env.port} within ${timeout / 1000} s`);
      return pid;
    },

    async load() {
      kept = await RespClient.connect('kept', env.port, timeout);
      await k().expect('load', 'OK', 'CLIENT', 'SETNAME', 'amber-kept');
      const id = await k().call('CLIENT', 'ID');
      check(typeof id === 'number', 'load', `CLIENT ID answered ${showResp(id)}`);
      keptId = id;
      await k().expect('load', 0, 'DBSIZE');
      const t0 = Date.now();
      for (let b = 0; b < KEYS; b += BATCH) {
        const cmds = [];
        for (let i = b; i < Math.min(KEYS, b + BATCH); i++) cmds.push(['SET', keyName(i), value(i)]);
        const got = await k().pipeline(cmds, `SET batch at ${b}`);
        const bad = got.findIndex((v) => v !== 'OK');
        if (bad >= 0) throw new AppFailure('load', `SET ${keyName(b + bad)} answered ${showResp(got[bad])}`);
      }
      await k().expect('load', 'OK', 'SET', BIG, big);
      await incr('load', 1);
      await k().expect('load', KEYS + EXTRA_KEYS, 'DBSIZE');
      const save = await k().call('CONFIG', 'GET', 'save');
      check(Array.isArray(save) && asText(save[1]) === '', 'load', `CONFIG GET save = ${showResp(save)}: persistence is on`);
      env.log(`loaded ${KEYS} keys + ${BIG} (${BIG_SIZE} bytes) + ${COUNTER} in ${Date.now() - t0} ms; kept client id ${keptId}, local port ${k().conn.localPort}`);
    },

    async beforeDump(cycle) {
      k().conn.pause();
      k().send('GET', BIG);
      bigPending = true;
      await sleep(300);
      env.log(`cycle ${cycle}: GET ${BIG} left unread: ${socketQueues(env.port)}`);
    },

    async whileCheckpointed(cycle) {
      k().send('INCR', COUNTER);
      incrsInFlight++;
      env.log(`cycle ${cycle}: sent INCR while checkpointed`);
    },

    async verify(cycle) {
      const step = 'verify';
      k().conn.resume();
      if (bigPending) {
        const v = await k().reply(`GET ${BIG} sent before the dump`);
        check(Buffer.isBuffer(v), step, `kept: GET ${BIG} answered ${showResp(v)}`);
        const diff = firstDifference(v as Buffer, big);
        if (diff) throw new AppFailure(step, `kept: the ${BIG_SIZE}-byte answer pending across the checkpoint differs: ${diff}`);
        bigPending = false;
      }
      for (; incrsInFlight > 0; incrsInFlight--) {
        const v = await k().reply('INCR sent while checkpointed');
        counter++;
        if (v !== counter) throw new AppFailure(step, `kept: INCR sent while checkpointed answered ${showResp(v)}, expected ${counter}`);
      }
      await k().expect(step, 'PONG', 'PING');
      await k().expect(step, keptId, 'CLIENT', 'ID');
      await incr(step, 5);
      await checkKeys(k(), sample(cycle * 7919, 200), step);
      await k().expect(step, KEYS + EXTRA_KEYS, 'DBSIZE');

      const c = await fresh(`new connection ${cycle}`);
      await c.expect(step, 'PONG', 'PING');
      await c.expect(step, Buffer.from(String(counter)), 'GET', COUNTER);
      await checkKeys(c, sample(cycle * 104729, 50), step);
      const id = await c.call('CLIENT', 'ID');
      check(typeof id === 'number' && id !== keptId, step, `new connection: CLIENT ID ${showResp(id)} (kept one is ${keptId})`);
      const list = asText(await c.call('CLIENT', 'LIST')) ?? '';
      check(new RegExp(`^id=${keptId} .* name=amber-kept `, 'm').test(list), step, `CLIENT LIST does not show the kept client ${keptId}: ${list.slice(0, 300)}`);
      await quit(c, step);
      check(k().conn.unread() === 0, step, `kept: ${k().conn.unread()} bytes arrived that nothing asked for`);
      env.log(`cycle ${cycle}: counter ${counter}, kept client ${keptId} on local port ${k().conn.localPort}`);
    },

    async finalCheck() {
      const step = 'final';
      const t0 = Date.now();
      const per = 1000;
      for (let b = 0; b < KEYS; b += per * 10) {
        const cmds: string[][] = [];
        for (let s = b; s < Math.min(KEYS, b + per * 10); s += per) {
          cmds.push(['MGET', ...Array.from({ length: Math.min(per, KEYS - s) }, (_, j) => keyName(s + j))]);
        }
        const got = await k().pipeline(cmds, `MGET at ${b}`);
        got.forEach((arr, j) => {
          const start = b + j * per;
          if (!Array.isArray(arr)) throw new AppFailure(step, `MGET answered ${showResp(arr)}`);
          arr.forEach((v, m) => {
            if (asText(v) !== value(start + m)) throw new AppFailure(step, `${keyName(start + m)} = ${showResp(v)}, expected "${value(start + m)}"`);
          });
        });
      }
      const v = await k().call('GET', BIG);
      check(Buffer.isBuffer(v) && firstDifference(v, big) === undefined, step, `${BIG} differs at the end: ${Buffer.isBuffer(v) ? firstDifference(v, big) : showResp(v)}`);
      await k().expect(step, Buffer.from(String(counter)), 'GET', COUNTER);
      await k().expect(step, KEYS + EXTRA_KEYS, 'DBSIZE');
      const err = await k().call('NOSUCHCOMMAND');
      check(err instanceof RespError, step, 'an unknown command did not answer an error');
      env.log(`final: all ${KEYS} keys exact (read in ${Date.now() - t0} ms), counter ${counter}`);
    },

    keptConnections: () => (kept ? [kept.conn] : []),

    close() {
      kept?.conn.close();
      for (const c of others) c.conn.close();
    },
  };
}

export const redisCase: AppCase = {
  name: 'redis',
  summary: '100,000 keys; one RESP connection kept across checkpoints (unread 2 MiB answer + INCR in flight); counter continues, keys exact',
  needs: [{ bin: REDIS, pkg: 'redis-server' }],
  dumpOpts: ['--tcp-established'],
  restoreOpts: ['--tcp-established'],
  stopSignal: 'SIGTERM',
  create,
};
