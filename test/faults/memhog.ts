/** bench/fixtures/memhog.c for the fault tests: a daemon with known memory that checks it on SIGUSR1. */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import { expect } from 'vitest';
import { buildFixture, startMemhog as benchStartMemhog } from '../../bench/proc';
import { waitExit } from '../../zdtm/runner/reaper';

/** The compiler bench/proc.ts builds fixtures with. */
export const hasCc = spawnSync(process.env.CC || 'gcc', ['--version']).status === 0;

/** Builds memhog (the benchmark's fixture, bench/proc.ts) into dir; its path. */
export function buildMemhog(dir: string): string {
  return buildFixture(dir, 'memhog');
}

/** Starts the daemon with `mib` MiB of patterned memory; its pid (the caller should be a subreaper). */
export const startMemhog = (bin: string, mib: number): number => benchStartMemhog(bin, mib);

/** /proc/PID/status as name -> value. */
export function status(pid: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (const l of fs.readFileSync(`/proc/${pid}/status`, 'utf8').split('\n')) {
    const m = /^(\w+):\s*(.*)$/.exec(l);
    if (m) out[m[1]] = m[2];
  }
  return out;
}

/** SIGUSR1: memhog compares every word with its pattern and exits 0 if all are intact. */
export async function memoryIntact(pid: number): Promise<boolean> {
  process.kill(pid, 'SIGUSR1');
  const e = await waitExit(pid, 20_000);
  return e?.code === 0;
}

/** The tree runs as before a failed dump: not traced, sleeping, no scratch area (amber's rwx anonymous mapping). */
export function untouched(pid: number): void {
  const st = status(pid);
  expect(st.TracerPid).toBe('0');
  expect(st.State).toMatch(/^S/);
  expect(fs.readFileSync(`/proc/${pid}/maps`, 'utf8')).not.toMatch(/ rwxp 00000000 00:00 0 *\n/);
}
