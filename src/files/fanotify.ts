/**
 * fanotify (fanotify_file_entry with its fanotify_mark_entry list): fdinfo gives the group
 * (`fanotify flags:HEX event-flags:HEX`) and each mark, on an inode (`fanotify ino:.. sdev:..
 * mflags:.. mask:.. ignored_mask:.. fhandle-bytes:.. fhandle-type:.. f_handle:..`) or a mount
 * (`fanotify mnt_id:.. mflags:.. mask:.. ignored_mask:..`, kept with the mount point the task
 * sees). Filesystem and mount-namespace marks have no CRIU image and are refused, as are events
 * still queued (FIONREAD counts unread permission events too). A permission event already read
 * but not answered cannot be seen from outside: the kernel allows it when the dumped group goes.
 *
 * Restore: fanotify_init in the restorer with the dumped flags, inodes reopened at once (O_PATH
 * by handle), marks added only when the tree is about to run, so that the restore's own opens
 * (the task's files, its libraries) are not reported to the group, and no permission event can
 * stop the restorer while the listener is still frozen.
 */
import { native } from '../native';
import { Entry, FILES_IMG } from '../images';
import { ImageError, UnsupportedError } from '../errors';
import { mountPointOf, readMounts } from './fhandle';
import { checkHandle, closeAll, refuseQueued, reopenTargets } from './inotify';
import { FdType, FileDumpContext, FileKind, FileRestoreContext, NO_FOWN, OpenFd } from './types';

const O_NONBLOCK = 0o4000, O_CLOEXEC = 0o2000000;
const F_SETFD = 2, F_SETFL = 4, FD_CLOEXEC = 1;
const AT_FDCWD = -100;
const FAN_CLASS_MASK = 0xc;
const FAN_MARK_ADD = 0x1, FAN_MARK_MOUNT = 0x10, FAN_MARK_IGNORED_MASK = 0x20, FAN_MARK_IGNORED_SURV_MODIFY = 0x40;
const FAN_MARK_EVICTABLE = 0x200, FAN_MARK_IGNORE = 0x400;
export const MARK_INODE = 1, MARK_MOUNT = 2;

const GROUP = /^fanotify flags:([0-9a-f]+)\s+event-flags:([0-9a-f]+)/i;
const INODE = /^fanotify ino:([0-9a-f]+)\s+sdev:([0-9a-f]+)\s+mflags:([0-9a-f]+)\s+mask:([0-9a-f]+)\s+ignored_mask:([0-9a-f]+)/i;
const MOUNT = /^fanotify mnt_id:([0-9a-f]+)\s+mflags:([0-9a-f]+)\s+mask:([0-9a-f]+)\s+ignored_mask:([0-9a-f]+)/i;

function parseMarks(f: OpenFd, id: number): Entry[] {
  const res = `fd ${f.fd} (${f.link})`;
  const marks: Entry[] = [];
  for (const line of f.info.text.split('\n')) {
    if (!line.startsWith('fanotify ') || GROUP.test(line)) continue;
    let m = INODE.exec(line);
    if (m) {
      const i_ino = BigInt('0x' + m[1]), s_dev = parseInt(m[2], 16);
      marks.push({
        id, type: MARK_INODE, mflags: parseInt(m[3], 16), mask: parseInt(m[4], 16), ignored_mask: parseInt(m[5], 16), s_dev,
        ie: { i_ino, f_handle: checkHandle(f, `mark on inode ${i_ino}`, line, s_dev, i_ino) },
      });
      continue;
    }
    m = MOUNT.exec(line);
    if (m) {
      const mnt_id = parseInt(m[1], 16);
      const path = mountPointOf(f.pid, mnt_id);
      if (path === undefined) throw new UnsupportedError(f.pid, res, `mark on mount ${mnt_id}, which the task does not see in its mountinfo`);
      marks.push({ id, type: MARK_MOUNT, mflags: parseInt(m[2], 16), mask: parseInt(m[3], 16), ignored_mask: parseInt(m[4], 16), s_dev: 0, me: { mnt_id, path } });
      continue;
    }
    const what = /^fanotify sdev:/.test(line) ? 'a filesystem mark (FAN_MARK_FILESYSTEM)' : /^fanotify mnt_ns:/.test(line) ? 'a mount-namespace mark (FAN_MARK_MNTNS)' : 'a mark amber cannot read';
    throw new UnsupportedError(f.pid, res, `${what} is not supported: ${line.trim()}`);
  }
  return marks;
}

function addMarks(fd: number, id: number, marks: Entry[], targets: Map<Entry, number>, opened: number[], ctx: FileRestoreContext): void {
  try {
    for (const m of marks) {
      const inode = m.type === MARK_INODE;
      const where = inode ? `/proc/self/fd/${targets.get(m)}` : m.me.path;
      const how = FAN_MARK_ADD | (inode ? 0 : FAN_MARK_MOUNT) | (m.mflags & FAN_MARK_EVICTABLE);
      const label = inode ? `inode ${m.ie.i_ino}` : `mount ${m.me.path}`;
      try {
        if (m.mask) native.fanotifyMark(fd, how, BigInt(m.mask >>> 0), AT_FDCWD, where);
        if (m.ignored_mask) {
          const ignore = (m.mflags & FAN_MARK_IGNORE ? FAN_MARK_IGNORE : FAN_MARK_IGNORED_MASK) | (m.mflags & FAN_MARK_IGNORED_SURV_MODIFY);
          native.fanotifyMark(fd, how | ignore, BigInt(m.ignored_mask >>> 0), AT_FDCWD, where);
        }
      } catch (e) {
        throw new ImageError(FILES_IMG, id, `fanotify mark on ${label}: ${(e as Error).message}`);
      }
      ctx.log.debug(`fanotify file ${id}: mark on ${label} mask ${m.mask.toString(16)} ignored ${m.ignored_mask.toString(16)}`);
    }
  } finally {
    closeAll(opened);
  }
}

export const fanotify: FileKind = {
  name: 'fanotify',
  type: FdType.FANOTIFY,
  matches: (f: OpenFd) => f.link === 'anon_inode:[fanotify]',
  dump(f: OpenFd, id: number, ctx: FileDumpContext) {
    const g = GROUP.exec(f.info.text.split('\n').find((l) => l.startsWith('fanotify flags:')) ?? '');
    if (!g) throw new UnsupportedError(f.pid, `fd ${f.fd} (${f.link})`, 'no "fanotify flags:" row in fdinfo');
    refuseQueued(f, ctx, 'fanotify');
    const faflags = parseInt(g[1], 16), evflags = parseInt(g[2], 16);
    if (faflags & FAN_CLASS_MASK) ctx.log.warn(`task ${f.pid} fd ${f.fd}: fanotify group of a permission class: an event already read but not answered cannot be seen, and is allowed by the kernel when the dumped group goes`);
    return { type: FdType.FANOTIFY, id, ffy: { id, flags: f.info.flags & ~O_CLOEXEC, fown: NO_FOWN, faflags, evflags, mark: parseMarks(f, id) } };
  },
  open(entry: Entry, ctx: FileRestoreContext) {
    const e = entry.ffy;
    const marks: Entry[] = e.mark ?? [];
    const inodes = marks.filter((m) => m.type === MARK_INODE);
    const fds = reopenTargets(entry.id, 'fanotify mark on inode', inodes.map((m) => ({ s_dev: m.s_dev, i_ino: m.ie.i_ino, f_handle: m.ie.f_handle, label: String(m.ie.i_ino) })), ctx);
    const targets = new Map(inodes.map((m, i) => [m, fds[i]]));
    const mounts = new Set(readMounts('self').map((m) => m.point));
    for (const m of marks) {
      if (m.type === MARK_MOUNT && !mounts.has(m.me.path)) {
        closeAll(fds);
        throw new ImageError(FILES_IMG, entry.id, `fanotify mark on mount ${m.me.mnt_id}: nothing is mounted on ${m.me.path}`);
      }
      if (m.type !== MARK_MOUNT && m.type !== MARK_INODE) throw new ImageError(FILES_IMG, entry.id, `fanotify mark of type ${m.type} is not supported by this amber`);
    }
    // The group's flags as the task made it (FAN_CLOEXEC included or not); the restorer's copy is close-on-exec.
    const fd = native.fanotifyInit(e.faflags, e.evflags);
    native.fcntl(fd, F_SETFD, FD_CLOEXEC);
    native.fcntl(fd, F_SETFL, e.flags & O_NONBLOCK);
    ctx.onResume(() => addMarks(fd, entry.id, marks, targets, fds, ctx));
    return { fd };
  },
};
