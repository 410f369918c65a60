/** Shared by the fault-injection tests: the tree under a task, and a call made with AMBER_FAULT set. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';

/** A task and all its descendants, parents first. */
export function treePids(pid: number): number[] {
  const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return [pid, ...kids.flatMap(treePids)];
}

/** Runs fn with AMBER_FAULT=point in this process's environment (amber inherits it). */
export async function withFault<T>(point: string, fn: () => Promise<T>): Promise<T> {
  process.env.AMBER_FAULT = point;
  try {
    return await fn();
  } finally {
    delete process.env.AMBER_FAULT;
  }
}

/**
 * Removes a test's work directory. A test program killed halfway (fanotify_marks mounts a
 * tmpfs in its own directory) can leave a mount in it: those go first (lazily), and nothing
 * here fails the suite.
 */
export function removeWorkDir(dir: string): void {
  const mounts = () => fs.readFileSync('/proc/self/mounts', 'utf8').split('\n').map((l) => l.split(' ')[1]).filter((m) => m && (m === dir || m.startsWith(`${dir}/`)));
  for (const m of mounts().reverse()) spawnSync('umount', ['-l', m]);
  try {
    fs.rmSync(dir, { recursive: true, force: true });
  } catch (e) {
    process.stderr.write(`could not remove ${dir}: ${(e as Error).message}\n`);
  }
}
