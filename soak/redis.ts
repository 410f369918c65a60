/**
 * `npm run soak:redis -- [--cycles 1000] [...]`: redis-server (no persistence) under a steady
 * write load is dumped (which kills it, as CRIU does by default) and restored, cycle after
 * cycle. The writers are this process, outside the dumped tree, over loopback TCP connections
 * opened once and kept across every checkpoint (--tcp-established): each sends SET of a new
 * key, INCR of one of its counters and RPUSH to its list in turn, at a fixed rate with a few
 * requests in flight, and checks every reply against what that command must answer (OK, the
 * counter's next value, the list's new length). A checkpoint is a stall for them, never an
 * error, a reset or an end of stream.
 *
 * After each restore a verifier (one more kept connection) reads back what the writers were
 * told is stored: every K cycles (and at the end) every key, list element and counter, in the
 * other cycles what was acknowledged since the last check plus a sample of older keys. At the
 * end the writers stop and drain, and the check is exact (DBSIZE, counters, list lengths).
 * Any lost or changed key, wrong reply, broken connection, failed amber run, changed process
 * tree or a stall above --max-stall-ms fails the soak with what it was and when.
 *
 * Prints progress every 50 cycles and a summary (dump/restore ms, client stall, writes, keys
 * verified); writes a JSON report. Always: redis killed and reaped, sockets closed, images
 * removed (also on failure and Ctrl-C; the logs of a failure are kept next to the report).
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { performance } from 'node:perf_hooks';
import { tailFile } from '../zdtm/runner/exec';
import { defaultAmberBin } from '../zdtm/runner/paths';
import { becomeSubreaper, waitExit, waitPidsFree } from '../zdtm/runner/reaper';
import * as amber from '../apps/lib/amber';
import { killEverything } from '../apps/lib/cleanup';
import { launchDetached } from '../apps/lib/launch';
import { ensurePackages } from '../apps/lib/packages';
import { freePort } from '../apps/lib/ports';
import { compareTrees, describeTask, isLive, processTree, readTask, type Task } from '../apps/lib/proc';
import { RespClient, RespError, showResp, type Resp } from '../apps/lib/resp';
import { runningHelpers } from '../apps/lib/exec';
import { pollFor, prng, sleep } from '../apps/lib/util';
import {
  atEnd,
  cleanupOnSignals,
  defaultBase,
  describeThreads,
  groupMembers,
  fmtStats,
  helpOf,
  inPidns,
  insidePidns,
  parseOpts,
  pidMaxWarning,
  requireRoot,
  round1,
  runCleanups,
  runStamp,
  SoakFailure,
  stats,
  stopHelpers,
  UsageError,
  writeJson,
  type OptSpec,
} from './lib';

const REDIS = '/usr/bin/redis-server';
const COUNTERS = 4;
const MGET_BATCH = 500;
const LRANGE_BATCH = 1000;
/** Verification requests written at once (each answer parsed as it comes). */
const PIPELINE = 16;
const SAMPLE_OLD = 64;

const SPECS: OptSpec[] = [
  { name: 'cycles', kind: 'int', min: 1, help: 'dump/restore cycles (default 1000)' },
  { name: 'clients', kind: 'int', min: 1, help: 'writer connections (default 3)' },
  { name: 'rate', kind: 'int', min: 1, help: 'requests a second per writer (default 250)' },
  { name: 'window', kind: 'int', min: 1, help: 'requests in flight per writer at most (default 8)' },
  { name: 'verify-every', kind: 'int', min: 1, help: 'read back everything every K cycles; in between only what is new and a sample (default 10)' },
  { name: 'settle-ms', kind: 'int', min: 0, help: 'before the next dump, wait up to this long for every request sent before the restore to be answered (default 5000; 0: back to back)' },
  { name: 'gap-ms', kind: 'int', min: 0, help: 'then this long of undisturbed load before the next dump (default 100)' },
  { name: 'max-stall-ms', kind: 'int', min: 1, help: 'fail when one request waits longer than this for its answer (default 30000)' },
  { name: 'timeout', kind: 'int', min: 1, help: 'seconds for one amber run, one verification, redis start (default 60)' },
  { name: 'hang-s', kind: 'int', min: 1, help: 'when one amber run takes this long, log what its threads and the tree\'s are doing (default 15)' },
  { name: 'slow-ms', kind: 'int', min: 1, help: 'keep the dump and restore logs of a cycle whose dump or restore took longer (default 2000; 20 cycles at most)' },
  { name: 'pidns', kind: 'flag', help: 'run everything in a new PID namespace (no PID of another process can collide; no pid_max wrap)' },
  { name: 'amber-bin', kind: 'string', help: 'the checkpointer (default bin/amber)' },
  { name: 'dir', kind: 'string', help: 'where the work dir (images, redis log) goes (default /dev/shm, else the temp dir)' },
  { name: 'report', kind: 'string', help: 'the JSON report (default /tmp/amber-soak/redis-STAMP.json; logs of a failure in ...-logs/)' },
];

const say = (s: string): void => {
  process.stderr.write(`soak:redis: ${s}\n`);
};
const out = (s: string): void => {
  process.stdout.write(`${s}\n`);
};

const keyName = (w: number, s: number): string => `w${w}:k:${s}`;
const keyValue = (w: number, s: number): string => `w${w}:v:${s}:${(Math.imul(s + 1, 2654435761) ^ Math.imul(w + 1, 40503)) >>> 0}:${'0123456789abcdefghijklmnopqrstuvwxyz'.slice(0, s % 37)}`;
const counterName = (w: number, j: number): string => `w${w}:ctr:${j}`;
const listName = (w: number): string => `w${w}:list`;
const listItem = (s: number): string => `e${s}`;

/** The kernel's view of a connection (both ends): queues, timers, retransmissions, backoff. */
function ssInfo(localPort: number, port: number): string {
  const r = spawnSync('ss', ['-tnoiH', 'state', 'established', `( ( sport = :${localPort} and dport = :${port} ) or ( sport = :${port} and dport = :${localPort} ) )`], { encoding: 'utf8', timeout: 5000 });
  if (r.status !== 0) return `(ss: ${r.error?.message ?? `exit ${r.status}`})`;
  return r.stdout.trim().replace(/\n\s+/g, ' ').replace(/\s+/g, ' ').replace(/ (?=ESTAB)/g, '\n    ');
}

/** Every thread id of the tree (the ids restore must get back). */
function threadIds(tree: Task[]): number[] {
  const out: number[] = [];
  for (const t of tree) {
    try {
      out.push(...fs.readdirSync(`/proc/${t.pid}/task`).map(Number));
    } catch {
      // gone
    }
  }
  return out;
}

/** Who holds each of these ids now (after a failed restore): a restore needs them all free. */
function tidReport(tids: number[]): string {
  const held = tids.map((tid) => {
    try {
      const st = fs.readFileSync(`/proc/${tid}/status`, 'utf8');
      const f = (k: string): string => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(st)?.[1] ?? '?';
      return `${tid}: taken by ${f('Name')} (tgid ${f('Tgid')}, ppid ${f('PPid')})`;
    } catch {
      return `${tid}: free`;
    }
  });
  return `thread ids of the dumped tree, after the failed restore: ${held.join('; ')}`;
}

const asText = (v: Resp): string | undefined => (Buffer.isBuffer(v) ? v.toString('latin1') : typeof v === 'string' ? v : undefined);

type Kind = 'SET' | 'INCR' | 'RPUSH';

interface Pending {
  kind: Kind;
  /** Sequence number within the kind (SET: the key; RPUSH: the element; INCR: the counter's value). */
  seq: number;
  counter: number;
  expect: Resp;
  t0: number;
  cycle: number;
}

/** One writer connection and everything it was told. */
class Writer {
  readonly label: string;
  redisId = 0;
  readonly pending: Pending[] = [];
  ops = 0;
  setSent = 0;
  setAcked = 0;
  readonly incrSent = new Array<number>(COUNTERS).fill(0);
  readonly incrAcked = new Array<number>(COUNTERS).fill(0);
  pushSent = 0;
  pushAcked = 0;
  /** Sends skipped because `window` requests were in flight (the stalls). */
  deferred = 0;
  /** What was verified already (the incremental checks start there). */
  verifiedSet = 0;
  verifiedPush = 0;
  /** setAcked / pushAcked when each cycle began: says in which cycle a key was acknowledged. */
  readonly setMarks: number[] = [];
  readonly pushMarks: number[] = [];
  private wake?: () => void;

  constructor(
    readonly index: number,
    readonly client: RespClient,
  ) {
    this.label = `writer ${index}`;
  }

  poke(): void {
    const w = this.wake;
    this.wake = undefined;
    w?.();
  }

  idle(): Promise<void> {
    return new Promise((r) => {
      this.wake = r;
    });
  }

  ackedWrites(): number {
    return this.setAcked + this.pushAcked + this.incrAcked.reduce((a, b) => a + b, 0);
  }
}

/** "acknowledged in cycle N" (cycle 0: before the first dump). */
function ackCycle(marks: number[], seq: number): string {
  let lo = 0;
  let hi = marks.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (marks[mid] <= seq) lo = mid + 1;
    else hi = mid;
  }
  return lo === 0 ? 'acknowledged before the first dump' : `acknowledged during cycle ${lo}`;
}

interface CycleRecord {
  cycle: number;
  dumpMs: number;
  restoreMs: number;
  verifyMs: number;
  /** How long the writers took to get every answer to what they sent before the restore ended. */
  settleMs: number;
  full: boolean;
  /** The longest wait of one request answered during this cycle. */
  stallMs: number;
  keysVerified: number;
  ackedWrites: number;
}

async function main(argv: string[]): Promise<number> {
  let o;
  try {
    o = parseOpts(argv, SPECS);
    if (o.help) {
      process.stdout.write(helpOf('usage: npm run soak:redis -- [options]', SPECS));
      return 0;
    }
    requireRoot();
    if (o.pidns && !insidePidns()) return await inPidns(__filename, argv, say);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    say(`${e.message} (--help shows the options)`);
    return 2;
  }
  const cycles = (o.cycles as number | undefined) ?? 1000;
  const nClients = (o.clients as number | undefined) ?? 3;
  const rate = (o.rate as number | undefined) ?? 250;
  const window = (o.window as number | undefined) ?? 8;
  const verifyEvery = (o['verify-every'] as number | undefined) ?? 10;
  const gapMs = (o['gap-ms'] as number | undefined) ?? 100;
  const settleMs = (o['settle-ms'] as number | undefined) ?? 5000;
  const slowMs = (o['slow-ms'] as number | undefined) ?? 2000;
  const hangMs = ((o['hang-s'] as number | undefined) ?? 15) * 1000;
  const maxStallMs = (o['max-stall-ms'] as number | undefined) ?? 30_000;
  const timeoutMs = ((o.timeout as number | undefined) ?? 60) * 1000;
  const amberBin = path.resolve((o['amber-bin'] as string | undefined) ?? defaultAmberBin);
  const stamp = runStamp();
  const reportFile = path.resolve((o.report as string | undefined) ?? `/tmp/amber-soak/redis-${stamp}.json`);
  const logsDir = reportFile.replace(/\.json$/, '') + '-logs';
  const slowDir = reportFile.replace(/\.json$/, '') + '-slow';
  const slowCycles: number[] = [];
  const base = (o.dir as string | undefined) ?? defaultBase();
  const interval = 1000 / rate;

  fs.mkdirSync(base, { recursive: true });
  const workdir = fs.mkdtempSync(path.join(base, 'amber-soak-redis-'));
  const imgDir = path.join(workdir, 'img');
  const harnessLog = path.join(workdir, 'soak.log');
  const log = (l: string): void => fs.appendFileSync(harnessLog, `${new Date().toISOString()} ${l}\n`);

  let root: number | undefined;
  const recorded = new Set<number>();
  const writers: Writer[] = [];
  let verifier: RespClient | undefined;
  let failure: SoakFailure | undefined;
  let stopSending = false;
  let failed = false;

  const closeAll = (): void => {
    stopSending = true;
    for (const w of writers) {
      w.client.conn.close();
      w.poke();
    }
    verifier?.conn.close();
  };
  // Last registered, first run: sockets, then amber, then redis, then the files.
  atEnd(() => {
    if (failed) {
      fs.mkdirSync(logsDir, { recursive: true });
      for (const f of [harnessLog, path.join(workdir, 'redis.log')]) if (fs.existsSync(f)) fs.copyFileSync(f, path.join(logsDir, path.basename(f)));
      if (fs.existsSync(imgDir)) for (const f of fs.readdirSync(imgDir)) if (/\.(log|out|pid)$/.test(f)) fs.copyFileSync(path.join(imgDir, f), path.join(logsDir, f));
    }
    else if (fs.existsSync(harnessLog)) {
      fs.mkdirSync(path.dirname(reportFile), { recursive: true });
      fs.copyFileSync(harnessLog, reportFile.replace(/\.json$/, '') + '.log');
    }
    fs.rmSync(workdir, { recursive: true, force: true });
  });
  atEnd(async () => {
    const killed = await killEverything(root, [...recorded]);
    if (killed.length > 0) log(`killed leftovers: ${killed.join(' ')}`);
    // amber's network lock of this tree, had an interrupted amber left it.
    const pid = root ?? [...recorded][0];
    if (pid !== undefined && spawnSync('nft', ['list', 'table', 'inet', `amber-${pid}`], { stdio: 'ignore' }).status === 0) {
      say(`amber left its network lock table inet amber-${pid} behind: deleting it`);
      log(`leftover nft table inet amber-${pid} deleted`);
      spawnSync('nft', ['delete', 'table', 'inet', `amber-${pid}`], { stdio: 'ignore' });
    }
  });
  atEnd(() => stopHelpers());
  atEnd(closeAll);
  let interrupted: NodeJS.Signals | undefined;
  cleanupOnSignals(say, (sig) => {
    interrupted = sig;
    failed = true;
    fail(`interrupted by ${sig}`);
    closeAll();
    void stopHelpers();
  });

  const fail = (message: string, details: string[] = []): SoakFailure => {
    failure ??= new SoakFailure(message, details);
    stopSending = true;
    return failure;
  };
  const checkFailure = (): void => {
    if (failure) throw failure;
    for (const c of [...writers.map((w) => w.client), ...(verifier ? [verifier] : [])]) {
      const p = c.conn.problem();
      if (p) throw fail(`client connection broken: ${p}`);
    }
  };

  let cycle = 0;
  /** Where the main loop is, for the messages of the writers: "dump (started 812 ms ago)". */
  let phase = 'setup';
  let phaseAt = performance.now();
  const setPhase = (p: string): void => {
    phase = p;
    phaseAt = performance.now();
  };
  const where = (): string => `the soak was at cycle ${cycle}'s ${phase}, started ${Math.round(performance.now() - phaseAt)} ms before`;
  const latencies: number[] = [];
  let cycleStall = 0;
  const records: CycleRecord[] = [];
  let keysVerified = 0;
  let listItemsVerified = 0;
  let fullChecks = 0;
  const t0 = Date.now();

  // ---- writers -------------------------------------------------------------------------
  function sendOne(w: Writer): void {
    const kind: Kind = (['SET', 'INCR', 'RPUSH'] as const)[w.ops % 3];
    const at = performance.now();
    let p: Pending;
    if (kind === 'SET') {
      const s = w.setSent++;
      w.client.send('SET', keyName(w.index, s), keyValue(w.index, s));
      p = { kind, seq: s, counter: -1, expect: 'OK', t0: at, cycle };
    } else if (kind === 'INCR') {
      const j = Math.floor(w.ops / 3) % COUNTERS;
      const v = ++w.incrSent[j];
      w.client.send('INCR', counterName(w.index, j));
      p = { kind, seq: v, counter: j, expect: v, t0: at, cycle };
    } else {
      const s = w.pushSent++;
      w.client.send('RPUSH', listName(w.index), listItem(s));
      p = { kind, seq: s, counter: -1, expect: s + 1, t0: at, cycle };
    }
    w.ops++;
    w.pending.push(p);
    w.poke();
  }

  const describe = (w: Writer, p: Pending): string =>
    p.kind === 'SET'
      ? `SET ${keyName(w.index, p.seq)}`
      : p.kind === 'INCR'
        ? `INCR ${counterName(w.index, p.counter)} (its ${p.seq}th)`
        : `RPUSH ${listName(w.index)} ${listItem(p.seq)}`;

  async function sender(w: Writer): Promise<void> {
    let next = performance.now();
    while (!stopSending) {
      if (w.pending.length < window) {
        try {
          sendOne(w);
        } catch (e) {
          fail(`${w.label}: ${(e as Error).message}`);
          return;
        }
      } else w.deferred++;
      next += interval;
      const now = performance.now();
      if (next < now) next = now;
      await sleep(Math.max(0, next - now));
    }
  }

  async function receiver(w: Writer, replyTimeoutMs: number): Promise<void> {
    for (;;) {
      if (w.pending.length === 0) {
        if (stopSending || failure) return;
        await w.idle();
        continue;
      }
      const head = w.pending[0];
      let v: Resp;
      try {
        v = await w.client.reply(`${describe(w, head)} (sent in cycle ${head.cycle})`, replyTimeoutMs);
      } catch (e) {
        const m = (e as Error).message;
        if (!failure) fail(`${m.startsWith(w.label) ? m : `${w.label}: ${m}`} (${where()})`);
        return;
      }
      const lat = performance.now() - head.t0;
      w.pending.shift();
      latencies.push(lat);
      if (lat > cycleStall) cycleStall = lat;
      const same = JSON.stringify(v) === JSON.stringify(head.expect) && !(v instanceof RespError) && !Buffer.isBuffer(v);
      if (!same) {
        fail(`${w.label}: ${describe(w, head)} answered ${showResp(v)}, expected ${showResp(head.expect)} (sent in cycle ${head.cycle}, answered in cycle ${cycle}, after ${Math.round(lat)} ms)`);
        return;
      }
      if (lat > maxStallMs) {
        fail(`${w.label}: ${describe(w, head)} waited ${Math.round(lat)} ms for its answer (more than --max-stall-ms ${maxStallMs}; sent in cycle ${head.cycle}, answered when ${where()})`);
        return;
      }
      if (head.kind === 'SET') w.setAcked++;
      else if (head.kind === 'INCR') w.incrAcked[head.counter]++;
      else w.pushAcked++;
    }
  }

  // ---- verification --------------------------------------------------------------------
  /** Runs reqs through the verifier PIPELINE at a time; check(answer, index) for each. */
  async function pipelined(reqs: string[][], what: string, check: (v: Resp, i: number) => void): Promise<void> {
    const v = verifier as RespClient;
    for (let at = 0; at < reqs.length; at += PIPELINE) {
      const chunk = reqs.slice(at, at + PIPELINE);
      const got = await v.pipeline(chunk, what);
      got.forEach((ans, j) => check(ans, at + j));
    }
  }

  async function checkKeys(w: Writer, seqs: number[], when: string): Promise<void> {
    const reqs: string[][] = [];
    for (let i = 0; i < seqs.length; i += MGET_BATCH) reqs.push(['MGET', ...seqs.slice(i, i + MGET_BATCH).map((s) => keyName(w.index, s))]);
    await pipelined(reqs, `MGET of ${w.label}'s keys`, (ans, r) => {
      if (!Array.isArray(ans)) throw fail(`verifier: MGET answered ${showResp(ans)} ${when}`);
      ans.forEach((val, m) => {
        const s = seqs[r * MGET_BATCH + m];
        const want = keyValue(w.index, s);
        if (asText(val) !== want) {
          const how = val === null ? 'is missing' : `is ${showResp(val)}, expected "${want}"`;
          throw fail(`lost key: ${keyName(w.index, s)} (${ackCycle(w.setMarks, s)}, answered OK) ${how} ${when}`);
        }
      });
    });
    keysVerified += seqs.length;
  }

  async function checkList(w: Writer, from: number, to: number, when: string): Promise<void> {
    const reqs: string[][] = [];
    for (let a = from; a < to; a += LRANGE_BATCH) reqs.push(['LRANGE', listName(w.index), String(a), String(Math.min(to, a + LRANGE_BATCH) - 1)]);
    await pipelined(reqs, `LRANGE of ${listName(w.index)}`, (ans, r) => {
      const a = from + r * LRANGE_BATCH;
      const n = Math.min(to, a + LRANGE_BATCH) - a;
      if (!Array.isArray(ans)) throw fail(`verifier: LRANGE ${listName(w.index)} answered ${showResp(ans)} ${when}`);
      for (let m = 0; m < n; m++) {
        const want = listItem(a + m);
        if (m >= ans.length || asText(ans[m]) !== want) {
          throw fail(`lost list element: ${listName(w.index)}[${a + m}] should be "${want}" (${ackCycle(w.pushMarks, a + m)}, RPUSH answered ${a + m + 1}) but is ${m >= ans.length ? 'missing (the list is shorter)' : showResp(ans[m])} ${when}`);
        }
      }
    });
    listItemsVerified += to - from;
  }

  /**
   * What every writer was told is stored, read back. The writers go on meanwhile, so a count
   * read must lie between what was acknowledged before the read and what was sent after it;
   * with `exact` (writers stopped and drained) both are the same.
   */
  async function verify(full: boolean, when: string, exact = false): Promise<void> {
    const v = verifier as RespClient;
    const rnd = prng(cycle * 7919 + 1);
    for (const w of writers) {
      const setLow = w.setAcked;
      const setFrom = full ? 0 : w.verifiedSet;
      const seqs: number[] = [];
      for (let s = setFrom; s < setLow; s++) seqs.push(s);
      if (!full && setFrom > 0) for (let i = 0; i < SAMPLE_OLD; i++) seqs.push(Math.floor(rnd() * setFrom));
      await checkKeys(w, seqs, when);
      const pushLow = w.pushAcked;
      await checkList(w, full ? 0 : w.verifiedPush, pushLow, when);
      for (let j = 0; j < COUNTERS; j++) {
        const low = w.incrAcked[j];
        const got = await v.call('GET', counterName(w.index, j));
        const high = w.incrSent[j];
        const n = got === null ? 0 : Number(asText(got));
        if (!Number.isInteger(n) || n < low || n > high) {
          throw fail(`lost increments: ${counterName(w.index, j)} is ${showResp(got)} ${when}; ${low} INCRs of it were acknowledged${high > low ? ` (${high} sent)` : ''}`);
        }
      }
      const len = await v.call('LLEN', listName(w.index));
      if (typeof len !== 'number' || len < pushLow || len > w.pushSent) {
        throw fail(`${listName(w.index)} has ${showResp(len)} elements ${when}; ${pushLow} RPUSHes were acknowledged${w.pushSent > pushLow ? ` (${w.pushSent} sent)` : ''}`);
      }
      w.verifiedSet = setLow;
      w.verifiedPush = pushLow;
    }
    // Keys: one per SET, one per counter and list that got at least one write.
    const keyCount = (set: number, incr: number[], push: number): number => set + incr.filter((x) => x > 0).length + (push > 0 ? 1 : 0);
    const low = writers.reduce((a, w) => a + keyCount(w.setAcked, w.incrAcked, w.pushAcked), 0);
    const size = await v.call('DBSIZE');
    const high = writers.reduce((a, w) => a + keyCount(w.setSent, w.incrSent, w.pushSent), 0);
    if (typeof size !== 'number' || size < low || size > high) {
      throw fail(`DBSIZE is ${showResp(size)} ${when}; the writers were told of ${low} keys${high > low ? ` (${high} with the writes in flight)` : ''}${typeof size === 'number' && size > high ? ': keys nobody wrote' : ''}`);
    }
    if (exact && low !== high) throw fail(`internal: writes still in flight at the exact check (${high - low})`);
    // The same connections, server side: every writer's client id and name are still listed.
    const list = asText(await v.call('CLIENT', 'LIST')) ?? '';
    for (const w of writers) {
      if (!new RegExp(`^id=${w.redisId} .*name=soak-w${w.index} `, 'm').test(list)) {
        throw fail(`redis no longer lists ${w.label}'s connection (id ${w.redisId}) ${when}: ${list.slice(0, 400)}`);
      }
    }
  }

  /**
   * An amber run that goes on past --hang-s: what amber's threads and the tree's are doing is
   * logged (and kept for the failure report) before the run's own timeout kills it.
   */
  const hangNotes: string[] = [];
  async function watched<T>(what: string, tree: () => number[], run: Promise<T>): Promise<T> {
    const timer = setTimeout(() => {
      // One amber runs at a time: every helper running now is it (and what it started).
      const amberPids = [...runningHelpers()].flatMap(groupMembers);
      const note = `${what} still running after ${hangMs / 1000} s:\namber (${amberPids.join(' ')}):\n${describeThreads(amberPids)}\ntree:\n${describeThreads(tree())}`;
      hangNotes.push(note);
      log(note);
    }, hangMs);
    try {
      return await run;
    } finally {
      clearTimeout(timer);
    }
  }

  // ---- the run -------------------------------------------------------------------------
  let result: 'pass' | 'fail' = 'pass';
  try {
    if (!becomeSubreaper()) throw new SoakFailure('cannot become a child subreaper (is the native addon built? npm run build)');
    const missing = ensurePackages([{ bin: REDIS, pkg: 'redis-server' }], path.join(workdir, 'apt.log'), say);
    if (missing.length > 0) throw new SoakFailure(`missing ${missing.join(', ')}`);
    fs.accessSync(amberBin, fs.constants.X_OK);
    const port = await freePort();
    say(`${cycles} cycles, ${nClients} writers x ${rate} requests/s (window ${window}), full check every ${verifyEvery} cycles; work dir ${workdir}${insidePidns() ? '; in a PID namespace of its own' : ''}`);
    // Some 30 PIDs a cycle go to the two amber runs (Node and its threads) and their nft calls.
    const warn = pidMaxWarning(cycles * 30);
    if (warn) say(`warning: ${warn}`);
    log(`port ${port}, amber ${amberBin}`);
    root = await launchDetached({
      argv: [REDIS, '--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', '--dir', workdir, '--logfile', '', '--databases', '1'],
      cwd: workdir,
      logFile: path.join(workdir, 'redis.log'),
      timeoutMs,
    });
    const pid = root;
    recorded.add(pid);
    const up = await pollFor(async () => {
      try {
        const c = await RespClient.connect('probe', port, 1000);
        try {
          return (await c.call('PING')) === 'PONG' ? true : undefined;
        } finally {
          c.conn.close();
        }
      } catch {
        return undefined;
      }
    }, timeoutMs, 50);
    if (up !== true) throw new SoakFailure(`redis-server did not answer PING on 127.0.0.1:${port} within ${timeoutMs / 1000} s`, [tailFile(path.join(workdir, 'redis.log'), 20)]);
    const save = await (async () => {
      const c = await RespClient.connect('probe', port, timeoutMs);
      try {
        return await c.call('CONFIG', 'GET', 'save');
      } finally {
        c.conn.close();
      }
    })();
    if (!Array.isArray(save) || asText(save[1]) !== '') throw new SoakFailure(`CONFIG GET save = ${showResp(save)}: persistence is on`);

    verifier = await RespClient.connect('verifier', port, timeoutMs);
    await verifier.expect('setup', 'OK', 'CLIENT', 'SETNAME', 'soak-verifier');
    const verifierId = await verifier.call('CLIENT', 'ID');
    for (let i = 0; i < nClients; i++) {
      const c = await RespClient.connect(`writer ${i}`, port, timeoutMs);
      const w = new Writer(i, c);
      writers.push(w);
      await c.expect('setup', 'OK', 'CLIENT', 'SETNAME', `soak-w${i}`);
      const id = await c.call('CLIENT', 'ID');
      if (typeof id !== 'number') throw new SoakFailure(`CLIENT ID answered ${showResp(id)}`);
      w.redisId = id;
    }
    await verifier.expect('setup', 0, 'DBSIZE');
    log(`redis ${pid} up; writers ${writers.map((w) => `${w.redisId}@${w.client.conn.localPort}`).join(' ')}`);

    // Longer than a dump and a restore that both time out: a hung amber is reported as such, not as a writer without its answer.
    const loops = writers.flatMap((w) => [sender(w), receiver(w, 2 * timeoutMs + maxStallMs + 10_000)]);
    await sleep(500);
    checkFailure();

    let lastPrint = Date.now();
    for (cycle = 1; cycle <= cycles; cycle++) {
      cycleStall = 0;
      for (const w of writers) {
        w.setMarks.push(w.setAcked);
        w.pushMarks.push(w.pushAcked);
      }
      const before: Task[] = processTree(pid);
      for (const t of before) recorded.add(t.pid);
      const sick = before.filter((t) => !isLive(t));
      if (before.length === 0 || sick.length > 0) throw fail(`cycle ${cycle}: redis is not running before the dump (${sick.map(describeTask).join(', ') || 'no root'})`);
      checkFailure();

      setPhase('dump');
      const tids = threadIds(before);
      fs.rmSync(imgDir, { recursive: true, force: true });
      const d = await watched(`cycle ${cycle}: dump`, () => before.map((t) => t.pid), amber.dump(amberBin, imgDir, pid, ['--tcp-established'], timeoutMs));
      if (d.code !== 0) throw fail(`cycle ${cycle}: dump failed: ${amber.outcome(d, timeoutMs)}`, [...amber.stepDetails(d), ...hangNotes]);
      const taken = await waitPidsFree(before.map((t) => t.pid), timeoutMs);
      if (taken.length > 0) {
        throw fail(`cycle ${cycle}: the dump exited 0 but the tree is still there after ${timeoutMs / 1000} s (${taken.map((p) => `${p}:${readTask(p)?.state ?? '?'}`).join(' ')}; it should kill it)`, amber.stepDetails(d));
      }
      checkFailure();

      setPhase(`restore (the dump took ${d.ms} ms)`);
      const pidfile = path.join(imgDir, 'restore.pid');
      const r = await watched(`cycle ${cycle}: restore`, () => [pid], amber.restore(amberBin, imgDir, pidfile, ['--tcp-established'], timeoutMs));
      const restoredAt = performance.now();
      if (r.code !== 0) throw fail(`cycle ${cycle}: restore failed: ${amber.outcome(r, timeoutMs)}`, [...amber.stepDetails(r), tidReport(tids), ...hangNotes]);
      const said = fs.existsSync(pidfile) ? fs.readFileSync(pidfile, 'utf8').trim() : undefined;
      if (said !== String(pid)) throw fail(`cycle ${cycle}: restore pid file says ${said === undefined ? 'nothing' : JSON.stringify(said)}, expected ${pid}`, amber.stepDetails(r));
      let diffs: string[] = [];
      const t1 = Date.now();
      const same = await pollFor(() => {
        diffs = compareTrees(before, processTree(pid));
        if (diffs.length === 0) return true;
        return Date.now() - t1 > 1000 && diffs.some((x) => x.endsWith('is missing')) ? false : undefined;
      }, 5000);
      if (!same) throw fail(`cycle ${cycle}: the restored tree differs: ${diffs.join('; ')}`, amber.stepDetails(r));
      checkFailure();

      setPhase(`verification (dump ${d.ms} ms, restore ${r.ms} ms)`);
      const full = cycle % verifyEvery === 0;
      const tv = Date.now();
      const keysBefore = keysVerified;
      await verify(full, `after restore ${cycle}`);
      const vid = await verifier.call('CLIENT', 'ID');
      if (vid !== verifierId) throw fail(`verifier: CLIENT ID is ${showResp(vid)} after restore ${cycle}, was ${showResp(verifierId)}`);
      if (full) fullChecks++;
      const verifyMs = Date.now() - tv;
      checkFailure();
      if ((d.ms > slowMs || r.ms > slowMs) && slowCycles.length < 20) {
        slowCycles.push(cycle);
        fs.mkdirSync(slowDir, { recursive: true });
        for (const f of ['dump.log', 'dump.out', 'restore.log', 'restore.out']) if (fs.existsSync(path.join(imgDir, f))) fs.copyFileSync(path.join(imgDir, f), path.join(slowDir, `cycle-${cycle}-${f}`));
      }
      setPhase(`settling (dump ${d.ms} ms, restore ${r.ms} ms)`);
      const ts = performance.now();
      if (settleMs > 0) {
        await pollFor(() => (failure || writers.every((w) => w.pending.length === 0 || w.pending[0].t0 > restoredAt) ? true : undefined), settleMs, 5);
      }
      const settledMs = performance.now() - ts;
      checkFailure();
      if (gapMs > 0) await sleep(gapMs);
      checkFailure();
      // A request still unanswered long after the restore: what the kernel says of its connection.
      for (const w of writers) {
        const waited = w.pending.length > 0 ? performance.now() - w.pending[0].t0 : 0;
        if (waited > 1000) log(`cycle ${cycle}: ${w.label} has waited ${Math.round(waited)} ms for ${describe(w, w.pending[0])}; ss: ${ssInfo(w.client.conn.localPort, port)}`);
      }
      records.push({
        cycle,
        dumpMs: d.ms,
        restoreMs: r.ms,
        verifyMs,
        settleMs: Math.round(settledMs),
        full,
        stallMs: round1(cycleStall),
        keysVerified: keysVerified - keysBefore,
        ackedWrites: writers.reduce((a, w) => a + w.ackedWrites(), 0),
      });
      log(`cycle ${cycle}: dump ${d.ms} ms (${before.length} tasks, killed), restore ${r.ms} ms, verify${full ? ' (full)' : ''} ${verifyMs} ms, settle ${Math.round(settledMs)} ms, stall ${Math.round(cycleStall)} ms, acked ${records[records.length - 1].ackedWrites}`);
      if (cycle % 50 === 0 || cycle === cycles || Date.now() - lastPrint > 60_000) {
        lastPrint = Date.now();
        const last = records.slice(-50);
        out(
          `cycle ${cycle}/${cycles}: dump ${fmtStats(stats(last.map((x) => x.dumpMs)))}; restore median ${stats(last.map((x) => x.restoreMs)).median} ms; settle median ${stats(last.map((x) => x.settleMs)).median} ms; stall max ${Math.round(stats(last.map((x) => x.stallMs)).max)} ms; ${records[records.length - 1].ackedWrites} writes acknowledged; ${Math.round((Date.now() - t0) / 1000)} s`,
        );
      }
    }

    // ---- the end: drain, then the exact check ----
    stopSending = true;
    for (const w of writers) w.poke();
    const drained = await pollFor(() => (writers.every((w) => w.pending.length === 0) || failure ? true : undefined), timeoutMs);
    checkFailure();
    if (!drained) throw fail(`the writers' last requests got no answer within ${timeoutMs / 1000} s (${writers.map((w) => w.pending.length).join('+')} in flight)`);
    await Promise.all(loops);
    checkFailure();
    const keysAtEnd = keysVerified;
    cycle = cycles + 1;
    await verify(true, 'at the end', true);
    fullChecks++;
    const finalKeys = keysVerified - keysAtEnd;
    const err = await verifier.call('NOSUCHCOMMAND');
    if (!(err instanceof RespError)) throw fail('an unknown command did not answer an error at the end');
    checkFailure();
    for (const c of [...writers.map((w) => w.client), verifier]) {
      await c.expect('end', 'OK', 'QUIT');
      await c.conn.waitPeerClose(timeoutMs);
    }
    // redis, restored a thousand times, must still stop as redis stops.
    const tree = processTree(pid).map((t) => t.pid);
    process.kill(pid, 'SIGTERM');
    const exit = await waitExit(pid, timeoutMs);
    if (!exit) throw fail(`redis (${pid}) did not exit within ${timeoutMs / 1000} s of SIGTERM`);
    if (exit.signal !== undefined || (exit.code !== undefined && exit.code !== 0)) throw fail(`redis exited ${exit.signal !== undefined ? `by signal ${exit.signal}` : exit.code} after SIGTERM`);
    const stuck = await waitPidsFree(tree, timeoutMs);
    if (stuck.length > 0) throw fail(`tasks ${stuck.join(', ')} still there after redis exited`);
    root = undefined;
    log(`final: ${finalKeys} keys exact; redis exited 0 on SIGTERM`);
  } catch (e) {
    result = 'fail';
    failed = true;
    const f = failure ?? (e instanceof SoakFailure ? e : new SoakFailure(`${(e as Error).message}`, [String((e as Error).stack)]));
    failure = f;
    log(`FAIL: ${f.message}`);
    for (const d of f.details) log(d);
  }
  stopSending = true;
  closeAll();

  // ---- report ----
  const dump = stats(records.map((r) => r.dumpMs));
  const rest = stats(records.map((r) => r.restoreMs));
  const cyc = stats(records.map((r) => r.dumpMs + r.restoreMs));
  const stall = stats(records.map((r) => r.stallMs));
  const settle = stats(records.map((r) => r.settleMs));
  const lat = stats(latencies);
  const acked = {
    set: writers.reduce((a, w) => a + w.setAcked, 0),
    incr: writers.reduce((a, w) => a + w.incrAcked.reduce((x, y) => x + y, 0), 0),
    rpush: writers.reduce((a, w) => a + w.pushAcked, 0),
  };
  const totalAcked = acked.set + acked.incr + acked.rpush;
  const elapsed = (Date.now() - t0) / 1000;
  const report = {
    soak: 'redis',
    date: new Date().toISOString(),
    result,
    failure: failure ? { message: failure.message, details: failure.details } : undefined,
    amberBin,
    config: { pidns: insidePidns(), cycles, clients: nClients, ratePerClient: rate, window, verifyEvery, settleMs, gapMs, slowMs, maxStallMs, timeoutS: timeoutMs / 1000, workBase: base },
    cyclesDone: records.length,
    elapsedS: round1(elapsed),
    dumpMs: dump,
    restoreMs: rest,
    dumpPlusRestoreMs: cyc,
    cycleStallMs: stall,
    settleMs: settle,
    requestLatencyMs: lat,
    ackedWrites: { ...acked, total: totalAcked, perSecond: round1(totalAcked / Math.max(1, elapsed)) },
    deferredSends: writers.reduce((a, w) => a + w.deferred, 0),
    keysVerified,
    listElementsVerified: listItemsVerified,
    fullChecks,
    keysAtEnd: writers.reduce((a, w) => a + w.setAcked, 0),
    lost: failure && /^lost/.test(failure.message) ? failure.message : 'none',
    logs: result === 'fail' ? logsDir : undefined,
    slowCycles: slowCycles.length > 0 ? { cycles: slowCycles, logs: slowDir } : undefined,
    cyclesDetail: records,
  };
  await runCleanups(say);
  writeJson(reportFile, report);

  out(`dump:    ${fmtStats(dump)} (${dump.n} cycles)`);
  out(`restore: ${fmtStats(rest)}`);
  out(`client stall per cycle (longest wait of one request): ${fmtStats(stall)}; all ${lat.n} requests: ${fmtStats(lat)}`);
  out(`writers caught up after each restore in: ${fmtStats(settle)}`);
  out(`acknowledged writes: ${totalAcked} (SET ${acked.set}, INCR ${acked.incr}, RPUSH ${acked.rpush}; ${round1(totalAcked / Math.max(1, elapsed))}/s); sends deferred by a full window: ${report.deferredSends}`);
  out(`verified: ${keysVerified} key reads, ${listItemsVerified} list elements, ${fullChecks} full checks; ${report.keysAtEnd} keys at the end`);
  out(`report: ${reportFile}`);
  if (result === 'fail' && failure) {
    out(`FAIL after ${records.length} of ${cycles} cycles: ${failure.message}`);
    for (const d of failure.details) process.stderr.write(`${d.replace(/^/gm, '    ')}\n`);
    out(`logs: ${logsDir}`);
    return interrupted === 'SIGINT' ? 130 : interrupted ? 143 : 1;
  }
  out(`PASS ${cycles} cycles in ${Math.round(elapsed)} s: 0 keys lost, 0 client errors`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (e) => {
    say(`harness error: ${(e as Error).stack}`);
    void runCleanups(say).finally(() => process.exit(1));
  },
);
