/**
 * Every fd kind amber knows, in the order they are tried. Adding a kind = one module here.
 * An fd no kind claims makes dump fail with a message naming the task, the fd and its kind.
 */
import { UnsupportedError } from '../errors';
import { regularFile } from './regular';
import { memfd } from './memfd';
import { terminal } from './tty';
import { pty } from './pty';
import { pipe } from './pipe';
import { eventfd } from './eventfd';
import { signalfd } from './signalfd';
import { timerfd } from './timerfd';
import { epoll } from './epoll';
import { inotify } from './inotify';
import { fanotify } from './fanotify';
import { pidfd } from './pidfd';
import { fifo } from './fifo';
import { unixSocket } from './unix-socket';
import { inetSocket } from './inet-socket';
import { netlinkSocket } from './netlink-socket';
import { packetSocket } from './packet-socket';
import { faultPoint, kindFaultPoint } from '../fault';
import type { Entry } from '../images';
import { FileDumpContext, FileKind, FileRestoreContext, OpenedFile, OpenFd } from './types';

export const FILE_KINDS: readonly FileKind[] = [pty, terminal, memfd, regularFile, pipe, fifo, eventfd, signalfd, timerfd, epoll, inotify, fanotify, pidfd, unixSocket, inetSocket, netlinkSocket, packetSocket];

/** What an fd the registry does not handle is, for the error message. */
export function describeUnsupported(f: OpenFd): string {
  if (f.link.startsWith('socket:')) return 'sockets of this family are not supported';
  if (f.link.startsWith('pipe:')) return 'pipes are not supported yet';
  if (f.link.startsWith('anon_inode:')) return `${f.link.slice(11)} descriptors are not supported yet`;
  if (f.stat.isFIFO()) return 'FIFOs are not supported yet';
  if (f.stat.isBlockDevice()) return 'block devices are not supported yet';
  return 'this kind of file is not supported yet';
}

/** Opens a file of the images with its kind, after the kind's fault point. */
export function openFile(kind: FileKind, entry: Entry, ctx: FileRestoreContext): OpenedFile {
  faultPoint(kindFaultPoint('restore', kind.name), ctx.fault);
  return kind.open(entry, ctx);
}

export function kindForFd(f: OpenFd, ctx: FileDumpContext): FileKind {
  const k = FILE_KINDS.find((kind) => kind.matches(f, ctx));
  if (!k) throw new UnsupportedError(f.pid, `fd ${f.fd} (${f.link})`, describeUnsupported(f));
  return k;
}

export function kindForType(type: number): FileKind | undefined {
  return FILE_KINDS.find((k) => k.type === type);
}
