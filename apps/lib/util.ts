/** Small shared pieces: the failure type, sleeping, deadlines. */

/** A check that did not hold, or a step that did not complete: ends the app's run as FAIL. */
export class AppFailure extends Error {
  constructor(
    /** The step: start, load, dump, restore, verify, final, stop, ... */
    readonly step: string,
    message: string,
    /** Log excerpts and the like, for the report. */
    readonly details: string[] = [],
  ) {
    super(message);
    this.name = 'AppFailure';
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Rejects with an AppFailure when p has not settled within ms. */
export async function withTimeout<T>(p: Promise<T>, ms: number, step: string, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AppFailure(step, `${what}: no answer within ${(ms / 1000).toFixed(1)} s`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Polls cond every intervalMs until it returns a value other than undefined, or the deadline passes. */
export async function pollFor<T>(cond: () => T | undefined | Promise<T | undefined>, timeoutMs: number, intervalMs = 20): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await cond();
    if (v !== undefined) return v;
    if (Date.now() >= deadline) return undefined;
    await sleep(intervalMs);
  }
}

/** Throws an AppFailure unless ok. */
export function check(ok: boolean, step: string, message: string, details: string[] = []): asserts ok {
  if (!ok) throw new AppFailure(step, message, details);
}

/** A small deterministic PRNG (mulberry32), so sampled keys differ per cycle but repeat per run. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const fmtMs = (ms: number): string => (ms >= 10_000 ? `${(ms / 1000).toFixed(0)} s` : ms >= 1000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
