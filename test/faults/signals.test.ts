/**
 * SIGINT and SIGTERM to amber in the middle of a dump or a restore: amber stops at its next
 * fault point and undoes its work. After an interrupted dump the tree runs on as it was (not
 * traced, no scratch mapping, memory intact, no images left); after an interrupted restore no
 * task of the tree is left and the images still restore.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { removeWorkDir } from './fault-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { becomeSubreaper, defaultAmberBin } from '../../zdtm/runner';
import { waitPidsFree } from '../../zdtm/runner/reaper';
import { buildMemhog, hasCc, memoryIntact, startMemhog, untouched } from './memhog';

const isRoot = process.getuid?.() === 0;
const MIB = 384;

let work: string;
let memhog: string;

/** Runs amber, sends `signal` after `ms`; the exit code and stderr. */
function amberInterrupted(args: string[], signal: NodeJS.Signals, ms: number): Promise<{ code: number | null; killed: boolean; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(defaultAmberBin, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    p.stderr.on('data', (d) => (stderr += d));
    const t = setTimeout(() => p.kill(signal), ms);
    p.on('exit', (code, sig) => {
      clearTimeout(t);
      // Killed by the signal itself: it came while Node was still starting, before amber guarded
      // against it and before it touched any task.
      resolve({ code, killed: sig === signal, stderr });
    });
  });
}

describe.skipIf(!isRoot || !hasCc)('SIGINT and SIGTERM to amber', () => {
  // Each case leaves up to 384 MiB of images: remove them all.
  afterAll(() => { if (work) removeWorkDir(work); });
  beforeAll(() => {
    becomeSubreaper();
    work = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-signals-'));
    memhog = buildMemhog(work);
  });

  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    for (const ms of [60, 110, 190]) {
      it(`${signal} ${ms} ms into a dump: the tree runs on as it was`, async () => {
        const pid = startMemhog(memhog, MIB);
        const dir = path.join(work, `dump-${signal}-${ms}`);
        const r = await amberInterrupted(['dump', '-t', String(pid), '-D', dir, '-o', 'dump.log', '-v4'], signal, ms);
        if (r.code === 0) {
          // Finished before the signal: the dump killed it.
          expect(await waitPidsFree([pid], 5_000)).toEqual([]);
          return;
        }
        if (!r.killed) {
          expect(r.code).toBe(1);
          expect(r.stderr).toMatch(new RegExp(`interrupted by ${signal}`));
        }
        untouched(pid);
        expect(fs.existsSync(dir) ? fs.readdirSync(dir).filter((f) => f.endsWith('.img')) : []).toEqual([]);
        expect(await memoryIntact(pid)).toBe(true);
      });
    }

    for (const ms of [70, 100, 140]) {
      it(`${signal} ${ms} ms into a restore: nothing of the tree is left, and the images still restore`, async () => {
        const pid = startMemhog(memhog, MIB);
        const dir = path.join(work, `restore-${signal}-${ms}`);
        expect(spawnSync(defaultAmberBin, ['dump', '-t', String(pid), '-D', dir]).status).toBe(0);
        expect(await waitPidsFree([pid], 5_000)).toEqual([]);
        const r = await amberInterrupted(['restore', '-d', '-D', dir, '-o', 'restore.log', '-v4'], signal, ms);
        if (r.code === 1 || r.killed) {
          if (!r.killed) expect(r.stderr).toMatch(new RegExp(`interrupted by ${signal}`));
          expect(await waitPidsFree([pid], 5_000)).toEqual([]);
          expect(spawnSync(defaultAmberBin, ['restore', '-d', '-D', dir]).status).toBe(0);
        } else {
          expect(r.code).toBe(0);
        }
        expect(await memoryIntact(pid)).toBe(true);
      });
    }
  }
});
