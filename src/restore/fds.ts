/**
 * Gives the restored task its fd table: each file is opened in the restorer by its kind's module,
 * then the task takes it with injected pidfd_open(restorer) + pidfd_getfd, moved to its number
 * with dup3. One open file description shared by several fds is opened once.
 */
import * as fs from 'node:fs';
import { SYS } from '../arch/x86_64/syscalls';
import { ImageError } from '../errors';
import { Entry, FILES_IMG } from '../images';
import { kindForType, openFile } from '../files/registry';
import { openInherited } from '../files/external';
import { FileRestoreContext, OpenedFile } from '../files/types';
import { FD_CLOEXEC } from '../files/fd-table';
import { F_GETFL, F_SETFL, hasAsync, O_ASYNC, restoreFown, subMessage } from '../files/fown';
import { Injected } from '../task/injected';
import { native } from '../native';
import { AmberError } from '../errors';
import { buildControl, parseControl } from '../net/cmsg';
import { mutated } from '../mutant';

const O_CLOEXEC = 0o2000000;
const F_DUPFD_CLOEXEC = 1030;
const SEEK_SET = 0;

/** Opens every file of the table in the restorer, before any task exists. Caller closes them. */
export function openFiles(fdinfo: Entry[], files: Map<number, Entry>, ctx: FileRestoreContext): Map<number, OpenedFile> {
  const opened = new Map<number, OpenedFile>();
  try {
    for (const fi of fdinfo) {
      if (opened.has(fi.id)) continue;
      const f = files.get(fi.id);
      if (!f) throw new ImageError(FILES_IMG, undefined, `no file with id ${fi.id} (fd ${fi.fd})`);
      // A file the caller passes (--inherit-fd) is not opened from the images.
      let o = openInherited(f, ctx);
      if (!o) {
        const kind = kindForType(f.type);
        if (!kind) throw new ImageError(FILES_IMG, f.id, `file type ${f.type} of fd ${fi.fd} is not supported by this amber`);
        o = openFile(kind, f, ctx);
      }
      opened.set(fi.id, o);
      const fown = subMessage(f)?.fown;
      if (fown?.pid || fown?.signum) ctx.onResume(() => restoreFown(o.fd, fown));
    }
  } catch (e) {
    closeOpened(opened);
    throw e;
  }
  return opened;
}

export function closeOpened(opened: Map<number, OpenedFile>): void {
  for (const o of opened.values()) {
    try { fs.closeSync(o.fd); } catch { /* closed */ }
  }
}

export { takeRestorerFd } from '../task/injected';

const SYS_recvmsg = 47;
const AF_UNIX = 1, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0o2000000, MSG_CMSG_CLOEXEC = 0x40000000;
/** SCM_MAX_FD: the most fds one message carries. */
const FDS_PER_MESSAGE = 253;
/** A gap in the fd numbers this small is filled with placeholders, so runs go on after it. */
const GAP_FILL_MAX = 64;

/**
 * Hands a run of fds to the task in one message: the restorer sends them over a socketpair with
 * SCM_RIGHTS and the task takes them with one injected recvmsg; they land on its lowest free
 * numbers, which the caller made the run's own.
 */
function receiveRun(t: Injected, carrier: { ours: number; theirs: number }, fds: number[], cloexec: boolean): number[] {
  native.sendmsg(carrier.ours, Buffer.from([0]), null, buildControl(fds), 0);
  // struct msghdr at data, its iovec at +64 (1 byte at +80), the control buffer at +128.
  const msg = Buffer.alloc(56), iov = Buffer.alloc(16);
  const control = t.data + 128n, controlLen = 16 + 4 * FDS_PER_MESSAGE + 16;
  iov.writeBigUInt64LE(t.data + 80n, 0);
  iov.writeBigUInt64LE(1n, 8);
  msg.writeBigUInt64LE(t.data + 64n, 16);
  msg.writeBigUInt64LE(1n, 24);
  msg.writeBigUInt64LE(control, 32);
  msg.writeBigUInt64LE(BigInt(controlLen), 40);
  t.mem.write(t.data, msg);
  t.mem.write(t.data + 64n, iov);
  t.remote.call(SYS_recvmsg, carrier.theirs, t.data, cloexec ? MSG_CMSG_CLOEXEC : 0);
  const got = parseControl(t.mem.read(control, controlLen)).fds;
  if (got.length !== fds.length) throw new AmberError(`received ${got.length} of ${fds.length} fds in one message`);
  return got;
}

/** Closes all the task's fds, then installs the table, then the kinds' after-install state. */
export function installFds(t: Injected, fdinfo: Entry[], opened: Map<number, OpenedFile>, files: Map<number, Entry>, ctx: FileRestoreContext, registered: Set<number>): void {
  t.remote.call(SYS.close_range, 0, 0xffffffff, 0);
  const sorted = [...fdinfo].sort((a, b) => a.fd - b.fd);
  const top = sorted.reduce((m, f) => Math.max(m, f.fd), 2) + 1;
  const low = Number(t.remote.call(SYS.pidfd_open, process.pid, 0));
  const pidfd = Number(t.remote.call(SYS.fcntl, low, F_DUPFD_CLOEXEC, top));
  t.remote.call(SYS.close, low);
  const [ours, theirsHere] = native.socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const placeholders: number[] = [];
  let carrier: { ours: number; theirs: number } | undefined;
  try {
    const lowCarrier = Number(t.remote.call(SYS.pidfd_getfd, pidfd, theirsHere, 0));
    carrier = { ours, theirs: Number(t.remote.call(SYS.fcntl, lowCarrier, F_DUPFD_CLOEXEC, top)) };
    t.remote.call(SYS.close, lowCarrier);
    // The lowest free number of the task's table: runs of fds starting there arrive in one go.
    let next = 0;
    for (let i = 0; i < sorted.length;) {
      const fi = sorted[i];
      if (fi.fd > next && fi.fd - next <= GAP_FILL_MAX) {
        for (; next < fi.fd; next++) placeholders.push(Number(t.remote.call(SYS.dup3, carrier.theirs, next, O_CLOEXEC)));
      }
      if (fi.fd === next) {
        const cloexec = (fi.flags & FD_CLOEXEC) !== 0;
        let n = 1;
        while (i + n < sorted.length && n < FDS_PER_MESSAGE && sorted[i + n].fd === fi.fd + n && ((sorted[i + n].flags & FD_CLOEXEC) !== 0) === cloexec) n++;
        const run = sorted.slice(i, i + n);
        const got = receiveRun(t, carrier, run.map((r) => opened.get(r.id)!.fd), cloexec);
        got.forEach((g, k) => { if (g !== run[k].fd) throw new AmberError(`fd ${run[k].fd} arrived as ${g}`); });
        next += n;
        i += n;
        continue;
      }
      // Far from the lowest free number: one by one.
      const got = Number(t.remote.call(SYS.pidfd_getfd, pidfd, opened.get(fi.id)!.fd, 0));
      const cloexec = fi.flags & FD_CLOEXEC ? O_CLOEXEC : 0;
      if (got !== fi.fd) {
        t.remote.call(SYS.dup3, got, fi.fd, cloexec);
        t.remote.call(SYS.close, got);
      } else if (!cloexec) {
        t.remote.call(SYS.fcntl, got, 2 /* F_SETFD */, 0);
      }
      if (got === next) next++;
      i++;
    }
    const positioned = new Set<number>();
    for (const fi of sorted) {
      const o = opened.get(fi.id)!;
      if (!positioned.has(fi.id) && hasAsync(files.get(fi.id)!) && !mutated('skip-fown')) {
        const fl = t.remote.call(SYS.fcntl, fi.fd, F_GETFL);
        t.remote.call(SYS.fcntl, fi.fd, F_SETFL, fl | BigInt(O_ASYNC));
      }
      if (o.pos !== undefined && o.pos !== 0n && !positioned.has(fi.id) && !mutated('skip-file-offsets')) {
        t.remote.call(SYS.lseek, fi.fd, o.pos, SEEK_SET);
      }
      positioned.add(fi.id);
    }
  } finally {
    for (const fd of placeholders) t.remote.call(SYS.close, fd);
    if (carrier) t.remote.call(SYS.close, carrier.theirs);
    t.remote.call(SYS.close, pidfd);
    fs.closeSync(ours);
    fs.closeSync(theirsHere);
  }
  for (const fi of fdinfo) {
    if (registered.has(fi.id)) continue;
    const f = files.get(fi.id)!;
    const kind = kindForType(f.type);
    if (!kind?.afterInstall) continue;
    registered.add(fi.id);
    kind.afterInstall(f, fi.fd, t, ctx);
  }
}
