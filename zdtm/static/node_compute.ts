/**
 * node_compute: a Node.js process in the middle of a long computation split in chunks.
 *
 * State: two computations advance in chunks scheduled with setImmediate until SIGTERM,
 * written so that they allocate nothing on the JS heap while they run (the checkpointer
 * compares the memory map before and after, and the test keeps running in between):
 *   - a 32-bit hash chain (x = mix32(x ^ i) + i), 200000 steps per chunk, recording the
 *     state every 2^20 steps in a 4096-entry ring (Uint32Array);
 *   - the logistic map y = 3.9 y (1 - y) in float64, 20000 steps per chunk, with a running
 *     sum, both kept in a Float64Array;
 * plus a 4 MiB Float64Array the hash chunks keep writing into (slot = (step / 1024) % size).
 * Check after SIGTERM: the computations stop at their current step counts; a plain loop
 * from scratch (no chunks, no shared state) reaches the same hash state, the same ring of
 * checkpoints, the same float state and sum (bit for bit) and the same array contents; the
 * step counts grew between ready and SIGTERM (the computation ran across the checkpoint)
 * and grow again when resumed for 200 ms.
 */
import * as z from '../lib/zdtm';

const CHUNK = 200000;
const F_CHUNK = 20000;
const SLOTS = 512 * 1024; // 4 MiB of float64
const RING = 4096;

function hashStep(x: number, i: number): number {
  return (z.mix32((x ^ i) >>> 0) + i) >>> 0;
}

interface State {
  ints: Float64Array; // [hash state, hash steps, float steps] (all exact in a double)
  f: Float64Array; // [y, sum]
  ring: Uint32Array;
  slots: Float64Array;
}

function newState(): State {
  const s = { ints: new Float64Array(3), f: new Float64Array(2), ring: new Uint32Array(RING), slots: new Float64Array(SLOTS) };
  s.ints[0] = 1;
  s.f[0] = 0.123456789;
  return s;
}

function chunk(s: State): void {
  let x = s.ints[0];
  let n = s.ints[1];
  for (let k = 0; k < CHUNK; k++) {
    x = hashStep(x, n);
    n++;
    if ((n & 0xfffff) === 0) s.ring[(n / 0x100000) % RING] = x;
    if ((n & 1023) === 0) s.slots[(n / 1024) % SLOTS] = x / 7;
  }
  s.ints[0] = x;
  s.ints[1] = n;
  let y = s.f[0];
  let sum = s.f[1];
  for (let k = 0; k < F_CHUNK; k++) {
    y = 3.9 * y * (1 - y);
    sum += y;
  }
  s.f[0] = y;
  s.f[1] = sum;
  s.ints[2] += F_CHUNK;
}

/** The same computations, straight through to n hash steps and fn float steps. */
function recompute(n: number, fn: number): State {
  const r = newState();
  let x = 1;
  for (let i = 0; i < n; i++) {
    x = hashStep(x, i);
    const j = i + 1;
    if (j % 0x100000 === 0) r.ring[(j / 0x100000) % RING] = x;
    if (j % 1024 === 0) r.slots[(j / 1024) % SLOTS] = x / 7;
  }
  r.ints[0] = x;
  r.ints[1] = n;
  let y = 0.123456789;
  let sum = 0;
  for (let i = 0; i < fn; i++) {
    y = 3.9 * y * (1 - y);
    sum += y;
  }
  r.f[0] = y;
  r.f[1] = sum;
  r.ints[2] = fn;
  return r;
}

function firstDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) return 0;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return i;
  return -1;
}

async function main(): Promise<void> {
  await z.init();
  const s = newState();
  let running = true;
  const loop = (): void => {
    if (!running) return;
    chunk(s);
    setImmediate(loop);
  };
  setImmediate(loop);
  // Let V8 compile the hot code first (its background compiler allocates memory, which would
  // show up as changed mappings across a checkpoint).
  await z.sleep(2000);
  const nReady = s.ints[1];
  z.ready();
  await z.waitForTerm();
  running = false;
  await z.sleep(0);
  const n = s.ints[1];
  const fn = s.ints[2];
  z.log(`stopped after ${n} hash steps and ${fn} float steps (${nReady} at ready)`);
  z.check(n > nReady, `the computation did not advance between ready and SIGTERM (${nReady} -> ${n})`);

  const r = recompute(n, fn);
  z.check(s.ints[0] === r.ints[0], `hash state ${s.ints[0]}, recomputed ${r.ints[0]}`);
  z.check(firstDiff(s.ring, r.ring) < 0, `checkpoint ring differs at ${firstDiff(s.ring, r.ring)}`);
  z.check(Object.is(s.f[0], r.f[0]) && Object.is(s.f[1], r.f[1]), `float state ${s.f[0]}/${s.f[1]}, recomputed ${r.f[0]}/${r.f[1]}`);
  z.check(firstDiff(s.slots, r.slots) < 0, `float array differs at slot ${firstDiff(s.slots, r.slots)}`);

  running = true;
  setImmediate(loop);
  await z.sleep(200);
  running = false;
  z.check(s.ints[1] > n, 'the computation does not resume');
  z.finish();
}

main().catch((e) => z.fail(`${(e as Error).stack ?? e}`));
