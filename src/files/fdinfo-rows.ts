/**
 * The rows /proc/PID/fdinfo/FD shows for each fd kind amber carries. A row the table does not
 * list for the fd's kind fails the dump: a newer kernel's state of a known kind is refused,
 * never dropped. (Unknown kinds are refused by the registry already.) Entries ending in "*" are
 * prefixes (inotify and fanotify rows carry their fields after the key).
 */
import { UnsupportedError } from '../errors';
import { OpenFd } from './types';

const COMMON = ['pos', 'flags', 'mnt_id', 'ino', 'lock'];

export const FDINFO_ROWS: Record<string, string[]> = {
  'regular file': [], FIFO: [], pipe: [], memfd: [], terminal: ['tty-index'], pty: ['tty-index'],
  eventfd: ['eventfd-count', 'eventfd-id', 'eventfd-semaphore'],
  epoll: ['tfd'],
  signalfd: ['sigmask'],
  timerfd: ['clockid', 'ticks', 'settime flags', 'it_value', 'it_interval'],
  inotify: ['inotify *'],
  fanotify: ['fanotify *'],
  pidfd: ['Pid', 'NSpid'],
  'unix socket': ['scm_fds'], 'inet socket': [], 'netlink socket': [], 'packet socket': [],
};

function known(allowed: string[], key: string): boolean {
  return COMMON.includes(key) || allowed.some((a) => (a.endsWith('*') ? key.startsWith(a.slice(0, -1)) : a === key));
}

export function refuseUnknownFdinfo(f: OpenFd, kindName: string): void {
  const allowed = FDINFO_ROWS[kindName];
  if (!allowed) throw new UnsupportedError(f.pid, `fd ${f.fd} (${f.link})`, `amber has no fdinfo table for ${kindName}s`);
  for (const line of f.info.text.split('\n')) {
    const i = line.indexOf(':');
    if (i <= 0) continue;
    const key = line.slice(0, i).trim();
    if (!known(allowed, key)) {
      throw new UnsupportedError(f.pid, `fd ${f.fd} (${f.link})`, `its fdinfo shows "${key}", which this amber does not know for a ${kindName}: it cannot tell whether it carries it`);
    }
  }
}
