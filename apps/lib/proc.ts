/**
 * What /proc says about an app's process tree: recorded before each dump and compared after
 * each restore (same PIDs, parents, session, names, command lines and thread counts).
 */
import * as fs from 'node:fs';
import { parseStat, statusField } from '../../zdtm/runner/proc/parse';

export interface Task {
  pid: number;
  ppid: number;
  pgid: number;
  sid: number;
  comm: string;
  state: string;
  threads: number;
  cmdline: string;
  uid: string;
}

export function readTask(pid: number): Task | undefined {
  try {
    const st = parseStat(fs.readFileSync(`/proc/${pid}/stat`, 'utf8'));
    const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0+$/, '').split('\0').join(' ');
    return {
      pid,
      ppid: st.ppid,
      pgid: st.pgid,
      sid: st.sid,
      comm: st.comm,
      state: st.state,
      threads: Number(statusField(status, 'Threads') ?? 0),
      cmdline,
      uid: (statusField(status, 'Uid') ?? '').split(/\s+/)[0],
    };
  } catch {
    return undefined;
  }
}

/** Every process (not thread) on the machine, with its stat fields; racing exits are skipped. */
export function allTasks(): Task[] {
  const out: Task[] = [];
  for (const e of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const t = readTask(Number(e));
    if (t) out.push(t);
  }
  return out;
}

/** root and all its descendants, root first, then by pid. */
export function processTree(root: number): Task[] {
  const all = allTasks();
  const byParent = new Map<number, Task[]>();
  for (const t of all) byParent.set(t.ppid, [...(byParent.get(t.ppid) ?? []), t]);
  const rootTask = all.find((t) => t.pid === root);
  if (!rootTask) return [];
  const out: Task[] = [rootTask];
  for (let i = 0; i < out.length && out.length < 10_000; i++) out.push(...(byParent.get(out[i].pid) ?? []));
  return [rootTask, ...out.slice(1).sort((a, b) => a.pid - b.pid)];
}

export function childrenOf(pid: number): Task[] {
  return allTasks().filter((t) => t.ppid === pid).sort((a, b) => a.pid - b.pid);
}

/** Z (zombie), X (dead), T/t (stopped, traced): not a task that serves. */
export const isLive = (t: Task): boolean => !['Z', 'X', 'T', 't'].includes(t.state);

export const describeTask = (t: Task): string => `${t.pid} (${t.comm}, ppid ${t.ppid}, state ${t.state}, ${t.threads} threads)`;

/** The differences between the tree recorded before a dump and the one after the restore. */
export function compareTrees(before: Task[], after: Task[]): string[] {
  const diffs: string[] = [];
  const now = new Map(after.map((t) => [t.pid, t]));
  for (const b of before) {
    const a = now.get(b.pid);
    if (!a) {
      diffs.push(`pid ${b.pid} (${b.comm}) is missing`);
      continue;
    }
    now.delete(b.pid);
    for (const k of ['ppid', 'pgid', 'sid', 'comm', 'cmdline', 'threads', 'uid'] as const) {
      if (a[k] !== b[k]) diffs.push(`pid ${b.pid} (${b.comm}): ${k} is ${JSON.stringify(a[k])}, was ${JSON.stringify(b[k])}`);
    }
    if (!isLive(a)) diffs.push(`pid ${b.pid} (${b.comm}) is in state ${a.state}`);
  }
  for (const a of now.values()) diffs.push(`new process ${describeTask(a)} in the tree`);
  return diffs;
}
