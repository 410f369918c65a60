/**
 * Files and directories of /proc held open. They are reopened by path like any regular file;
 * what such a path means depends on the pid in it: /proc/PID/... of a task of the dumped tree
 * (the task itself: /proc/self reads back as /proc/PID) names the same task after restore,
 * since pids are kept. /proc/PID/... of a task outside the tree would name whatever process
 * has that pid at restore time, or nothing: refused, as pidfds of such tasks are.
 */
import * as fs from 'node:fs';
import { UnsupportedError } from '../errors';
import { FileDumpContext, OpenFd } from './types';

const PROC_SUPER_MAGIC = 0x9fa0;
const PER_PID = /^\/proc\/(\d+)(?:\/|$)/;

/** The thread group of task `tid`, or undefined when there is no such task. */
function tgidOf(tid: number): number | undefined {
  try {
    const m = /\nTgid:\s*(\d+)/.exec(fs.readFileSync(`/proc/${tid}/status`, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** Refuses an fd on a per-process /proc file or directory of a task outside the dumped tree. */
export function refuseForeignProcFile(f: OpenFd, ctx: FileDumpContext): void {
  const m = PER_PID.exec(f.link);
  if (!m) return;
  if (fs.statfsSync(`/proc/${f.pid}/fd/${f.fd}`).type !== PROC_SUPER_MAGIC) return;
  const pid = Number(m[1]);
  if (ctx.treePids.includes(pid)) return;
  const tgid = tgidOf(pid);
  if (tgid !== undefined && ctx.treePids.includes(tgid)) return;
  throw new UnsupportedError(f.pid, `fd ${f.fd} (${f.link})`,
    `a /proc file of process ${pid}, outside the dumped tree: after restore that pid may be another process or none`);
}
