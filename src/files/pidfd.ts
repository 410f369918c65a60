/**
 * pidfd (amber's own pidfd_entry, fd type PIDFD = 1001: CRIU 3.17 has no image for pidfds).
 * fdinfo's `Pid:` names the process: one of the dumped tree (a zombie of it included) is opened
 * again with pidfd_open once the tree's stubs exist (files are opened after they are made); one
 * that has exited and been reaped (`Pid: -1`) becomes a pidfd of a fresh short-lived child of
 * the restorer, ended the same way (the wait status from PIDFD_INFO_EXIT when the kernel kept
 * it) and reaped, so poll reports it readable and PIDFD_GET_INFO its exit as before. A pidfd of
 * a process outside the tree is refused: that process is not amber's to bring back.
 */
import * as fs from 'node:fs';
import { native } from '../native';
import { Entry } from '../images';
import { UnsupportedError } from '../errors';
import { dumperFd } from './inotify';
import { FdType, FileDumpContext, FileKind, NO_FOWN, OpenFd } from './types';

const O_NONBLOCK = 0o4000, O_EXCL = 0o200, O_CLOEXEC = 0o2000000;
const PIDFD_NONBLOCK = O_NONBLOCK, PIDFD_THREAD = O_EXCL;
const PIDFD_INFO_EXIT = 8n;

/** Status rows of a live task, or undefined once it is gone. */
function statusOf(pid: number): { tgid: number; ppid: number; zombie: boolean } | undefined {
  try {
    const s = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
    const row = (k: string) => new RegExp(`^${k}:\\s*(.*)$`, 'm').exec(s)?.[1] ?? '';
    return { tgid: Number(row('Tgid')), ppid: Number(row('PPid')), zombie: row('State').startsWith('Z') };
  } catch {
    return undefined;
  }
}

/** The wait status the kernel kept for the exited process of a pidfd (6.15+), if any. */
function exitStatus(fd: number): number | undefined {
  try {
    const info = native.pidfdGetInfo(fd, PIDFD_INFO_EXIT);
    return info.readBigUInt64LE(0) & PIDFD_INFO_EXIT ? info.readInt32LE(60) : undefined;
  } catch {
    return undefined;
  }
}

export const pidfd: FileKind = {
  name: 'pidfd',
  type: FdType.PIDFD,
  matches: (f: OpenFd) => f.link === 'anon_inode:[pidfd]',
  dump(f: OpenFd, id: number, ctx: FileDumpContext) {
    const res = `fd ${f.fd} (${f.link})`;
    const row = f.info.rows.get('Pid');
    if (row === undefined || !/^-?\d+$/.test(row)) throw new UnsupportedError(f.pid, res, `unreadable Pid in fdinfo: ${JSON.stringify(row)}`);
    const pid = Number(row);
    const flags = f.info.flags & ~O_CLOEXEC;
    if (pid === 0) throw new UnsupportedError(f.pid, res, 'pidfd of a process of another pid namespace');
    if (pid < 0) {
      const status = exitStatus(dumperFd(f, ctx));
      return { type: FdType.PIDFD, id, pidfd: { id, flags, fown: NO_FOWN, pid: 0, ...(status !== undefined ? { exit_status: status } : {}) } };
    }
    if (!ctx.treePids.includes(pid)) {
      const st = statusOf(pid);
      const zombieOfTree = st !== undefined && st.zombie && st.tgid === pid && ctx.treePids.includes(st.ppid);
      if (!zombieOfTree) {
        if (st !== undefined && st.tgid !== pid && ctx.treePids.includes(st.tgid)) {
          throw new UnsupportedError(f.pid, res, `pidfd of thread ${pid} of task ${st.tgid}: pidfds of threads other than a leader are not supported`);
        }
        throw new UnsupportedError(f.pid, res, `pidfd of process ${pid}, outside the dumped tree`);
      }
    }
    return { type: FdType.PIDFD, id, pidfd: { id, flags, fown: NO_FOWN, pid } };
  },
  open(entry: Entry) {
    const e = entry.pidfd;
    if (!e.pid) return { fd: native.pidfdOfExited(e.flags & PIDFD_NONBLOCK, e.exit_status ?? 0) };
    return { fd: native.pidfdOpen(e.pid, (e.flags & PIDFD_NONBLOCK) | (e.flags & PIDFD_THREAD)) };
  },
};
