/**
 * Per-thread attributes that only the thread can tell or set (thread_core_entry): alternate
 * signal stack, robust futex list, clear_child_tid address, parent-death signal.
 */
import { SYS } from '../arch/x86_64/syscalls';
import { isErrorResult } from '../compel/remote-syscalls';
import type { CallBatch } from './call-batch';
import { SysError } from '../errors';
import type { Query } from './queries';
import { mutated } from '../mutant';

const PR_SET_PDEATHSIG = 1;
const PR_GET_PDEATHSIG = 2;
const PR_GET_TID_ADDRESS = 40;
const SS_DISABLE = 2;

export interface ThreadAttrs {
  sas: { ss_sp: bigint; ss_size: bigint; ss_flags: number };
  futexRla: bigint;
  futexRlaLen: number;
  clearTidAddr: bigint;
  pdeathSig: number;
}

/** The stack at 0, the robust list at 32, the tid address at 48, the parent-death signal at 56. */
export const threadAttrs: Query<ThreadAttrs> = {
  bytes: 64,
  calls: (at) => [
    { nr: SYS.sigaltstack, args: [0, at] },
    { nr: SYS.get_robust_list, args: [0, at + 32n, at + 40n] },
    { nr: SYS.prctl, args: [PR_GET_TID_ADDRESS, at + 48n] },
    { nr: SYS.prctl, args: [PR_GET_PDEATHSIG, at + 56n] },
  ],
  read: (results, all) => {
    const bad = results.findIndex(isErrorResult);
    if (bad >= 0) throw new SysError(Number(-results[bad]), `${['sigaltstack', 'get_robust_list', 'prctl(PR_GET_TID_ADDRESS)', 'prctl(PR_GET_PDEATHSIG)'][bad]} (inside the task)`);
    const ss = all.subarray(0, 24), rl = all.subarray(32, 48), tid = all.subarray(48, 56), pd = all.subarray(56, 60);
    return {
      sas: { ss_sp: ss.readBigUInt64LE(0), ss_flags: ss.readInt32LE(8), ss_size: ss.readBigUInt64LE(16) },
      futexRla: rl.readBigUInt64LE(0),
      futexRlaLen: Number(rl.readBigUInt64LE(8)),
      clearTidAddr: tid.readBigUInt64LE(0),
      pdeathSig: pd.readInt32LE(0),
    };
  },
};

/** The calls that give a thread its attributes, added to batch `b`. */
export function addThreadAttrs(b: CallBatch, a: ThreadAttrs): void {
  if (!(a.sas.ss_flags & SS_DISABLE)) {
    const s = Buffer.alloc(24);
    s.writeBigUInt64LE(a.sas.ss_sp, 0);
    // SS_ONSTACK is a state, not a setting: the kernel derives it from the stack pointer.
    s.writeInt32LE((a.sas.ss_flags & ~1) | 0, 8);
    s.writeBigUInt64LE(a.sas.ss_size, 16);
    b.call(SYS.sigaltstack, b.put(s), 0);
  }
  if (a.futexRla !== 0n) b.call(SYS.set_robust_list, a.futexRla, a.futexRlaLen);
  b.call(SYS.set_tid_address, a.clearTidAddr);
  if (a.pdeathSig && !mutated('skip-pdeathsig')) b.call(SYS.prctl, PR_SET_PDEATHSIG, a.pdeathSig);
}

