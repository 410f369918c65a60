/**
 * Leaves nothing of an app behind, whatever happened: SIGKILL to every task of its session
 * (the app is a session leader: its PID is the session id), to every recorded task still
 * there, and to every orphan reparented to us (we are a child subreaper) that is not one of our
 * own helpers; then each is reaped, so its PID is free again. Never kills by name, and never a
 * task of the harness's own session.
 */
import { waitPidsFree } from '../../zdtm/runner/reaper';
import { runningHelpers } from './exec';
import { allTasks, readTask } from './proc';

export async function killEverything(rootPid: number | undefined, recorded: number[]): Promise<number[]> {
  const own = readTask(process.pid);
  const ownSid = own?.sid;
  const targets = new Set<number>();
  const tasks = allTasks();
  const recordedSet = new Set(recorded);
  for (const t of tasks) {
    if (t.pid === process.pid || t.pid <= 1 || t.sid === ownSid) continue;
    if (t.state === 'Z' || t.state === 'X') {
      if (t.ppid === process.pid && !runningHelpers().has(t.pid)) targets.add(t.pid);
      continue;
    }
    const inSession = rootPid !== undefined && rootPid > 1 && t.sid === rootPid;
    const orphanOfOurs = t.ppid === process.pid && !runningHelpers().has(t.pid);
    const recordedHere = recordedSet.has(t.pid) && rootPid !== undefined && t.sid === rootPid;
    if (inSession || orphanOfOurs || recordedHere) targets.add(t.pid);
  }
  const killed: number[] = [];
  for (const pid of targets) {
    try {
      process.kill(pid, 'SIGKILL');
      killed.push(pid);
    } catch {
      // gone meanwhile
    }
  }
  await waitPidsFree([...targets], 5000);
  return killed;
}
