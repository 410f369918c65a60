/**
 * node_timers_closures: a Node.js process with live timers, closures and heap data.
 *
 * State: setInterval every 10 ms and every 37 ms, each bumping its own counter; a
 * self-rescheduling setTimeout chain (20 ms) bumping a third; a setTimeout one hour away
 * that must never fire; closures made by a factory, each with private state advanced a
 * known number of steps; a Map of 20000 entries and an array of objects built from a seeded
 * generator; a 1 MiB Buffer with a pattern; a BigInt factorial and a float sum computed
 * before the checkpoint.
 * Check after SIGTERM: the timer counters moved between ready and SIGTERM, and keep moving
 * (over the next 500 ms the 10 ms interval fires at least 15 times, the 37 ms one at least 4,
 * the chain at least 8) and never run faster than their periods allow; the far timeout has
 * not fired; each closure gives the value its step count implies (computed again in a
 * plain loop); the Map, the array, the Buffer, the BigInt and the float sum all equal values
 * recomputed from their seeds; process.hrtime and Date.now() moved forward.
 */
import * as z from '../lib/zdtm';

const MAP_N = 20000;

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s;
  };
}

/** A closure with private state: each call advances it one step and returns it. */
function makeStepper(seed: number): { step: () => number; steps: () => number } {
  let x = seed;
  let n = 0;
  return {
    step: () => {
      x = z.mix32(x + n);
      n++;
      return x;
    },
    steps: () => n,
  };
}

function stepperValue(seed: number, n: number): number {
  let x = seed;
  for (let i = 0; i < n; i++) x = z.mix32(x + i);
  return x;
}

function buildMap(seed: number): Map<string, { v: number; s: string }> {
  const r = lcg(seed);
  const m = new Map<string, { v: number; s: string }>();
  for (let i = 0; i < MAP_N; i++) {
    const v = r();
    m.set(`k${i}-${v % 1000}`, { v, s: v.toString(36) });
  }
  return m;
}

function factorial(n: number): bigint {
  let f = 1n;
  for (let i = 2n; i <= BigInt(n); i++) f *= i;
  return f;
}

function floatSum(n: number): number {
  let s = 0;
  for (let i = 1; i <= n; i++) s += 1 / (i * i);
  return s;
}

async function main(): Promise<void> {
  await z.init();
  let a = 0;
  let b = 0;
  let c = 0;
  let farFired = false;
  const t0 = z.nowNs();
  const d0 = Date.now();
  setInterval(() => a++, 10);
  setInterval(() => b++, 37);
  const chain = (): void => {
    c++;
    setTimeout(chain, 20);
  };
  setTimeout(chain, 20);
  setTimeout(() => {
    farFired = true;
  }, 3600 * 1000);

  const steppers = [11, 22, 33, 44].map((s) => ({ seed: s, ...makeStepper(s) }));
  steppers.forEach((st, i) => {
    for (let k = 0; k < 1000 * (i + 1); k++) st.step();
  });
  const map = buildMap(5);
  const r = lcg(77);
  const objs = Array.from({ length: 5000 }, (_, i) => ({ i, v: r(), tag: `o${i}`, nested: { sq: i * i } }));
  const buf = Buffer.allocUnsafe(1 << 20);
  z.fill(buf, 99);
  const fact = factorial(500);
  const fsum = floatSum(1e6);
  const factStr = fact.toString(16);

  // Let the timers run long enough for V8 to have compiled their hot paths (its background
  // compiler allocates memory, which would show up as changed mappings across a checkpoint).
  await z.sleep(2000);
  const aReady = a;
  const bReady = b;
  const cReady = c;
  z.ready();
  await z.waitForTerm();

  const aTerm = a;
  const bTerm = b;
  const cTerm = c;
  const t1 = z.nowNs();
  z.check(aTerm > aReady && bTerm > bReady && cTerm > cReady, `timers did not run while waiting: ${aReady}->${aTerm}, ${bReady}->${bTerm}, ${cReady}->${cTerm}`);
  await z.sleep(500);
  const da = a - aTerm;
  const db = b - bTerm;
  const dc = c - cTerm;
  const t2 = z.nowNs();
  const spanMs = Number(t2 - t1) / 1e6;
  z.log(`over ${spanMs.toFixed(0)} ms: interval10 +${da}, interval37 +${db}, chain +${dc}`);
  z.check(da >= 15 && da <= spanMs / 10 + 2, `10 ms interval fired ${da} times in ${spanMs.toFixed(0)} ms`);
  z.check(db >= 4 && db <= spanMs / 37 + 2, `37 ms interval fired ${db} times in ${spanMs.toFixed(0)} ms`);
  z.check(dc >= 8 && dc <= spanMs / 20 + 2, `20 ms chain ran ${dc} times in ${spanMs.toFixed(0)} ms`);
  const totalMs = Number(t2 - t0) / 1e6;
  z.check(a <= totalMs / 10 + 3, `10 ms interval fired ${a} times in ${totalMs.toFixed(0)} ms in all`);
  z.check(!farFired, 'the one-hour timeout fired');

  steppers.forEach((st, i) => {
    const n = 1000 * (i + 1);
    z.check(st.steps() === n, `closure ${i}: ${st.steps()} steps, expected ${n}`);
    const v = st.step();
    z.check(v === stepperValue(st.seed, n + 1), `closure ${i}: value ${v}, expected ${stepperValue(st.seed, n + 1)}`);
  });
  const map2 = buildMap(5);
  let mapOk = map.size === map2.size;
  for (const [k, v] of map2) {
    const got = map.get(k);
    if (!got || got.v !== v.v || got.s !== v.s) mapOk = false;
  }
  z.check(mapOk, `the Map differs (${map.size} entries)`);
  const r2 = lcg(77);
  z.check(objs.every((o, i) => o.i === i && o.v === r2() && o.tag === `o${i}` && o.nested.sq === i * i), 'the object array differs');
  z.check(z.verify(buf, 99) < 0, `Buffer differs at ${z.verify(buf, 99)}`);
  z.check(fact === factorial(500) && fact.toString(16) === factStr, 'BigInt factorial differs');
  z.check(fsum === floatSum(1e6), `float sum ${fsum}, recomputed ${floatSum(1e6)}`);
  z.check(t2 > t0 && Date.now() >= d0, 'clocks went backwards');
  z.finish();
}

main().catch((e) => z.fail(`${(e as Error).stack ?? e}`));
