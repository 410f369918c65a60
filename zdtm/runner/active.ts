/**
 * The test processes alive right now, so that an interrupted run (Ctrl-C, SIGTERM) can kill
 * them: they are session leaders of their own, out of reach of the terminal's signals.
 */
import { killLeftovers } from './cleanup';
import type { TreeSnap } from './proc/snapshot';

export interface ActiveTest {
  pid?: number;
  known?: TreeSnap;
}

const active = new Set<ActiveTest>();

export function track(t: ActiveTest): () => void {
  active.add(t);
  return () => active.delete(t);
}

export async function killAllActive(): Promise<void> {
  await Promise.all([...active].map((t) => killLeftovers(t.pid, t.known)));
  active.clear();
}

/** On SIGINT/SIGTERM: kill every running test, then exit 128+signal. */
export function killOnInterrupt(): void {
  for (const [sig, num] of [['SIGINT', 2], ['SIGTERM', 15]] as const) {
    process.once(sig, () => {
      process.stderr.write(`\nzdtm: ${sig}: killing the running tests\n`);
      void killAllActive().finally(() => process.exit(128 + num));
    });
  }
}
