/**
 * Per-thread attributes that only the thread can tell or set (thread_core_entry): alternate
 * signal stack, robust futex list, clear_child_tid address, parent-death signal.
 */
import { SYS } from '../arch/x86_64/syscalls';
import { Injected } from './injected';
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

export function dumpThreadAttrs(t: Injected): ThreadAttrs {
  // One batch of injected calls: the stack at 0, the robust list at 32, the tid address at 48,
  // the parent-death signal at 56 of the data buffer.
  t.remote.callBatch([
    { nr: SYS.sigaltstack, args: [0, t.data] },
    { nr: SYS.get_robust_list, args: [0, t.data + 32n, t.data + 40n] },
    { nr: SYS.prctl, args: [PR_GET_TID_ADDRESS, t.data + 48n] },
    { nr: SYS.prctl, args: [PR_GET_PDEATHSIG, t.data + 56n] },
  ]);
  const all = t.mem.read(t.data, 64);
  const ss = all.subarray(0, 24), rl = all.subarray(32, 48), tid = all.subarray(48, 56), pd = all.subarray(56, 60);
  return {
    sas: { ss_sp: ss.readBigUInt64LE(0), ss_flags: ss.readInt32LE(8), ss_size: ss.readBigUInt64LE(16) },
    futexRla: rl.readBigUInt64LE(0),
    futexRlaLen: Number(rl.readBigUInt64LE(8)),
    clearTidAddr: tid.readBigUInt64LE(0),
    pdeathSig: pd.readInt32LE(0),
  };
}

export function restoreThreadAttrs(t: Injected, a: ThreadAttrs): void {
  if (!(a.sas.ss_flags & SS_DISABLE)) {
    const b = Buffer.alloc(24);
    b.writeBigUInt64LE(a.sas.ss_sp, 0);
    // SS_ONSTACK is a state, not a setting: the kernel derives it from the stack pointer.
    b.writeInt32LE((a.sas.ss_flags & ~1) | 0, 8);
    b.writeBigUInt64LE(a.sas.ss_size, 16);
    t.mem.write(t.data, b);
    t.remote.call(SYS.sigaltstack, t.data, 0);
  }
  if (a.futexRla !== 0n) t.remote.call(SYS.set_robust_list, a.futexRla, a.futexRlaLen);
  t.remote.call(SYS.set_tid_address, a.clearTidAddr);
  if (a.pdeathSig && !mutated('skip-pdeathsig')) t.remote.call(SYS.prctl, PR_SET_PDEATHSIG, a.pdeathSig);
}
