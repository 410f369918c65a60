/**
 * A dump that runs out of space halfway, and a second dump of a tree that one is dumping: both
 * fail naming why, leave the tree running as it was, and the first leaves no images.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { becomeSubreaper, defaultAmberBin } from '../../zdtm/runner';
import { waitPidsFree } from '../../zdtm/runner/reaper';
import { buildMemhog, hasCc, memoryIntact, startMemhog, untouched } from './memhog';

const isRoot = process.getuid?.() === 0;
let work: string;
let memhog: string;
let small = '';

describe.skipIf(!isRoot || !hasCc)('ENOSPC and a rival dump', () => {
  beforeAll(() => {
    becomeSubreaper();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-space-'));
    memhog = buildMemhog(work);
    small = path.join(work, 'small');
    fs.mkdirSync(small);
    // 2 MiB of room for a 16 MiB process: full in the middle of its pages.
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=2m', 'tmpfs', small], { encoding: 'utf8' });
    if (m.status !== 0) small = '';
  });
  afterAll(() => {
    if (small) spawnSync('umount', [small]);
    fs.rmSync(work, { recursive: true, force: true });
  });

  it('ENOSPC while writing pages: exit 1 naming it, no images left, the tree runs on intact', async () => {
    if (!small) return; // no mount(2) here
    const pid = startMemhog(memhog, 16);
    const dir = path.join(small, 'images');
    const r = spawnSync(defaultAmberBin, ['dump', '-t', String(pid), '-D', dir, '-o', 'dump.log', '-v4'], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/ENOSPC/);
    expect(fs.readdirSync(dir).filter((f) => f.endsWith('.img'))).toEqual([]);
    expect(fs.readFileSync(path.join(dir, 'dump.log'), 'utf8')).toMatch(/removed \d+ images of the failed dump/);
    untouched(pid);
    expect(await memoryIntact(pid)).toBe(true);
  });

  it('a second dump of a tree being dumped refuses, naming the other checkpointer; the first completes', async () => {
    const pid = startMemhog(memhog, 384);
    const first = spawn(defaultAmberBin, ['dump', '-t', String(pid), '-D', path.join(work, 'first'), '--leave-running'], { stdio: 'ignore' });
    const firstDone = new Promise<number | null>((resolve) => first.on('exit', (c) => resolve(c)));
    // Until the first has seized it.
    for (let i = 0; i < 300 && fs.existsSync(`/proc/${pid}`) && !/^TracerPid:\s*[1-9]/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8')); i++) await new Promise((r) => setTimeout(r, 5));
    const second = spawnSync(defaultAmberBin, ['dump', '-t', String(pid), '-D', path.join(work, 'second'), '--leave-running'], { encoding: 'utf8' });
    expect(await firstDone).toBe(0);
    if (second.status !== 0) {
      expect(second.status).toBe(1);
      expect(second.stderr).toMatch(/another checkpointer is dumping or restoring it/);
      expect(fs.existsSync(path.join(work, 'second')) ? fs.readdirSync(path.join(work, 'second')).filter((f) => f.endsWith('.img')) : []).toEqual([]);
    }
    untouched(pid);
    expect(await memoryIntact(pid)).toBe(true);
    expect(await waitPidsFree([pid], 5_000)).toEqual([]);
  });
});
