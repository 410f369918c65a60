/**
 * Data runs of sparse files (SEEK_DATA/SEEK_HOLE), their widening to pages, range copies, and
 * --ghost-limit's size syntax: what memfd contents and ghost files rest on.
 * Imports the build (dist/), as the native addon loads only from there.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyRange, dataRuns, pageRuns } from '../../dist/src/files/file-data';
import { parseSize } from '../../dist/src/cli/options';

let dir: string;
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-file-data-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

describe('data runs', () => {
  it('finds the written pages of a sparse file and nothing in its holes', () => {
    const file = path.join(dir, 'sparse');
    const fd = fs.openSync(file, 'w+');
    try {
      fs.ftruncateSync(fd, 64 << 20);
      fs.writeSync(fd, Buffer.alloc(4096, 1), 0, 4096, 8192);
      fs.writeSync(fd, Buffer.alloc(100, 2), 0, 100, (32 << 20) + 4096);
      const runs = dataRuns(fd, 64 << 20);
      // Filesystems report data at their block granularity: each run covers what was written.
      expect(runs).toHaveLength(2);
      expect(runs[0].off).toBeLessThanOrEqual(8192);
      expect(runs[0].off + runs[0].len).toBeGreaterThanOrEqual(8192 + 4096);
      expect(runs[1].off).toBeLessThanOrEqual((32 << 20) + 4096);
      expect(runs[1].off + runs[1].len).toBeLessThan(33 << 20);
      expect(dataRuns(fd, 4096)).toEqual([]);
    } finally {
      fs.closeSync(fd);
    }
  });

  it('widens runs to whole pages, merging the ones that touch, within the size', () => {
    expect(pageRuns([{ off: 10, len: 5 }, { off: 4096, len: 1 }, { off: 3 * 4096 + 1, len: 10 }], 3 * 4096 + 20, 4096))
      .toEqual([{ off: 0, len: 8192 }, { off: 3 * 4096, len: 4096 }]);
    expect(pageRuns([], 100, 4096)).toEqual([]);
  });

  it('copies ranges at offsets, zero-filling past the end of the source', () => {
    const src = fs.openSync(path.join(dir, 'src'), 'w+');
    const dst = fs.openSync(path.join(dir, 'dst'), 'w+');
    try {
      fs.writeSync(src, Buffer.from('0123456789'));
      copyRange(src, 2, dst, 100, 12, Buffer.alloc(3));
      const got = Buffer.alloc(12);
      expect(fs.readSync(dst, got, 0, 12, 100)).toBe(12);
      expect(got).toEqual(Buffer.concat([Buffer.from('23456789'), Buffer.alloc(4)]));
    } finally {
      fs.closeSync(src);
      fs.closeSync(dst);
    }
  });
});

describe('--ghost-limit sizes', () => {
  it('takes bytes and K/M/G suffixes', () => {
    expect(parseSize('ghost-limit', '4096')).toBe(4096);
    expect(parseSize('ghost-limit', '64K')).toBe(64 << 10);
    expect(parseSize('ghost-limit', '1m')).toBe(1 << 20);
    expect(parseSize('ghost-limit', '2G')).toBe(2 * 2 ** 30);
  });

  it('refuses anything else', () => {
    for (const bad of ['', 'x', '-1', '1.5M', '10T', '1 K K']) expect(() => parseSize('ghost-limit', bad)).toThrow(/bad size for --ghost-limit/);
  });
});
