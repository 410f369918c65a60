/**
 * A thread's CPU affinity (sched_setaffinity) and speculation controls (PR_SET_SPECULATION_CTRL:
 * store bypass, indirect branch, L1D flush), which nothing else carries. Affinity comes from
 * /proc (Cpus_allowed), the controls from injected prctl; both are set inside the thread.
 */
import { SYS } from '../arch/x86_64/syscalls';
import { ProcStatus } from '../proc/status';
import type { CallBatch } from './call-batch';
import type { Query } from './queries';
import { mutated } from '../mutant';

const SYS_sched_setaffinity = 203;
const PR_GET_SPECULATION_CTRL = 52, PR_SET_SPECULATION_CTRL = 53;
/** PR_SPEC_STORE_BYPASS, PR_SPEC_INDIRECT_BRANCH, PR_SPEC_L1D_FLUSH. */
const SPEC_KINDS = [0, 1, 2];
const PR_SPEC_PRCTL = 1, PR_SPEC_ENABLE = 2;
/** What sched_setaffinity is given: room for 1024 CPUs. */
const MASK_BYTES = 128;

/** Cpus_allowed ("ff,ffffffff": 32-bit words in hex, the highest first) as bytes, CPU 0 first. */
export function affinityFromStatus(st: ProcStatus): Buffer {
  const words = (st.get('Cpus_allowed') ?? '').split(',').reverse();
  const b = Buffer.alloc(Math.max(4, words.length * 4));
  words.forEach((w, i) => b.writeUInt32LE(parseInt(w || '0', 16) >>> 0, i * 4));
  return b;
}

/** Each kind's control as PR_GET_SPECULATION_CTRL answers (negative: the kernel has none). */
export const speculation: Query<number[]> = {
  bytes: 0,
  calls: () => SPEC_KINDS.map((k) => ({ nr: SYS.prctl, args: [PR_GET_SPECULATION_CTRL, k, 0, 0, 0] })),
  read: (results) => results.map(Number),
};

/** The calls that give the thread its CPU affinity (where it differs from `current`) and speculation controls, added to batch `b`. */
export function addThreadCpu(b: CallBatch, affinity: Buffer | undefined, spec: number[] | undefined, current: Buffer): void {
  if (mutated('skip-cpu-affinity')) return;
  if (affinity?.length && !affinity.equals(current.subarray(0, affinity.length))) {
    const m = Buffer.alloc(MASK_BYTES);
    affinity.copy(m, 0, 0, Math.min(affinity.length, MASK_BYTES));
    b.call(SYS_sched_setaffinity, 0, MASK_BYTES, b.put(m));
  }
  (spec ?? []).forEach((v, kind) => {
    // Only what a program can choose (PR_SPEC_PRCTL), and only away from the default.
    if (v < 0 || !(v & PR_SPEC_PRCTL)) return;
    const ctrl = v & ~PR_SPEC_PRCTL;
    if (ctrl === PR_SPEC_ENABLE || ctrl === 0) return;
    b.call(SYS.prctl, PR_SET_SPECULATION_CTRL, SPEC_KINDS[kind], ctrl, 0, 0);
  });
}
