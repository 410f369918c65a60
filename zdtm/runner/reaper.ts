/**
 * Child subreaper and reaping by PID. Dumped and restored tasks end up as children of the
 * runner (as subreaper), so their zombies are reaped at once and their PIDs are free again for
 * the next restore. Only specific PIDs are waited for: waitpid(-1) would steal the children of
 * libuv (child_process), which reaps its own by PID.
 */
import * as fs from 'node:fs';
import { runnerNative } from './native';

const PR_SET_CHILD_SUBREAPER = 36;
const WNOHANG = 1;
const __WALL = 0x40000000;

let subreaper = false;

/** Makes this process a child subreaper (needs no privilege, but the addon). Idempotent. */
export function becomeSubreaper(): boolean {
  if (subreaper) return true;
  try {
    runnerNative().prctl(PR_SET_CHILD_SUBREAPER, 1);
    subreaper = true;
  } catch {
    subreaper = false;
  }
  return subreaper;
}

export function isSubreaper(): boolean {
  return subreaper;
}

/** How a task ended, as far as the runner can tell. */
export interface ExitInfo {
  /** Exit code, when it exited. */
  code?: number;
  /** Signal number, when a signal killed it. */
  signal?: number;
}

export type ReapState =
  | { state: 'reaped'; exit: ExitInfo }
  | { state: 'running' }
  /** Gone, or a zombie waiting for someone else to reap it: it is dead, its PID maybe not yet free. */
  | { state: 'dead'; pidFree: boolean };

export function decodeStatus(status: number): ExitInfo {
  const sig = status & 0x7f;
  return sig === 0 ? { code: (status >> 8) & 0xff } : { signal: sig };
}

/** The state letter of /proc/PID/stat, or undefined when there is no such PID. */
export function procState(pid: number): string | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/**
 * The state once the task has settled: a task just resumed runs ('R') for a moment before it
 * sleeps again in its syscall; waits up to ms for a state other than 'R'.
 */
export async function settledState(pid: number, ms = 2000): Promise<string | undefined> {
  const deadline = Date.now() + ms;
  for (;;) {
    const st = procState(pid);
    if (st !== 'R' || Date.now() > deadline) return st;
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** One non-blocking look at pid: reaps it if it is a dead child of ours. */
export function reapOnce(pid: number): ReapState {
  if (subreaper || isOurChild(pid)) {
    try {
      const [got, status] = runnerNative().waitpid(pid, WNOHANG | __WALL);
      if (got === pid) return { state: 'reaped', exit: decodeStatus(status) };
      if (got === 0) return { state: 'running' };
    } catch (e) {
      if ((e as { code?: string }).code !== 'ECHILD') throw e;
    }
  }
  const st = procState(pid);
  if (st === undefined) return { state: 'dead', pidFree: true };
  if (st === 'Z' || st === 'X') return { state: 'dead', pidFree: false };
  return { state: 'running' };
}

function isOurChild(pid: number): boolean {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    return ppid === process.pid;
  } catch {
    return false;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until pid has exited, up to timeoutMs. Returns its exit when the runner reaped it,
 * {} when it died out of our reach, undefined on timeout.
 */
export async function waitExit(pid: number, timeoutMs: number): Promise<ExitInfo | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const s = reapOnce(pid);
    if (s.state === 'reaped') return s.exit;
    if (s.state === 'dead') return {};
    if (Date.now() >= deadline) return undefined;
    await sleep(10);
  }
}

/** Waits until every pid is dead and its PID free (reaping ours). Returns those still taken. */
export async function waitPidsFree(pids: number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let left = pids;
  for (;;) {
    left = left.filter((pid) => {
      const s = reapOnce(pid);
      return !(s.state === 'reaped' || (s.state === 'dead' && s.pidFree));
    });
    if (left.length === 0 || Date.now() >= deadline) return left;
    await sleep(10);
  }
}
