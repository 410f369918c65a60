/**
 * The two speeds amber is measured against: writing the image's bytes to a file (how a dump
 * should go: at disk speed) and filling that much fresh memory (how a restore should go).
 *
 * The disk write is what a dump does with its pages: plain write(2)s of 8 MiB into a new
 * file in the images directory, no fsync, so on a machine with RAM to spare it is a write into
 * the page cache. The memory fill allocates a Buffer outside V8's heap and writes every byte
 * of it, so every page is faulted in fresh, as a restored task's pages are.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as v8 from 'node:v8';
import * as vm from 'node:vm';

const CHUNK = 8 << 20;

let chunk: Buffer | undefined;

/** Milliseconds to write `bytes` into a new file in dir (removed afterwards, off the clock). */
export function diskWriteMs(dir: string, bytes: number): number {
  if (!chunk) {
    chunk = Buffer.allocUnsafeSlow(CHUNK);
    for (let i = 0; i < CHUNK; i += 4) chunk.writeUInt32LE((i * 2654435761) >>> 0 || 1, i);
  }
  const file = path.join(dir, `baseline-write-${process.pid}.tmp`);
  const t0 = process.hrtime.bigint();
  const fd = fs.openSync(file, 'w', 0o600);
  try {
    for (let done = 0; done < bytes; ) {
      const n = Math.min(CHUNK, bytes - done);
      done += fs.writeSync(fd, chunk, 0, n);
    }
  } finally {
    fs.closeSync(fd);
  }
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  fs.unlinkSync(file);
  return ms;
}

/** A way to run a full GC so that the last fill's memory is given back before the next. */
const collect: () => void = (() => {
  try {
    v8.setFlagsFromString('--expose-gc');
    const gc = vm.runInNewContext('gc') as unknown;
    if (typeof gc === 'function') return () => (gc as () => void)();
  } catch {
    /* no gc: memory is given back whenever V8 decides */
  }
  return () => {};
})();

/** Milliseconds to allocate `bytes` of fresh memory and write every byte of it. */
export function memoryFillMs(bytes: number): number {
  const t0 = process.hrtime.bigint();
  let b: Buffer | undefined = Buffer.allocUnsafeSlow(bytes);
  b.fill(0x5a);
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  b = undefined;
  collect();
  return ms;
}
