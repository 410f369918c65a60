/**
 * The one module that loads the native addon and types it. Every function is one syscall
 * (or one tight loop); failures throw SysError with errno, syscall and pid/fd.
 * Search order (node-gyp-build's): build/Release (a source build), then prebuilds/<platform>-<arch>.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { SysError } from '../errors';

export interface RecvmsgResult {
  /** What recvmsg returned: with MSG_TRUNC the whole datagram's length, else the bytes in `data`. */
  n: number;
  data: Buffer;
  addr: Buffer;
  control: Buffer;
  flags: number;
}

export interface NativeAddon {
  setErrorClass(cls: new (errno: number, syscall: string, pid?: number, fd?: number) => Error): void;

  ptraceSeize(pid: number, options: number): void;
  ptraceInterrupt(pid: number): void;
  ptraceCont(pid: number, sig: number): void;
  ptraceSyscall(pid: number, sig: number): void;
  ptraceDetach(pid: number, sig: number): void;
  ptraceSetOptions(pid: number, options: number): void;
  ptraceGetRegset(pid: number, nt: number, maxSize: number): Buffer;
  ptraceSetRegset(pid: number, nt: number, data: Buffer): void;
  ptraceGetSigmask(pid: number): bigint;
  ptraceSetSigmask(pid: number, mask: bigint): void;
  ptraceGetRseqConfig(pid: number): Buffer;
  ptracePeekSiginfo(pid: number, offset: number, count: number, shared: boolean): Buffer;
  ptraceGetSiginfo(pid: number): Buffer;
  ptraceGetEventMsg(pid: number): bigint;
  ptraceSeccompGetFilter(pid: number, index: number): Buffer | null;

  waitpid(pid: number, flags: number): [number, number];
  kill(pid: number, sig: number): void;
  tgkill(tgid: number, tid: number, sig: number): void;
  /** execvp(file, argv): amber becomes the command (restore --exec-cmd); throws on failure. */
  execvp(file: string, argv: string[]): never;
  pidfdOpen(pid: number, flags: number): number;
  pidfdGetfd(pidfd: number, targetFd: number): number;
  prctl(option: number, a2?: number | bigint, a3?: number | bigint, a4?: number | bigint, a5?: number | bigint): number;
  /** kcmp(KCMP_EPOLL_TFD): pid1's fd1 against the toff-th target numbered tfd in pid2's epoll efd (0: same file). */
  kcmpEpollTfd(pid1: number, fd1: number, pid2: number, efd: number, tfd: number, toff: number): number;
  kcmp(pid1: number, pid2: number, type: number, idx1: number, idx2: number): number;
  /** CPUID leaf/subleaf of this CPU: [eax, ebx, ecx, edx]. */
  cpuid(leaf: number, subleaf: number): [number, number, number, number];
  /** sibling: CLONE_PARENT (the stub is a child of this process's parent), seized instead of PTRACE_TRACEME. */
  cloneStub(tids: number[], scratch: bigint, scratchLen: number, code: Buffer, sibling?: boolean): number;

  pipe2(flags: number): [number, number];
  tee(fdIn: number, fdOut: number, len: number, flags: number): number;
  fcntl(fd: number, cmd: number, arg: number): number;
  lseek(fd: number, offset: bigint, whence: number): bigint;
  /** fcntl with a struct f_owner_ex (8 bytes: type, pid) read or written in place. */
  fcntlOwnerEx(fd: number, cmd: number, owner: Buffer): void;
  eventfd(initval: number, flags: number): number;
  epollCreate(flags: number): number;
  /** signalfd4(-1, mask, 8, flags): a signalfd for the signals of a 64-bit mask (bit n-1: signal n). */
  signalfd(mask: bigint, flags: number): number;
  timerfdCreate(clockid: number, flags: number): number;
  /** timerfd_settime with the value (relative, or absolute with TFD_TIMER_ABSTIME; 0n disarms) and interval in ns. */
  timerfdSettime(fd: number, flags: number, valueNs: bigint, intervalNs: bigint): void;
  /** timerfd_gettime: [time left, interval] in ns. */
  timerfdGettime(fd: number): [bigint, bigint];
  clockGettime(clockid: number): bigint;
  /** ioctl(fd, request, &value) for an _IOW(type, nr, u64) request (TFD_IOC_SET_TICKS). */
  ioctlSetU64(fd: number, request: number, value: bigint): void;

  socket(domain: number, type: number, protocol: number): number;
  socketpair(domain: number, type: number, protocol: number): [number, number];
  bind(fd: number, addr: Buffer): void;
  connect(fd: number, addr: Buffer): void;
  listen(fd: number, backlog: number): void;
  accept4(fd: number, flags: number): number;
  shutdown(fd: number, how: number): void;
  getsockopt(fd: number, level: number, name: number, maxLen: number): Buffer;
  /** readlink, fdinfo text and stat of /proc/PID/fd/FD for each fd (src/proc/fd-table-read.ts). */
  procFdTable(pid: number, fds: number[]): { links: string[]; fdinfo: string[]; stats: Float64Array; errors: Int32Array };
  /** getsockopt of several int options of one level: [value, errno (0: none)] per name. */
  getsockoptInts(fd: number, level: number, names: number[]): Int32Array;
  setsockopt(fd: number, level: number, name: number, value: Buffer): void;
  getsockname(fd: number): Buffer;
  getpeername(fd: number): Buffer;
  sendmsg(fd: number, data: Buffer, addr: Buffer | null, control: Buffer | null, flags: number): number;
  recvmsg(fd: number, dataLen: number, controlLen: number, flags: number): RecvmsgResult;
  ioctlInt(fd: number, request: number): number;
  /** SO_GET_FILTER: the attached classic BPF program, 8 bytes an instruction (empty: none). */
  getFilter(fd: number): Buffer;
  attachFilter(fd: number, program: Buffer): void;

  /** A terminal get ioctl (TCGETS2, TIOCGLCKTRMIOS, TIOCGWINSZ): the struct the kernel wrote. */
  ttyGet(fd: number, request: number): Buffer;
  /** A terminal set ioctl (TCSETS2, TIOCSLCKTRMIOS, TIOCSWINSZ, TIOCSTI, TIOCSPTLCK, TIOCPKT, TIOCSPGRP; TIOCEXCL/TIOCNXCL without data). */
  ttySet(fd: number, request: number, data?: Buffer): void;
  /** TIOCGPTPEER: an fd of the slave of the pty master `fd`, opened with flags. */
  ttyOpenPeer(fd: number, flags: number): number;

  /** inotify_init1(flags): IN_NONBLOCK | IN_CLOEXEC only. */
  inotifyInit1(flags: number): number;
  /** inotify_add_watch(fd, path, mask) -> wd. */
  inotifyAddWatch(fd: number, path: string, mask: number): number;
  inotifyRmWatch(fd: number, wd: number): void;
  /** ioctl INOTIFY_IOC_SETNEXTWD (CONFIG_CHECKPOINT_RESTORE): the next watch gets wd or the first free above. */
  inotifySetNextWd(fd: number, wd: number): void;
  /** open_by_handle_at(mountFd or AT_FDCWD = -100, {handleType, handle}, flags) -> fd (needs CAP_DAC_READ_SEARCH). */
  openByHandleAt(mountFd: number, handleType: number, handle: Buffer, flags: number): number;
  fanotifyInit(flags: number, eventFlags: number): number;
  /** fanotify_mark(fd, flags, mask, dirfd or AT_FDCWD = -100, path or null for dirfd itself). */
  fanotifyMark(fd: number, flags: number, mask: bigint, dirfd: number, path: string | null): void;
  /** ioctl PIDFD_GET_INFO with `mask` asked: the 64 bytes of struct pidfd_info (returned mask first). */
  pidfdGetInfo(pidfd: number, mask: bigint): Buffer;
  /** A pidfd (flags: PIDFD_NONBLOCK) of a short-lived child of the caller that ended with waitStatus and was reaped. */
  pidfdOfExited(flags: number, waitStatus: number): number;

  processVmReadv(pid: number, remote: bigint, buf: Buffer, offset: number, length: number): number;
  processVmWritev(pid: number, remote: bigint, buf: Buffer, offset: number, length: number): number;
  /** memfd_create(name, flags): name without the "memfd:" prefix; flags MFD_CLOEXEC|MFD_ALLOW_SEALING|MFD_NOEXEC_SEAL|MFD_EXEC. */
  memfdCreate(name: string, flags: number): number;
  /** ranges: [addr, len, fileOffset, viaMem] per range; see native/pagecopy.cc. */
  copyTaskToFile(pid: number, memFd: number, fd: number, ranges: BigUint64Array, threads: number): number;
  /** ranges: [addr, len, fileOffset] per range. */
  copyFileToTask(pid: number, fd: number, ranges: BigUint64Array, threads: number): number;
  /** From now on, these signals only set a bit that takeSignals() returns (native/signals.cc). */
  installSignalGuard(signals: number[]): void;
  takeSignals(): bigint;
}

/** The package root: the nearest directory above this module holding binding.gyp (dist/src/native or src/native). */
function packageRoot(): string {
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    if (fs.existsSync(path.join(dir, 'binding.gyp'))) return dir;
    if (path.dirname(dir) === dir) return path.resolve(__dirname, '..', '..', '..');
  }
}

/**
 * Where the addon is, in node-gyp-build's order (a local build first, then the prebuild of this
 * platform), looked at directly: node-gyp-build's search of both directories cost some 3 ms of
 * every command's start. Undefined when neither is there: node-gyp-build then says what it
 * looked for.
 */
function addonPath(root: string): string | undefined {
  // node-gyp-build's own overrides: it alone knows what they mean.
  if (process.env.AMBER_CR_PREBUILD || process.env.PREBUILDS_ONLY) return undefined;
  for (const p of [path.join(root, 'build', 'Release', 'amber_native.node'), path.join(root, 'prebuilds', `${process.platform}-${process.arch}`, 'amber-cr.node')]) {
    if (fs.existsSync(p)) return p;
  }
  return undefined;
}

function load(): NativeAddon {
  const root = packageRoot();
  const found = addonPath(root);
  // node-gyp-build looks in prebuilds/ and build/ and throws a message listing both.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const addon = (found ? require(found) : require('node-gyp-build')(root)) as NativeAddon;
  addon.setErrorClass(SysError);
  return addon;
}

export const native: NativeAddon = load();
