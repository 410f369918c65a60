/**
 * What /proc shows of a test's process tree: tasks (pid, parent, group, session, threads),
 * their open files (link, flags, position, mount) and memory maps. Taken before the dump and
 * after each restore; compare.ts says how two of them differ.
 */
import * as fs from 'node:fs';
import { parseChildren, parseFdinfo, parseMaps, parseStat, statusField, type MapEntry } from './parse';

export interface FdSnap {
  fd: number;
  link: string;
  flags: number;
  pos: number;
  mntId: number;
}

export interface TaskSnap {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  comm: string;
  /** Single-letter state from stat: not compared, but 'T'/'t' after a restore is a failure. */
  state: string;
  tracerPid: number;
  threads: number[];
  fds: FdSnap[];
  maps: MapEntry[];
}

export interface TreeSnap {
  root: number;
  /** Sorted by pid. */
  tasks: TaskSnap[];
  /** Zombies of the tree (not yet reaped), sorted. */
  zombies?: number[];
}

const read = (p: string): string => fs.readFileSync(p, 'utf8');

function listNumeric(dir: string): number[] {
  return fs
    .readdirSync(dir)
    .filter((e) => /^\d+$/.test(e))
    .map(Number)
    .sort((a, b) => a - b);
}

/** Children of pid through every thread's children file, or by scanning /proc when absent. */
export function childrenOf(pid: number, threads: number[]): number[] {
  const kids = new Set<number>();
  let haveChildrenFile = true;
  for (const tid of threads) {
    try {
      for (const c of parseChildren(read(`/proc/${pid}/task/${tid}/children`))) kids.add(c);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT' && tid === pid && fs.existsSync(`/proc/${pid}`)) haveChildrenFile = false;
    }
  }
  if (!haveChildrenFile) {
    for (const p of listNumeric('/proc')) {
      try {
        if (parseStat(read(`/proc/${p}/stat`)).ppid === pid) kids.add(p);
      } catch {
        // raced with an exit
      }
    }
  }
  return [...kids].sort((a, b) => a - b);
}

function readFds(pid: number): FdSnap[] {
  const fds: FdSnap[] = [];
  for (const fd of listNumeric(`/proc/${pid}/fd`)) {
    try {
      const link = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
      const info = parseFdinfo(read(`/proc/${pid}/fdinfo/${fd}`));
      fds.push({ fd, link, flags: info.flags, pos: info.pos, mntId: info.mntId });
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    }
  }
  return fds;
}

/** One task, or undefined when it is gone. Throws on other errors (EACCES: not root). */
export function snapshotTask(pid: number): TaskSnap | undefined {
  try {
    const stat = parseStat(read(`/proc/${pid}/stat`));
    const status = read(`/proc/${pid}/status`);
    return {
      pid,
      ppid: stat.ppid,
      pgid: stat.pgid,
      sid: stat.sid,
      comm: stat.comm,
      state: stat.state,
      tracerPid: Number(statusField(status, 'TracerPid') ?? 0),
      threads: listNumeric(`/proc/${pid}/task`),
      fds: readFds(pid),
      maps: parseMaps(read(`/proc/${pid}/maps`)),
    };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ESRCH') return undefined;
    throw e;
  }
}

/** The tree under root (root included); throws when root itself is gone. */
export function snapshotTree(root: number): TreeSnap {
  const tasks: TaskSnap[] = [];
  const queue = [root];
  const seen = new Set<number>();
  const zombies: number[] = [];
  while (queue.length > 0) {
    const pid = queue.shift() as number;
    if (seen.has(pid)) continue;
    seen.add(pid);
    const task = snapshotTask(pid);
    if (!task) {
      if (pid === root) throw new Error(`task ${root} is gone`);
      continue;
    }
    if (task.state === 'Z' || task.state === 'X') {
      if (pid === root) throw new Error(`task ${root} is a zombie`);
      zombies.push(pid);
      continue;
    }
    tasks.push(task);
    queue.push(...childrenOf(pid, task.threads));
  }
  tasks.sort((a, b) => a.pid - b.pid);
  zombies.sort((a, b) => a - b);
  return { root, tasks, zombies };
}

/**
 * Every pid and tid in the snapshot, zombies included: what must be gone after a dump and free for
 * a restore (an unreaped zombie also keeps its session and group ids taken).
 */
export function allIds(snap: TreeSnap): number[] {
  return [...new Set([...snap.tasks.flatMap((t) => [t.pid, ...t.threads]), ...(snap.zombies ?? [])])].sort((a, b) => a - b);
}
