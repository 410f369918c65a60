/**
 * Restores from missing, truncated and corrupt images must fail before creating anything,
 * naming the file (and entry), and leave no process behind.
 */
import { removeWorkDir } from './fault-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawnSync } from 'node:child_process';
import { becomeSubreaper, defaultAmberBin, loadTests } from '../../zdtm/runner';
import * as amber from '../../zdtm/runner/amber';
import { startTest, stopTest, testFiles } from '../../zdtm/runner/program';
import { waitPidsFree } from '../../zdtm/runner/reaper';

const isRoot = process.getuid?.() === 0;
const victim = loadTests().find((t) => t.name === 'anon_private_pattern');
const ready = isRoot && victim !== undefined && fs.existsSync(victim.programFile) && fs.existsSync(defaultAmberBin);

type Damage = { name: string; expect: RegExp; apply(dir: string, pid: number): void };

const damages: Damage[] = [
  { name: 'a missing core image', expect: /core-\d+\.img/, apply: (d, pid) => fs.unlinkSync(path.join(d, `core-${pid}.img`)) },
  { name: 'a truncated mm image', expect: /mm-\d+\.img.*(truncated|entry)/, apply: (d, pid) => { const f = path.join(d, `mm-${pid}.img`); fs.truncateSync(f, fs.statSync(f).size - 7); } },
  { name: 'a corrupt pstree magic', expect: /pstree\.img.*magic/, apply: (d) => { const f = path.join(d, 'pstree.img'); const b = fs.readFileSync(f); b[5] ^= 0xff; fs.writeFileSync(f, b); } },
  { name: 'a pages file shorter than its pagemap', expect: /pages-1\.img.*describes/, apply: (d) => { const f = path.join(d, 'pages-1.img'); fs.truncateSync(f, fs.statSync(f).size - 4096); } },
  { name: 'garbage in files.img', expect: /files\.img/, apply: (d) => { const f = path.join(d, 'files.img'); const b = fs.readFileSync(f); b.fill(0xee, 12, Math.min(b.length, 40)); fs.writeFileSync(f, b); } },
];

describe.skipIf(!ready)('restore from damaged images', () => {
  let pid = 0;
  let files: ReturnType<typeof testFiles>;
  let good = '';
  const base = fs.mkdtempSync('/tmp/amber-badimg-');
  afterAll(() => removeWorkDir(base));

  beforeAll(async () => {
    becomeSubreaper();
    files = testFiles(base, victim!.name);
    pid = await startTest(victim!, files, 10_000);
    good = path.join(base, 'good');
    expect((await amber.dump({ bin: defaultAmberBin, dir: good, timeoutMs: 30_000 }, pid, { leaveRunning: false, extra: [] })).code).toBe(0);
    expect(await waitPidsFree([pid], 5_000)).toEqual([]);
  });

  for (const d of damages) {
    it(`refuses ${d.name}`, async () => {
      const dir = path.join(base, d.name.replace(/\W+/g, '-'));
      fs.cpSync(good, dir, { recursive: true });
      d.apply(dir, pid);
      const r = await amber.restore({ bin: defaultAmberBin, dir, timeoutMs: 30_000 }, path.join(dir, 'r.pid'), []);
      expect(r.code).toBe(1);
      expect(fs.readFileSync(r.output, 'utf8')).toMatch(d.expect);
      expect(await waitPidsFree([pid], 2_000)).toEqual([]);
    });
  }

  it('still restores from the intact images, and the test passes', async () => {
    const r = await amber.restore({ bin: defaultAmberBin, dir: good, timeoutMs: 30_000 }, path.join(good, 'r.pid'), []);
    expect(r.code).toBe(0);
    await stopTest(pid, files, 10_000);
  });
});

describe.skipIf(!ready)('images with an integrity manifest (dump --image-checksums)', () => {
  const base = fs.mkdtempSync('/tmp/amber-manifest-e2e-');
  afterAll(() => removeWorkDir(base));
  let pid = 0;
  let files: ReturnType<typeof testFiles>;
  let good = '';

  const checkImages = (dir: string) => spawnSync(defaultAmberBin, ['check-images', '-D', dir], { encoding: 'utf8' });

  beforeAll(async () => {
    becomeSubreaper();
    files = testFiles(base, victim!.name);
    pid = await startTest(victim!, files, 10_000);
    good = path.join(base, 'good');
    expect((await amber.dump({ bin: defaultAmberBin, dir: good, timeoutMs: 30_000 }, pid, { leaveRunning: false, extra: ['--image-checksums'] })).code).toBe(0);
    expect(await waitPidsFree([pid], 5_000)).toEqual([]);
    expect(fs.existsSync(path.join(good, 'amber-checksums.json'))).toBe(true);
  });

  it('a flipped bit of memory is refused before any task exists, naming pages-1.img; check-images says so too', async () => {
    const dir = path.join(base, 'flipped');
    fs.cpSync(good, dir, { recursive: true });
    const pages = path.join(dir, 'pages-1.img');
    const b = fs.readFileSync(pages);
    b[Math.floor(b.length / 2)] ^= 0x10;
    fs.writeFileSync(pages, b);
    const r = await amber.restore({ bin: defaultAmberBin, dir, timeoutMs: 30_000 }, path.join(dir, 'r.pid'), []);
    expect(r.code).toBe(1);
    expect(fs.readFileSync(r.output, 'utf8')).toMatch(/pages-1\.img.*checksum mismatch/);
    expect(await waitPidsFree([pid], 2_000)).toEqual([]);
    const c = checkImages(dir);
    expect(c.status).toBe(1);
    expect(c.stderr).toMatch(/pages-1\.img.*checksum mismatch/);
  });

  it('intact images pass check-images, restore, and the test passes', async () => {
    const c = checkImages(good);
    expect(c.status, c.stderr).toBe(0);
    expect(c.stdout).toMatch(/images match amber-checksums\.json/);
    const r = await amber.restore({ bin: defaultAmberBin, dir: good, timeoutMs: 30_000 }, path.join(good, 'r.pid'), []);
    expect(r.code).toBe(0);
    await stopTest(pid, files, 10_000);
  });
});
