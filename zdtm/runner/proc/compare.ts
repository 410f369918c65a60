/**
 * How a restored (or left-running) tree differs from the one recorded before the dump.
 * Inode numbers of pipes, sockets and the like (and the "#INO" names of O_TMPFILE files) change
 * across a restore, so they are replaced by their order of first appearance: what is compared is
 * which fds share one object.
 * Adjacent mappings that differ only in how the kernel split them are merged, and the page
 * offset of anonymous memory is ignored (it records where the area was first created).
 */
import type { MapEntry } from './parse';
import type { FdSnap, TaskSnap, TreeSnap } from './snapshot';

const O_LARGEFILE = 0o100000;
const MAX_LINES = 40;

/** "pipe:[1234]" -> "pipe:[#1]", numbered over the whole tree in pid, fd order. */
export function normalizeLinks(tasks: TaskSnap[]): Map<TaskSnap, Map<number, string>> {
  const ids = new Map<string, number>();
  const out = new Map<TaskSnap, Map<number, string>>();
  for (const task of tasks) {
    const links = new Map<number, string>();
    for (const fd of task.fds) {
      // An O_TMPFILE file is named by its inode ("DIR/#1234 (deleted)"), new after a restore.
      const t = /^(.*\/)#(\d+) \(deleted\)$/s.exec(fd.link);
      if (t) {
        const key = `tmpfile:${t[2]}`;
        if (!ids.has(key)) ids.set(key, ids.size + 1);
        links.set(fd.fd, `${t[1]}#[tmpfile #${ids.get(key)}] (deleted)`);
        continue;
      }
      const m = /^([A-Za-z_-]+):\[(\d+)\]$/.exec(fd.link);
      if (!m) {
        links.set(fd.fd, fd.link);
        continue;
      }
      const key = `${m[1]}:${m[2]}`;
      if (!ids.has(key)) ids.set(key, ids.size + 1);
      links.set(fd.fd, `${m[1]}:[#${ids.get(key)}]`);
    }
    out.set(task, links);
  }
  return out;
}

export function describeFd(fd: FdSnap, link: string): string {
  return `${link} flags 0${(fd.flags & ~O_LARGEFILE).toString(8)} pos ${fd.pos} mnt ${fd.mntId}`;
}

/** Maps as comparable lines, with kernel-split neighbours merged. */
export function normalizeMaps(maps: MapEntry[]): string[] {
  const merged: MapEntry[] = [];
  for (const m of maps) {
    const prev = merged[merged.length - 1];
    const anon = m.inode === 0;
    if (
      prev &&
      prev.end === m.start &&
      prev.perms === m.perms &&
      prev.dev === m.dev &&
      prev.inode === m.inode &&
      prev.path === m.path &&
      (anon || BigInt(`0x${prev.offset}`) + BigInt(`0x${prev.end}`) - BigInt(`0x${prev.start}`) === BigInt(`0x${m.offset}`))
    ) {
      merged[merged.length - 1] = { ...prev, end: m.end };
      continue;
    }
    merged.push({ ...m });
  }
  return merged.map((m) => {
    const offset = m.inode === 0 ? '-' : m.offset;
    // Shared anonymous memory and memfds live in internal shmem inodes, and unlinked files come
    // back as new files (ghosts): a restore makes new inodes for all of them.
    const inode = m.path.endsWith(' (deleted)') ? 'renewed' : m.inode;
    return `${m.start}-${m.end} ${m.perms} ${offset} ${m.dev} ${inode} ${m.path}`.trimEnd();
  });
}

function compareTask(before: TaskSnap, after: TaskSnap, isRoot: boolean, bl: Map<number, string>, al: Map<number, string>, opts: CompareOptions): string[] {
  const out: string[] = [];
  const p = `pid ${before.pid}`;
  const field = (name: string, a: unknown, b: unknown): void => {
    if (a !== b) out.push(`${p}: ${name} ${String(a)} -> ${String(b)}`);
  };
  if (!isRoot) field('ppid', before.ppid, after.ppid);
  field('pgid', before.pgid, after.pgid);
  field('sid', before.sid, after.sid);
  field('comm', before.comm, after.comm);
  field('threads', before.threads.join(','), after.threads.join(','));

  const afterFds = new Map(after.fds.map((f) => [f.fd, f]));
  for (const fd of before.fds) {
    const a = afterFds.get(fd.fd);
    const was = describeFd(fd, bl.get(fd.fd) ?? fd.link);
    if (!a) out.push(`${p}: fd ${fd.fd} missing (was ${was})`);
    else if (was !== describeFd(a, al.get(a.fd) ?? a.link)) out.push(`${p}: fd ${fd.fd}: ${was} -> ${describeFd(a, al.get(a.fd) ?? a.link)}`);
    afterFds.delete(fd.fd);
  }
  for (const a of afterFds.values()) out.push(`${p}: fd ${a.fd} is new: ${describeFd(a, al.get(a.fd) ?? a.link)}`);

  const keep = (m: { inode: number; path: string }) => !opts.anonMapsMayChange || m.inode !== 0 || (m.path !== '' && m.path !== '[heap]');
  const bm = normalizeMaps(before.maps.filter(keep));
  const am = normalizeMaps(after.maps.filter(keep));
  const amSet = new Set(am);
  const bmSet = new Set(bm);
  for (const line of bm) if (!amSet.has(line)) out.push(`${p}: map - ${line}`);
  for (const line of am) if (!bmSet.has(line)) out.push(`${p}: map + ${line}`);
  return out;
}

/**
 * Tasks left stopped or still traced: a checkpointer must let them go. A task that was stopped
 * (SIGSTOP) in `before` must come back stopped, and one the test itself traces stays traced by
 * the same tracer, so neither is flagged.
 */
export function checkReleased(snap: TreeSnap, before?: TreeSnap): string[] {
  const out: string[] = [];
  const wasStopped = new Set((before?.tasks ?? []).filter((t) => t.state === 'T').map((t) => t.pid));
  const tracerBefore = new Map((before?.tasks ?? []).map((t) => [t.pid, t.tracerPid]));
  for (const t of snap.tasks) {
    if (t.state === 't' || (t.state === 'T' && !wasStopped.has(t.pid))) out.push(`pid ${t.pid}: left ${t.state === 't' ? 'in a trace stop' : 'stopped'}`);
    if (t.tracerPid !== 0 && tracerBefore.get(t.pid) !== t.tracerPid) out.push(`pid ${t.pid}: still traced by ${t.tracerPid}`);
  }
  return out;
}

/** Differences as readable lines (empty: the same), at most MAX_LINES of them. */
export interface CompareOptions {
  /**
   * The program's runtime maps and unmaps anonymous memory on its own while it runs (Node's V8
   * and malloc arenas), between the snapshot and the dump: compare only file-backed mappings.
   */
  anonMapsMayChange?: boolean;
}

export function compareTrees(before: TreeSnap, after: TreeSnap, opts: CompareOptions = {}): string[] {
  const out: string[] = [];
  if (before.root !== after.root) out.push(`root pid ${before.root} -> ${after.root}`);
  const bl = normalizeLinks(before.tasks);
  const al = normalizeLinks(after.tasks);
  const afterByPid = new Map(after.tasks.map((t) => [t.pid, t]));
  for (const b of before.tasks) {
    const a = afterByPid.get(b.pid);
    if (!a) {
      out.push(`pid ${b.pid} (${b.comm}) missing`);
      continue;
    }
    afterByPid.delete(b.pid);
    out.push(...compareTask(b, a, b.pid === before.root, bl.get(b) as Map<number, string>, al.get(a) as Map<number, string>, opts));
  }
  for (const a of afterByPid.values()) out.push(`pid ${a.pid} (${a.comm}) is new`);
  const bz = (before.zombies ?? []).join(','), az = (after.zombies ?? []).join(',');
  if (bz !== az) out.push(`zombies ${bz || 'none'} -> ${az || 'none'}`);
  out.push(...checkReleased(after, before));
  if (out.length > MAX_LINES) return [...out.slice(0, MAX_LINES), `... and ${out.length - MAX_LINES} more`];
  return out;
}
