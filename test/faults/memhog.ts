/** bench/fixtures/memhog.c for the fault tests: a daemon with known memory that checks it on SIGUSR1. */
import { spawnSync } from 'node:child_process';
import { expect } from 'vitest';
import { buildFixture, startMemhog as benchStartMemhog } from '../../bench/proc';
import { hasScratchArea, statusOf } from '../../fuzz/task-state';
import { waitExit } from '../../zdtm/runner/reaper';

/** The compiler bench/proc.ts builds fixtures with. */
export const hasCc = spawnSync(process.env.CC || 'gcc', ['--version']).status === 0;

/** Builds memhog (the benchmark's fixture, bench/proc.ts) into dir; its path. */
export function buildMemhog(dir: string): string {
  return buildFixture(dir, 'memhog');
}

/** Starts the daemon with `mib` MiB of patterned memory; its pid (the caller should be a subreaper). */
export const startMemhog = (bin: string, mib: number): number => benchStartMemhog(bin, mib);

/** SIGUSR1: memhog compares every word with its pattern and exits 0 if all are intact. */
export async function memoryIntact(pid: number): Promise<boolean> {
  process.kill(pid, 'SIGUSR1');
  const e = await waitExit(pid, 20_000);
  return e?.code === 0;
}

/** The tree runs as before a failed dump: not traced, sleeping, no scratch area (amber's rwx anonymous mapping). */
export function untouched(pid: number): void {
  const st = statusOf(pid);
  expect(st.TracerPid).toBe('0');
  expect(st.State).toMatch(/^S/);
  expect(hasScratchArea(pid)).toBe(false);
}
