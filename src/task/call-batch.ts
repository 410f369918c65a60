/**
 * One stop's worth of injected syscalls whose arguments point into the task's data buffer: each
 * piece of data gets its own place (64-aligned, one after the other), so that calls of several
 * kinds (a name, a sigaltstack, siginfos, a CPU mask, credentials) run as one batch.
 */
import type { ProgramCall } from '../arch/x86_64/syscall-program';
import { AmberError } from '../errors';
import { Injected } from './injected';

/** Bytes of the data buffer a piece of `size` bytes takes in a batch (64-aligned, 64 at least). */
export function slotSize(size: number): number {
  return Math.max(64, Math.ceil(size / 64) * 64);
}

export class CallBatch {
  readonly calls: ProgramCall[] = [];
  private at = 0;

  constructor(readonly t: Injected) {}

  /**
   * Writes `b` into the data buffer after what is there; its address in the task. When the
   * buffer is full, the calls so far run first (in order, as they would have), and it starts over.
   */
  put(b: Buffer): bigint {
    const size = slotSize(b.length);
    if (this.at + size > this.t.dataSize && this.calls.length) this.run();
    if (this.at + size > this.t.dataSize) throw new AmberError(`${b.length} bytes of a batch's data do not fit the scratch buffer (${this.t.dataSize})`);
    const addr = this.t.data + BigInt(this.at);
    this.t.mem.write(addr, b);
    this.at += size;
    return addr;
  }

  /** Whether `size` more bytes of data fit without running the calls so far. */
  fits(size: number): boolean {
    return this.at + slotSize(size) <= this.t.dataSize;
  }

  call(nr: number, ...args: (number | bigint)[]): void {
    this.calls.push({ nr, args });
  }

  /** Runs the calls (one stop for up to some 50), SysError naming the first that failed; empties the batch. */
  run(): void {
    if (this.calls.length) this.t.remote.callBatch(this.calls);
    this.discard();
  }

  /** Forgets the calls and data not run yet. */
  discard(): void {
    this.calls.length = 0;
    this.at = 0;
  }
}
