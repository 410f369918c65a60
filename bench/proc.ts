/**
 * Processes for the benchmark: the memhog workload (built here with gcc), the child subreaper
 * that adopts it, and reaping by PID.
 *
 * memhog daemonizes, so its daemon is reparented to this process once we are a child
 * subreaper; so are the tasks that `restore -d` leaves behind. We reap them ourselves, by
 * their PID only: waitpid(-1) would take children that libuv (child_process) waits for.
 * PID 1 on this machine reaps orphans only every second or two, and a restore needs the PID
 * free at once.
 */
import * as child_process from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../src/native';

const PR_SET_CHILD_SUBREAPER = 36;
const WNOHANG = 1;
const __WALL = 0x40000000;
export const SIGKILL = 9;
export const SIGUSR1 = 10;

/** The project root, from dist/bench/ or bench/. */
export const ROOT = path.resolve(__dirname, __dirname.includes(`${path.sep}dist${path.sep}`) ? '../..' : '..');

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function becomeSubreaper(): void {
  native.prctl(PR_SET_CHILD_SUBREAPER, 1);
}

/** How a reaped task ended. */
export interface Ended {
  code?: number;
  signal?: number;
}

export function describeEnd(e: Ended): string {
  return e.signal !== undefined ? `killed by signal ${e.signal}` : `exit ${e.code}`;
}

function procAlive(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

function pidTaken(pid: number): boolean {
  return fs.existsSync(`/proc/${pid}`);
}

/**
 * One non-blocking look at pid. 'reaped' with its end when it was our (adopted) child and is
 * now reaped; 'free' when the PID is not in use; 'running' otherwise (alive, or a zombie that
 * is someone else's to reap).
 */
export function reapOnce(pid: number): { state: 'reaped'; end: Ended } | { state: 'free' } | { state: 'running' } {
  try {
    const [got, status] = native.waitpid(pid, WNOHANG | __WALL);
    if (got === pid) {
      const sig = status & 0x7f;
      return { state: 'reaped', end: sig === 0 ? { code: (status >> 8) & 0xff } : { signal: sig } };
    }
    if (got === 0) return { state: 'running' };
  } catch (e) {
    if ((e as { code?: string }).code !== 'ECHILD') throw e;
  }
  return pidTaken(pid) ? { state: 'running' } : { state: 'free' };
}

/**
 * Waits until pid has ended and its PID is free, polling every millisecond. Returns how it
 * ended when we reaped it ({} when someone else did), or undefined on timeout.
 */
export async function waitFree(pid: number, timeoutMs: number): Promise<Ended | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = reapOnce(pid);
    if (s.state === 'reaped') return s.end;
    if (s.state === 'free') return {};
    if (Date.now() >= deadline) return undefined;
    await sleep(1);
  }
}

export function signal(pid: number, sig: number): void {
  try {
    native.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

/** State, parent and session of a task, from /proc/PID/stat; undefined once its PID is free. */
export function taskStat(pid: number): { state: string; ppid: number; session: number } | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // After the command's closing parenthesis: state ppid pgrp session ...
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: f[0], ppid: Number(f[1]), session: Number(f[3]) };
  } catch {
    return undefined;
  }
}

/** The children of every thread of pid (/proc/PID/task/TID/children). */
export function childrenOf(pid: number): number[] {
  const kids: number[] = [];
  for (const tid of threadsOf(pid)) {
    try {
      for (const w of fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').split(/\s+/)) if (w) kids.push(Number(w));
    } catch {
      /* the thread is gone */
    }
  }
  return kids;
}

/** The TIDs of pid's threads, the leader's among them. */
export function threadsOf(pid: number): number[] {
  try {
    return fs.readdirSync(`/proc/${pid}/task`).map(Number);
  } catch {
    return [];
  }
}

/**
 * SIGKILLs every task of pids still in session `sid` (a PID taken since by someone else's
 * process is left alone), then waits until each of those PIDs is free.
 */
export async function killAndReapSession(pids: number[], sid: number, timeoutMs = 30_000): Promise<void> {
  const ours = pids.filter((p) => taskStat(p)?.session === sid);
  for (const p of ours) if (procAlive(p)) signal(p, SIGKILL);
  const deadline = Date.now() + timeoutMs;
  for (const p of ours) await waitFree(p, Math.max(0, deadline - Date.now()));
}

/** SIGKILLs pid if it still runs and waits until its PID is free. */
export async function killAndReap(pid: number, timeoutMs = 30_000): Promise<void> {
  if (procAlive(pid)) signal(pid, SIGKILL);
  await waitFree(pid, timeoutMs);
}

/**
 * Builds bench/fixtures/NAME.c into cacheDir/NAME when the binary is missing or older than the
 * source or the header every fixture includes (daemon.h); `flags` are gcc's beyond the warnings
 * and -O2 (e.g. -pthread).
 */
export function buildFixture(cacheDir: string, name: string, flags: string[] = []): string {
  const src = path.join(ROOT, 'bench', 'fixtures', `${name}.c`);
  const bin = path.join(cacheDir, name);
  const newest = Math.max(fs.statSync(src).mtimeMs, fs.statSync(path.join(ROOT, 'bench', 'fixtures', 'daemon.h')).mtimeMs);
  const fresh = fs.existsSync(bin) && fs.statSync(bin).mtimeMs >= newest;
  if (fresh) return bin;
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = `${bin}.${process.pid}.tmp`;
  const cc = process.env.CC || 'gcc';
  const r = child_process.spawnSync(cc, ['-O2', '-Wall', '-Wextra', ...flags, '-o', tmp, src], { encoding: 'utf8' });
  if (r.error) throw new Error(`cannot run ${cc}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cc} failed on ${src}:\n${r.stderr}`);
  fs.renameSync(tmp, bin);
  return bin;
}

/** Builds bench/fixtures/memhog.c into cacheDir when the binary is missing or older than the source. */
export function buildMemhog(cacheDir: string): string {
  return buildFixture(cacheDir, 'memhog');
}

/** Starts memhog with mib MiB; returns its daemon's PID once that is ready (memory written). */
export function startMemhog(bin: string, mib: number): number {
  const r = child_process.spawnSync(bin, [String(mib)], { encoding: 'utf8', timeout: 300_000 });
  if (r.error) throw new Error(`memhog ${mib}: ${r.error.message}`);
  const pid = Number(r.stdout.trim());
  if (r.status !== 0 || !Number.isInteger(pid) || pid <= 0) {
    throw new Error(`memhog ${mib} failed (status ${r.status}): ${r.stderr.trim() || r.stdout.trim()}`);
  }
  return pid;
}

/**
 * Asks a memhog daemon to check its memory (SIGUSR1) and waits for its verdict. Off the
 * clock: this is how the benchmark knows a restore really brought the memory back.
 */
export async function verifyMemhog(pid: number, timeoutMs = 120_000): Promise<string> {
  return verifyDaemon(pid, timeoutMs, 'MEMORY DIFFERS');
}

/** SIGUSR1 to a bench fixture and its verdict: exit 0 ok, exit 3 `differs`, else how it ended. */
export async function verifyDaemon(pid: number, timeoutMs: number, differs: string): Promise<string> {
  signal(pid, SIGUSR1);
  const end = await waitFree(pid, timeoutMs);
  if (end === undefined) {
    await killAndReap(pid);
    return 'no verdict (timeout)';
  }
  if (end.code === 0) return 'ok';
  if (end.code === 3) return differs;
  if (end.code === undefined && end.signal === undefined) return 'ended out of reach';
  return describeEnd(end);
}

const VIRTIO_ID_BALLOON = 5;
const VIRTIO_BALLOON_F_REPORTING = 5;

/**
 * Whether a virtio balloon hands freed guest memory back to the host ("free page reporting"):
 * then memory freed a moment ago is slow to touch again. 'on', 'off' (a balloon without it),
 * or 'no balloon'.
 */
export function freePageReporting(): string {
  const base = '/sys/bus/virtio/devices';
  let balloon = false;
  try {
    for (const dev of fs.readdirSync(base)) {
      const id = Number(fs.readFileSync(path.join(base, dev, 'device'), 'utf8').trim());
      if (id !== VIRTIO_ID_BALLOON) continue;
      balloon = true;
      // One character per feature bit, bit 0 first.
      const features = fs.readFileSync(path.join(base, dev, 'features'), 'utf8');
      if (features[VIRTIO_BALLOON_F_REPORTING] === '1') return 'on';
    }
  } catch {
    /* no virtio bus */
  }
  return balloon ? 'off' : 'no balloon';
}
