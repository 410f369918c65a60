/** Restartable sequences registration (thread_core_entry.rseq_entry). */
import { native } from '../native';
import { UnsupportedError } from '../errors';
import { SYS } from '../arch/x86_64/syscalls';
import { Injected } from './injected';

const RSEQ_FLAG_UNREGISTER = 1;

export interface RseqEntry { rseq_abi_pointer: bigint; rseq_abi_size: number; signature: number }

/** From PTRACE_GET_RSEQ_CONFIGURATION; undefined when the thread has none registered. */
export function readRseq(tid: number): RseqEntry | undefined {
  let b: Buffer;
  try {
    b = native.ptraceGetRseqConfig(tid);
  } catch (e) {
    // Before 5.13 the kernel cannot tell where a thread's rseq area is: neither side can carry it.
    if ((e as { code?: string }).code === 'EIO') throw new UnsupportedError(tid, 'rseq', 'this kernel lacks PTRACE_GET_RSEQ_CONFIGURATION (5.13+): amber check --feature rseq');
    throw e;
  }
  const e = { rseq_abi_pointer: b.readBigUInt64LE(0), rseq_abi_size: b.readUInt32LE(8), signature: b.readUInt32LE(12) };
  return e.rseq_abi_pointer === 0n ? undefined : e;
}

export function unregisterRseq(t: Injected, e: RseqEntry): void {
  t.remote.call(SYS.rseq, e.rseq_abi_pointer, e.rseq_abi_size, RSEQ_FLAG_UNREGISTER, e.signature);
}

export function registerRseq(t: Injected, e: RseqEntry): void {
  t.remote.call(SYS.rseq, e.rseq_abi_pointer, e.rseq_abi_size, 0, e.signature);
}
