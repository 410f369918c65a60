/**
 * An integrity manifest of an images directory: the size and SHA-256 of every image file, in
 * amber-checksums.json beside them (a file CRIU and crit ignore). `dump --image-checksums`
 * writes it once the tree runs again (hashing does not add to the frozen time); restore checks
 * it, when it is there, before any task is created, so a flipped bit in pages-N.img is a named
 * error instead of wrong memory in a running process; `amber check-images` checks it alone.
 */
import type * as cryptoModule from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ImageError } from '../errors';

export const MANIFEST_FILE = 'amber-checksums.json';
const CHUNK = 8 << 20;

interface Manifest {
  format: 'amber-checksums';
  version: 1;
  algorithm: 'sha256';
  files: Record<string, { size: number; sha256: string }>;
}

/** Images the manifest covers: every *.img but the statistics, which each restore rewrites. */
function covered(name: string): boolean {
  return name.endsWith('.img') && !name.startsWith('stats-');
}

function hashFile(file: string, buf: Buffer): { size: number; sha256: string } {
  // node:crypto on use: loading it costs some 3 ms of every restore, with a manifest or not.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const h = (require('node:crypto') as typeof cryptoModule).createHash('sha256');
  const fd = fs.openSync(file, 'r');
  let size = 0;
  try {
    for (;;) {
      const n = fs.readSync(fd, buf, 0, buf.length, size);
      if (n === 0) break;
      h.update(buf.subarray(0, n));
      size += n;
    }
  } finally {
    fs.closeSync(fd);
  }
  return { size, sha256: h.digest('hex') };
}

/** Writes the manifest of `dir` (0600); returns how many files it covers. */
export function writeManifest(dir: string): number {
  const buf = Buffer.allocUnsafe(CHUNK);
  const files: Manifest['files'] = {};
  for (const name of fs.readdirSync(dir).filter(covered).sort()) files[name] = hashFile(path.join(dir, name), buf);
  const m: Manifest = { format: 'amber-checksums', version: 1, algorithm: 'sha256', files };
  const tmp = path.join(dir, `${MANIFEST_FILE}.tmp`);
  fs.writeFileSync(tmp, `${JSON.stringify(m, null, 1)}\n`, { mode: 0o600 });
  fs.renameSync(tmp, path.join(dir, MANIFEST_FILE));
  return Object.keys(files).length;
}

function readManifest(dir: string): Manifest | undefined {
  const file = path.join(dir, MANIFEST_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw new ImageError(file, undefined, `cannot read: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, { cause: e });
  }
  let m: Manifest;
  try {
    m = JSON.parse(text);
  } catch (e) {
    throw new ImageError(file, undefined, `not JSON: ${(e as Error).message}`, { cause: e });
  }
  const ok = m && m.format === 'amber-checksums' && m.version === 1 && m.algorithm === 'sha256' && m.files && typeof m.files === 'object'
    && Object.entries(m.files).every(([k, v]) => covered(k) && !k.includes('/') && Number.isSafeInteger(v?.size) && /^[0-9a-f]{64}$/.test(v?.sha256 ?? ''));
  if (!ok) throw new ImageError(file, undefined, 'not a version 1 amber-checksums manifest');
  return m;
}

/**
 * Checks `dir` against its manifest: every listed image there with its size and checksum, and
 * no image that the manifest does not list. Returns the number of files checked, or undefined
 * when the directory has no manifest. Throws ImageError naming the first file that differs.
 */
export function verifyManifest(dir: string): number | undefined {
  const m = readManifest(dir);
  if (!m) return undefined;
  const buf = Buffer.allocUnsafe(CHUNK);
  const hint = `(the images changed since the dump; remove ${MANIFEST_FILE} to restore them anyway)`;
  for (const [name, want] of Object.entries(m.files)) {
    const file = path.join(dir, name);
    let st: fs.Stats;
    try {
      st = fs.statSync(file);
    } catch {
      throw new ImageError(file, undefined, `missing: the manifest lists it ${hint}`);
    }
    if (st.size !== want.size) throw new ImageError(file, undefined, `is ${st.size} bytes, the manifest says ${want.size} ${hint}`);
    const got = hashFile(file, buf);
    if (got.sha256 !== want.sha256) throw new ImageError(file, undefined, `checksum mismatch: sha256 ${got.sha256}, the manifest says ${want.sha256} ${hint}`);
  }
  for (const name of fs.readdirSync(dir).filter(covered)) {
    if (!(name in m.files)) throw new ImageError(path.join(dir, name), undefined, `not in the manifest ${hint}`);
  }
  return Object.keys(m.files).length;
}
