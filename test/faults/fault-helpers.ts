/** Shared by the fault-injection tests: the tree under a task, and a call made with AMBER_FAULT set. */
import * as fs from 'node:fs';

/** A task and all its descendants, parents first. */
export function treePids(pid: number): number[] {
  const kids = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  return [pid, ...kids.flatMap(treePids)];
}

/** Runs fn with AMBER_FAULT=point in this process's environment (amber inherits it). */
export async function withFault<T>(point: string, fn: () => Promise<T>): Promise<T> {
  process.env.AMBER_FAULT = point;
  try {
    return await fn();
  } finally {
    delete process.env.AMBER_FAULT;
  }
}
