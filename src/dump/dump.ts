/**
 * amber dump: freeze, collect, write images, then kill the task or let it run on.
 * A straight line of named steps; any failure cures and releases the task untouched.
 */
import * as fs from 'node:fs';
import { native } from '../native';
import { infect, Infection, Tracee } from '../compel';
import { decodeXsave } from '../arch/x86_64/xsave';
import { step, UnsupportedError } from '../errors';
import { faultPoint } from '../fault';
import { Logger } from '../log';
import { Progress } from '../progress';
import * as img from '../images';
import { classifyVma, VmaInfo } from '../mem/vma';
import { dumpPages } from '../mem/dump-pages';
import { dumpFdTable } from '../files/fd-table';
import { checkTaskShape, ProcSnapshot, readProcSnapshot } from './collect';
import { credsFromStatus } from './creds';
import { dumpSigactions } from '../task/sigactions';
import { dumpItimers } from '../task/itimers';
import { dumpRlimits } from '../task/rlimits';
import { dumpThreadAttrs } from '../task/thread-attrs';
import { dumpProcessAttrs } from '../task/process-attrs';
import { readRseq } from '../task/rseq';
import { peekPendingSignals } from '../task/signals';
import { SYS } from '../arch/x86_64/syscalls';
import { __WALL, SIGKILL } from '../compel/wait-status';
import { ensureImagesDir, createImageFile } from '../images-dir';

export interface DumpOptions {
  pid: number;
  imagesDir: string;
  leaveRunning: boolean;
  shellJob: boolean;
  log: Logger;
}

export interface DumpResult {
  pagesWritten: number;
  pagesScanned: number;
  frozenMs: number;
}

const PR_GET_SECUREBITS = 27;
const PAGES_ID = 1;

function usSince(t: bigint): number {
  return Number((process.hrtime.bigint() - t) / 1000n);
}

export function dump(opts: DumpOptions): DumpResult {
  const { pid, log } = opts;
  ensureImagesDir(opts.imagesDir);
  if (!fs.existsSync(`/proc/${pid}`)) throw new UnsupportedError(pid, 'task', 'no such process');

  const tFreeze = process.hrtime.bigint();
  faultPoint('dump:freeze');
  const tracee = step('freezing (PTRACE_SEIZE + PTRACE_INTERRUPT)', pid, () => Tracee.seize(pid));
  const freezingUs = usSince(tFreeze);
  const tFrozen = process.hrtime.bigint();
  log.info(`task ${pid} frozen in ${freezingUs} us`);

  let infection: Infection | undefined;
  let dumped = false;
  try {
    faultPoint('dump:collect');
    checkTaskShape(pid);
    const snap = step('reading /proc', pid, () => readProcSnapshot(pid));
    const vmas: VmaInfo[] = snap.maps.map((m) => classifyVma(m, pid));
    let nextFileId = 1;
    const newId = () => nextFileId++;
    const fdTable = step('reading the fd table', pid, () => dumpFdTable(pid, { shellJob: opts.shellJob, log }, newId));
    const regs = tracee.getRegs();
    const xstate = tracee.getXstate();
    const sigmask = tracee.getSigmask();
    const rseq = readRseq(pid);
    const sigPrivate = peekPendingSignals(pid, false);
    const sigShared = peekPendingSignals(pid, true);

    faultPoint('dump:memory');
    const tMem = process.hrtime.bigint();
    const progress = new Progress(`dump ${pid}`);
    const pagesFd = createImageFile(opts.imagesDir, img.pagesImg(PAGES_ID));
    let pages;
    try {
      pages = step('dumping memory', pid, () => dumpPages(pid, vmas, pagesFd, (n) => progress.add(n)));
    } finally {
      fs.closeSync(pagesFd);
      progress.done();
    }
    const memdumpUs = usSince(tMem);
    log.info(`memory: ${pages.pagesWritten} pages written of ${pages.pagesScanned} scanned in ${memdumpUs} us`);

    faultPoint('dump:infect');
    infection = step('injecting the syscall gadget', pid, () => infect(tracee, snap.maps));
    faultPoint('dump:task-state');
    const inf = infection;
    const state = step('reading task state through injected syscalls', pid, () => ({
      sigactions: dumpSigactions(inf),
      itimers: dumpItimers(inf),
      rlimits: dumpRlimits(inf),
      thread: dumpThreadAttrs(inf),
      process: dumpProcessAttrs(inf),
      secbits: Number(inf.remote.call(SYS.prctl, PR_GET_SECUREBITS)),
    }));
    step('removing the syscall gadget', pid, () => inf.cure());
    infection = undefined;
    faultPoint('dump:after-cure');

    faultPoint('dump:write-images');
    step('writing images', pid, () => {
      writeTaskImages(opts, snap, vmas, fdTable, newId, {
        regs, xstate, sigmask, rseq, sigPrivate, sigShared, state, pagemap: pages.entries,
      });
      const frozenUs = usSince(tFrozen);
      img.writeImage(opts.imagesDir, img.STATS_DUMP_IMG, 'STATS', [{
        dump: {
          freezing_time: freezingUs, frozen_time: frozenUs, memdump_time: memdumpUs, memwrite_time: memdumpUs,
          pages_scanned: BigInt(pages.pagesScanned), pages_skipped_parent: 0n, pages_written: BigInt(pages.pagesWritten), pages_lazy: 0n,
        },
      }]);
    });
    dumped = true;
    return { pagesWritten: pages.pagesWritten, pagesScanned: pages.pagesScanned, frozenMs: usSince(tFrozen) / 1000 };
  } finally {
    if (infection) {
      try { infection.cure(); } catch (e) { log.error(`curing task ${pid} failed: ${(e as Error).message}`); }
    }
    if (dumped && !opts.leaveRunning) {
      native.kill(pid, SIGKILL);
      try { native.waitpid(pid, __WALL); } catch { /* reaped elsewhere */ }
      log.info(`task ${pid} killed after dump`);
    } else {
      tracee.detach();
      log.info(`task ${pid} resumed`);
    }
  }
}

interface ThreadState {
  regs: ReturnType<Tracee['getRegs']>;
  xstate: Buffer;
  sigmask: bigint;
  rseq: ReturnType<typeof readRseq>;
  sigPrivate: Buffer[];
  sigShared: Buffer[];
  state: {
    sigactions: ReturnType<typeof dumpSigactions>;
    itimers: ReturnType<typeof dumpItimers>;
    rlimits: ReturnType<typeof dumpRlimits>;
    thread: ReturnType<typeof dumpThreadAttrs>;
    process: ReturnType<typeof dumpProcessAttrs>;
    secbits: number;
  };
  pagemap: img.Entry[];
}

function regFile(id: number, name: string, flags: number): img.Entry {
  return {
    type: 1, id,
    reg: { id, flags, pos: 0n, fown: { uid: 0, euid: 0, signum: 0, pid_type: 0, pid: 0 }, name },
  };
}

const O_DIRECTORY = 0o200000;

function writeTaskImages(opts: DumpOptions, snap: ProcSnapshot, vmas: VmaInfo[], fdTable: ReturnType<typeof dumpFdTable>, newId: () => number, t: ThreadState): void {
  const { pid, imagesDir: dir } = opts;
  const st = snap.stat;
  const ids = { vm_id: 1, files_id: 1, fs_id: 1, sighand_id: 1 };

  // cwd, root, exe and mapped files are files.img entries too, referenced by id.
  const files = [...fdTable.files];
  const cwdId = newId();
  files.push(regFile(cwdId, snap.cwd, O_DIRECTORY));
  const rootId = newId();
  files.push(regFile(rootId, snap.root, O_DIRECTORY));
  const exeId = newId();
  files.push(regFile(exeId, snap.exe, 0));
  const mapped = new Map<string, number>();
  for (const v of vmas) {
    if (!v.path) continue;
    const key = `${v.path}\0${v.entry.fdflags ?? 0}`;
    let id = mapped.get(key);
    if (id === undefined) {
      id = newId();
      mapped.set(key, id);
      files.push(regFile(id, v.path, v.entry.fdflags ?? 0));
    }
    v.entry.shmid = BigInt(id);
  }

  const x = decodeXsave(t.xstate);
  const { state } = t;
  const creds = credsFromStatus(snap.status, state.secbits);
  const core = {
    mtype: 1,
    thread_info: {
      clear_tid_addr: state.thread.clearTidAddr,
      gpregs: { ...t.regs, mode: 1 },
      fpregs: x,
    },
    tc: {
      task_state: 1, exit_code: 0, personality: snap.personality, flags: st.flags,
      blk_sigset: t.sigmask, comm: st.comm,
      timers: state.itimers,
      rlimits: { rlimits: state.rlimits },
      signals_s: { signals: t.sigShared.map((siginfo) => ({ siginfo })) },
      oom_score_adj: snap.oomScoreAdj,
      sigactions: state.sigactions,
      child_subreaper: state.process.childSubreaper,
    },
    thread_core: {
      futex_rla: state.thread.futexRla, futex_rla_len: state.thread.futexRlaLen,
      sched_nice: st.nice, sched_policy: st.policy, sched_prio: st.rtPriority,
      blk_sigset: t.sigmask,
      sas: state.thread.sas,
      pdeath_sig: state.thread.pdeathSig,
      signals_p: { signals: t.sigPrivate.map((siginfo) => ({ siginfo })) },
      creds,
      comm: st.comm,
      rseq_entry: t.rseq,
    },
  };
  const mm = {
    mm_start_code: st.startCode, mm_end_code: st.endCode, mm_start_data: st.startData, mm_end_data: st.endData,
    mm_start_stack: st.startStack, mm_start_brk: st.startBrk, mm_brk: state.process.brk,
    mm_arg_start: st.argStart, mm_arg_end: st.argEnd, mm_env_start: st.envStart, mm_env_end: st.envEnd,
    exe_file_id: exeId, mm_saved_auxv: snap.auxv,
    vmas: vmas.map((v) => v.entry),
    dumpable: state.process.dumpable, thp_disabled: state.process.thpDisabled,
  };

  img.writeImage(dir, img.INVENTORY_IMG, 'INVENTORY', [{
    img_version: img.IMAGES_V1_1, fdinfo_per_id: true, root_ids: ids, ns_per_id: true, lsmtype: 0,
    dump_uptime: BigInt(Math.round(Number(fs.readFileSync('/proc/uptime', 'utf8').split(' ')[0]) * 1e6)),
  }]);
  img.writeImage(dir, img.PSTREE_IMG, 'PSTREE', [{ pid, ppid: 0, pgid: st.pgrp, sid: st.session, threads: [pid] }]);
  img.writeImage(dir, img.coreImg(pid), 'CORE', [core]);
  img.writeImage(dir, img.idsImg(pid), 'IDS', [ids]);
  img.writeImage(dir, img.mmImg(pid), 'MM', [mm]);
  img.writeImage(dir, img.pagemapImg(pid), 'PAGEMAP', [{ pages_id: PAGES_ID }, ...t.pagemap]);
  img.writeImage(dir, img.fdinfoImg(ids.files_id), 'FDINFO', fdTable.fdinfo);
  img.writeImage(dir, img.FILES_IMG, 'FILES', files);
  img.writeImage(dir, img.fsImg(pid), 'FS', [{ cwd_id: cwdId, root_id: rootId, umask: Number.parseInt(snap.status.get('Umask') ?? '22', 8) }]);
}
