/** Signal handlers (sa_entry, in core's task_core_entry.sigactions): rt_sigaction inside the task. */
import { SYS } from '../arch/x86_64/syscalls';
import { Injected } from './injected';

export const NSIG = 64;
const SIGKILL = 9;
const SIGSTOP = 19;
const KSIGACTION_SIZE = 32; // handler, flags, restorer, mask

export interface SaEntry { sigaction: bigint; flags: bigint; restorer: bigint; mask: bigint }

/** One entry per signal 1..64; SIGKILL and SIGSTOP get zeroes (they cannot have handlers). */
export function dumpSigactions(t: Injected): SaEntry[] {
  const out: SaEntry[] = [];
  for (let sig = 1; sig <= NSIG; sig++) {
    if (sig === SIGKILL || sig === SIGSTOP) {
      out.push({ sigaction: 0n, flags: 0n, restorer: 0n, mask: 0n });
      continue;
    }
    t.remote.call(SYS.rt_sigaction, sig, 0, t.data, 8);
    const b = t.mem.read(t.data, KSIGACTION_SIZE);
    out.push({ sigaction: b.readBigUInt64LE(0), flags: b.readBigUInt64LE(8), restorer: b.readBigUInt64LE(16), mask: b.readBigUInt64LE(24) });
  }
  return out;
}

export function restoreSigactions(t: Injected, entries: SaEntry[]): void {
  entries.forEach((e, i) => {
    const sig = i + 1;
    if (sig === SIGKILL || sig === SIGSTOP || sig > NSIG) return;
    const b = Buffer.alloc(KSIGACTION_SIZE);
    b.writeBigUInt64LE(e.sigaction, 0);
    b.writeBigUInt64LE(e.flags, 8);
    b.writeBigUInt64LE(e.restorer, 16);
    b.writeBigUInt64LE(e.mask, 24);
    t.mem.write(t.data, b);
    t.remote.call(SYS.rt_sigaction, sig, t.data, 0, 8);
  });
}
