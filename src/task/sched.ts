/** Scheduling of a thread (thread_core_entry sched_*): policy, RT priority and nice, set inside it. */
import { SYS } from '../arch/x86_64/syscalls';
import type { CallBatch } from './call-batch';

const SYS_setpriority = 141;
const SYS_sched_setscheduler = 144;
const PRIO_PROCESS = 0;

export interface SchedEntry { sched_policy?: number; sched_prio?: number; sched_nice?: number }

/** The calls that schedule the thread as `e` says, added to batch `b` (SCHED_OTHER at nice 0, what a stub has: none). */
export function addSched(b: CallBatch, tid: number, e: SchedEntry): void {
  // SCHED_RESET_ON_FORK rides along in the policy word, as sched_setscheduler takes it.
  if ((e.sched_policy ?? 0) !== 0 || (e.sched_prio ?? 0) !== 0) {
    const param = Buffer.alloc(4);
    param.writeInt32LE(e.sched_prio ?? 0, 0);
    b.call(SYS_sched_setscheduler, 0, e.sched_policy ?? 0, b.put(param));
  }
  // setpriority(PRIO_PROCESS, tid) acts on one thread, despite its name.
  if ((e.sched_nice ?? 0) !== 0) b.call(SYS_setpriority, PRIO_PROCESS, tid, e.sched_nice ?? 0);
}
