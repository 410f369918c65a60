/**
 * What a task looks like from outside after amber died next to it (the SIGKILL soak and
 * test/faults/sigkill.test.ts): its /proc status fields, its tree, whether a scratch area is
 * left, and whether its vDSO's free tail holds amber's escape code (src/arch/x86_64/recovery.ts),
 * which says the kill came while the task was infected.
 */
import * as fs from 'node:fs';

export function statusOf(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const m = /^(\w+):\s*(.*)$/.exec(l);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/** A task and all its descendants, parents first. */
export function treeOf(pid: number): number[] {
  let kids: number[] = [];
  try {
    kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch { /* gone */ }
  return [pid, ...kids.flatMap(treeOf)];
}

/** amber's scratch area: the only anonymous mapping that is writable and executable. */
export function hasScratchArea(pid: number): boolean {
  return / rwxp 00000000 00:00 0 *\n/.test(fs.readFileSync(`/proc/${pid}/maps`, 'utf8'));
}

/** Whether the last KiB of the task's vDSO (zeros as the kernel maps it) holds anything. */
export function escapeCodeLeft(pid: number): boolean {
  const line = fs.readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n').find((l) => l.endsWith('[vdso]'));
  if (!line) return false;
  const [start, end] = line.split(' ')[0].split('-').map((x) => parseInt(x, 16));
  const fd = fs.openSync(`/proc/${pid}/mem`, 'r');
  try {
    const b = Buffer.alloc(end - start);
    fs.readSync(fd, b, 0, b.length, start);
    return b.subarray(b.length - 1024).some((x) => x !== 0);
  } finally {
    fs.closeSync(fd);
  }
}
