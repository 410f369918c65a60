/**
 * amber restore: read and check every image first and open the files; then create the tree of
 * stubs with the dumped PIDs (each child forked by its own parent), morph each into its process
 * by injected syscalls, and let them all go at once. Any failure kills every stub.
 */
import * as fs from 'node:fs';
import { native } from '../native';
import { AmberError, ImageError, step } from '../errors';
import { faultPoint, FaultPlan, pretends } from '../fault';
import { Logger } from '../log';
import { Progress, ProgressListener } from '../progress';
import * as img from '../images';
import { __WALL, decodeWaitStatus } from '../compel/wait-status';
import { emptyAddressSpace, shmemRegistry } from '../mem/restore-vmas';
import { MANIFEST_FILE, verifyManifest } from '../images/manifest';
import { readImageSet, ProcessImages } from './read-images';
import { pickScratch, ScratchBusyError, Stub } from './stub';
import { SCRATCH_SIZE } from '../compel';
import { closeOpened, openFiles } from './fds';
import { FileRestoreContext, NO_SOCKET_OPTIONS, OpenedFile, SocketOptions } from '../files/types';
import { kindForType, openFile } from '../files/registry';
import { restoreFown, subMessage } from '../files/fown';
import { restoreCtty, restoreForeground } from '../files/pty';
import { FILE_LOCKS_IMG } from '../files/file-locks';
import { checkInherited, InheritedFds, InheritFd, openInherited } from '../files/external';
import { SYS } from '../arch/x86_64/syscalls';
import type { ActionHook } from '../actions';
import { readRseq, unregisterRseq } from '../task/rseq';
import { glibcRseq } from '../task/glibc-rseq';
import { parseMaps } from '../proc/maps';
import { createThreads, finishProcess, makeZombie, releaseProcess, restoreMemory, restoreProcessState, RestoreContext, RestoringProcess, takeBackStopReport } from './process-restore';
import { makeFdRoom } from '../proc/fd-room';

export interface RestoreOptions {
  imagesDir: string;
  detached: boolean;
  shellJob: boolean;
  sockets?: SocketOptions;
  pidfile?: string;
  /** Bytes of memory restored so far (library API); without it, progress goes to a terminal's stderr. */
  onProgress?: ProgressListener;
  /** A step to fail at, for tests (AMBER_FAULT in the CLI). */
  fault?: FaultPlan;
  /** --leave-stopped: every restored process is left stopped (SIGSTOP). */
  leaveStopped?: boolean;
  /** Called once the tree runs (before restore waits for it without -d): --status-fd. */
  onReady?: (rootPid: number) => void;
  /** --inherit-fd: the restorer's own fds standing for files of the images, by key. */
  inheritFds?: InheritFd[];
  /**
   * CRIU's action points (src/actions.ts), for --action-script and RPC notifications:
   * pre-restore (images read, no task yet), post-restore (every task made, none running),
   * network-unlock and pre-resume (just before the tree runs; a failure kills it), post-resume
   * (the tree runs; a failure is only logged). setup-namespaces and post-setup-namespaces never
   * come: amber restores no namespaces.
   */
  onAction?: ActionHook;
  /**
   * Restore as sibling (CRIU's --restore-sibling, RPC rst_sibling): the root is a child of
   * amber's parent, not of amber; that parent collects its exit and stop reports.
   */
  sibling?: boolean;
  log: Logger;
}

export interface RestoreResult {
  pid: number;
  /** Without --restore-detached: the exit code to leave with (the task's own, 128+signal if killed). */
  exitCode?: number;
}

const STOPPED = 3; // CRIU's TASK_STOPPED (TASK_STATE_CODE.stopped)
const CLONE_FS = 0x200n, CLONE_FILES = 0x400n;
const SIGSTOP = 19, WUNTRACED = 2, WNOHANG_ = 1;
const F_DUPFD_CLOEXEC = 1030;

export function restore(opts: RestoreOptions): RestoreResult {
  const { log } = opts;
  const t0 = process.hrtime.bigint();
  faultPoint('restore:read-images', opts.fault);
  // Before anything else: a manifest (dump --image-checksums) must match every image.
  const checked = verifyManifest(opts.imagesDir);
  if (checked !== undefined) log.info(`${checked} images match ${MANIFEST_FILE}`);
  const set = readImageSet(opts.imagesDir);
  const rootPid = set.processes[0].pid;
  log.info(`restoring ${set.processes.length} processes of tree ${rootPid} from ${opts.imagesDir}`);
  opts.onAction?.('pre-restore', rootPid);

  const live = set.processes.filter((p) => !p.zombie);
  const cleanups: (() => void)[] = [];
  const resumeHooks: (() => void)[] = [];
  const inFlight = new Map<number, number>();
  cleanups.push(() => { for (const fd of inFlight.values()) fs.closeSync(fd); });
  const fileCtx: FileRestoreContext = {
    fault: opts.fault, shellJob: opts.shellJob, log, imagesDir: opts.imagesDir, shared: new Map(), onCleanup: (fn) => cleanups.push(fn),
    sockets: opts.sockets ?? NO_SOCKET_OPTIONS, files: set.files, rootPid,
    openFileById: (id) => {
      // One open file description per id, however many messages carry it; each caller gets a dup.
      let fd = inFlight.get(id);
      if (fd === undefined) {
        const f = set.files.get(id);
        if (!f) throw new ImageError(img.FILES_IMG, undefined, `no file with id ${id} (a file in flight)`);
        let o = openInherited(f, fileCtx);
        if (!o) {
          const kind = kindForType(f.type);
          if (!kind) throw new ImageError(img.FILES_IMG, id, `file type ${f.type} is not supported by this amber`);
          o = openFile(kind, f, fileCtx);
        }
        inFlight.set(id, (fd = o.fd));
        const fown = subMessage(f)?.fown;
        const ofd = fd;
        if (fown?.pid || fown?.signum) resumeHooks.push(() => restoreFown(ofd, fown));
        if (o.pos) native.lseek(fd, o.pos, 0);
      }
      return native.fcntl(fd, F_DUPFD_CLOEXEC, 0);
    },
    onResume: (fn) => resumeHooks.push(fn),
    taskFor: (pid) => stubs.get(pid),
    inherited: new InheritedFds(opts.inheritFds ?? []),
  };
  const stubs = new Map<number, Stub>();
  let opened = new Map<number, OpenedFile>();
  const progress = new Progress(`restore ${rootPid}`, opts.onProgress);
  const ctx: RestoreContext = { files: set.files, opened, fileCtx, registered: new Set(), seccompFilters: set.seccompFilters, fileLocks: img.readImageOptional(opts.imagesDir, FILE_LOCKS_IMG, 'FILE_LOCKS') ?? [], shmem: shmemRegistry(set.processes.flatMap((p) => p.mm.vmas ?? [])), shellJob: opts.shellJob, log, onBytes: (n) => progress.add(n), cow: { compared: 0, shared: 0 }, fault: opts.fault };
  const restoring: RestoringProcess[] = [];
  // Each process's memory right after its stub exists, before it forks its children: they then
  // inherit it copy-on-write, and keep of it what was shared at dump (src/mem/cow.ts).
  const byPid = new Map(set.processes.map((p) => [p.pid, p]));
  const withMemory = (p: ProcessImages, s: Stub) => {
    if (p.zombie) return;
    const parent = byPid.get(p.pstree.ppid);
    restoreMemory({ images: p, leader: s, threads: [] }, ctx, parent && !parent.zombie ? parent : undefined);
  };
  try {
    // Files the caller must pass (--inherit-fd) are checked before any task exists.
    checkInherited(live, set.files, fileCtx);
    faultPoint('restore:clone', opts.fault);
    const vmas = live.flatMap((p) => p.mm.vmas ?? []);
    let scratch = pickScratch(vmas);
    // The restorer (Node) maps memory of its own at any moment: a range free when picked may be
    // taken before the root stub maps it. Pick again past it, a few times.
    for (let attempt = 1; ; attempt++) {
      try {
        step('creating the process tree', rootPid, () => createTree(set.processes, scratch, stubs, opts, fileCtx, withMemory));
        break;
      } catch (e) {
        const busy = e instanceof ScratchBusyError || (e as Error).cause instanceof ScratchBusyError;
        if (!busy || attempt >= 4 || stubs.size > 0) throw e;
        log.debug(`scratch area 0x${scratch.toString(16)} was taken meanwhile; picking another`);
        vmas.push({ start: scratch, end: scratch + BigInt(SCRATCH_SIZE) });
        scratch = pickScratch(vmas);
      }
    }
    for (const p of live) restoring.push({ images: p, leader: stubs.get(p.pid)!, threads: [] });
    for (const p of restoring) createThreads(p);
    // Files are opened once the tasks exist: sockets are connected by the task that made them.
    faultPoint('restore:files', opts.fault);
    const fdinfo = live.flatMap((p) => p.fdinfo);
    // Each file of the tables is opened here at once, and held until every task has taken it.
    makeFdRoom(new Set(fdinfo.map((f) => f.id)).size);
    ctx.opened = opened = openFiles(fdinfo, set.files, fileCtx);

    for (const p of restoring) restoreProcessState(p, ctx);

    faultPoint('restore:finish', opts.fault);
    step('making zombies', rootPid, () => {
      for (const p of set.processes) if (p.zombie) makeZombie(stubs.get(p.pid)!, p);
    });
    opts.onAction?.('post-restore', rootPid);
    opts.onAction?.('network-unlock', rootPid);
    opts.onAction?.('pre-resume', rootPid);
    const early = new Set<RestoringProcess>();
    step('resuming the tree', rootPid, () => {
      for (const fn of resumeHooks) fn();
      // Stopped processes whose parent had collected the stop go first (children before
      // parents), so that each parent, not yet finished, can collect the new stop too.
      for (const p of [...restoring].reverse()) {
        if (p.images.cores[0].tc.task_state !== STOPPED || (p.images.cores[0].tc.stop_report ?? 0) !== 0) continue;
        finishProcess(p, false);
        releaseProcess(p, SIGSTOP);
        early.add(p);
        waitStopped(p.images.pid);
        const parent = restoring.find((q) => q.images.pid === p.images.pstree.ppid);
        if (parent && !early.has(parent)) takeBackStopReport(parent.leader, p.images.pid, sigchldPending(parent));
        else if (!parent && !opts.sibling) native.waitpid(p.images.pid, WUNTRACED | WNOHANG_ | __WALL);
      }
      for (const p of restoring) if (!early.has(p)) finishProcess(p, false);
    });
    let released = 0;
    for (const p of restoring) {
      if (early.has(p)) continue;
      // After the first process runs, a failure must still take every process back (killAll).
      if (released++ === 1) faultPoint('restore:release', opts.fault);
      const tc = p.images.cores[0].tc;
      releaseProcess(p, tc.task_state === STOPPED ? tc.stop_report || SIGSTOP : opts.leaveStopped ? SIGSTOP : 0);
    }
    stubs.clear();
    for (const u of fileCtx.inherited!.unused()) log.warn(`--inherit-fd fd[${u.fd}]:${u.key}: no file of the images is ${u.key}`);
  } catch (e) {
    killAll(stubs, restoring);
    throw e;
  } finally {
    closeOpened(opened);
    runCleanups(cleanups, log);
    progress.done();
  }
  const restoreUs = Number((process.hrtime.bigint() - t0) / 1000n);
  writeStats(opts.imagesDir, live, restoreUs, ctx.cow, log);
  log.info(`tree ${rootPid} restored in ${(restoreUs / 1000).toFixed(1)} ms`);
  if (opts.pidfile) fs.writeFileSync(opts.pidfile, `${rootPid}`);
  if (opts.onAction) {
    try { opts.onAction('post-resume', rootPid); } catch (e) { log.error(`post-resume: ${(e as Error).message}`); }
  }
  opts.onReady?.(rootPid);
  if (opts.detached) return { pid: rootPid };
  const [, raw] = native.waitpid(rootPid, __WALL);
  const st = decodeWaitStatus(raw);
  return { pid: rootPid, exitCode: st.kind === 'exited' ? st.code : st.kind === 'signaled' ? 128 + st.signal : 1 };
}

/**
 * The root stub comes from the restorer; every other process is forked by its parent's stub, so
 * parentage is the dumped one. Each stub starts with an empty address space and no fds; session
 * leaders make their session before forking, so children inherit it; groups are joined last.
 */
function createTree(processes: ProcessImages[], scratch: bigint, stubs: Map<number, Stub>, opts: RestoreOptions, fileCtx: FileRestoreContext, created: (p: ProcessImages, s: Stub) => void): void {
  const root = processes[0];
  const rs = Stub.create(root.pid, scratch, opts.log, opts.sibling);
  stubs.set(root.pid, rs);
  // The stub is a fork of amber's main thread and holds its rseq registration: dropped. Before
  // 5.13 the stub is asked where it is (amber's own glibc's area, or 32 zeroed bytes of its data).
  rs.mem.write(rs.data, Buffer.alloc(32));
  const own = readRseq(rs.pid, {
    t: rs, tp: rs.tracee.getRegs().fs_base, area: rs.data, always: pretends(opts.fault, 'no-get-rseq-conf'),
    get glibc() { return glibcRseq(rs.pid, parseMaps(fs.readFileSync(`/proc/${rs.pid}/maps`, 'utf8')), rs.mem); },
  });
  if (own) unregisterRseq(rs, own);
  emptyAddressSpace(rs, scratch);
  rs.remote.call(SYS.close_range, 0, 0xffffffff, 0);
  // A session leader takes its controlling terminal back before it forks: children inherit it.
  const withTerminal: Stub[] = [];
  const sessionOf = (p: ProcessImages, s: Stub) => {
    if (p.pstree.sid !== p.pid) return;
    s.remote.call(SYS.setsid);
    if (restoreCtty(s, p.pid, fileCtx)) withTerminal.push(s);
  };
  if (root.pstree.sid !== root.pid && !opts.shellJob) {
    throw new AmberError(`task ${root.pid} belongs to session ${root.pstree.sid}, outside the dumped tree: restore it with --shell-job`);
  }
  sessionOf(root, rs);
  created(root, rs);
  for (const p of processes.slice(1)) {
    const parent = stubs.get(p.pstree.ppid);
    if (!parent) throw new AmberError(`task ${p.pid}: parent ${p.pstree.ppid} is not a live task of the tree`);
    // A table the dumped child shared with its parent is shared again: cloned with its flag.
    const flags = (p.sharesFiles ? CLONE_FILES : 0n) | (p.sharesFs ? CLONE_FS : 0n);
    const s = parent.clone(p.pid, flags);
    stubs.set(p.pid, s);
    sessionOf(p, s);
    created(p, s);
  }
  // Groups: leaders first, then members.
  const ordered = [...processes].sort((a, b) => Number(b.pstree.pgid === b.pid) - Number(a.pstree.pgid === a.pid));
  for (const p of ordered) {
    const s = stubs.get(p.pid)!;
    if (p.pstree.pgid === p.pstree.sid && p.pstree.sid === p.pid) continue;
    const inTree = processes.some((q) => q.pid === p.pstree.pgid);
    if (p.pstree.pgid === p.pid) s.remote.call(SYS.setpgid, 0, 0);
    else if (inTree) s.remote.call(SYS.setpgid, 0, p.pstree.pgid);
    else if (!opts.shellJob) throw new AmberError(`task ${p.pid}: process group ${p.pstree.pgid} has no leader in the tree`);
  }
  for (const s of withTerminal) restoreForeground(s, s.pid, fileCtx);
}

/** Waits (a second at most) until the process shows as stopped in /proc. */
function waitStopped(pid: number): void {
  const pause = new Int32Array(new SharedArrayBuffer(4));
  for (let i = 0; i < 1000; i++) {
    const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    if (st.slice(st.lastIndexOf(')') + 2, st.lastIndexOf(')') + 3) === 'T') return;
    Atomics.wait(pause, 0, 0, 1);
  }
  throw new AmberError(`task ${pid} did not stop again`);
}

/** Whether SIGCHLD was pending for the process at dump. */
function sigchldPending(p: RestoringProcess): boolean {
  const sigs: img.Entry[] = [...(p.images.cores[0].tc.signals_s?.signals ?? []), ...(p.images.cores[0].thread_core?.signals_p?.signals ?? [])];
  return sigs.some((s) => Buffer.from(s.siginfo).readInt32LE(0) === 17);
}

function runCleanups(cleanups: (() => void)[], log: Logger): void {
  for (const fn of cleanups) {
    try { fn(); } catch (e) { log.warn(`cleanup: ${(e as Error).message}`); }
  }
  cleanups.length = 0;
}

function killAll(stubs: Map<number, Stub>, restoring: RestoringProcess[]): void {
  for (const p of restoring) for (const t of p.threads) t.kill();
  for (const s of [...stubs.values()].reverse()) s.kill();
}

function writeStats(dir: string, procs: ProcessImages[], restoreUs: number, cow: { compared: number; shared: number }, log: Logger): void {
  const pages = procs.reduce((n, p) => n + p.pagemap.reduce((m, e) => m + e.nr_pages, 0), 0);
  try {
    img.writeImage(dir, img.STATS_RESTORE_IMG, 'STATS', [{
      restore: { pages_compared: BigInt(cow.compared), pages_skipped_cow: BigInt(cow.shared), forking_time: 0, restore_time: restoreUs, pages_restored: BigInt(pages - cow.shared) },
    }]);
  } catch (e) {
    log.warn(`could not write ${img.STATS_RESTORE_IMG}: ${(e as Error).message}`);
  }
}
