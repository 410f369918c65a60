/**
 * Processes (not threads) that share a table with another process of the tree. An fd table
 * (CLONE_FILES) or fs information (CLONE_FS: cwd, root, umask) shared with the parent is carried:
 * the images name the parent's table (ids files_id / fs_id) and restore clones the child with the
 * same flag. A shared address space (CLONE_VM) or signal handlers (CLONE_SIGHAND), or a table
 * shared with some other process than the parent, is refused, naming both processes.
 */
import { native } from '../native';
import { UnsupportedError } from '../errors';
import { kcmpSearch } from '../proc/kcmp-order';

const KCMP_VM = 1, KCMP_FILES = 2, KCMP_FS = 3, KCMP_SIGHAND = 4;

export interface SharedTables {
  /** pid -> the pid whose fd table it uses (its own when absent). */
  files: Map<number, number>;
  /** pid -> the pid whose fs information it uses. */
  fs: Map<number, number>;
}

interface Proc { pid: number; ppid: number }

/** The process of `seen` (kept in the kernel's order of the object) whose object of `type` pid's is; pid is then added to it. */
function sharer(seen: number[], pid: number, type: number): number | undefined {
  const { at, same } = kcmpSearch(seen, (other) => native.kcmp(other, pid, type, 0, 0));
  if (same === undefined) seen.splice(at, 0, pid);
  return same;
}

/** `procs` in tree order (parents first). */
export function sharedTables(procs: readonly Proc[]): SharedTables {
  const out: SharedTables = { files: new Map(), fs: new Map() };
  for (const [type, what, flag] of [[KCMP_VM, 'address space', 'CLONE_VM'], [KCMP_SIGHAND, 'signal handlers', 'CLONE_SIGHAND']] as const) {
    const seen: number[] = [];
    for (const p of procs) {
      const twin = sharer(seen, p.pid, type);
      if (twin !== undefined) throw new UnsupportedError(p.pid, 'task', `shares its ${what} with task ${twin} (${flag} without CLONE_THREAD), which amber does not carry yet`);
    }
  }
  for (const [type, what, flag, map] of [[KCMP_FILES, 'fd table', 'CLONE_FILES', out.files], [KCMP_FS, 'fs information (cwd, root, umask)', 'CLONE_FS', out.fs]] as const) {
    const seen: number[] = [];
    for (const p of procs) {
      const twin = sharer(seen, p.pid, type);
      if (twin === undefined) continue;
      const owner = map.get(twin) ?? twin;
      const parentOwner = map.get(p.ppid) ?? p.ppid;
      if (owner !== parentOwner) {
        throw new UnsupportedError(p.pid, 'task', `shares its ${what} with task ${twin} but not with its parent ${p.ppid} (${flag}), which restore cannot rebuild`);
      }
      map.set(p.pid, owner);
    }
  }
  return out;
}
