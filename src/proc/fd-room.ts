/**
 * Room in amber's own fd table, made in one step before amber takes many fds at once (a dump
 * grabs every fd of the tree with pidfd_getfd; a restore opens every file of the images).
 *
 * The kernel grows a full fd table by doubling it, and in a process with threads (Node always
 * has some) each growth waits for an RCU grace period (synchronize_rcu in expand_fdtable): the
 * five doublings that hold 2,000 grabbed sockets cost 44 ms here, one growth to 4,096 slots 15 ms.
 */
import * as fs from 'node:fs';
import { native } from '../native';

const F_DUPFD_CLOEXEC = 1030;

function fieldOf(file: string, re: RegExp): number | undefined {
  try {
    const m = re.exec(fs.readFileSync(file, 'utf8'));
    return m ? Number(m[1]) : undefined;
  } catch {
    return undefined;
  }
}

/** How many fds this process may have open (RLIMIT_NOFILE's soft limit), from /proc/self/limits. */
function openFilesLimit(): number {
  return fieldOf('/proc/self/limits', /^Max open files\s+(\d+)/m) ?? 1024;
}

/**
 * Grows this process's fd table at once so that `more` fds can be opened without the table
 * growing again. Best effort: a table already large enough, or a limit in the way, is left as is.
 */
export function makeFdRoom(more: number): void {
  const size = fieldOf('/proc/self/status', /^FDSize:\s*(\d+)/m);
  if (size === undefined) return;
  let open: number;
  try {
    open = fs.readdirSync('/proc/self/fd').length;
  } catch {
    return;
  }
  const want = open + more;
  if (want <= size) return;
  // The kernel rounds a table up to a power of two; asking for exactly that costs one growth.
  let slots = 1;
  while (slots < want) slots *= 2;
  slots = Math.min(slots, openFilesLimit());
  if (slots <= size) return;
  const any = fs.openSync('/dev/null', fs.constants.O_RDONLY | 0o2000000);
  try {
    fs.closeSync(native.fcntl(any, F_DUPFD_CLOEXEC, slots - 1));
  } catch {
    /* over a limit after all: the table grows as fds arrive */
  } finally {
    fs.closeSync(any);
  }
}

/** How many fds these processes hold (each read once; a process gone meanwhile counts 0). */
export function countFds(pids: readonly number[]): number {
  let n = 0;
  for (const pid of pids) {
    try {
      n += fs.readdirSync(`/proc/${pid}/fd`).length;
    } catch { /* gone */ }
  }
  return n;
}
