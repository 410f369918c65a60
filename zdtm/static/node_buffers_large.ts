/**
 * node_buffers_large: large and many Buffers in a Node.js process.
 *
 * State: a 100 MiB Buffer (allocUnsafe: outside the JS heap) filled with a pattern; a
 * 16 MiB ArrayBuffer viewed as Uint32Array with another; 10000 small Buffers of 1 KiB
 * (pooled slices and standalone) each with its own seed; a 32 MiB region of the big Buffer
 * overwritten with zeros; checksums (FNV-1a) of each recorded.
 * Check after SIGTERM: every byte of every buffer against its pattern (or zeros), the
 * recorded checksums recomputed, and the buffers' lengths; then the big Buffer is written
 * again and read back (pages writable).
 */
import * as z from '../lib/zdtm';

const BIG = 100 << 20;
const ZERO_OFF = 40 << 20;
const ZERO_LEN = 32 << 20;
const AB = 16 << 20;
const SMALL_N = 10000;

async function main(): Promise<void> {
  await z.init();
  const big = Buffer.allocUnsafe(BIG);
  z.fill(big, 1);
  big.fill(0, ZERO_OFF, ZERO_OFF + ZERO_LEN);
  const ab = new ArrayBuffer(AB);
  const u32 = new Uint32Array(ab);
  for (let i = 0; i < u32.length; i++) u32[i] = z.mix32(i ^ 0xabcdef);
  const small: Buffer[] = [];
  for (let i = 0; i < SMALL_N; i++) {
    const b = i % 2 ? Buffer.allocUnsafe(1024) : Buffer.alloc(1024);
    z.fill(b, 1000 + i);
    small.push(b);
  }
  const sumBig = z.fnv32(big);
  const sumAb = z.fnv32(new Uint8Array(ab));
  const sumSmall = small.reduce((h, b) => z.fnv32(b, h), 0x811c9dc5);

  z.ready();
  await z.waitForTerm();

  z.check(big.length === BIG && ab.byteLength === AB && small.length === SMALL_N, 'a buffer changed size');
  let off = z.verify(big.subarray(0, ZERO_OFF), 1);
  z.check(off < 0, `big Buffer differs at ${off}`);
  off = z.verify(big.subarray(ZERO_OFF + ZERO_LEN), 1, (ZERO_OFF + ZERO_LEN) / 4);
  z.check(off < 0, `big Buffer differs at ${off < 0 ? off : off + ZERO_OFF + ZERO_LEN}`);
  let nz = -1;
  for (let i = ZERO_OFF; i < ZERO_OFF + ZERO_LEN && nz < 0; i++) if (big[i] !== 0) nz = i;
  z.check(nz < 0, `the zeroed part holds data at ${nz}`);
  let bad = -1;
  for (let i = 0; i < u32.length && bad < 0; i++) if (u32[i] !== z.mix32(i ^ 0xabcdef)) bad = i;
  z.check(bad < 0, `ArrayBuffer differs at word ${bad}`);
  let badSmall = -1;
  for (let i = 0; i < SMALL_N && badSmall < 0; i++) if (small[i].length !== 1024 || z.verify(small[i], 1000 + i) >= 0) badSmall = i;
  z.check(badSmall < 0, `small Buffer ${badSmall} differs`);
  z.check(z.fnv32(big) === sumBig, 'big Buffer checksum differs');
  z.check(z.fnv32(new Uint8Array(ab)) === sumAb, 'ArrayBuffer checksum differs');
  z.check(small.reduce((h, b) => z.fnv32(b, h), 0x811c9dc5) === sumSmall, 'small Buffers checksum differs');
  z.fill(big, 2);
  z.check(z.verify(big, 2) < 0, 'the big Buffer does not take new data');
  z.finish();
}

main().catch((e) => z.fail(`${(e as Error).stack ?? e}`));
