/**
 * One process of a frozen tree: what /proc says of it, its memory, and what only its threads
 * can tell (through injected syscalls). Produces the data its images are written from.
 */
import * as fs from 'node:fs';
import { infect, Infection, Tracee } from '../compel';
import { rseqProbeArea } from '../compel/infect';
import { step, UnsupportedError } from '../errors';
import { faultPoint, hangPoint, pretends, type FaultPlan } from '../fault';
import { Logger } from '../log';
import { Entry } from '../images';
import { classifyVma, statMappedFiles, VMA, VmaInfo } from '../mem/vma';
import { memo } from '../files/socket-info';
import { dumpMemfdMappings } from '../files/memfd';
import { dumpPages, PagesDumpResult } from '../mem/dump-pages';
import { dumpShmemObject } from '../mem/shmem';
import { dumpFdTable, FdTableDump, FileRegistry } from '../files/fd-table';
import { FileDumpContext } from '../files/types';
import { FrozenProcess } from '../pstree/freeze';
import { ProcSnapshot, readProcSnapshot, refuseLostExe, removedCwd } from './collect';
import { dumpGhostDir, dumpMappedGhosts } from '../files/ghost';
import { sigactionsQuery, SaEntry } from '../task/sigactions';
import { itimersQuery, ItimersEntry } from '../task/itimers';
import { posixTimersQuery, PosixTimerEntry } from '../task/posix-timers';
import { readProcLimits, RlimitEntry } from '../task/rlimits';
import { threadAttrs, ThreadAttrs } from '../task/thread-attrs';
import { processAttrsQuery, ProcessAttrs } from '../task/process-attrs';
import { readRseq, RseqEntry } from '../task/rseq';
import { glibcRseq, GlibcRseq } from '../task/glibc-rseq';
import { peekPendingSignals } from '../task/signals';
import { SYS } from '../arch/x86_64/syscalls';
import { GpRegs } from '../arch/x86_64/regs';
import { parseStat, ProcStat } from '../proc/stat';
import { parseStatus, ProcStatus } from '../proc/status';
import { Injected } from '../task/injected';
import { SeccompFilters } from '../task/seccomp';
import { refuseStatusState } from '../task/status-rows';
import { mappingPolicies, refuseAskedPolicies, refuseMappingPolicies, refuseThreadMempolicy, threadMempolicy } from '../task/mempolicy';
import { membarrierFrom, membarrierRegistrations } from '../task/membarrier';
import { speculation } from '../task/thread-cpu';
import { answer, runQueries, runQuery, type Answers, type Query } from '../task/queries';
import { coreSchedCookie, mmPrctls, threadPrctls, MmPrctls, ThreadPrctls } from '../task/prctl-states';

const PR_GET_SECUREBITS = 27;
const SIGCONT = 18;
const SYS_sched_getscheduler = 145;

export interface ThreadDump {
  tid: number;
  regs: GpRegs;
  xstate: Buffer;
  sigmask: bigint;
  rseq?: RseqEntry;
  sigPrivate: Buffer[];
  attrs: ThreadAttrs;
  stat: ProcStat;
  status: ProcStatus;
  secbits: number;
  seccompMode: number;
  seccompFilter?: number;
  /** sched_getscheduler: the policy with SCHED_RESET_ON_FORK, which /proc does not show. */
  schedPolicy: number;
  specCtrl: number[];
  prctls: ThreadPrctls;
}

export interface ProcessDump {
  proc: FrozenProcess;
  snap: ProcSnapshot;
  vmas: VmaInfo[];
  fdTable: FdTableDump;
  pagesId: number;
  pages: PagesDumpResult;
  sigShared: Buffer[];
  sigactions: SaEntry[];
  itimers: ItimersEntry;
  posixTimers: PosixTimerEntry[];
  rlimits: RlimitEntry[];
  attrs: ProcessAttrs;
  mmPrctls: MmPrctls;
  /** membarrier registrations (REGISTER_* bits). */
  membarrier: number;
  threads: ThreadDump[];
  /** A removed working directory: the file id (a ghost directory) and old path of the cwd. */
  cwdFile?: { id: number; name: string };
}

/** Tree-wide state shared by the dumps of all processes. */
export interface DumpSession {
  imagesDir: string;
  shellJob: boolean;
  log: Logger;
  nextFileId(): number;
  files: FileRegistry;
  /** Ranges of shared anonymous memory objects (inode:pgoff:len) whose pages are dumped already. */
  shmemDumped: Set<string>;
  pagesFd(id: number): number;
  /** Bytes of memory written, for progress. */
  onBytes?(n: number): void;
  /** The step this dump is to fail at (tests). */
  fault?: FaultPlan;
  /** Context for fd kinds, shared by every process. */
  fileCtx: FileDumpContext;
  seccomp: SeccompFilters;
}

/** Mappings asked for their NUMA policy by injected calls at most (beyond, numa_maps is cheaper). */
const POLICY_QUESTIONS_MAX = 256;
/** Resident memory above which asking beats reading numa_maps (about 28 ms per GiB here). */
const POLICY_ASK_RSS_KB = 64 * 1024;

function readThreadProc(pid: number, tid: number): { stat: ProcStat; status: ProcStatus } {
  return {
    stat: parseStat(fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8')),
    status: parseStatus(fs.readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8')),
  };
}

/** What asking a thread for its rseq registration needs (kernels before 5.13: task/rseq.ts). */
interface RseqAsk { tp: bigint; glibc: () => GlibcRseq | undefined; area: bigint; always: boolean; whileAsked: () => void }

/**
 * A thread's state; `withIt`: queries of the process asked in the same stop (the main thread's
 * batch carries the process's: one stop instead of seven per process).
 */
function threadState<E extends Record<string, Query<unknown>>>(s: DumpSession, t: Tracee, pid: number, inj: Injected, rseq: RseqAsk, withIt: E): Omit<ThreadDump, 'regs' | 'sigmask'> & { withIt: Answers<E> } {
  const proc = readThreadProc(pid, t.pid);
  refuseStatusState(t.pid, proc.status);
  // Everything the thread answers through injected syscalls, in one stop.
  const own = {
    mempolicy: threadMempolicy, coreSched: coreSchedCookie, attrs: threadAttrs, secbits: answer(SYS.prctl, PR_GET_SECUREBITS),
    schedPolicy: answer(SYS_sched_getscheduler, 0), specCtrl: speculation, prctls: threadPrctls,
  };
  for (const k of Object.keys(withIt)) if (k in own) throw new Error(`query ${k} asked twice`);
  const all: Record<string, unknown> = runQueries(inj, { ...withIt, ...own } as Record<string, Query<unknown>>);
  const q = all as Answers<typeof own>;
  refuseThreadMempolicy(t.pid, q.mempolicy);
  if (q.coreSched !== 0n) throw new UnsupportedError(t.pid, 'thread', 'it has a core scheduling cookie (PR_SCHED_CORE), which amber does not carry yet');
  const seccompMode = Number(proc.status.get('Seccomp') ?? '0');
  return {
    seccompMode,
    seccompFilter: seccompMode === 2 ? s.seccomp.addThread(t.pid) : undefined,
    tid: t.pid,
    xstate: t.getXstate(),
    rseq: readRseq(t.pid, { t: inj, tp: rseq.tp, get glibc() { return rseq.glibc(); }, area: rseq.area, always: rseq.always, whileAsked: rseq.whileAsked }),
    sigPrivate: peekPendingSignals(t.pid, false),
    attrs: q.attrs, secbits: q.secbits, schedPolicy: q.schedPolicy, specCtrl: q.specCtrl, prctls: q.prctls,
    ...proc,
    // The process's answers (beside the thread's own, which the caller does not read there).
    withIt: all as Answers<E>,
  };
}

export function dumpProcess(s: DumpSession, proc: FrozenProcess, pagesId: number): ProcessDump {
  const { pid } = proc;
  const log = s.log.child(`(${pid})`);
  faultPoint('dump:collect', s.fault);
  const snap = step('reading /proc', pid, () => readProcSnapshot(pid));
  refuseLostExe(pid, snap);
  // A removed working directory is a ghost directory, whose file id is the fs image's cwd_id.
  const gone = removedCwd(pid, snap);
  let cwdFile: ProcessDump['cwdFile'];
  if (gone !== undefined) {
    const id = s.nextFileId();
    step('dumping the removed working directory', pid, () => dumpGhostDir(pid, `/proc/${pid}/cwd`, snap.cwd, id, s.fileCtx));
    cwdFile = { id, name: gone };
  }
  const vmas: VmaInfo[] = snap.maps.map((m) => classifyVma(m, pid));
  // numa_maps walks every page; a process of much memory in few mappings is asked instead, once
  // infected (its threads' own policy is refused unless default, so the answers are the mappings').
  const askPolicies = vmas.length <= POLICY_QUESTIONS_MAX && Number(/^(\d+)/.exec(snap.status.get('VmRSS') ?? '')?.[1] ?? 0) > POLICY_ASK_RSS_KB;
  if (!askPolicies) refuseMappingPolicies(pid);
  for (const v of vmas) {
    if (v.entry.status & VMA.ANON_SHARED) {
      // The object's contents, once, in pagemap-shmem-SHMID.img (shmem.ts), none in the process pagemap.
      v.pages = 'none';
      const key = `shmem-contents:${v.entry.shmid}`;
      if (!s.shmemDumped.has(key)) {
        s.shmemDumped.add(key);
        step('dumping shared anonymous memory', pid, () => dumpShmemObject(pid, v.entry, s.fileCtx));
      }
    }
  }
  step('dumping mapped memfds', pid, () => dumpMemfdMappings(pid, vmas, s.fileCtx));
  step('dumping mapped unlinked files', pid, () => dumpMappedGhosts(pid, vmas, s.nextFileId, s.fileCtx));
  step('reading mapped files', pid, () => statMappedFiles(pid, vmas, memo(s.fileCtx, 'mapped-file-stats', () => new Map())));
  faultPoint('dump:files', s.fault);
  const fdTable = step('reading the fd table', pid, () => dumpFdTable(pid, s.fileCtx, s.nextFileId, s.files));
  // Registers and masks before anything is injected.
  const before = proc.threads.map((t) => ({ t, regs: t.getRegs(), sigmask: t.getSigmask() }));
  // A stopped task was sent SIGCONT by the freeze itself (to take it out of its job-control
  // stop): that one is ours, not the program's.
  const fromFreeze = (si: Buffer) => proc.state === 'stopped' && si.readInt32LE(0) === SIGCONT && si.readInt32LE(16) === process.pid;
  const sigShared = peekPendingSignals(pid, true).filter((si) => !fromFreeze(si));

  faultPoint('dump:memory', s.fault);
  const t0 = process.hrtime.bigint();
  const pages = step('dumping memory', pid, () => dumpPages(pid, vmas, s.pagesFd(pagesId), s.onBytes));
  log.info(`memory: ${pages.pagesWritten} pages written of ${pages.pagesScanned} scanned in ${(process.hrtime.bigint() - t0) / 1000n} us`);

  faultPoint('dump:infect', s.fault);
  let infection: Infection | undefined = step('injecting the syscall gadget', pid, () => infect(proc.threads[0], snap.maps, (moment) => hangPoint(`dump:infect:${moment}`, s.fault)));
  try {
    faultPoint('dump:task-state', s.fault);
    const inf = infection;
    // glibc's rseq layout, read only if a thread has to be asked (once for all its threads).
    let glibc: GlibcRseq | undefined | null = null;
    const glibcOf = () => (glibc === null ? (glibc = glibcRseq(pid, snap.maps, inf.mem)) : glibc);
    const rseqAsk = (regs: GpRegs): RseqAsk => ({ tp: regs.fs_base, glibc: glibcOf, area: rseqProbeArea(inf.scratch), always: pretends(s.fault, 'no-get-rseq-conf'), whileAsked: () => hangPoint('dump:rseq-asked', s.fault) });
    if (askPolicies) {
      // [vsyscall] is no mapping of the process's own (get_mempolicy answers EFAULT for it).
      const starts = snap.maps.filter((m) => m.path !== '[vsyscall]').map((m) => m.start);
      refuseAskedPolicies(pid, starts, runQuery(inf, mappingPolicies(starts)));
    }
    const state = step('reading task state through injected syscalls', pid, () => {
      const threads: ThreadDump[] = [];
      const processQueries = {
        // While infected, SIGTRAP's handler is amber's recovery code: the task's own is kept aside.
        sigactions: sigactionsQuery(~0n, new Map([[5, inf.savedTrapAction]])),
        itimers: itimersQuery,
        posixTimers: posixTimersQuery(pid),
        processAttrs: processAttrsQuery(pid, inf.scratch, snap.status.get('VmLck')),
        mmPrctls,
        membarrier: membarrierRegistrations,
      };
      let processState: Answers<typeof processQueries> | undefined;
      for (const b of before) {
        if (b.t === proc.threads[0]) {
          const { withIt, ...thread } = threadState(s, b.t, pid, inf, rseqAsk(b.regs), processQueries);
          processState = withIt;
          threads.push({ ...thread, regs: b.regs, sigmask: b.sigmask });
          continue;
        }
        const ti = inf.thread(b.t);
        hangPoint('dump:thread-injection', s.fault);
        try {
          const { withIt: _none, ...thread } = threadState(s, b.t, pid, ti, rseqAsk(b.regs), {});
          threads.push({ ...thread, regs: b.regs, sigmask: b.sigmask });
        } finally {
          ti.release();
        }
      }
      const p = processState!;
      return {
        threads,
        sigactions: p.sigactions,
        itimers: p.itimers,
        posixTimers: p.posixTimers,
        rlimits: readProcLimits(pid),
        attrs: p.processAttrs,
        mmPrctls: p.mmPrctls,
        membarrier: membarrierFrom(inf, p.membarrier),
      };
    });
    step('removing the syscall gadget', pid, () => inf.cure());
    infection = undefined;
    faultPoint('dump:after-cure', s.fault);
    return { proc, snap, vmas, fdTable, pagesId, pages, sigShared, cwdFile, ...state };
  } finally {
    if (infection) {
      try { infection.cure(); } catch (e) { log.error(`curing task ${pid} failed: ${(e as Error).message}`); }
    }
  }
}

