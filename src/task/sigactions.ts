/** Signal handlers (sa_entry, in core's task_core_entry.sigactions): rt_sigaction inside the task. */
import { SYS } from '../arch/x86_64/syscalls';
import { Injected } from './injected';
import { refuseFailedCalls, type Query } from './queries';

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
 * knows the rest are untouched; `known` gives actions already read (SIGTRAP's, set aside while
 * the task is infected).
 */
export function sigactionsQuery(nonDefault: bigint = ~0n, known: ReadonlyMap<number, SaEntry> = new Map()): Query<SaEntry[]> {
  const signals = signalsOf(NSIG - 2);
  const asked = signals.filter((sig) => sig === SIGCHLD || ((nonDefault >> BigInt(sig - 1)) & 1n) === 1n);
  return {
    bytes: asked.length * KSIGACTION_SIZE,
    // Each call fills its own slot of the query's part of the buffer.
    calls: (at) => asked.map((sig, i) => ({ nr: SYS.rt_sigaction, args: [sig, 0, at + BigInt(i * KSIGACTION_SIZE), 8] })),
    read: (results, b) => {
      refuseFailedCalls(results, (i) => `rt_sigaction(${asked[i]})`);
      const bySig = new Map(asked.map((sig, i) => {
        const o = i * KSIGACTION_SIZE;
        return [sig, { sigaction: b.readBigUInt64LE(o), flags: b.readBigUInt64LE(o + 8), restorer: b.readBigUInt64LE(o + 16), mask: b.readBigUInt64LE(o + 24) }];
      }));
      return signals.map((sig) => known.get(sig) ?? bySig.get(sig) ?? { ...DEFAULT });
    },
  };
}

/**
 * Sets every handler of the image. `current` (SigCgt | SigIgn of the task now) says which of the
 * task's own handlers are not SIG_DFL: only those and the image's non-default ones are set.
 */
export function restoreSigactions(t: Injected, entries: SaEntry[], current: bigint = ~0n): void {
  const signals = signalsOf(entries.length);
  const set: { sig: number; e: SaEntry }[] = [];
  entries.forEach((e, i) => {
    const sig = signals[i];
    if (sig === undefined) return;
    if (sig === SIGKILL || sig === SIGSTOP || sig > NSIG) return;
    const isDefault = e.sigaction === 0n && e.flags === 0n && e.mask === 0n && e.restorer === 0n;
    if (isDefault && ((current >> BigInt(sig - 1)) & 1n) === 0n) return;
    set.push({ sig, e });
  });
  if (set.length === 0) return;
  const b = Buffer.alloc(set.length * KSIGACTION_SIZE);
  set.forEach(({ e }, i) => {
    const o = i * KSIGACTION_SIZE;
    b.writeBigUInt64LE(e.sigaction, o);
    b.writeBigUInt64LE(e.flags, o + 8);
    b.writeBigUInt64LE(e.restorer, o + 16);
    b.writeBigUInt64LE(e.mask, o + 24);
  });
  t.mem.write(t.data, b);
  t.remote.callBatch(set.map(({ sig }, i) => ({ nr: SYS.rt_sigaction, args: [sig, t.data + BigInt(i * KSIGACTION_SIZE), 0, 8] })));
}
