/** What every fd kind module sees and provides: its dump side and its open (restore) side. */
import type { FaultPlan } from '../fault';
import type { FileStat } from '../proc/fd-table-read';
import type { Entry, ImageKindName } from '../images';
import type { Injected } from '../task/injected';
import type { FdInfo } from '../proc/fdinfo';
import type { Logger } from '../log';
import type { LockMethod } from '../net/network-lock';
import type { ExternalFiles, InheritedFds } from './external';

/** CRIU's fd_types enum (fdinfo_entry.type, file_entry.type). */
export const FdType = {
  UND: 0, REG: 1, PIPE: 2, FIFO: 3, INETSK: 4, UNIXSK: 5, EVENTFD: 6, EVENTPOLL: 7, INOTIFY: 8,
  SIGNALFD: 9, PACKETSK: 10, TTY: 11, FANOTIFY: 12, NETLINKSK: 13, NS: 14, TUNF: 15, EXT: 16,
  TIMERFD: 17, MEMFD: 18, BPFMAP: 19,
  /** amber's own (CRIU 3.17 has no pidfd kind): see src/images/proto/pidfd.proto. */
  PIDFD: 1001,
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
  stat: FileStat;
}

/** CRIU's socket options of dump and restore. */
export interface SocketOptions {
  /** --tcp-established: carry established TCP connections (TCP_REPAIR). */
  tcpEstablished: boolean;
  /** --ext-unix-sk: a unix socket whose peer is outside the tree is reconnected by name. */
  extUnixSk: boolean;
  /** --tcp-close: restore established connections closed. */
  tcpClose: boolean;
  /** --skip-in-flight: leave out connections not yet accepted (TCP). */
  skipInFlight: boolean;
  /** --network-lock: how established connections are kept quiet between dump and restore. */
  networkLock: LockMethod;
}

export const NO_SOCKET_OPTIONS: SocketOptions = { tcpEstablished: false, extUnixSk: false, tcpClose: false, skipInFlight: false, networkLock: 'nftables' };

export interface FileDumpContext {
  /** The call's fault plan: each kind's dump is a fault point. */
  fault?: FaultPlan;
  shellJob: boolean;
  log: Logger;
  sockets: SocketOptions;
  /** The pid the dump was asked for (names the network lock). */
  rootPid: number;
  /** Every process of the frozen tree. */
  treePids: readonly number[];
  /** -l/--file-locks: held file locks are carried (else they fail the dump). */
  fileLocks: boolean;
  /** --link-remap: an unlinked open file still linked elsewhere is kept by a hard link, not copied (default false). */
  linkRemap?: boolean;
  /** -R: the tree runs on after the dump, so nothing may be taken from it. */
  leaveRunning: boolean;
  /** Per-dump memo of kernel tables (sock_diag dumps), by key. */
  cache: Map<string, unknown>;
  /** The task's fd duplicated into the dumper (pidfd_getfd); closed when the dump ends. */
  grabFd(pid: number, fd: number): number;
  /** Describes a file the dumper holds (an fd that was in flight in a socket) in files.img: its id. */
  dumpHeldFile(fd: number): number;
  /** Adds a file_entry that no fd holds (a peer outside the tree), made for its new id; returns the id. */
  addFileEntry(make: (id: number) => Entry): number;
  /** Runs once every process's fds are read, before images are written (cross-checks between files). */
  onFinish(fn: () => void): void;
  /** Runs when the dump lets the tree go: killed after a good dump without -R, resumed otherwise. */
  onRelease(fn: (killed: boolean) => void): void;
  /**
   * Runs after a good dump, once the tree is killed or running again: work that only makes a
   * message better (a scan of every process on the host), kept out of the frozen time.
   */
  afterRelease(fn: () => void): void;
  /** Runs when the dump fails, before the tree is resumed (undoing what the dump changed outside the images). */
  onAbort(fn: () => void): void;
  /** True the first time `key` is seen in this dump (for data dumped once per kernel object). */
  once(key: string): boolean;
  /** Adds an entry to an image written at the end of the dump (pipes-data.img...). */
  addImageEntry(file: string, kind: ImageKindName, entry: Entry): void;
  /** The images directory, for kinds that write file contents themselves (memfds, ghost files). */
  imagesDir: string;
  /** --ghost-limit: the most bytes of data an unlinked file may bring into the images. */
  ghostLimit: number;
  /** A pages-ID.img id that no process's pagemap uses (for memfd contents). */
  nextPagesId(): number;
  /** --external: open files left to the caller (external.ts). */
  externals?: ExternalFiles;
}

/** CRIU's default --ghost-limit: 1 MiB. */
export const DEFAULT_GHOST_LIMIT = 1 << 20;

export interface FileRestoreContext {
  /** The call's fault plan: each kind's open is a fault point (registry.ts openFile). */
  fault?: FaultPlan;
  shellJob: boolean;
  log: Logger;
  imagesDir: string;
  sockets: SocketOptions;
  rootPid: number;
  /** Every file_entry of files.img, by id. */
  files: Map<number, Entry>;
  /** Opens the file with this id in the restorer (an fd to put in flight); the caller closes it. */
  openFileById(id: number): number;
  /** Runs after every task holds its fds, just before the tree is let go (TCP repair off). */
  onResume(fn: () => void): void;
  /** The stub being restored with this pid, to run syscalls as that task (undefined: none). */
  taskFor(pid: number): Injected | undefined;
  /** Per-kind state of this restore (the restorer's ends of pipes...), by key. */
  shared: Map<string, unknown>;
  /** Runs when the restore ends, failed or not (closing what the restorer still holds). */
  onCleanup(fn: () => void): void;
  /** --inherit-fd: files the caller provides, by key (external.ts). */
  inherited?: InheritedFds;
}

export interface OpenedFile {
  fd: number;
  pos?: bigint;
}

export interface FileKind {
  /** Name used in logs and in the support table. */
  readonly name: string;
  readonly type: number;
  matches(f: OpenFd, ctx: FileDumpContext): boolean;
  /** Once per dump, before any fd is read: for state of the kind that no fd may show (a ctty). */
  beginDump?(ctx: FileDumpContext): void;
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
