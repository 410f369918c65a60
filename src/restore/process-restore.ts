/**
 * Restore stages for one process, applied to its stub: memory, mm, fds, process state, threads,
 * and the final hand-over of registers. Each takes the stub and the process's images.
 */
import * as img from '../images';
import { SYS } from '../arch/x86_64/syscalls';
import { encodeXsave } from '../arch/x86_64/xsave';
import { GpRegs } from '../arch/x86_64/regs';
import { AmberError, step } from '../errors';
import { faultPoint, type FaultPlan } from '../fault';
import { Logger } from '../log';
import { kernelRestartRegs, SCRATCH_SIZE } from '../compel';
import { INJECTION_SIGMASK } from '../compel/wait-status';
import { placeVdso, restoreVmas, setMmMap, ShmemRegistry } from '../mem/restore-vmas';
import { CowPlan, placeRuns, planCow } from '../mem/cow';
import { VMA } from '../mem/vma';
import { ProcessImages } from './read-images';
import { Stub } from './stub';
import { installFds } from './fds';
import type { Injected } from '../task/injected';
import { takeLock } from '../files/file-locks';
import { openMemfdForMapping } from '../files/memfd';
import { ghostOf } from '../files/ghost';
import { regularFile } from '../files/regular';
import { takeRestorerFd } from '../task/injected';
import { FileRestoreContext, OpenedFile } from '../files/types';
import { putString } from '../task/injected';
import { registerRseqCall } from '../task/rseq';
import { restoreSigactions } from '../task/sigactions';
import { restoreItimers } from '../task/itimers';
import { restorePosixTimers } from '../task/posix-timers';
import { readProcLimits, restoreRlimits } from '../task/rlimits';
import { parseStatus, statusHex } from '../proc/status';
import { addThreadAttrs } from '../task/thread-attrs';
import { addComm, restoreComm, restoreProcessAttrs } from '../task/process-attrs';
import { CallBatch } from '../task/call-batch';
import { addPendingSignals, queuePendingSignals } from '../task/signals';
import { addCreds } from '../task/creds';
import { addSched } from '../task/sched';
import { addThreadCpu, affinityFromStatus } from '../task/thread-cpu';
import { dumpThreadPrctls, restoreMmPrctls, threadPrctlCalls, type ThreadPrctls } from '../task/prctl-states';
import { restoreMembarrier } from '../task/membarrier';
import { restoreSeccomp } from '../task/seccomp';
import * as fs from 'node:fs';
import { native } from '../native';
import { mutated } from '../mutant';

export interface RestoreContext {
  files: Map<number, img.Entry>;
  opened: Map<number, OpenedFile>;
  fileCtx: FileRestoreContext;
  /** File ids whose after-install state (epoll targets) is done, for files shared by processes. */
  registered: Set<number>;
  shmem: ShmemRegistry;
  seccompFilters: img.Entry[];
  /** file-lock.img: every lock, taken again by its task once its fds are in place. */
  fileLocks: img.Entry[];
  shellJob: boolean;
  log: Logger;
  onBytes(n: number): void;
  /** Pages compared with the parent's, and left shared with it (stats-restore). */
  cow: { compared: number; shared: number };
  /** The step this restore is to fail at (tests). */
  fault?: FaultPlan;
  /** What a fresh thread of each process (by pid) reads of its prctl states: its leader's, read once. */
  freshPrctls?: Map<number, ThreadPrctls>;
}

/** A process being restored: its leader's stub and, once created, its other threads' stubs. */
export interface RestoringProcess {
  images: ProcessImages;
  leader: Stub;
  threads: Stub[];
}

/**
 * The task's memory. `parent`: the task was forked from its parent's stub after the parent's
 * memory was restored, and holds all of it copy-on-write: what it keeps of it is planned by
 * cow.ts, the rest unmapped first.
 */
export function restoreMemory(p: RestoringProcess, ctx: RestoreContext, parent?: ProcessImages): void {
  const { leader: s, images } = p;
  const vmas = images.mm.vmas ?? [];
  faultPoint('restore:memory', ctx.fault);
  step('restoring memory', p.images.pid, () => {
    let kept: CowPlan['kept'] | undefined;
    if (parent && !mutated('skip-cow')) {
      const plan = planCow(parent.mm.vmas ?? [], { file: parent.pagesFile, runs: placeRuns(parent.pagemap) }, vmas, { file: images.pagesFile, runs: placeRuns(images.pagemap) });
      if (plan.unmap.length) s.remote.callBatch(plan.unmap.map((r) => ({ nr: SYS.munmap, args: [r.start, r.end - r.start] })));
      kept = plan.kept;
      ctx.cow.compared += plan.pagesCompared;
      ctx.cow.shared += plan.pagesShared;
      ctx.log.debug(`${plan.kept.size} mappings kept from parent ${parent.pid}, ${plan.pagesShared} of ${plan.pagesCompared} compared pages left shared`);
      // The vDSO the parent placed stays if it is where this task had its own.
      const special = (list: img.Entry[]) => list.filter((v) => v.status & (VMA.AREA_VDSO | VMA.AREA_VVAR)).map((v) => `${v.start}-${v.end}`).sort().join(',');
      if (special(parent.mm.vmas ?? []) !== special(vmas)) {
        for (const v of (parent.mm.vmas ?? []).filter((x: img.Entry) => x.status & (VMA.AREA_VDSO | VMA.AREA_VVAR))) s.remote.call(SYS.munmap, v.start, v.end - v.start);
        placeVdso(s, s.pid, vmas);
      }
    } else {
      if (parent) emptyInherited(s, parent);
      placeVdso(s, s.pid, vmas);
    }
    restoreVmas(s, s.pid, vmas, ctx.files, ctx.shmem, { file: images.pagesFile, entries: images.pagemap }, ctx.log, ctx.onBytes,
      (f, fdflags) => openMemfdForMapping(f, fdflags, ctx.fileCtx),
      (f, fdflags) => (ghostOf(f.reg.id, ctx.fileCtx) === undefined ? undefined : regularFile.open({ ...f, reg: { ...f.reg, flags: fdflags } }, ctx.fileCtx).fd),
      kept);
  });
  faultPoint('restore:mm', ctx.fault);
  step('setting mm bounds, auxv and exe (PR_SET_MM_MAP)', images.pid, () => setMmMap(s, s.pid, images.mm, ctx.files.get(images.mm.exe_file_id)!.reg.name));
}

/** Without sharing (mutant skip-cow): every mapping inherited from the parent goes. */
function emptyInherited(s: Stub, parent: ProcessImages): void {
  for (const v of parent.mm.vmas ?? []) {
    if (v.status & VMA.AREA_REGULAR) s.remote.call(SYS.munmap, v.start, v.end - v.start);
  }
}

/**
 * The process's other threads, as stubs of the leader. Before any file is opened: an fd on
 * /proc/PID/task/TID/... of one of them opens only once the thread exists.
 */
export function createThreads(p: RestoringProcess): void {
  step('creating threads', p.images.pid, () => {
    const tids: number[] = p.images.pstree.threads;
    // Those that came into being are in p.threads even if one fails: the caller kills them all.
    p.leader.cloneThreads(tids.slice(1), p.threads);
  });
}

export function restoreProcessState(p: RestoringProcess, ctx: RestoreContext): void {
  const { leader: s, images } = p;
  faultPoint('restore:fds', ctx.fault);
  // An fd table shared with the parent (CLONE_FILES) was filled by the parent already.
  if (!images.sharesFiles) {
    step('installing file descriptors', images.pid, () => installFds(s, images.fdinfo, ctx.opened, ctx.files, ctx.fileCtx, ctx.registered));
  }
  step('taking file locks again', images.pid, () => {
    for (const lock of ctx.fileLocks.filter((l) => l.pid === images.pid)) takeLock(s, lock);
  });
  faultPoint('restore:task-state', ctx.fault);
  step('restoring process state', images.pid, () => {
    const tc = images.cores[0].tc;
    if (!mutated('skip-cwd')) enterCwd(s, ctx.files.get(images.fs.cwd_id)!, ctx);
    const root = ctx.files.get(images.fs.root_id)!.reg.name;
    if (root !== '/') s.remote.call(SYS.chroot, putString(s, root));
    const now = parseStatus(fs.readFileSync(`/proc/${s.pid}/status`, 'utf8'));
    if (!mutated('skip-sigactions')) restoreSigactions(s, tc.sigactions ?? [], statusHex(now, 'SigCgt') | statusHex(now, 'SigIgn'));
    if (tc.timers && !mutated('skip-itimers')) restoreItimers(s, tc.timers);
    restoreRlimits(s, tc.rlimits?.rlimits ?? [], ctx.log, readProcLimits(s.pid));
    if (!mutated('skip-pending-signals')) queuePendingSignals(s, images.pid, images.pid, (tc.signals_s?.signals ?? []).map((x: img.Entry) => x.siginfo), true);
    if (tc.oom_score_adj !== undefined) fs.writeFileSync(`/proc/${s.pid}/oom_score_adj`, String(tc.oom_score_adj));
    restoreProcessAttrs(s, {
      dumpable: images.mm.dumpable ?? 1, thpDisabled: images.mm.thp_disabled ?? false, childSubreaper: tc.child_subreaper ?? false,
      mlockFuture: images.mm.mlockall_future ?? 0,
    }, tc.personality ?? 0, mutated('skip-umask') ? 0o22 : images.fs.umask ?? 0o22);
    restoreMembarrier(s, images.mm.membarrier_registrations);
    restoreMmPrctls(s, { mdwe: images.mm.mdwe, memoryMerge: images.mm.memory_merge });
  });
  // After the threads: a timer may notify one of them (SIGEV_THREAD_ID).
  step('restoring POSIX timers', images.pid, () => restorePosixTimers(s, images.pid, mutated('skip-posix-timers') ? [] : images.cores[0].tc.timers?.posix ?? []));
  [p.leader, ...p.threads].forEach((t, i) => step(`restoring thread ${t.pid}`, images.pid, () => restoreThread(t, images, i, ctx)));
}

/**
 * chdir to the working directory by its path; a removed one (a ghost directory) through the
 * restorer's open of it (fchdir), whatever name it was made under.
 */
function enterCwd(s: Stub, cwd: img.Entry, ctx: RestoreContext): void {
  if (ghostOf(cwd.reg.id, ctx.fileCtx) === undefined) {
    s.remote.call(SYS.chdir, putString(s, cwd.reg.name));
    return;
  }
  const { fd } = regularFile.open(cwd, ctx.fileCtx);
  try {
    const taskFd = takeRestorerFd(s, fd);
    try {
      s.remote.call(SYS.fchdir, taskFd);
    } finally {
      s.remote.call(SYS.close, taskFd);
    }
  } finally {
    fs.closeSync(fd);
  }
}

function restoreThread(t: Stub, images: ProcessImages, index: number, ctx: RestoreContext): void {
  const core = images.cores[index];
  const th = core.thread_core ?? {};
  // Everything of a thread in one stop (a thread of 1,000 took eight): name, attributes, rseq,
  // prctl states, pending signals, scheduling, CPUs; credentials last, after any seccomp filter.
  // Every thread of a process was cloned from its leader before any of them is restored: what a
  // fresh one reads of its prctl states is the leader's, read once.
  const fresh = (ctx.freshPrctls ??= new Map());
  if (!fresh.has(images.pid)) fresh.set(images.pid, dumpThreadPrctls(t));
  const b = new CallBatch(t);
  if (!mutated('skip-comm')) addComm(b, th.comm ?? images.cores[0].tc.comm);
  addThreadAttrs(b, {
    sas: th.sas ?? { ss_sp: 0n, ss_size: 0n, ss_flags: 2 },
    futexRla: th.futex_rla ?? 0n, futexRlaLen: th.futex_rla_len ?? 0,
    clearTidAddr: core.thread_info.clear_tid_addr ?? 0n, pdeathSig: th.pdeath_sig ?? 0,
  });
  if (th.rseq_entry) { const c = registerRseqCall(th.rseq_entry); b.call(c.nr, ...c.args); }
  for (const c of threadPrctlCalls({
    timerslack: th.timerslack_ns !== undefined ? Number(th.timerslack_ns) : undefined, tsc: th.tsc_mode, mceKill: th.mce_kill, ioFlusher: th.io_flusher,
  }, fresh.get(images.pid)!)) b.call(c.nr, ...c.args);
  if (!mutated('skip-pending-signals')) addPendingSignals(b, images.pid, t.pid, (th.signals_p?.signals ?? []).map((x: img.Entry) => x.siginfo), false);
  addSched(b, t.pid, th);
  addThreadCpu(b, th.cpu_affinity, th.spec_ctrl, affinityFromStatus(parseStatus(fs.readFileSync(`/proc/${t.pid}/status`, 'utf8'))));
  // Before creds, while the stub may still install filters; suspended for our syscalls until detach.
  if ((th.seccomp_mode ?? 0) !== 0) {
    b.run();
    restoreSeccomp(t, th.seccomp_mode ?? 0, th.seccomp_filter, ctx.seccompFilters);
  }
  if (th.creds && !(index > 0 && mutated('skip-thread-creds')) && !mutated('skip-creds')) addCreds(b, th.creds);
  b.run();
}

/**
 * Makes a zombie: the stub exits the way the dumped task did (exit code, or killed by a signal,
 * as the wait status says), and stays unreaped for its parent.
 */
export function makeZombie(s: Stub, images: ProcessImages): void {
  const status: number = images.cores[0].tc.exit_code ?? 0;
  const sig = status & 0x7f;
  restoreComm(s, images.cores[0].tc.comm);
  if (sig) {
    // Default action for the signal (SIGKILL and SIGSTOP have nothing else), nothing blocked, then deliver it.
    if (sig !== 9 && sig !== 19) {
      s.mem.write(s.data, Buffer.alloc(32));
      s.remote.call(SYS.rt_sigaction, sig, s.data, 0, 8);
    }
    s.tracee.setSigmask(0n);
    s.mem.close();
    s.tracee.detach(sig);
  } else {
    s.exitWith((status >> 8) & 0xff);
  }
}

/** Registers, FPU and masks of every thread; the leader removes the scratch area first. */
export function finishProcess(p: RestoringProcess, stopped: boolean): void {
  const set = (t: Stub, core: img.Entry) => {
    const xstate = encodeXsave(core.thread_info.fpregs, t.tracee.getXstate());
    t.tracee.setSigmask(mutated('skip-sigmask') ? 0n : BigInt(core.thread_core?.blk_sigset ?? core.tc?.blk_sigset ?? 0n));
    if (!mutated('skip-fpu')) t.tracee.setXstate(xstate);
    const regs = { ...core.thread_info.gpregs } as GpRegs & { mode?: number };
    delete regs.mode;
    // The registers a program keeps its values in; rip, rsp and the rest it needs to go on stay.
    if (mutated('skip-gpregs')) for (const r of ['bx', 'dx', 'si', 'di', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const) regs[r] = 0n;
    // Each thread is resumed from inside the kernel's signal handling (the other threads sit in
    // the SIGTRAP stop of their last injected call; the leader is moved to an interrupt stop):
    // an interrupted syscall is then restarted by the kernel, with the kernel's own rules when a
    // signal arrives first.
    t.tracee.setRegs(kernelRestartRegs(regs));
  };
  p.threads.forEach((t, i) => set(t, p.images.cores[i + 1]));
  p.leader.remote.callAtExit(SYS.munmap, p.leader.scratch, p.leader.scratch, SCRATCH_SIZE);
  // The leader is at a syscall-exit stop: set its state there, then take it into the signal path.
  const core = p.images.cores[0];
  const mask = mutated('skip-sigmask') ? 0n : BigInt(core.thread_core?.blk_sigset ?? core.tc?.blk_sigset ?? 0n);
  set(p.leader, core);
  p.leader.tracee.setSigmask(mask & INJECTION_SIGMASK);
  p.leader.tracee.wakeInSignalPath(p.leader.pid, 'taking it into the signal path to be let go');
  p.leader.tracee.setSigmask(mask);
  if (p.threads.length + 1 !== p.images.cores.length) throw new AmberError(`process ${p.images.pid}: ${p.threads.length + 1} threads restored of ${p.images.cores.length}`);
}

/** Lets every thread of the process run; a stopped process stops with stopSignal instead. */
export function releaseProcess(p: RestoringProcess, stopSignal: number): void {
  // The leader sits at the delivery of our wake-up signal: detached with a stop signal in its
  // place, it stops before any signal still queued for the program is delivered.
  for (const t of [...p.threads, p.leader]) {
    t.mem.close();
    t.tracee.detach(t === p.leader ? stopSignal : 0);
  }
}

const SYS_waitid = 247, SYS_rt_sigtimedwait = 128;
const P_PID = 1, WSTOPPED = 2, WNOHANG = 1, SIGCHLD = 17;

/**
 * The stop of a restored process reports itself to its parent (a wait status and SIGCHLD) though
 * the dumped parent had collected it: the parent, still under our control, collects it again
 * (an injected waitid), and drops the SIGCHLD unless one was pending at dump.
 */
export function takeBackStopReport(parent: Injected, childPid: number, sigchldWasPending: boolean): void {
  if (mutated('skip-stop-report')) return;
  parent.remote.call(SYS_waitid, P_PID, childPid, parent.data, WSTOPPED | WNOHANG, 0);
  if (sigchldWasPending) return;
  const set = Buffer.alloc(8);
  set.writeBigUInt64LE(1n << BigInt(SIGCHLD - 1));
  parent.mem.write(parent.data, set);
  parent.mem.write(parent.data + 16n, Buffer.alloc(16)); // timeout 0: do not wait
  parent.remote.raw(SYS_rt_sigtimedwait, parent.data, 0, parent.data + 16n, 8);
}
