/**
 * Deterministic, non-periodic bytes for big payloads. The same formula is in
 * programs/asyncio_server.py: byte i = ((i * 131 + seed) ^ (i >> 7)) & 0xff.
 * A lost, repeated or reordered segment shifts the pattern, so any of them is seen.
 */
export function patternBytes(n: number, seed: number): Buffer {
  const b = Buffer.allocUnsafe(n);
  for (let i = 0; i < n; i++) b[i] = ((i * 131 + seed) ^ (i >>> 7)) & 0xff;
  return b;
}

/** undefined when equal, else where and how they differ. */
export function firstDifference(got: Buffer, want: Buffer): string | undefined {
  const n = Math.min(got.length, want.length);
  for (let i = 0; i < n; i++) {
    if (got[i] !== want[i]) return `byte ${i} is 0x${got[i].toString(16)}, expected 0x${want[i].toString(16)} (of ${want.length})`;
  }
  if (got.length !== want.length) return `${got.length} bytes, expected ${want.length}`;
  return undefined;
}
