/**
 * epoll (eventpoll_file_entry with its tfd list): the interest list comes from fdinfo; at restore
 * the instance is created empty and each target is added from inside the task once its fds are in
 * place, since the kernel keys epoll entries by (file, fd number) of the owning task.
 */
import { mutated } from '../mutant';
import * as fs from 'node:fs';
import { native } from '../native';
import { SysError, UnsupportedError } from '../errors';
import { kernelDev } from '../proc/devices';

const EBADF = 9;
import { Entry } from '../images';
import { SYS } from '../arch/x86_64/syscalls';
import { FdType, FileKind, NO_FOWN, OpenFd } from './types';

const O_NONBLOCK = 0o4000, O_CLOEXEC = 0o2000000;
const F_SETFL = 4;
const EPOLL_CTL_ADD = 1;
const TFD = /^tfd:\s*(\d+)\s+events:\s*([0-9a-f]+)\s+data:\s*([0-9a-f]+)\s+pos:\s*(\d+)\s+ino:\s*([0-9a-f]+)\s+sdev:\s*([0-9a-f]+)/;

export function parseEpollTargets(fdinfoText: string, id: number): Entry[] {
  const out: Entry[] = [];
  for (const line of fdinfoText.split('\n')) {
    const m = TFD.exec(line.trim());
    if (m) {
      out.push({
        id, tfd: Number(m[1]), events: parseInt(m[2], 16), data: BigInt('0x' + m[3]),
        pos: BigInt(m[4]), inode: BigInt('0x' + m[5]), dev: parseInt(m[6], 16),
      });
    }
  }
  return out;
}

/**
 * Restore adds each target by its fd number from inside the task that holds the epoll, so that
 * number must name the same file in this task now. It does not when the target was added by
 * another process sharing the epoll (after fork: its own fd table), or when the fd was closed
 * while the file lives on elsewhere (the entry stays): those are refused, never dropped.
 */
function checkTarget(f: OpenFd, t: Entry, toff: number): void {
  let same: boolean;
  try {
    // The kernel's own answer: is the task's fd tfd the very file of this epoll entry?
    same = native.kcmpEpollTfd(f.pid, t.tfd, f.pid, f.fd, t.tfd, toff) === 0;
  } catch (e) {
    // EBADF: the task's fd is closed. Other errors (no kcmp): the inode and device, which cannot
    // tell apart files of one anonymous inode (eventfds).
    if (e instanceof SysError && e.errno === EBADF) same = false;
    else same = sameInode(f.pid, t);
  }
  if (same) return;
  throw new UnsupportedError(f.pid, `fd ${f.fd} (epoll)`, `it watches a file registered as fd ${t.tfd} that is not the task's fd ${t.tfd} (a target added by another process sharing the epoll, or whose fd was closed since): not supported yet`);
}

function sameInode(pid: number, t: Entry): boolean {
  let st: fs.Stats;
  try { st = fs.statSync(`/proc/${pid}/fd/${t.tfd}`); } catch { return false; }
  // fdinfo's sdev is the kernel's dev_t; stat's is the user encoding.
  return BigInt(st.ino) === BigInt(t.inode) && kernelDev(st.dev) === t.dev;
}

export const epoll: FileKind = {
  name: 'epoll',
  type: FdType.EVENTPOLL,
  matches: (f: OpenFd) => f.link === 'anon_inode:[eventpoll]',
  dump(f: OpenFd, id: number) {
    const tfd = parseEpollTargets(f.info.text, id);
    // toff: the how-manyth entry with that fd number (one fd number can name several files).
    const seen = new Map<number, number>();
    for (const t of tfd) {
      const toff = seen.get(t.tfd) ?? 0;
      seen.set(t.tfd, toff + 1);
      checkTarget(f, t, toff);
    }
    return {
      type: FdType.EVENTPOLL, id,
      epfd: { id, flags: f.info.flags & ~O_CLOEXEC, fown: NO_FOWN, tfd },
    };
  },
  open(entry: Entry) {
    const fd = native.epollCreate(O_CLOEXEC);
    native.fcntl(fd, F_SETFL, entry.epfd.flags & O_NONBLOCK);
    return { fd };
  },
  afterInstall(entry, taskFd, t, ctx) {
    for (const target of mutated('skip-epoll-interest') ? [] : entry.epfd.tfd ?? []) {
      const ev = Buffer.alloc(12); // struct epoll_event is packed on x86_64
      ev.writeUInt32LE(target.events, 0);
      ev.writeBigUInt64LE(target.data, 4);
      t.mem.write(t.data, ev);
      const r = t.remote.raw(SYS.epoll_ctl, taskFd, EPOLL_CTL_ADD, target.tfd, t.data);
      if (r < 0n) ctx.log.warn(`epoll fd ${taskFd}: cannot add fd ${target.tfd} (errno ${-r}): it is not open in the task any more`);
    }
  },
};
