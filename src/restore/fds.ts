/**
 * Gives the restored task its fd table: each file is opened in the restorer by its kind's module,
 * then the task takes it with injected pidfd_open(restorer) + pidfd_getfd, moved to its number
 * with dup3. One open file description shared by several fds is opened once.
 */
import * as fs from 'node:fs';
import { SYS } from '../arch/x86_64/syscalls';
import { ImageError } from '../errors';
import { Entry, FILES_IMG } from '../images';
import { kindForType } from '../files/registry';
import { FileRestoreContext, OpenedFile } from '../files/types';
import { FD_CLOEXEC } from '../files/fd-table';
import { F_GETFL, F_SETFL, hasAsync, O_ASYNC, restoreFown, subMessage } from '../files/fown';
import { Injected } from '../task/injected';
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
      const kind = kindForType(f.type);
      if (!kind) throw new ImageError(FILES_IMG, f.id, `file type ${f.type} of fd ${fi.fd} is not supported by this amber`);
      const o = kind.open(f, ctx);
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

/** Closes all the task's fds, then installs the table, then the kinds' after-install state. */
export function installFds(t: Injected, fdinfo: Entry[], opened: Map<number, OpenedFile>, files: Map<number, Entry>, ctx: FileRestoreContext, registered: Set<number>): void {
  t.remote.call(SYS.close_range, 0, 0xffffffff, 0);
  const top = fdinfo.reduce((m, f) => Math.max(m, f.fd), 2) + 1;
  const low = Number(t.remote.call(SYS.pidfd_open, process.pid, 0));
  const pidfd = Number(t.remote.call(SYS.fcntl, low, F_DUPFD_CLOEXEC, top));
  t.remote.call(SYS.close, low);
  const positioned = new Set<number>();
  try {
    for (const fi of fdinfo) {
      const o = opened.get(fi.id)!;
      const got = Number(t.remote.call(SYS.pidfd_getfd, pidfd, o.fd, 0));
      const cloexec = fi.flags & FD_CLOEXEC ? O_CLOEXEC : 0;
      if (got !== fi.fd) {
        t.remote.call(SYS.dup3, got, fi.fd, cloexec);
        t.remote.call(SYS.close, got);
      } else if (!cloexec) {
        t.remote.call(SYS.fcntl, got, 2 /* F_SETFD */, 0);
      }
      if (!positioned.has(fi.id) && hasAsync(files.get(fi.id)!) && !mutated('skip-fown')) {
        const fl = t.remote.call(SYS.fcntl, fi.fd, F_GETFL);
        t.remote.call(SYS.fcntl, fi.fd, F_SETFL, fl | BigInt(O_ASYNC));
      }
      if (o.pos !== undefined && o.pos !== 0n && !positioned.has(fi.id)) {
        t.remote.call(SYS.lseek, fi.fd, o.pos, SEEK_SET);
      }
      positioned.add(fi.id);
    }
  } finally {
    t.remote.call(SYS.close, pidfd);
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
