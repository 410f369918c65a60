/**
 * File handles of inotify watches and fanotify inode marks (fh_entry): fdinfo shows each
 * watched inode as a handle of its filesystem (`fhandle-bytes:N fhandle-type:T f_handle:HEX`),
 * reopened at restore with open_by_handle_at (root's CAP_DAC_READ_SEARCH) as an O_PATH fd, whose
 * /proc/self/fd/N names the object to watch again.
 *
 * No fsnotify event may come from this: an O_PATH open makes none, but open_by_handle_at wants
 * a non-O_PATH fd of the mount, and opening a directory is an IN_OPEN on it (and IN_CLOSE_NOWRITE
 * later). So the anchor is AT_FDCWD: the process moves its cwd to the mount for the one call
 * (chdir notifies no one) and back.
 */
import * as fs from 'node:fs';
import { native } from '../native';
import { Entry } from '../images';
import { devName, FileHandle, handleOf } from './fh-entry';

export { devName, fhEntry, handleOf, parseHandle } from './fh-entry';
export type { FileHandle } from './fh-entry';

const AT_FDCWD = -100;
const O_PATH = 0o10000000, O_CLOEXEC = 0o2000000;

interface Mount { id: number; dev: string; root: string; point: string }

/** mountinfo's octal escapes (\040 for a space...). */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function readMounts(pid: number | 'self'): Mount[] {
  return fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').filter(Boolean).map((line) => {
    const f = line.split(' ');
    return { id: Number(f[0]), dev: f[2], root: unescape(f[3]), point: unescape(f[4]) };
  });
}

/** Where this process sees the mount with this id (fanotify mount marks), or undefined. */
export function mountPointOf(pid: number, mntId: number): string | undefined {
  return readMounts(pid === process.pid ? 'self' : pid).find((m) => m.id === mntId)?.point;
}

/** A mount of the filesystem `sdev` in this process's view, preferring one of its root. */
function mountOfDev(sdev: number): string | undefined {
  const dev = devName(sdev);
  const all = readMounts('self').filter((m) => m.dev === dev);
  return (all.find((m) => m.root === '/') ?? all[0])?.point;
}

/** An O_PATH fd of the inode behind the handle (throws SysError), without any fsnotify event. */
export function openHandle(sdev: number, h: FileHandle): number {
  const point = mountOfDev(sdev);
  if (point === undefined) throw new Error(`no mount of device ${devName(sdev)} here`);
  const back = process.cwd();
  process.chdir(point);
  try {
    return native.openByHandleAt(AT_FDCWD, h.type, h.bytes, O_PATH | O_CLOEXEC);
  } finally {
    process.chdir(back);
  }
}

/** The path an O_PATH fd has now, when it is an absolute one that still names the same inode. */
export function pathOfFd(fd: number, ino: bigint): string | undefined {
  try {
    const p = fs.readlinkSync(`/proc/self/fd/${fd}`);
    if (!p.startsWith('/') || p.endsWith(' (deleted)')) return undefined;
    return BigInt(fs.statSync(p, { bigint: true }).ino) === ino ? p : undefined;
  } catch {
    return undefined;
  }
}

/**
 * An O_PATH fd of a watched inode at restore: by its handle, else by the path recorded at dump
 * if that still is the same inode number. Throws with both reasons.
 */
export function reopenWatched(sdev: number, ino: bigint, fh: Entry): number {
  let why: string;
  try {
    return openHandle(sdev, handleOf(fh));
  } catch (e) {
    why = (e as Error).message;
  }
  if (fh.path) {
    try {
      const st = fs.statSync(fh.path, { bigint: true });
      if (st.ino === ino) return fs.openSync(fh.path, O_PATH | O_CLOEXEC);
      why += `; ${fh.path} is inode ${st.ino} now, not ${ino}`;
    } catch (e) {
      why += `; ${fh.path}: ${(e as Error).message}`;
    }
  }
  throw new Error(`inode ${ino} of device ${devName(sdev)} cannot be found: ${why}`);
}
