/**
 * Sessions and process groups the restore must be able to make again. A task whose session or
 * group is led outside the tree can only come back inside the restorer's own session, which is
 * what --shell-job asks for (a job of an interactive shell); without it the dump is refused,
 * naming the task, before anything is taken from the tree.
 */
import { UnsupportedError } from '../errors';
import type { FrozenProcess } from './freeze';

export function checkSessions(procs: readonly FrozenProcess[], shellJob: boolean): void {
  if (shellJob) return;
  const inTree = new Set(procs.map((p) => p.pid));
  for (const p of procs) {
    if (p.state === 'zombie') continue;
    if (!inTree.has(p.sid)) {
      throw new UnsupportedError(p.pid, 'task', `its session ${p.sid} is led by a task outside the tree (a shell's job?): dump it with --shell-job, or start it in a session of its own (setsid)`);
    }
    if (!inTree.has(p.pgid)) {
      throw new UnsupportedError(p.pid, 'task', `its process group ${p.pgid} is led by a task outside the tree: dump it with --shell-job, or make it a group of its own`);
    }
  }
}
