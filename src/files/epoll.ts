/**
 * epoll (eventpoll_file_entry with its tfd list): the interest list comes from fdinfo; at restore
 * the instance is created empty and each target is added from inside the task once its fds are in
 * place, since the kernel keys epoll entries by (file, fd number) of the owning task.
 */
import { native } from '../native';
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

export const epoll: FileKind = {
  name: 'epoll',
  type: FdType.EVENTPOLL,
  matches: (f: OpenFd) => f.link === 'anon_inode:[eventpoll]',
  dump(f: OpenFd, id: number) {
    return {
      type: FdType.EVENTPOLL, id,
      epfd: { id, flags: f.info.flags & ~O_CLOEXEC, fown: NO_FOWN, tfd: parseEpollTargets(f.info.text, id) },
    };
  },
  open(entry: Entry) {
    const fd = native.epollCreate(O_CLOEXEC);
    native.fcntl(fd, F_SETFL, entry.epfd.flags & O_NONBLOCK);
    return { fd };
  },
  afterInstall(entry, taskFd, t, ctx) {
    for (const target of entry.epfd.tfd ?? []) {
      const ev = Buffer.alloc(12); // struct epoll_event is packed on x86_64
      ev.writeUInt32LE(target.events, 0);
      ev.writeBigUInt64LE(target.data, 4);
      t.mem.write(t.data, ev);
      const r = t.remote.raw(SYS.epoll_ctl, taskFd, EPOLL_CTL_ADD, target.tfd, t.data);
      if (r < 0n) ctx.log.warn(`epoll fd ${taskFd}: cannot add fd ${target.tfd} (errno ${-r}): it is not open in the task any more`);
    }
  },
};
