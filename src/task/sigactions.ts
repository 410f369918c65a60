/** Signal handlers (sa_entry, in core's task_core_entry.sigactions): rt_sigaction inside the task. */
import { SYS } from '../arch/x86_64/syscalls';
import { Injected } from './injected';

export const NSIG = 64;
const SIGKILL = 9;
const SIGSTOP = 19;
const KSIGACTION_SIZE = 32; // handler, flags, restorer, mask

export interface SaEntry { sigaction: bigint; flags: bigint; restorer: bigint; mask: bigint }

const SIGCHLD = 17;
const DEFAULT: SaEntry = { sigaction: 0n, flags: 0n, restorer: 0n, mask: 0n };

/** The signal each entry of an image's sigactions is for: CRIU's layout (1..64 but SIGKILL and SIGSTOP), or amber's older one (1..64). */
function signalsOf(count: number): number[] {
  const all = Array.from({ length: NSIG }, (_, i) => i + 1);
  return count === NSIG ? all : all.filter((sig) => sig !== SIGKILL && sig !== SIGSTOP);
}

/**
 * One entry per signal 1..64 but SIGKILL and SIGSTOP (62, CRIU's layout: CRIU's restore refuses
 * any other count), each asked of the task: even a SIG_DFL handler carries flags and a restorer
 * that the program can read back. `nonDefault` (a mask) limits the questions when the caller
 * knows the rest are untouched.
 */
export function dumpSigactions(t: Injected, nonDefault: bigint = ~0n): SaEntry[] {
  const out: SaEntry[] = [];
  for (const sig of signalsOf(NSIG - 2)) {
    const asked = sig === SIGCHLD || ((nonDefault >> BigInt(sig - 1)) & 1n) === 1n;
    if (!asked) {
      out.push({ ...DEFAULT });
      continue;
    }
    t.remote.call(SYS.rt_sigaction, sig, 0, t.data, 8);
    const b = t.mem.read(t.data, KSIGACTION_SIZE);
    out.push({ sigaction: b.readBigUInt64LE(0), flags: b.readBigUInt64LE(8), restorer: b.readBigUInt64LE(16), mask: b.readBigUInt64LE(24) });
  }
  return out;
}

/**
 * Sets every handler of the image. `current` (SigCgt | SigIgn of the task now) says which of the
 * task's own handlers are not SIG_DFL: only those and the image's non-default ones are set.
 */
export function restoreSigactions(t: Injected, entries: SaEntry[], current: bigint = ~0n): void {
  const signals = signalsOf(entries.length);
  entries.forEach((e, i) => {
    const sig = signals[i];
    if (sig === undefined) return;
    if (sig === SIGKILL || sig === SIGSTOP || sig > NSIG) return;
    const isDefault = e.sigaction === 0n && e.flags === 0n && e.mask === 0n && e.restorer === 0n;
    if (isDefault && ((current >> BigInt(sig - 1)) & 1n) === 0n) return;
    const b = Buffer.alloc(KSIGACTION_SIZE);
    b.writeBigUInt64LE(e.sigaction, 0);
    b.writeBigUInt64LE(e.flags, 8);
    b.writeBigUInt64LE(e.restorer, 16);
    b.writeBigUInt64LE(e.mask, 24);
    t.mem.write(t.data, b);
    t.remote.call(SYS.rt_sigaction, sig, t.data, 0, 8);
  });
}
