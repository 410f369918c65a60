import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ImageError } from '../../src/errors';
import { MANIFEST_FILE, verifyManifest, writeManifest } from '../../src/images/manifest';

let base: string;
beforeAll(() => { base = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-manifest-')); });
afterAll(() => fs.rmSync(base, { recursive: true, force: true }));

function imagesDir(name: string): string {
  const d = path.join(base, name);
  fs.mkdirSync(d);
  fs.writeFileSync(path.join(d, 'pstree.img'), Buffer.from('tree'));
  fs.writeFileSync(path.join(d, 'pages-1.img'), Buffer.alloc(3 * 4096 + 1, 0x5a));
  fs.writeFileSync(path.join(d, 'stats-dump.img'), Buffer.from('stats'));
  fs.writeFileSync(path.join(d, 'dump.log'), 'log');
  return d;
}

function failure(dir: string): ImageError {
  try {
    verifyManifest(dir);
  } catch (e) {
    expect(e).toBeInstanceOf(ImageError);
    return e as ImageError;
  }
  throw new Error('expected the manifest check to fail');
}

describe('amber-checksums.json', () => {
  it('covers every image but the statistics, 0600, and verifies', () => {
    const d = imagesDir('ok');
    expect(writeManifest(d)).toBe(2);
    expect(fs.statSync(path.join(d, MANIFEST_FILE)).mode & 0o777).toBe(0o600);
    // The statistics and logs change at each restore: not covered.
    fs.writeFileSync(path.join(d, 'stats-dump.img'), 'other');
    fs.writeFileSync(path.join(d, 'stats-restore.img'), 'new');
    expect(verifyManifest(d)).toBe(2);
    expect(verifyManifest(path.join(base))).toBeUndefined();
  });

  it('names the file of a flipped bit, a wrong size, a missing file, an extra image, and a bad manifest', () => {
    const flip = imagesDir('flip');
    writeManifest(flip);
    const pages = path.join(flip, 'pages-1.img');
    const b = fs.readFileSync(pages);
    b[4096 + 17] ^= 0x04;
    fs.writeFileSync(pages, b);
    const e = failure(flip);
    expect(e.message).toMatch(/pages-1\.img.*checksum mismatch/);

    const size = imagesDir('size');
    writeManifest(size);
    fs.appendFileSync(path.join(size, 'pstree.img'), 'x');
    expect(failure(size).message).toMatch(/pstree\.img.*is 5 bytes, the manifest says 4/);

    const gone = imagesDir('gone');
    writeManifest(gone);
    fs.rmSync(path.join(gone, 'pstree.img'));
    expect(failure(gone).message).toMatch(/pstree\.img.*missing/);

    const extra = imagesDir('extra');
    writeManifest(extra);
    fs.writeFileSync(path.join(extra, 'core-9.img'), 'x');
    expect(failure(extra).message).toMatch(/core-9\.img.*not in the manifest/);

    const bad = imagesDir('bad');
    writeManifest(bad);
    const m = JSON.parse(fs.readFileSync(path.join(bad, MANIFEST_FILE), 'utf8'));
    m.files['../pstree.img'] = m.files['pstree.img'];
    fs.writeFileSync(path.join(bad, MANIFEST_FILE), JSON.stringify(m));
    expect(failure(bad).message).toMatch(/not a version 1 amber-checksums manifest/);
  });
});
