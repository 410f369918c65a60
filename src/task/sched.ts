/** Scheduling of a thread (thread_core_entry sched_*): policy, RT priority and nice, set inside it. */
import { SYS } from '../arch/x86_64/syscalls';
import { Injected } from './injected';
import type { CallBatch } from './call-batch';

const SYS_setpriority = 141;
const SYS_sched_setscheduler = 144;
const PRIO_PROCESS = 0;

export interface SchedEntry { sched_policy?: number; sched_prio?: number; sched_nice?: number }

/** policy 0 (SCHED_OTHER) with nice 0 is what a stub already has: nothing to do then. */
export function restoreSched(t: Injected, tid: number, e: SchedEntry): void {
  // SCHED_RESET_ON_FORK rides along in the policy word, as sched_setscheduler takes it.
  if ((e.sched_policy ?? 0) !== 0 || (e.sched_prio ?? 0) !== 0) {
    const param = Buffer.alloc(4);
    param.writeInt32LE(e.sched_prio ?? 0, 0);
    t.mem.write(t.data, param);
    t.remote.call(SYS_sched_setscheduler, 0, e.sched_policy ?? 0, t.data);
  }
  // setpriority(PRIO_PROCESS, tid) acts on one thread, despite its name.
  if ((e.sched_nice ?? 0) !== 0) t.remote.call(SYS_setpriority, PRIO_PROCESS, tid, e.sched_nice ?? 0);
}

/** restoreSched's calls, added to batch `b`. */
export function addSched(b: CallBatch, tid: number, e: SchedEntry): void {
  if ((e.sched_policy ?? 0) !== 0 || (e.sched_prio ?? 0) !== 0) {
    const param = Buffer.alloc(4);
    param.writeInt32LE(e.sched_prio ?? 0, 0);
    b.call(SYS_sched_setscheduler, 0, e.sched_policy ?? 0, b.put(param));
  }
  if ((e.sched_nice ?? 0) !== 0) b.call(SYS_setpriority, PRIO_PROCESS, tid, e.sched_nice ?? 0);
}
