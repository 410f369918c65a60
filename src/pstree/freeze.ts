/**
 * Freezing a process tree: every thread of every process under the root is seized and
 * interrupted, parents before children, re-reading thread and child lists until they stop
 * changing (a task can clone until the moment it is stopped). Zombies cannot be seized: they are
 * recorded with their exit code.
 */
import * as fs from 'node:fs';
import { Tracee } from '../compel';
import { native } from '../native';
import { Logger } from '../log';
import { parseStat } from '../proc/stat';
import { AmberError, StepError, UnsupportedError } from '../errors';

export type TaskState = 'alive' | 'stopped' | 'zombie';
const SIGCONT = 18, SIGSTOP = 19;

/**
 * task_core_entry.task_state values, CRIU's: TASK_ALIVE 1, TASK_DEAD 2 (what CRIU writes for a
 * zombie), TASK_STOPPED 3 (crit 3.17 prints 3 as "Zombie": its table is not CRIU's).
 */
export const TASK_STATE_CODE: Record<TaskState, number> = { alive: 1, zombie: 2, stopped: 3 };

export interface FrozenProcess {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  comm: string;
  state: TaskState;
  /** Seized threads, the leader first. Empty for a zombie. */
  threads: Tracee[];
  exitCode?: number;
  /** A stopped process: the stop signal its parent has yet to collect (waitpid WUNTRACED), 0 if collected. */
  stopReport?: number;
  /** The thread of the parent that forked it (/proc/PPID/task/TID/children), when known. */
  parentThread?: number;
}

function listDir(dir: string): number[] {
  try {
    return fs.readdirSync(dir).map(Number).sort((a, b) => a - b);
  } catch {
    return [];
  }
}

/** The children of a process, each with the thread that forked it. */
function childrenOf(pid: number, tids: number[]): [number, number][] {
  const out = new Map<number, number>();
  for (const tid of tids) {
    try {
      for (const c of fs.readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/)) if (c) out.set(Number(c), tid);
    } catch { /* thread gone */ }
  }
  return [...out].sort((a, b) => a[0] - b[0]);
}

/** exit_code (field 52 of /proc/PID/stat): a zombie's wait status, a stopped task's uncollected stop signal. */
function statExitCode(raw: string): number {
  const fields = raw.slice(raw.lastIndexOf(')') + 2).trim().split(' ');
  return Number(fields[52 - 3] ?? 0);
}

/** Who holds a task under ptrace: another checkpointer (a second dump of the same tree) or a debugger. */
function describeTracer(tracer: number): string {
  let cmd = '';
  try {
    cmd = fs.readFileSync(`/proc/${tracer}/cmdline`, 'utf8').split('\0').filter(Boolean).join(' ');
  } catch { /* gone */ }
  if (/\b(amber|criu)\b/.test(cmd)) return `another checkpointer is dumping or restoring it: ${cmd.slice(0, 120)}`;
  return cmd ? `ptrace: ${cmd.slice(0, 120)}` : 'ptrace: a debugger or strace?';
}

/** A thread that could not be seized: whether it is gone or a zombie within a few ms (it was exiting), or still there. */
function exitedSoon(pid: number, tid: number): 'gone' | 'zombie' | 'alive' {
  const deadline = Date.now() + 200;
  for (;;) {
    let state: string;
    try {
      const raw = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      state = raw.slice(raw.lastIndexOf(')') + 2, raw.lastIndexOf(')') + 3);
    } catch {
      return 'gone';
    }
    if (state === 'Z' || state === 'X') return 'zombie';
    if (Date.now() > deadline) return 'alive';
    // 2 ms, synchronously: the exit completes in microseconds.
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 2);
  }
}

function freezeProcess(pid: number, ppid: number, log: Logger): FrozenProcess {
  const raw = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
  const stat = parseStat(raw);
  if (stat.state === 'Z') {
    return { pid, ppid, pgid: stat.pgrp, sid: stat.session, comm: stat.comm, state: 'zombie', threads: [], exitCode: statExitCode(raw) };
  }
  // A task under another tracer (a debugger, strace) cannot be seized, and its tracer's hold on
  // it could not be carried anyway: say so before trying.
  for (const tid of listDir(`/proc/${pid}/task`)) {
    let status: string;
    try {
      status = fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
    } catch {
      continue; // a thread that exited meanwhile
    }
    const tracer = /^TracerPid:\s*(\d+)/m.exec(status)?.[1];
    if (tracer && tracer !== '0') throw new UnsupportedError(tid, 'thread', `it is traced by task ${tracer} (${describeTracer(Number(tracer))}), which cannot be checkpointed`);
  }
  const state = stat.state === 'T' ? 'stopped' : 'alive';
  // Read before the SIGCONT below changes it: whether the parent has collected the stop.
  const stopReport = state === 'stopped' ? statExitCode(raw) & 0x7f : undefined;
  const seized = new Map<number, Tracee>();
  try {
    for (;;) {
      const tids = listDir(`/proc/${pid}/task`).filter((t) => !seized.has(t));
      if (tids.length === 0) break;
      for (const tid of tids) {
        try {
          seized.set(tid, Tracee.seize(tid));
        } catch (e) {
          // A thread that is exiting cannot be seized (EPERM): it is gone or a zombie a moment later.
          const end = exitedSoon(pid, tid);
          if (end === 'gone') continue;
          if (end === 'zombie' && tid === pid) {
            for (const t of seized.values()) try { t.detach(); } catch { /* gone */ }
            seized.clear();
            return freezeProcess(pid, ppid, log);
          }
          if (end === 'zombie') continue;
          throw new StepError(`freezing thread ${tid}`, pid, { cause: e });
        }
      }
    }
  } catch (e) {
    for (const t of seized.values()) try { t.detach(); } catch { /* gone */ }
    throw e;
  }
  if (state === 'stopped') {
    // A job-control stop would be re-entered each time we run the task (injected syscalls):
    // SIGCONT clears it while ptrace keeps every thread stopped; release puts it back.
    native.kill(pid, SIGCONT);
    for (const t of seized.values()) t.leaveJobStop();
  }
  const threads = [...seized.values()].sort((a, b) => (a.pid === pid ? -1 : b.pid === pid ? 1 : a.pid - b.pid));
  log.debug(`froze process ${pid} (${state}, threads ${threads.map((t) => t.pid).join(',')})`);
  return { pid, ppid, pgid: stat.pgrp, sid: stat.session, comm: stat.comm, state, threads, stopReport };
}

/**
 * Processes in tree order (each parent before its children). On failure nothing stays frozen.
 * timeoutMs (CRIU's --timeout): past it, freezing gives up and the tree runs on.
 */
export function freezeTree(root: number, log: Logger, timeoutMs = 0): FrozenProcess[] {
  const out: FrozenProcess[] = [];
  const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Infinity;
  try {
    const queue: [number, number, number?][] = [[root, 0]];
    while (queue.length) {
      if (Date.now() > deadline) {
        throw new AmberError(`freezing the tree of ${root} took more than the timeout (${timeoutMs / 1000} s, --timeout): ${out.length} processes frozen, ${queue.length} to go; the tree is left running`);
      }
      const [pid, ppid, parentThread] = queue.shift()!;
      const p = freezeProcess(pid, ppid, log);
      if (parentThread !== undefined) p.parentThread = parentThread;
      out.push(p);
      if (p.state !== 'zombie') for (const [c, tid] of childrenOf(pid, p.threads.map((t) => t.pid))) queue.push([c, pid, tid]);
    }
  } catch (e) {
    releaseTree(out, 'resume', log);
    throw e;
  }
  return out;
}

/** Lets the tree go: resumed as it was, killed (after a dump), or left stopped (--leave-stopped). */
export function releaseTree(procs: FrozenProcess[], how: 'resume' | 'kill' | 'stop', log: Logger): void {
  // Every process killed before any is waited for: their exits (the teardown of each one's
  // memory) then run side by side, on every CPU, instead of one after the other.
  if (how === 'kill') {
    for (const p of procs) {
      try { native.kill(p.pid, 9); } catch { /* gone */ }
    }
  }
  for (const p of procs) {
    // A killed leader reports its exit only after every other thread is reaped: leader last.
    for (const t of [...p.threads.slice(1), ...p.threads.slice(0, 1)]) {
      try {
        if (how === 'kill') native.waitpid(t.pid, 0x40000000);
        else t.detach((how === 'stop' || p.state === 'stopped') && t.pid === p.pid ? SIGSTOP : 0);
      } catch (e) {
        log.debug(`releasing ${t.pid}: ${(e as Error).message}`);
      }
    }
  }
}
