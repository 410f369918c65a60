/**
 * Namespaces: amber does not carry them yet (a later issue), so a task that lives in namespaces
 * other than amber's own would come back in amber's, silently losing its hostname, its network,
 * its mounts or its PIDs as it sees them. Every task's namespaces are compared with amber's, the
 * ones its future children get (pid_for_children, time_for_children) too, and any difference
 * refuses the dump, naming the task and the namespace.
 */
import * as fs from 'node:fs';
import { UnsupportedError } from '../errors';

const KINDS = ['mnt', 'pid', 'pid_for_children', 'net', 'uts', 'ipc', 'user', 'cgroup', 'time', 'time_for_children'] as const;

function nsLink(pid: number | 'self', kind: string): string | undefined {
  const link = `/proc/${pid}/ns/${kind}`;
  try {
    return fs.readlinkSync(link);
  } catch (e) {
    // pid_for_children of a task that unshared a PID namespace and has no child in it yet:
    // the entry is there but names nothing (ENOENT), which is a namespace of its own all the same.
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' && fs.existsSync(`/proc/${pid}/ns`) && fs.readdirSync(`/proc/${pid}/ns`).includes(kind)) {
      return `${kind.split('_')[0]}:[not made yet]`;
    }
    return undefined; // a kernel without this kind
  }
}

export function refuseForeignNamespaces(pids: readonly number[]): void {
  const own = new Map(KINDS.map((k) => [k, nsLink('self', k)]));
  for (const pid of pids) {
    for (const kind of KINDS) {
      const mine = own.get(kind);
      const theirs = nsLink(pid, kind);
      if (mine === undefined || theirs === undefined || mine === theirs) continue;
      const what = kind.endsWith('_for_children') ? `the ${kind.split('_')[0]} namespace its children will get (${theirs})` : `its ${kind} namespace (${theirs})`;
      throw new UnsupportedError(pid, 'task', `${what} is not amber's (${mine}): namespaces are not carried yet`);
    }
  }
}
