/**
 * amber restore: read and check every image first, open the files, then morph a stub with the
 * dumped PID into the task by injected syscalls, in stages. Any failure kills the stub.
 */
import * as fs from 'node:fs';
import { native } from '../native';
import { encodeXsave } from '../arch/x86_64/xsave';
import { GpRegs } from '../arch/x86_64/regs';
import { SYS } from '../arch/x86_64/syscalls';
import { applySyscallRestart } from '../compel';
import { AmberError, step } from '../errors';
import { faultPoint } from '../fault';
import { Logger } from '../log';
import { Progress } from '../progress';
import * as img from '../images';
import { __WALL, decodeWaitStatus } from '../compel/wait-status';
import { emptyAddressSpace, placeVdso, restoreVmas, setMmMap } from '../mem/restore-vmas';
import { readImageSet, TaskImages } from './read-images';
import { pickScratch, Stub } from './stub';
import { closeOpened, installFds, openFiles } from './fds';
import { putString } from '../task/injected';
import { registerRseq, readRseq, unregisterRseq } from '../task/rseq';
import { restoreSigactions } from '../task/sigactions';
import { restoreItimers } from '../task/itimers';
import { restoreRlimits } from '../task/rlimits';
import { restoreThreadAttrs } from '../task/thread-attrs';
import { restoreComm, restoreProcessAttrs } from '../task/process-attrs';
import { queuePendingSignals } from '../task/signals';
import { restoreCreds } from '../task/creds';

export interface RestoreOptions {
  imagesDir: string;
  detached: boolean;
  shellJob: boolean;
  pidfile?: string;
  log: Logger;
}

export interface RestoreResult {
  pid: number;
  /** Without --restore-detached: the exit code to leave with (the task's own, 128+signal if killed). */
  exitCode?: number;
}

export function restore(opts: RestoreOptions): RestoreResult {
  const { log } = opts;
  const t0 = process.hrtime.bigint();
  faultPoint('restore:read-images');
  const set = readImageSet(opts.imagesDir);
  const task = set.root;
  log.info(`restoring task ${task.pid} from ${opts.imagesDir}`);

  faultPoint('restore:files');
  const opened = openFiles(task.fdinfo, set.files, { shellJob: opts.shellJob, log });
  let stub: Stub | undefined;
  const progress = new Progress(`restore ${task.pid}`);
  try {
    faultPoint('restore:clone');
    const scratch = pickScratch(task.mm.vmas ?? []);
    stub = step('creating the task', task.pid, () => Stub.create(task.pid, scratch, log));
    const s = stub;
    log.debug(`stub ${s.pid} up, scratch at 0x${scratch.toString(16)}`);

    faultPoint('restore:memory');
    step('restoring memory', task.pid, () => {
      const own = readRseq(s.pid);
      if (own) unregisterRseq(s, own);
      emptyAddressSpace(s, scratch);
      placeVdso(s, s.pid, task.mm.vmas ?? []);
      restoreVmas(s, task.mm.vmas ?? [], set.files, { file: task.pagesFile, entries: task.pagemap }, log, (n) => progress.add(n));
    });
    faultPoint('restore:mm');
    step('setting mm bounds, auxv and exe (PR_SET_MM_MAP)', task.pid, () => setMmMap(s, task.mm, set.files.get(task.mm.exe_file_id)!.reg.name));

    faultPoint('restore:fds');
    step('installing file descriptors', task.pid, () => installFds(s, task.fdinfo, opened));
    closeOpened(opened);
    opened.clear();

    faultPoint('restore:task-state');
    step('restoring task state', task.pid, () => restoreTaskState(s, task, set.files, opts));

    faultPoint('restore:finish');
    step('resuming the task', task.pid, () => finish(s, task));
    stub = undefined;
  } catch (e) {
    stub?.kill();
    throw e;
  } finally {
    closeOpened(opened);
    progress.done();
  }
  const restoreUs = Number((process.hrtime.bigint() - t0) / 1000n);
  writeStats(opts.imagesDir, task, restoreUs, log);
  log.info(`task ${task.pid} restored in ${(restoreUs / 1000).toFixed(1)} ms`);
  if (opts.pidfile) fs.writeFileSync(opts.pidfile, `${task.pid}`);
  if (opts.detached) return { pid: task.pid };
  const [, raw] = native.waitpid(task.pid, __WALL);
  const st = decodeWaitStatus(raw);
  return { pid: task.pid, exitCode: st.kind === 'exited' ? st.code : st.kind === 'signaled' ? 128 + st.signal : 1 };
}

function restoreTaskState(s: Stub, task: TaskImages, files: Map<number, img.Entry>, opts: RestoreOptions): void {
  const { core, pstree, log } = { ...task, log: opts.log };
  const tc = core.tc;
  const th = core.thread_core ?? {};
  s.remote.call(SYS.chdir, putString(s, files.get(task.fs.cwd_id)!.reg.name));
  const root = files.get(task.fs.root_id)!.reg.name;
  if (root !== '/') s.remote.call(SYS.chroot, putString(s, root));
  // Session and group: a session leader makes its own; a shell job stays in the caller's.
  if (pstree.sid === task.pid) s.remote.call(SYS.setsid);
  else if (!opts.shellJob) throw new AmberError(`task ${task.pid} belongs to session ${pstree.sid}, outside the dumped tree: restore it with --shell-job`);
  if (pstree.pgid === task.pid && pstree.sid !== task.pid) s.remote.call(SYS.setpgid, 0, 0);
  else if (pstree.pgid !== task.pid && pstree.sid !== task.pid && opts.shellJob) log.debug(`task ${task.pid} keeps the caller's process group`);

  restoreComm(s, th.comm ?? tc.comm);
  restoreSigactions(s, tc.sigactions ?? []);
  if (tc.timers) restoreItimers(s, tc.timers);
  restoreRlimits(s, tc.rlimits?.rlimits ?? [], log);
  restoreThreadAttrs(s, {
    sas: th.sas ?? { ss_sp: 0n, ss_size: 0n, ss_flags: 2 },
    futexRla: th.futex_rla ?? 0n, futexRlaLen: th.futex_rla_len ?? 0,
    clearTidAddr: core.thread_info.clear_tid_addr ?? 0n, pdeathSig: th.pdeath_sig ?? 0,
  });
  if (th.rseq_entry) registerRseq(s, th.rseq_entry);
  queuePendingSignals(s, task.pid, task.pid, (tc.signals_s?.signals ?? []).map((x: img.Entry) => x.siginfo), true);
  queuePendingSignals(s, task.pid, task.pid, (th.signals_p?.signals ?? []).map((x: img.Entry) => x.siginfo), false);
  const umask = task.fs.umask ?? 0o22;
  restoreProcessAttrs(s, {
    dumpable: task.mm.dumpable ?? 1, thpDisabled: task.mm.thp_disabled ?? false, childSubreaper: tc.child_subreaper ?? false,
  }, tc.personality ?? 0, umask);
  if (th.creds) restoreCreds(s, th.creds);
}

/** Removes the scratch area (stopping at the munmap's exit), then registers, FPU, mask; detach. */
function finish(s: Stub, task: TaskImages): void {
  const core = task.core;
  const xstate = encodeXsave(core.thread_info.fpregs, s.tracee.getXstate());
  s.remote.callAtExit(SYS.munmap, s.scratch, s.scratch, 64 * 1024);
  s.mem.close();
  s.tracee.setSigmask(BigInt(core.tc.blk_sigset ?? 0n));
  s.tracee.setXstate(xstate);
  const regs = { ...core.thread_info.gpregs } as GpRegs & { mode?: number };
  delete regs.mode;
  s.tracee.setRegs(applySyscallRestart(regs, false));
  s.tracee.detach();
}

function writeStats(dir: string, task: TaskImages, restoreUs: number, log: Logger): void {
  const pages = task.pagemap.reduce((n, e) => n + e.nr_pages, 0);
  try {
    img.writeImage(dir, img.STATS_RESTORE_IMG, 'STATS', [{
      restore: { pages_compared: 0n, pages_skipped_cow: 0n, forking_time: 0, restore_time: restoreUs, pages_restored: BigInt(pages) },
    }]);
  } catch (e) {
    log.warn(`could not write ${img.STATS_RESTORE_IMG}: ${(e as Error).message}`);
  }
}
