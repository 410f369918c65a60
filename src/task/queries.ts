/**
 * Reading a task's state with injected syscalls that need nothing from each other's answers, as
 * few stops as possible: each state module describes its reading as a Query (its calls, given
 * where its part of the scratch buffer is, and how to read the answers), and runQueries runs
 * many of them as one batch (RemoteSyscalls.rawBatch: one ptrace stop for up to some 50 calls).
 * A thread's dump used nine stops, one per kind of state; a 300-thread process paid them 300 times.
 */
import type { ProgramCall } from '../arch/x86_64/syscall-program';
import { syscallName } from '../arch/x86_64/syscalls';
import { isErrorResult } from '../compel/remote-syscalls';
import { SysError } from '../errors';
import { Injected } from './injected';

export interface Query<T> {
  /** Bytes of the scratch buffer its calls write into (zeroed before they run). */
  readonly bytes: number;
  calls(at: bigint): ProgramCall[];
  /** The answers: the calls' raw results (values or -errno) and its part of the buffer. */
  read(results: bigint[], data: Buffer): T;
}

export type Answers<Q> = { [K in keyof Q]: Q[K] extends Query<infer T> ? T : never };

/** Runs every query in one batch of injected syscalls (more only if they do not fit one). */
export function runQueries<Q extends Record<string, Query<unknown>>>(t: Injected, queries: Q): Answers<Q> {
  const parts = Object.entries(queries).map(([name, q]) => ({ name, q, at: 0, calls: [] as ProgramCall[] }));
  let size = 0;
  for (const p of parts) {
    p.at = size;
    size += (p.q.bytes + 7) & ~7;
  }
  if (size > t.dataSize) throw new Error(`queries need ${size} bytes of the scratch buffer, which has ${t.dataSize}`);
  if (size) t.mem.write(t.data, Buffer.alloc(size));
  for (const p of parts) p.calls = p.q.calls(t.data + BigInt(p.at));
  const results = t.remote.rawBatch(parts.flatMap((p) => p.calls));
  const data = size ? t.mem.read(t.data, size) : Buffer.alloc(0);
  const out: Record<string, unknown> = {};
  let i = 0;
  for (const p of parts) {
    out[p.name] = p.q.read(results.slice(i, i + p.calls.length), data.subarray(p.at, p.at + p.q.bytes));
    i += p.calls.length;
  }
  return out as Answers<Q>;
}

/** One query alone. */
export function runQuery<T>(t: Injected, q: Query<T>): T {
  return runQueries(t, { q }).q as T;
}

/** Fails the reading at the first call that failed, naming it (`what(i)`: the call i). */
export function refuseFailedCalls(results: readonly bigint[], what: (i: number) => string, pid?: number): void {
  const bad = results.findIndex(isErrorResult);
  if (bad >= 0) throw new SysError(Number(-results[bad]), `${what(bad)} (inside the task)`, pid);
}

/** A syscall whose result is the answer (an error fails the reading, naming the syscall). */
export function answer(nr: number, ...args: number[]): Query<number> {
  return {
    bytes: 0,
    calls: () => [{ nr, args }],
    read: (results) => {
      refuseFailedCalls(results, () => syscallName(nr));
      return Number(results[0]);
    },
  };
}
