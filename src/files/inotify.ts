/**
 * inotify (inotify_file_entry with its inotify_wd_entry list): every watch comes from fdinfo
 * (`inotify wd:HEX ino:HEX sdev:HEX mask:HEX ignored_mask:HEX fhandle-bytes:.. fhandle-type:..
 * f_handle:HEX`). Events still queued cannot be read without taking them from the task (there is
 * no peek), so a non-empty queue (FIONREAD) refuses the dump rather than losing them.
 *
 * Restore: inotify_init1 in the restorer; the watched inodes are reopened at once (O_PATH, by
 * handle: no event, and a missing file fails the restore early), the watches are added only when
 * the tree is about to run, so that nothing the restore itself does (opening the task's files,
 * mapping its libraries) can be reported to them. Each watch gets its dumped wd through
 * INOTIFY_IOC_SETNEXTWD (present wherever amber runs: it needs CONFIG_CHECKPOINT_RESTORE for
 * kcmp and PR_SET_MM_MAP already), so no throwaway watch and no IN_IGNORED is ever queued.
 */
import * as fs from 'node:fs';
import { native } from '../native';
import { Entry, FILES_IMG } from '../images';
import { ImageError, UnsupportedError } from '../errors';
import { fhEntry, openHandle, parseHandle, pathOfFd, reopenWatched } from './fhandle';
import { FdType, FileDumpContext, FileKind, FileRestoreContext, NO_FOWN, OpenFd } from './types';
import { mutated } from '../mutant';

const O_NONBLOCK = 0o4000, O_CLOEXEC = 0o2000000;
const IN_CLOEXEC = O_CLOEXEC;
const IN_ALL_EVENTS = 0xfff, IN_UNMOUNT = 0x2000;
const FIONREAD = 0x541b;
const WATCH = /^inotify wd:([0-9a-f]+)\s+ino:([0-9a-f]+)\s+sdev:([0-9a-f]+)\s+mask:([0-9a-f]+)\s+ignored_mask:([0-9a-f]+)/i;

/** The dumper's own fds (in flight) are used as they are; a task's are duplicated. */
export function dumperFd(f: OpenFd, ctx: FileDumpContext): number {
  return f.pid === process.pid ? f.fd : ctx.grabFd(f.pid, f.fd);
}

/** Refuses a notification fd with unread events: they would be lost. */
export function refuseQueued(f: OpenFd, ctx: FileDumpContext, what: string): void {
  const queued = native.ioctlInt(dumperFd(f, ctx), FIONREAD);
  if (queued > 0) throw new UnsupportedError(f.pid, `fd ${f.fd} (${f.link})`, `${queued} bytes of ${what} events not read yet: they cannot be read without being taken from the task`);
}

/**
 * Checks in the dumper that the inode behind a watch's handle can be opened again and finds its
 * path now (kept as a fallback): throws UnsupportedError naming the watch.
 */
export function checkHandle(f: OpenFd, what: string, line: string, sdev: number, ino: bigint): Entry {
  const h = parseHandle(line);
  if (!h) throw new UnsupportedError(f.pid, `fd ${f.fd} (${f.link})`, `${what}: the kernel gives no file handle for inode ${ino} (its filesystem cannot encode one)`);
  let fd: number;
  try {
    fd = openHandle(sdev, h);
  } catch (e) {
    throw new UnsupportedError(f.pid, `fd ${f.fd} (${f.link})`, `${what}: inode ${ino} cannot be opened by its file handle: ${(e as Error).message}`);
  }
  try {
    return fhEntry(h, pathOfFd(fd, ino));
  } finally {
    fs.closeSync(fd);
  }
}

export function parseWatches(f: OpenFd, id: number): Entry[] {
  const out: Entry[] = [];
  for (const line of f.info.text.split('\n')) {
    if (!line.startsWith('inotify ')) continue;
    const m = WATCH.exec(line);
    if (!m) throw new UnsupportedError(f.pid, `fd ${f.fd} (${f.link})`, `unreadable watch in fdinfo: ${line}`);
    const wd = parseInt(m[1], 16), i_ino = BigInt('0x' + m[2]), s_dev = parseInt(m[3], 16);
    out.push({
      id, wd, i_ino, s_dev, mask: parseInt(m[4], 16), ignored_mask: parseInt(m[5], 16),
      f_handle: checkHandle(f, `watch ${wd}`, line, s_dev, i_ino),
    });
  }
  return out.sort((a, b) => a.wd - b.wd);
}

/** Closes the fds of `fds` and empties it (a cleanup that runs again closes nothing). */
export function closeAll(fds: number[]): void {
  for (const fd of fds.splice(0)) {
    try { fs.closeSync(fd); } catch { /* closed */ }
  }
}

/** O_PATH fds of every target, in order; the restore fails (naming the file) when one is gone. */
export function reopenTargets(entryId: number, kind: string, targets: { s_dev: number; i_ino: bigint | number; f_handle: Entry; label: string }[], ctx: FileRestoreContext): number[] {
  const fds: number[] = [];
  ctx.onCleanup(() => closeAll(fds));
  for (const t of targets) {
    try {
      fds.push(reopenWatched(t.s_dev, BigInt(t.i_ino), t.f_handle));
    } catch (e) {
      closeAll(fds);
      throw new ImageError(FILES_IMG, entryId, `${kind} ${t.label}: ${(e as Error).message}`);
    }
  }
  return fds;
}

function addWatches(fd: number, id: number, watches: Entry[], targets: number[], ctx: FileRestoreContext): void {
  if (mutated('skip-inotify-watches')) return;
  try {
    watches.forEach((w, i) => {
      native.inotifySetNextWd(fd, w.wd);
      // A watch whose events fdinfo does not show was added with only IN_UNMOUNT-like bits.
      const mask = (w.mask & IN_ALL_EVENTS ? w.mask : w.mask | IN_UNMOUNT) >>> 0;
      const got = native.inotifyAddWatch(fd, `/proc/self/fd/${targets[i]}`, mask);
      if (got !== w.wd) throw new ImageError(FILES_IMG, id, `inotify watch ${w.wd} was given wd ${got} (INOTIFY_IOC_SETNEXTWD not honoured, or one inode watched twice)`);
      ctx.log.debug(`inotify file ${id}: watch ${w.wd} on inode ${w.i_ino} mask ${w.mask.toString(16)}`);
    });
  } finally {
    closeAll(targets);
  }
}

export const inotify: FileKind = {
  name: 'inotify',
  type: FdType.INOTIFY,
  matches: (f: OpenFd) => f.link === 'anon_inode:inotify',
  dump(f: OpenFd, id: number, ctx: FileDumpContext) {
    refuseQueued(f, ctx, 'inotify');
    return { type: FdType.INOTIFY, id, ify: { id, flags: f.info.flags & ~O_CLOEXEC, fown: NO_FOWN, wd: parseWatches(f, id) } };
  },
  open(entry: Entry, ctx: FileRestoreContext) {
    const e = entry.ify;
    const watches: Entry[] = [...(e.wd ?? [])].sort((a, b) => a.wd - b.wd);
    const targets = reopenTargets(entry.id, 'inotify watch', watches.map((w) => ({ s_dev: w.s_dev, i_ino: w.i_ino, f_handle: w.f_handle, label: String(w.wd) })), ctx);
    const fd = native.inotifyInit1(IN_CLOEXEC | (e.flags & O_NONBLOCK));
    ctx.onResume(() => addWatches(fd, entry.id, watches, targets, ctx));
    return { fd };
  },
};
