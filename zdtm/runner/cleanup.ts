/**
 * Leaves nothing behind: every task of a test (the recorded tree, and anything else in the
 * test's session, which it leads) gets SIGKILL and is reaped. Never kills by name.
 */
import * as fs from 'node:fs';
import { parseStat } from './proc/parse';
import type { TreeSnap } from './proc/snapshot';
import { reapOnce, waitPidsFree } from './reaper';

/** Processes whose session is sid (the test is a session leader: its pid is the sid). */
export function sessionMembers(sid: number): number[] {
  const out: number[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    try {
      if (parseStat(fs.readFileSync(`/proc/${e}/stat`, 'utf8')).sid === sid) out.push(Number(e));
    } catch {
      // raced with an exit
    }
  }
  return out;
}

function sidOf(pid: number): number | undefined {
  try {
    return parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8')).sid;
  } catch {
    return undefined;
  }
}

/**
 * Kills what is left of a test. Returns the pids it had to kill (for the log). A task of the
 * runner's own session is never touched: a wrong pid file must not take the shell with it.
 */
export async function killLeftovers(rootPid: number | undefined, snap: TreeSnap | undefined): Promise<number[]> {
  if (rootPid === undefined || rootPid <= 1 || rootPid === process.pid) return [];
  const candidates = new Set<number>(snap ? snap.tasks.map((t) => t.pid) : [rootPid]);
  const rootTask = snap?.tasks.find((t) => t.pid === rootPid);
  const sid = rootTask ? rootTask.sid : sidOf(rootPid);
  const ownSid = sidOf(process.pid);
  if (sid === rootPid && sid !== ownSid) for (const p of sessionMembers(sid)) candidates.add(p);
  const killed: number[] = [];
  const dying: number[] = [];
  for (const pid of candidates) {
    if (pid === process.pid || pid <= 1) continue;
    const state = reapOnce(pid);
    if (state.state === 'dead' && !state.pidFree) dying.push(pid);
    if (state.state !== 'running' || sidOf(pid) === ownSid) continue;
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // already gone
    }
  }
  await waitPidsFree([...killed, ...dying], 5000);
  return killed;
}
