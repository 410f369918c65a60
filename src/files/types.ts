/** What every fd kind module sees and provides: its dump side and its open (restore) side. */
import type { Stats } from 'node:fs';
import type { Entry, ImageKindName } from '../images';
import type { Injected } from '../task/injected';
import type { FdInfo } from '../proc/fdinfo';
import type { Logger } from '../log';

/** CRIU's fd_types enum (fdinfo_entry.type, file_entry.type). */
export const FdType = {
  UND: 0, REG: 1, PIPE: 2, FIFO: 3, INETSK: 4, UNIXSK: 5, EVENTFD: 6, EVENTPOLL: 7, INOTIFY: 8,
  SIGNALFD: 9, PACKETSK: 10, TTY: 11, FANOTIFY: 12, NETLINKSK: 13, NS: 14, TUNF: 15, EXT: 16,
  TIMERFD: 17, MEMFD: 18, BPFMAP: 19,
} as const;

/** fown_entry of a file with no F_SETOWN owner (amber does not record owners yet). */
export const NO_FOWN = { uid: 0, euid: 0, signum: 0, pid_type: 0, pid: 0 } as const;

/** One fd of a task being dumped, as /proc shows it. */
export interface OpenFd {
  pid: number;
  fd: number;
  /** readlink of /proc/PID/fd/FD: a path, or "pipe:[ino]", "socket:[ino]", "anon_inode:[eventfd]"... */
  link: string;
  info: FdInfo;
  /** stat of the open file (through /proc/PID/fd/FD). */
  stat: Stats;
}

export interface FileDumpContext {
  shellJob: boolean;
  log: Logger;
  /** True the first time `key` is seen in this dump (for data dumped once per kernel object). */
  once(key: string): boolean;
  /** Adds an entry to an image written at the end of the dump (pipes-data.img...). */
  addImageEntry(file: string, kind: ImageKindName, entry: Entry): void;
}

export interface FileRestoreContext {
  shellJob: boolean;
  log: Logger;
  imagesDir: string;
  /** Per-kind state of this restore (the restorer's ends of pipes...), by key. */
  shared: Map<string, unknown>;
  /** Runs when the restore ends, failed or not (closing what the restorer still holds). */
  onCleanup(fn: () => void): void;
}

export interface OpenedFile {
  fd: number;
  pos?: bigint;
}

export interface FileKind {
  /** Name used in logs and in the support table. */
  readonly name: string;
  readonly type: number;
  matches(f: OpenFd): boolean;
  /** The file_entry for files.img (type, id and the kind's own sub-message). Throws UnsupportedError. */
  dump(f: OpenFd, id: number, ctx: FileDumpContext): Entry;
  /**
   * Opens the file in the restorer; the caller hands the fd to the task, then closes it.
   * `pos` is set inside the task once it holds the file (Node has no lseek).
   */
  open(entry: Entry, ctx: FileRestoreContext): OpenedFile;
  /** Once every fd of the task is in place: state that refers to other fds (epoll interest lists). */
  afterInstall?(entry: Entry, taskFd: number, t: Injected, ctx: FileRestoreContext): void;
}
