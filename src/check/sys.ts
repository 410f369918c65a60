/**
 * What the probes of `amber check` are built from: raw syscalls (native/check.cc), a forked child
 * that runs a few of them where the checking process must not (unshare, unmapping its vDSO,
 * installing a seccomp filter), a child stopped under ptrace, and a scratch network namespace.
 * x86_64 syscall numbers. Every probe returns undefined when the feature is there, else why not.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { native, NativeAddon } from '../native';

export type Arg = number | bigint | Buffer | null;
export type Call = [number, Arg[]];

interface CheckNative {
  /** One syscall: [ret, errno] (ret -1 on failure). Buffers pass their address. */
  rawSyscall(nr: number, args?: Arg[]): [number, number];
  bufferAddress(b: Buffer): bigint;
  /** A function of the addon that a stopped probe child calls once resumed (hardware breakpoints). */
  breakpointTarget(): bigint;
  /** Forks a child that runs the calls (stopping at the first failure) and reports [ret, errno] of each. */
  forkProbe(calls: Call[], stop: boolean): { pid: number; results: [number, number][] };
}

const addon = native as NativeAddon & CheckNative;

/** A probe: undefined when the feature is there, else the reason it is not. */
export type Probe = () => string | undefined;

export const NR = {
  read: 0, write: 1, close: 3, mmap: 9, mprotect: 10, munmap: 11, ioctl: 16, mremap: 25, madvise: 28,
  getpid: 39, socket: 41, kill: 62, flock: 73, mkdir: 83, rmdir: 84, ptrace: 101, prctl: 157,
  arch_prctl: 158, mount: 165, umount2: 166, io_setup: 206, io_destroy: 207, io_getevents: 208,
  timer_create: 222, timer_getoverrun: 225, exit_group: 231, openat: 257, unshare: 272, pipe2: 293,
  setns: 308, process_vm_readv: 310, kcmp: 312, seccomp: 317, memfd_create: 319, userfaultfd: 323,
  move_mount: 429, pidfd_open: 434, clone3: 435, openat2: 437, pidfd_getfd: 438,
} as const;

export const E = {
  EPERM: 1, ENOENT: 2, ESRCH: 3, EINTR: 4, EIO: 5, EBADF: 9, EFAULT: 14, EEXIST: 17, EINVAL: 22,
  ENOTTY: 25, ERANGE: 34, ENOSYS: 38, EOPNOTSUPP: 95,
} as const;

export const CLONE_NEWNS = 0x20000, CLONE_NEWCGROUP = 0x02000000, CLONE_NEWUSER = 0x10000000;
export const CLONE_NEWNET = 0x40000000, CLONE_NEWTIME = 0x80;

const errnoNames = new Map<number, string>(Object.entries(os.constants.errno).map(([k, v]) => [v as number, k]));
export function errName(e: number): string {
  return errnoNames.get(e) ?? `errno ${e}`;
}

export interface SysResult { ret: number; errno: number }

export function sys(nr: number, ...args: Arg[]): SysResult {
  const [ret, errno] = addon.rawSyscall(nr, args);
  return { ret, errno };
}

export const addressOf = (b: Buffer): bigint => addon.bufferAddress(b);
export const breakpointTarget = (): bigint => addon.breakpointTarget();

/** A NUL-terminated string for a syscall argument. */
export function cstr(s: string): Buffer {
  return Buffer.from(s + '\0');
}

export function closeQuietly(fd: number): void {
  if (fd >= 0) try { fs.closeSync(fd); } catch { /* already gone */ }
}

const WALL = 0x40000000;

export interface ChildRun { pid: number; results: SysResult[]; status: number }

/** A forked child runs the calls and exits; the results of the calls it ran, and its wait status. */
export function inChild(calls: Call[]): ChildRun {
  const r = addon.forkProbe(calls, false);
  const [, status] = native.waitpid(r.pid, WALL);
  return { pid: r.pid, results: r.results.map(([ret, errno]) => ({ ret, errno })), status };
}

/** Whether every call of a child run succeeded. */
export function allOk(run: ChildRun, calls: number): boolean {
  return run.results.length === calls && run.results.every((x) => x.ret !== -1);
}

export const WIFSTOPPED = (s: number) => (s & 0xff) === 0x7f;
export const WSTOPSIG = (s: number) => (s >> 8) & 0xff;

/** A child that runs the calls and stops itself with SIGSTOP (not traced); the caller kills and reaps it. */
export function forkStopped(calls: Call[]): { pid: number; results: SysResult[] } {
  const r = addon.forkProbe(calls, true);
  return { pid: r.pid, results: r.results.map(([ret, errno]) => ({ ret, errno })) };
}

/** Kills and reaps a probe child. */
export function reap(pid: number): void {
  try { native.kill(pid, 9); } catch { /* gone */ }
  try { native.waitpid(pid, WALL); } catch { /* reaped */ }
}

const PTRACE_TRACEME = 0;

/**
 * A child that runs the calls, then PTRACE_TRACEME and stops itself with SIGSTOP: it waits in a
 * signal-delivery stop with this thread as its tracer while fn looks at it; killed and reaped
 * after. fn gets the child's pid and the results of its calls (the TRACEME one last).
 */
export function withTracedChild<T>(calls: Call[], fn: (pid: number, results: SysResult[]) => T): T | string {
  const all: Call[] = [...calls, [NR.ptrace, [PTRACE_TRACEME, 0, 0, 0]]];
  const r = addon.forkProbe(all, true);
  const pid = r.pid;
  try {
    const results = r.results.map(([ret, errno]) => ({ ret, errno }));
    if (results.length !== all.length || results.some((x) => x.ret === -1)) {
      const bad = results.findIndex((x) => x.ret === -1);
      return bad < 0 ? 'the probe child died' : `the probe child's call ${all[bad][0]} failed: ${errName(results[bad].errno)}`;
    }
    const [, status] = native.waitpid(pid, WALL);
    if (!WIFSTOPPED(status) || WSTOPSIG(status) !== 19 /* SIGSTOP */) return `the probe child did not stop (status ${status})`;
    return fn(pid, results);
  } finally {
    reap(pid);
  }
}

/** A fresh temporary directory for the probe, removed (with what is left in it) after fn. */
export function withTempDir<T>(fn: (dir: string) => T): T {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-check-'));
  try {
    return fn(dir);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Runs fn with this thread in a new, empty network namespace (unshare affects only the calling
 * thread; Node's other threads stay where they are), then puts the thread back. Sockets created
 * inside keep the scratch namespace; it goes away with the last of them.
 */
export function inScratchNetns<T>(fn: () => T): T | string {
  const home = fs.openSync('/proc/thread-self/ns/net', 'r');
  try {
    const u = sys(NR.unshare, CLONE_NEWNET);
    if (u.ret === -1) return `unshare(CLONE_NEWNET): ${errName(u.errno)}`;
    try {
      return fn();
    } finally {
      const s = sys(NR.setns, home, CLONE_NEWNET);
      if (s.ret === -1) throw new Error(`setns back to the original network namespace: ${errName(s.errno)}`);
    }
  } finally {
    closeQuietly(home);
  }
}

/** The start and end of the mappings of /proc/self/maps whose name is one of names. */
export function specialMappings(names: string[]): Map<string, { start: bigint; end: bigint }> {
  const out = new Map<string, { start: bigint; end: bigint }>();
  for (const line of fs.readFileSync('/proc/self/maps', 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ \S+ \S+ \S+\s+(\S+)$/.exec(line);
    if (m && names.includes(m[3])) out.set(m[3], { start: BigInt('0x' + m[1]), end: BigInt('0x' + m[2]) });
  }
  return out;
}

/** The value of one "key:\tvalue" row of a /proc file, or undefined. */
export function procRow(text: string, key: string): string | undefined {
  for (const line of text.split('\n')) {
    const i = line.indexOf(':');
    if (i > 0 && line.slice(0, i) === key) return line.slice(i + 1).trim();
  }
  return undefined;
}

export function readlinkOr(p: string): string | undefined {
  try {
    return fs.readlinkSync(p);
  } catch {
    return undefined;
  }
}

/** Runs a probe, turning an exception into the reason. */
export function runProbe(p: Probe): string | undefined {
  try {
    return p();
  } catch (e) {
    return (e as Error).message || String(e);
  }
}
