/**
 * task_kobj_ids_entry as CRIU means it (ids-PID.img, inventory.img root_ids): one small number per
 * kernel object a task holds (address space, fd table, fs information, signal handlers, and each
 * namespace); two tasks bear the same number exactly when they hold the same object.
 *
 * The dumper itself is numbered first: its ids are the inventory's root_ids, against which a
 * restorer tells whether the root task shares anything with it (a root task that shares the
 * dumper's fd table is a corrupt image to CRIU) or lives in a namespace of its own. The four task
 * objects are compared with kcmp(2) and numbered per kind from 1; namespaces are told apart by the
 * inode of /proc/PID/ns/NAME and numbered from one counter across all kinds, as CRIU does.
 */
import * as fs from 'node:fs';
import { native } from '../native';
import { kcmpSearch } from '../proc/kcmp-order';
import type { Entry } from '../images';

const KCMP_VM = 1, KCMP_FILES = 2, KCMP_FS = 3, KCMP_SIGHAND = 4;

const TASK_OBJECTS = [['vm_id', KCMP_VM], ['files_id', KCMP_FILES], ['fs_id', KCMP_FS], ['sighand_id', KCMP_SIGHAND]] as const;

/** Field of task_kobj_ids_entry and /proc/PID/ns link, in the order CRIU numbers them. */
const NAMESPACES = [
  ['pid_ns_id', 'pid'], ['net_ns_id', 'net'], ['ipc_ns_id', 'ipc'], ['uts_ns_id', 'uts'],
  ['time_ns_id', 'time'], ['mnt_ns_id', 'mnt'], ['user_ns_id', 'user'], ['cgroup_ns_id', 'cgroup'],
] as const;

export interface KobjIds {
  /** The dumper's own ids: inventory.img root_ids. */
  root: Entry;
  /** Ids of each dumped (live) task, by pid. */
  byPid: Map<number, Entry>;
}

function nsKey(pid: number, name: string): string | undefined {
  try {
    const st = fs.statSync(`/proc/${pid}/ns/${name}`);
    return `${st.dev}:${st.ino}`;
  } catch {
    return undefined; // a namespace kind this kernel lacks
  }
}

/** `pids` in tree order (parents first), live tasks only. */
export function kobjIds(pids: readonly number[]): KobjIds {
  const all = [process.pid, ...pids];
  const ids = all.map((): Entry => ({}));
  for (const [field, type] of TASK_OBJECTS) {
    let next = 1;
    // One of each object so far, in the kernel's order (kcmp-order.ts): ids in order of first use.
    const reps: { pid: number; id: number }[] = [];
    all.forEach((pid, i) => {
      const { at, same } = kcmpSearch(reps, (r) => native.kcmp(r.pid, pid, type, 0, 0));
      if (same) ids[i][field] = same.id;
      else reps.splice(at, 0, { pid, id: (ids[i][field] = next++) });
    });
  }
  let nextNs = 1;
  for (const [field, name] of NAMESPACES) {
    const seen = new Map<string, number>();
    all.forEach((pid, i) => {
      const key = nsKey(pid, name);
      if (key === undefined) return;
      let id = seen.get(key);
      if (id === undefined) seen.set(key, (id = nextNs++));
      ids[i][field] = id;
    });
  }
  return { root: ids[0], byPid: new Map(pids.map((pid, i) => [pid, ids[i + 1]])) };
}
