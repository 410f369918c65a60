/**
 * prctl states nothing else carries, each read with its PR_GET_* inside the task and set again
 * with its PR_SET_* where it differs from what a fresh task has. Per thread: timer slack, the
 * TSC mode, the machine-check kill policy, the I/O flusher flag. Per address space: memory-deny-
 * write-execute and KSM merging. PRCTL_STATES is the list test/task/prctl-states.test.ts checks
 * against every PR_GET_* the kernel has: each is carried here or elsewhere, or refused.
 */
import { SYS } from '../arch/x86_64/syscalls';
import { Injected } from './injected';
import { runQuery, type Query } from './queries';
import { mutated } from '../mutant';
import type { ProgramCall } from '../arch/x86_64/syscall-program';

const PR_GET_TSC = 25, PR_SET_TSC = 26, PR_SET_TIMERSLACK = 29, PR_GET_TIMERSLACK = 30;
const PR_MCE_KILL = 33, PR_MCE_KILL_GET = 34, PR_MCE_KILL_SET = 1, PR_MCE_KILL_DEFAULT = 2;
const PR_SET_IO_FLUSHER = 57, PR_GET_IO_FLUSHER = 58;
const PR_SET_MDWE = 65, PR_GET_MDWE = 66, PR_SET_MEMORY_MERGE = 67, PR_GET_MEMORY_MERGE = 68;
const PR_TSC_ENABLE = 1;

/** Where each PR_GET_* of the kernel is handled (the test checks this list is complete). */
export const PRCTL_STATES: Record<string, string> = {
  PR_GET_PDEATHSIG: 'thread-attrs (pdeath_sig)', PR_GET_DUMPABLE: 'process-attrs (mm dumpable)',
  PR_GET_UNALIGN: 'not on x86_64', PR_GET_KEEPCAPS: 'creds (secbits: SECBIT_KEEP_CAPS)', PR_GET_FPEMU: 'not on x86_64',
  PR_GET_FPEXC: 'not on x86_64', PR_GET_TIMING: 'always PR_TIMING_STATISTICAL', PR_GET_NAME: 'comm',
  PR_GET_ENDIAN: 'not on x86_64', PR_GET_SECCOMP: 'seccomp', PR_CAPBSET_READ: 'creds (cap_bnd)',
  PR_GET_TSC: 'here (thread)', PR_GET_SECUREBITS: 'creds (secbits)', PR_GET_TIMERSLACK: 'here (thread)',
  PR_MCE_KILL_GET: 'here (thread)', PR_GET_CHILD_SUBREAPER: 'process-attrs', PR_GET_NO_NEW_PRIVS: 'creds',
  PR_GET_TID_ADDRESS: 'thread-attrs (clear_tid_addr)', PR_GET_THP_DISABLE: 'process-attrs (mm thp_disabled)',
  PR_CAP_AMBIENT: 'creds (cap_amb)', PR_GET_FP_MODE: 'not on x86_64', PR_GET_SPECULATION_CTRL: 'thread-cpu',
  PR_GET_TAGGED_ADDR_CTRL: 'not on x86_64', PR_GET_IO_FLUSHER: 'here (thread)', PR_GET_MDWE: 'here (address space)',
  PR_GET_MEMORY_MERGE: 'here (address space)', PR_GET_AUXV: 'mm (mm_saved_auxv)', PR_RISCV_V_GET_CONTROL: 'not on x86_64',
  PR_GET_SHADOW_STACK_STATUS: 'refused by VmFlags "ss" (shadow stack mapping)',
  PR_PPC_GET_DEXCR: 'not on x86_64', PR_GET_THP_POLICY: 'not in this kernel (6.18)',
  PR_SCHED_CORE: 'refused when the thread has a core scheduling cookie (here)',
  PR_SVE_GET_VL: 'not on x86_64', PR_SME_GET_VL: 'not on x86_64', PR_PAC_GET_ENABLED_KEYS: 'not on x86_64',
  PR_GET_MM_EXE_FILE: 'mm (exe_file_id: /proc/PID/exe)',
};

export interface ThreadPrctls { timerslack: number; tsc: number; mceKill: number; ioFlusher: number }
export interface MmPrctls { mdwe: number; memoryMerge: number }

const PR_SCHED_CORE = 62, PR_SCHED_CORE_GET = 0;

/** A core scheduling cookie (PR_SCHED_CORE): what it is shared with cannot be rebuilt yet. */
export const coreSchedCookie: Query<bigint> = {
  bytes: 8,
  calls: (at) => [{ nr: SYS.prctl, args: [PR_SCHED_CORE, PR_SCHED_CORE_GET, 0, 0, at] }],
  read: ([r], data) => (r < 0n ? 0n : data.readBigUInt64LE(0)),
};

/** One batch: each answer, or an errno where the kernel lacks the option. */
export const threadPrctls: Query<ThreadPrctls> = {
  bytes: 4,
  calls: (at) => [
    { nr: SYS.prctl, args: [PR_GET_TIMERSLACK] },
    { nr: SYS.prctl, args: [PR_GET_TSC, at] },
    { nr: SYS.prctl, args: [PR_MCE_KILL_GET] },
    { nr: SYS.prctl, args: [PR_GET_IO_FLUSHER] },
  ],
  read: ([slack, tsc, mce, flusher], data) => ({
    timerslack: slack < 0n ? 0 : Number(slack),
    tsc: tsc < 0n ? 0 : data.readInt32LE(0),
    mceKill: mce < 0n ? PR_MCE_KILL_DEFAULT : Number(mce),
    ioFlusher: flusher < 0n ? 0 : Number(flusher),
  }),
};

export function dumpThreadPrctls(t: Injected): ThreadPrctls {
  return runQuery(t, threadPrctls);
}

/** MDWE and KSM merging; a kernel without either answers EINVAL: neither in force. */
export const mmPrctls: Query<MmPrctls> = {
  bytes: 0,
  calls: () => [{ nr: SYS.prctl, args: [PR_GET_MDWE, 0, 0, 0, 0] }, { nr: SYS.prctl, args: [PR_GET_MEMORY_MERGE, 0, 0, 0, 0] }],
  read: ([mdwe, merge]) => ({ mdwe: mdwe < 0n ? 0 : Number(mdwe), memoryMerge: merge < 0n ? 0 : Number(merge) }),
};

/** `fresh`: what the stub reads (timer slack is inherited from the restorer). */
/** The calls that set a thread's prctl states where they differ from `fresh`'s, for one batch. */
export function threadPrctlCalls(p: Partial<ThreadPrctls>, fresh: ThreadPrctls): ProgramCall[] {
  if (mutated('skip-prctl-states')) return [];
  const calls: ProgramCall[] = [];
  if (p.timerslack && p.timerslack !== fresh.timerslack) calls.push({ nr: SYS.prctl, args: [PR_SET_TIMERSLACK, p.timerslack] });
  if (p.tsc && p.tsc !== PR_TSC_ENABLE) calls.push({ nr: SYS.prctl, args: [PR_SET_TSC, p.tsc] });
  if (p.mceKill !== undefined && p.mceKill !== PR_MCE_KILL_DEFAULT && p.mceKill !== fresh.mceKill) calls.push({ nr: SYS.prctl, args: [PR_MCE_KILL, PR_MCE_KILL_SET, p.mceKill, 0, 0] });
  // Needs CAP_SYS_RESOURCE: a restorer without it fails here, naming the call.
  if (p.ioFlusher) calls.push({ nr: SYS.prctl, args: [PR_SET_IO_FLUSHER, 1, 0, 0, 0] });
  return calls;
}

export function restoreThreadPrctls(t: Injected, p: Partial<ThreadPrctls>, fresh: ThreadPrctls): void {
  const calls = threadPrctlCalls(p, fresh);
  if (calls.length) t.remote.callBatch(calls);
}

/** Last, once every mapping is in place: MDWE would forbid making a mapping executable later. */
export function restoreMmPrctls(t: Injected, p: Partial<MmPrctls>): void {
  if (mutated('skip-prctl-states')) return;
  if (p.memoryMerge) t.remote.call(SYS.prctl, PR_SET_MEMORY_MERGE, 1, 0, 0, 0);
  if (p.mdwe) t.remote.call(SYS.prctl, PR_SET_MDWE, p.mdwe, 0, 0, 0);
}
