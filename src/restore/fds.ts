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
import { CallBatch, slotSize } from '../task/call-batch';

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
const AF_UNIX = 1, SOCK_DGRAM = 2, SOCK_CLOEXEC = 0o2000000, MSG_CMSG_CLOEXEC = 0x40000000, MSG_DONTWAIT = 0x40;
const F_SETFD = 2;
/** SCM_MAX_FD: the most fds one message carries. */
const FDS_PER_MESSAGE = 253;
/** A gap in the fd numbers this small is filled with placeholders, so runs go on after it. */
const GAP_FILL_MAX = 64;
/** The control buffer of one message of FDS_PER_MESSAGE fds (cmsghdr + fds, with room to spare). */
const CONTROL_LEN = 16 + 4 * FDS_PER_MESSAGE + 16;
/** What one message's recvmsg takes of a batch's data: its byte, iovec, control and msghdr. */
const MESSAGE_DATA = slotSize(1) + slotSize(16) + slotSize(CONTROL_LEN) + slotSize(56);
/**
 * Messages sent ahead of one batch of recvmsgs. The carrier is a socketpair, so the receiver's
 * queue has no length limit (max_dgram_qlen does not apply to one's own peer), and 32 small
 * skbs stay far below its send buffer: sendmsg never blocks.
 */
const MESSAGES_PER_BATCH = 32;

/** One message on its way: the fds it carries (theirs) and where its control buffer lands. */
interface InFlight { run: Entry[]; control: bigint }

/**
 * Puts a recvmsg of one run of fds into the batch, after the restorer has sent the run over the
 * carrier with SCM_RIGHTS: they land on the task's lowest free numbers, which the caller made
 * the run's own. The run comes with MSG_CMSG_CLOEXEC when most of its fds want close-on-exec;
 * an fcntl in the same batch sets the flag of each of the others.
 */
function queueRun(b: CallBatch, carrier: { ours: number; theirs: number }, run: Entry[], opened: Map<number, OpenedFile>): InFlight {
  native.sendmsg(carrier.ours, Buffer.from([0]), null, buildControl(run.map((r) => opened.get(r.id)!.fd)), MSG_DONTWAIT);
  const wantsCloexec = (fi: Entry) => (fi.flags & FD_CLOEXEC) !== 0;
  const cloexec = 2 * run.filter(wantsCloexec).length > run.length;
  const byte = b.put(Buffer.alloc(1));
  const iov = Buffer.alloc(16);
  iov.writeBigUInt64LE(byte, 0);
  iov.writeBigUInt64LE(1n, 8);
  const iovAt = b.put(iov);
  const control = b.put(Buffer.alloc(CONTROL_LEN));
  const msg = Buffer.alloc(56);
  msg.writeBigUInt64LE(iovAt, 16);
  msg.writeBigUInt64LE(1n, 24);
  msg.writeBigUInt64LE(control, 32);
  msg.writeBigUInt64LE(BigInt(CONTROL_LEN), 40);
  b.call(SYS_recvmsg, carrier.theirs, b.put(msg), cloexec ? MSG_CMSG_CLOEXEC : 0);
  for (const fi of run) if (wantsCloexec(fi) !== cloexec) b.call(SYS.fcntl, fi.fd, F_SETFD, wantsCloexec(fi) ? FD_CLOEXEC : 0);
  return { run, control };
}

/** Runs the batch, then checks that every run of it arrived whole on its own numbers. */
function runAndCheck(t: Injected, b: CallBatch, inFlight: InFlight[]): void {
  b.run();
  for (const { run, control } of inFlight) {
    const got = parseControl(t.mem.read(control, CONTROL_LEN)).fds;
    if (got.length !== run.length) throw new AmberError(`received ${got.length} of ${run.length} fds in one message`);
    got.forEach((g, k) => { if (g !== run[k].fd) throw new AmberError(`fd ${run[k].fd} arrived as ${g}`); });
  }
  inFlight.length = 0;
}

/** Closes all the task's fds, then installs the table, then the kinds' after-install state. */
export function installFds(t: Injected, fdinfo: Entry[], opened: Map<number, OpenedFile>, files: Map<number, Entry>, ctx: FileRestoreContext, registered: Set<number>): void {
  const sorted = [...fdinfo].sort((a, b) => a.fd - b.fd);
  const top = sorted.reduce((m, f) => Math.max(m, f.fd), 2) + 1;
  const [ours, theirsHere] = native.socketpair(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
  const placeholders: number[] = [];
  let carrier: { ours: number; theirs: number } | undefined;
  let pidfd: number | undefined;
  const b = new CallBatch(t);
  try {
    // One stop: with the table emptied, each new fd is 0 until moved above the table to be, so
    // every number is known in advance: a pidfd of the restorer at top, the carrier at top + 1.
    const r = t.remote.callBatch([
      { nr: SYS.close_range, args: [0, 0xffffffff, 0] },
      { nr: SYS.pidfd_open, args: [process.pid, 0] },
      { nr: SYS.fcntl, args: [0, F_DUPFD_CLOEXEC, top] },
      { nr: SYS.close, args: [0] },
      { nr: SYS.pidfd_getfd, args: [top, theirsHere, 0] },
      { nr: SYS.fcntl, args: [0, F_DUPFD_CLOEXEC, top] },
      { nr: SYS.close, args: [0] },
    ]);
    if (r[1] !== 0n || r[2] !== BigInt(top) || r[4] !== 0n || r[5] !== BigInt(top + 1)) {
      throw new AmberError(`the emptied fd table gave fds ${r[1]}, ${r[2]}, ${r[4]}, ${r[5]} (expected 0, ${top}, 0, ${top + 1})`);
    }
    pidfd = top;
    carrier = { ours, theirs: top + 1 };
    // The lowest free number of the task's table: runs of fds starting there arrive in one
    // message, and up to MESSAGES_PER_BATCH messages (with the placeholders before each) in one
    // stop. Only a lone fd far above the rest is taken on its own.
    const inFlight: InFlight[] = [];
    let next = 0;
    for (let i = 0; i < sorted.length;) {
      const fi = sorted[i];
      if (fi.fd > next && fi.fd - next <= GAP_FILL_MAX) {
        for (; next < fi.fd; next++) {
          b.call(SYS.dup3, carrier.theirs, next, O_CLOEXEC);
          placeholders.push(next);
        }
      }
      if (fi.fd === next) {
        let n = 1;
        while (i + n < sorted.length && n < FDS_PER_MESSAGE && sorted[i + n].fd === fi.fd + n) n++;
        if (inFlight.length === MESSAGES_PER_BATCH || !b.fits(MESSAGE_DATA)) runAndCheck(t, b, inFlight);
        inFlight.push(queueRun(b, carrier, sorted.slice(i, i + n), opened));
        next += n;
        i += n;
        continue;
      }
      // Far from the lowest free number: one by one, after what is queued.
      runAndCheck(t, b, inFlight);
      const got = Number(t.remote.call(SYS.pidfd_getfd, pidfd, opened.get(fi.id)!.fd, 0));
      const cloexec = fi.flags & FD_CLOEXEC ? O_CLOEXEC : 0;
      if (got !== fi.fd) {
        t.remote.call(SYS.dup3, got, fi.fd, cloexec);
        t.remote.call(SYS.close, got);
      } else if (!cloexec) {
        t.remote.call(SYS.fcntl, got, F_SETFD, 0);
      }
      if (got === next) next++;
      i++;
    }
    runAndCheck(t, b, inFlight);
    // Then each open file description's offset, once per description, in batches.
    const positioned = new Set<number>();
    for (const fi of sorted) {
      const o = opened.get(fi.id)!;
      if (!positioned.has(fi.id) && hasAsync(files.get(fi.id)!) && !mutated('skip-fown')) {
        b.run();
        const fl = t.remote.call(SYS.fcntl, fi.fd, F_GETFL);
        t.remote.call(SYS.fcntl, fi.fd, F_SETFL, fl | BigInt(O_ASYNC));
      }
      if (o.pos !== undefined && o.pos !== 0n && !positioned.has(fi.id) && !mutated('skip-file-offsets')) {
        b.call(SYS.lseek, fi.fd, o.pos, SEEK_SET);
      }
      positioned.add(fi.id);
    }
    b.run();
  } finally {
    // After a failure the batch may hold calls that never ran: drop them; close what is ours.
    b.discard();
    for (const fd of placeholders) b.call(SYS.close, fd);
    if (carrier) b.call(SYS.close, carrier.theirs);
    if (pidfd !== undefined) b.call(SYS.close, pidfd);
    try { t.remote.rawBatch(b.calls); } finally { b.discard(); }
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
