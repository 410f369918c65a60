/**
 * What the soaks share: their option parsing, statistics, /proc samples, a work directory
 * that is removed whatever happens, and an interrupt handler that stops the running amber
 * (SIGTERM, then SIGKILL), kills what the soak started and removes its files before exiting.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { runningHelpers, killRunningHelpers } from '../apps/lib/exec';
import { sleep } from '../apps/lib/util';

/** A soak's own failure: printed as "FAIL <message>", exit status 1. */
export class SoakFailure extends Error {
  constructor(
    message: string,
    readonly details: string[] = [],
  ) {
    super(message);
    this.name = 'SoakFailure';
  }
}

export class UsageError extends Error {}

export interface OptSpec {
  /** Without the leading "--". */
  name: string;
  kind: 'int' | 'string' | 'flag';
  help: string;
  /** For int options: the least value allowed. */
  min?: number;
}

export type Parsed = Record<string, number | string | boolean | undefined>;

/** `--name V`, `--name=V` and flags; unknown options and bad numbers throw UsageError. */
export function parseOpts(argv: string[], specs: OptSpec[]): Parsed {
  const out: Parsed = {};
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h' || arg === '--help') {
      out.help = true;
      continue;
    }
    const eq = arg.indexOf('=');
    const name = arg.startsWith('--') ? arg.slice(2, eq > 0 ? eq : undefined) : '';
    const spec = specs.find((s) => s.name === name);
    if (!spec) throw new UsageError(`unknown option ${arg}`);
    if (spec.kind === 'flag') {
      if (eq > 0) throw new UsageError(`--${name} takes no value`);
      out[name] = true;
      continue;
    }
    const v = eq > 0 ? arg.slice(eq + 1) : argv[++i];
    if (v === undefined) throw new UsageError(`--${name} wants a value`);
    if (spec.kind === 'int') {
      if (!/^\d+$/.test(v) || Number(v) < (spec.min ?? 0)) throw new UsageError(`--${name} wants an integer >= ${spec.min ?? 0}, not "${v}"`);
      out[name] = Number(v);
    } else out[name] = v;
  }
  return out;
}

export function helpOf(usage: string, specs: OptSpec[]): string {
  const w = Math.max(...specs.map((s) => s.name.length + (s.kind === 'flag' ? 0 : 4)));
  return `${usage}\n\noptions:\n${specs.map((s) => `  --${(s.name + (s.kind === 'flag' ? '' : s.kind === 'int' ? ' N' : ' ARG')).padEnd(w + 2)} ${s.help}`).join('\n')}\n`;
}

export interface Stats {
  n: number;
  median: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles. */
export function stats(xs: ArrayLike<number>): Stats {
  const s = Float64Array.from(xs).sort();
  const n = s.length;
  if (n === 0) return { n: 0, median: 0, p99: 0, max: 0, mean: 0 };
  const rank = (p: number): number => s[Math.min(n - 1, Math.max(0, Math.ceil(p * n) - 1))];
  let sum = 0;
  for (const x of s) sum += x;
  return { n, median: rank(0.5), p99: rank(0.99), max: s[n - 1], mean: sum / n };
}

export const round1 = (x: number): number => Math.round(x * 10) / 10;

export const fmtStats = (s: Stats, unit = 'ms'): string => `median ${round1(s.median)} ${unit}, p99 ${round1(s.p99)} ${unit}, max ${round1(s.max)} ${unit}`;

/** VmRSS (KiB), open fds and threads of a live process; undefined when it is gone. */
export interface ProcSample {
  rssKiB: number;
  fds: number;
  threads: number;
}

export function sampleProc(pid: number): ProcSample | undefined {
  try {
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const field = (k: string): number => Number(new RegExp(`^${k}:\\s*(\\d+)`, 'm').exec(status)?.[1] ?? NaN);
    return { rssKiB: field('VmRSS'), fds: fs.readdirSync(`/proc/${pid}/fd`).length, threads: field('Threads') };
  } catch {
    return undefined;
  }
}

/** The children of pid (from /proc/PID/task/*\/children), with their state letters. */
export function childrenWithState(pid: number): { pid: number; state: string }[] {
  const out: { pid: number; state: string }[] = [];
  let tids: string[] = [];
  try {
    tids = fs.readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tids) {
    let kids: string[] = [];
    try {
      kids = fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean);
    } catch {
      continue;
    }
    for (const k of kids) {
      let state = '?';
      try {
        const st = fs.readFileSync(`/proc/${k}/stat`, 'utf8');
        state = st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3);
      } catch {
        state = 'gone';
      }
      out.push({ pid: Number(k), state });
    }
  }
  return out;
}

const readOr = (file: string, dflt = '?'): string => {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return dflt;
  }
};

/**
 * What the kernel says of each thread of these processes: state, tracer, signals pending and
 * blocked, the syscall it is in and its kernel stack. For a run that hangs.
 */
export function describeThreads(pids: number[]): string {
  const lines: string[] = [];
  for (const pid of pids) {
    let tids: string[] = [];
    try {
      tids = fs.readdirSync(`/proc/${pid}/task`);
    } catch {
      lines.push(`${pid}: gone`);
      continue;
    }
    for (const tid of tids) {
      const dir = `/proc/${pid}/task/${tid}`;
      const status = readOr(`${dir}/status`);
      const f = (k: string): string => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(status)?.[1] ?? '?';
      const stack = readOr(`${dir}/stack`).split('\n').map((l) => l.replace(/^\[<[0-9a-f]+>\] /, '').replace(/\+0x[0-9a-f/x]+$/, '')).slice(0, 8).join(' < ');
      lines.push(
        `${pid}/${tid} ${f('Name')}: ${f('State')}, tracer ${f('TracerPid')}, SigPnd ${f('SigPnd')} ShdPnd ${f('ShdPnd')} SigBlk ${f('SigBlk')}, wchan ${readOr(`${dir}/wchan`)}, syscall ${readOr(`${dir}/syscall`).split(' ').slice(0, 3).join(' ')}, stack ${stack || '?'}`,
      );
    }
  }
  return lines.join('\n');
}

/** The processes of process group pgid (a helper and what it started). */
export function groupMembers(pgid: number): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const st = readOr(`/proc/${e}/stat`, '');
    const rest = st.slice(st.lastIndexOf(')') + 2).split(' ');
    if (Number(rest[2]) === pgid) out.push(Number(e));
  }
  return out;
}

/**
 * Where the work directories go: tmpfs (/dev/shm) when there is one, so that a thousand dumps
 * write no disk; else the system's temp dir.
 */
export function defaultBase(): string {
  try {
    const st = fs.statSync('/dev/shm');
    fs.accessSync('/dev/shm', fs.constants.W_OK);
    if (st.isDirectory()) return '/dev/shm';
  } catch {
    // no tmpfs there
  }
  return os.tmpdir();
}

export const runStamp = (): string => new Date().toISOString().replace(/[-:]/g, '').replace(/\..*$/, '').replace('T', '-');

export function writeJson(file: string, value: unknown): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(tmp, `${JSON.stringify(value, null, 1)}\n`);
  fs.renameSync(tmp, file);
}

/**
 * The running amber commands (our helpers, each in its own process group) are asked to stop
 * with SIGTERM, which amber answers at its next step by undoing what it did (the dumped tree
 * goes on, the network lock is removed); SIGKILL after graceMs.
 */
export async function stopHelpers(graceMs = 5000): Promise<void> {
  const pids = [...runningHelpers()];
  if (pids.length === 0) return;
  for (const pid of pids) {
    try {
      process.kill(-pid, 'SIGTERM');
    } catch {
      // gone
    }
  }
  const deadline = Date.now() + graceMs;
  while (runningHelpers().size > 0 && Date.now() < deadline) await sleep(20);
  killRunningHelpers();
}

type Cleanup = () => void | Promise<void>;

const cleanups: Cleanup[] = [];
let cleaning: Promise<void> | undefined;

/** Registers fn to run at the end (last registered, first run), also on SIGINT/SIGTERM. */
export function atEnd(fn: Cleanup): void {
  cleanups.push(fn);
}

/** Runs every cleanup once (later calls wait for the first). */
export function runCleanups(say: (s: string) => void): Promise<void> {
  cleaning ??= (async () => {
    while (cleanups.length > 0) {
      const fn = cleanups.pop() as Cleanup;
      try {
        await fn();
      } catch (e) {
        say(`cleanup: ${(e as Error).message}`);
      }
    }
  })();
  return cleaning;
}

/**
 * On SIGINT/SIGTERM/SIGHUP: onSignal(sig) asks the soak to stop (it then ends as a failure, with
 * its report, and runs the cleanups itself); if it has not exited within graceMs, or on a
 * second signal, the cleanups run here and the process exits (130, 143, 129).
 */
export function cleanupOnSignals(say: (s: string) => void, onSignal: (sig: NodeJS.Signals) => void, graceMs = 20_000): void {
  let seen = false;
  const code = (sig: NodeJS.Signals): number => (sig === 'SIGINT' ? 130 : sig === 'SIGTERM' ? 143 : 129);
  const now = (sig: NodeJS.Signals): void => {
    void runCleanups(say).finally(() => process.exit(code(sig)));
  };
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      if (seen) {
        say(`${sig} again: cleaning up now`);
        now(sig);
        return;
      }
      seen = true;
      say(`${sig}: stopping (the running amber gets SIGTERM); the report and the cleanup follow`);
      try {
        onSignal(sig);
      } catch (e) {
        say(`stopping: ${(e as Error).message}`);
      }
      setTimeout(() => {
        say(`not stopped ${graceMs / 1000} s after ${sig}: cleaning up now`);
        now(sig);
      }, graceMs).unref();
    });
  }
}

const IN_PIDNS = 'AMBER_SOAK_IN_PIDNS';

/** True when this process is the soak re-run inside its own PID namespace (see inPidns). */
export const insidePidns = (): boolean => process.env[IN_PIDNS] === '1';

/**
 * Runs this same soak again as PID 1 of a new PID namespace (unshare --pid --fork
 * --mount-proc), without --pidns; resolves to its exit status. In there the soak, redis, the
 * sleepers and every amber run have PIDs of their own, which no other process on the machine
 * can take, and the namespace's own pid_max (4194304 by default) keeps the PID counter from
 * wrapping; when the soak ends, the kernel kills whatever is left in the namespace.
 */
export function inPidns(script: string, argv: string[], say: (s: string) => void): Promise<number> {
  const args = argv.filter((a) => a !== '--pidns');
  say('re-running in a new PID namespace (unshare --pid --fork --mount-proc)');
  const child = spawn('unshare', ['--pid', '--fork', '--mount-proc', '--kill-child=SIGTERM', process.execPath, script, ...args], {
    stdio: 'inherit',
    env: { ...process.env, [IN_PIDNS]: '1' },
  });
  // Ctrl-C reaches the soak inside as well (same process group). A signal to us alone is passed
  // on to it: unshare, its parent, ignores SIGINT and SIGTERM while it waits.
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(sig, () => {
      const inner = child.pid !== undefined ? childrenWithState(child.pid).map((c) => c.pid) : [];
      for (const pid of inner) {
        try {
          process.kill(pid, sig);
        } catch {
          // gone
        }
      }
      if (inner.length === 0) child.kill(sig);
    });
  }
  return new Promise((resolve) => {
    child.on('error', (e) => {
      say(`unshare: ${e.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 + (({ SIGINT: 2, SIGTERM: 15, SIGKILL: 9 }) as Record<string, number>)[signal] : 1)));
  });
}

/** pid_max of our PID namespace, and a warning when it is small enough for the counter to wrap within a soak. */
export function pidMaxWarning(cyclesOfPids: number): string | undefined {
  const max = Number(readOr('/proc/sys/kernel/pid_max', '0'));
  if (!max || max > cyclesOfPids * 4) return undefined;
  return (
    `kernel.pid_max is ${max}: the PID counter will wrap during this soak, and a restore may then find the PIDs of the tree ` +
    'it restores taken (by another process, or by a thread of the restoring amber itself); --pidns runs the soak in a PID namespace of its own'
  );
}

export function requireRoot(): void {
  if (process.getuid?.() !== 0) throw new UsageError('run it as root (amber needs it)');
}
