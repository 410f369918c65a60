/**
 * Bulk page copies between a task and a pages image, split over threads (native/pagecopy.cc):
 * at dump, process_vm_readv into a small per-thread buffer and pwrite into pages-N.img; at
 * restore, from a mapping of pages-N.img into the task with process_vm_writev (one copy).
 * Measured against the alternatives in docs/bench.md.
 */
import * as os from 'node:os';
import { native } from '../native';

/** A piece of task memory and where its bytes sit in the pages file. */
export interface PageCopy {
  addr: bigint;
  len: number;
  fileOffset: number;
  /** Read through /proc/PID/mem (pages shared with another task: process_vm_readv would pin and unshare them). */
  viaMem?: boolean;
}

/** Copies run in pieces of this many bytes at most, so progress is reported as they go. */
const BATCH = 256 << 20;
/** Below this, a second thread costs more to start than it saves (a tree of small processes). */
const ONE_THREAD_BELOW = 16 << 20;

const bytesOf = (copies: readonly PageCopy[]): number => copies.reduce((n, c) => n + c.len, 0);

/** Threads per copy: the machine's CPUs, at most 4 (memory bandwidth is shared anyway). */
export function copyThreads(): number {
  return Math.max(1, Math.min(4, os.availableParallelism()));
}

function batches<T extends PageCopy>(copies: readonly T[]): T[][] {
  const out: T[][] = [];
  let cur: T[] = [];
  let bytes = 0;
  for (const c of copies) {
    cur.push(c);
    bytes += c.len;
    if (bytes >= BATCH) {
      out.push(cur);
      cur = [];
      bytes = 0;
    }
  }
  if (cur.length) out.push(cur);
  return out;
}

/**
 * Runs `copy` on each batch of `copies` as the native records [addr, len, fileOffset(, viaMem)],
 * with one thread for a small batch, and reports the bytes each copied.
 */
function inBatches(copies: readonly PageCopy[], withViaMem: boolean, threads: number, copy: (ranges: BigUint64Array, threads: number) => number, onBytes?: (n: number) => void): void {
  const stride = withViaMem ? 4 : 3;
  for (const batch of batches(copies)) {
    const ranges = new BigUint64Array(batch.length * stride);
    batch.forEach((c, i) => {
      ranges[i * stride] = c.addr;
      ranges[i * stride + 1] = BigInt(c.len);
      ranges[i * stride + 2] = BigInt(c.fileOffset);
      if (withViaMem) ranges[i * stride + 3] = c.viaMem ? 1n : 0n;
    });
    // Not inside `onBytes?.(...)`: without a callback its arguments would not be evaluated.
    const n = copy(ranges, bytesOf(batch) < ONE_THREAD_BELOW ? 1 : threads);
    onBytes?.(n);
  }
}

/** Task memory -> pages file at the given offsets (the file grows to hold them). */
export function copyTaskToFile(pid: number, memFd: number, fd: number, copies: readonly PageCopy[], onBytes?: (n: number) => void, threads = copyThreads()): void {
  inBatches(copies, true, threads, (ranges, t) => native.copyTaskToFile(pid, memFd, fd, ranges, t), onBytes);
}

/** Pages file -> task memory; every range must lie inside the file. */
export function copyFileToTask(pid: number, fd: number, copies: readonly PageCopy[], onBytes?: (n: number) => void, threads = copyThreads()): void {
  inBatches(copies, false, threads, (ranges, t) => native.copyFileToTask(pid, fd, ranges, t), onBytes);
}
