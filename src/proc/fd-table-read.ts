/**
 * A task's open fds as /proc shows them (readlink and stat of /proc/PID/fd/FD, the text of
 * /proc/PID/fdinfo/FD), read in one native loop for the whole table: through Node's fs, each fd
 * cost three calls and 5-7 syscalls, a third of the dump of a 10,000-fd process.
 */
import { SysError } from '../errors';
import { native } from '../native';

const S_IFMT = 0o170000, S_IFREG = 0o100000, S_IFDIR = 0o040000, S_IFCHR = 0o020000;
const S_IFBLK = 0o060000, S_IFIFO = 0o010000, S_IFSOCK = 0o140000, S_IFLNK = 0o120000;

/** What a dump reads of an open file's stat: the fields of fs.Stats it uses, same encoding. */
export interface FileStat {
  dev: number;
  ino: number;
  mode: number;
  nlink: number;
  uid: number;
  gid: number;
  rdev: number;
  size: number;
  isFile(): boolean;
  isDirectory(): boolean;
  isCharacterDevice(): boolean;
  isBlockDevice(): boolean;
  isFIFO(): boolean;
  isSocket(): boolean;
  isSymbolicLink(): boolean;
}

class FdStat implements FileStat {
  constructor(
    readonly dev: number, readonly ino: number, readonly mode: number, readonly nlink: number,
    readonly uid: number, readonly gid: number, readonly rdev: number, readonly size: number,
  ) {}
  private is(type: number): boolean { return (this.mode & S_IFMT) === type; }
  isFile(): boolean { return this.is(S_IFREG); }
  isDirectory(): boolean { return this.is(S_IFDIR); }
  isCharacterDevice(): boolean { return this.is(S_IFCHR); }
  isBlockDevice(): boolean { return this.is(S_IFBLK); }
  isFIFO(): boolean { return this.is(S_IFIFO); }
  isSocket(): boolean { return this.is(S_IFSOCK); }
  isSymbolicLink(): boolean { return this.is(S_IFLNK); }
}

export interface RawOpenFd {
  fd: number;
  link: string;
  fdinfo: string;
  stat: FileStat;
}

const STEPS = ['', 'readlink /proc/PID/fd/FD', 'read /proc/PID/fdinfo/FD', 'stat /proc/PID/fd/FD'];

/** The fds' links, fdinfo texts and stats; an fd that cannot be read throws, naming it and the step. */
export function readFdTable(pid: number, fds: readonly number[]): RawOpenFd[] {
  const r = native.procFdTable(pid, fds as number[]);
  return fds.map((fd, i) => {
    const err = r.errors[2 * i];
    if (err) throw new SysError(err, `reading the fd table: ${STEPS[r.errors[2 * i + 1]]}`, pid, fd);
    const s = r.stats.subarray(8 * i, 8 * i + 8);
    return { fd, link: r.links[i], fdinfo: r.fdinfo[i], stat: new FdStat(s[0], s[1], s[2], s[3], s[4], s[5], s[6], s[7]) };
  });
}
