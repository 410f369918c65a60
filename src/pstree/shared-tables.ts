/**
 * Processes (not threads) that share a table with another process of the tree: an address
 * space (CLONE_VM), an fd table (CLONE_FILES), fs info (CLONE_FS: cwd, root, umask) or signal
 * handlers (CLONE_SIGHAND). amber restores each process with tables of its own, which would
 * silently split them: such a tree is refused, naming both processes and the table.
 */
import { native } from '../native';
import { UnsupportedError } from '../errors';

const TABLES: [number, string, string][] = [
  [1, 'address space', 'CLONE_VM'],
  [2, 'fd table', 'CLONE_FILES'],
  [3, 'fs information (cwd, root, umask)', 'CLONE_FS'],
  [4, 'signal handlers', 'CLONE_SIGHAND'],
];

export function refuseSharedTables(pids: readonly number[]): void {
  for (const [type, what, flag] of TABLES) {
    const seen: number[] = [];
    for (const pid of pids) {
      // kcmp orders objects: 0 is the same object.
      const twin = seen.find((other) => native.kcmp(other, pid, type, 0, 0) === 0);
      if (twin !== undefined) {
        throw new UnsupportedError(pid, 'task', `shares its ${what} with task ${twin} (${flag} without CLONE_THREAD), which amber does not carry yet`);
      }
      seen.push(pid);
    }
  }
}
