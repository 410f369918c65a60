/**
 * SIGINT, SIGTERM and SIGHUP to the CLI while it dumps or restores: recorded by the native
 * handler (native/signals.cc) and answered at the engine's next fault point (src/fault.ts),
 * which then undoes its work (cure, resume, kill the stubs, remove partial images). Node's
 * default would end amber on the spot, with tasks traced, infected or half-restored.
 */
import { native } from './native';

const GUARDED: Record<number, string> = { 1: 'SIGHUP', 2: 'SIGINT', 15: 'SIGTERM' };

/** Installs the guard; the function says which signal came (the first), if one did. */
export function guardSignals(): () => string | undefined {
  native.installSignalGuard(Object.keys(GUARDED).map(Number));
  let seen: string | undefined;
  return () => {
    if (seen) return seen;
    const mask = native.takeSignals();
    for (const [num, name] of Object.entries(GUARDED)) {
      if ((mask >> BigInt(num)) & 1n) return (seen = name);
    }
    return undefined;
  };
}
