/** Pending signals: peeked without dequeuing at dump, queued again inside the task at restore. */
import { native } from '../native';
import { SYS } from '../arch/x86_64/syscalls';
import { Injected } from './injected';
import { CallBatch } from './call-batch';

const SIGINFO_SIZE = 128;

/** The raw 128-byte siginfos of the private (per-thread) or shared (process) queue. */
export function peekPendingSignals(tid: number, shared: boolean): Buffer[] {
  const out: Buffer[] = [];
  for (;;) {
    const b = native.ptracePeekSiginfo(tid, out.length, 32, shared);
    for (let i = 0; i < b.length; i += SIGINFO_SIZE) out.push(Buffer.from(b.subarray(i, i + SIGINFO_SIZE)));
    if (b.length < 32 * SIGINFO_SIZE) return out;
  }
}

/**
 * Queues each siginfo again: rt_sigqueueinfo to the process for shared ones, rt_tgsigqueueinfo to
 * the thread for private ones. A task may queue any si_code to itself, so the siginfo is kept whole.
 */
export function queuePendingSignals(t: Injected, tgid: number, tid: number, infos: Buffer[], shared: boolean): void {
  const b = new CallBatch(t);
  addPendingSignals(b, tgid, tid, infos, shared);
  b.run();
}

/** queuePendingSignals' calls, added to batch `b`. */
export function addPendingSignals(b: CallBatch, tgid: number, tid: number, infos: Buffer[], shared: boolean): void {
  for (const si of infos) {
    const signo = si.readInt32LE(0);
    if (shared) b.call(SYS.rt_sigqueueinfo, tgid, signo, b.put(si));
    else b.call(SYS.rt_tgsigqueueinfo, tgid, tid, signo, b.put(si));
  }
}
