/**
 * The library API (src/index.ts, package "amber-cr"): dump and restore of a live process as
 * promises, with the action points in order, progress, a per-call log file that is closed when
 * the call ends (no fd left behind after many calls), and cancellation through an AbortSignal
 * (the tree runs on untouched). Needs root and the build.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { becomeSubreaper, defaultAmberBin } from '../../zdtm/runner';
import { startSleeper } from '../fixtures/sleeper';
import { procState, waitExit, waitPidsFree } from '../../zdtm/runner/reaper';

const isRoot = process.getuid?.() === 0;
const ready = isRoot && fs.existsSync(defaultAmberBin);
// eslint-disable-next-line @typescript-eslint/no-require-imports
const amber = ready ? require('../../dist/src/index.js') as typeof import('../../src/index') : undefined;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let root: string;
const pids: number[] = [];
beforeAll(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-api-'));
  if (ready) becomeSubreaper();
});
afterAll(() => {
  for (const p of pids) try { process.kill(p, 'SIGKILL'); } catch { /* gone */ }
  fs.rmSync(root, { recursive: true, force: true });
});

const openFds = () => fs.readdirSync('/proc/self/fd').length;

describe.skipIf(!ready)('amber-cr as a library', () => {
  it('dumps and restores with promises, actions, progress and a closed log', async () => {
    const pid = startSleeper(pids);
    await sleep(100);
    const before = openFds();
    const actions: string[] = [];
    let progress = 0;
    const dir = path.join(root, 'one');
    const d = await amber!.dump({ pid, imagesDir: dir, logLevel: 4, logFile: 'dump.log', onAction: (a) => actions.push(a), onProgress: (n) => { progress = n; } });
    expect(d.processes).toBe(1);
    expect(d.pagesWritten).toBeGreaterThan(0);
    expect(actions).toEqual(['pre-dump', 'network-lock', 'post-dump']);
    expect(progress).toBeGreaterThan(0);
    expect(fs.readFileSync(path.join(dir, 'dump.log'), 'utf8')).toMatch(/dump finished|killed after dump/);
    await waitExit(pid, 5000);
    await waitPidsFree([pid], 5000);
    const r = await amber!.restore({ imagesDir: dir, logLevel: 4, logFile: 'restore.log', onAction: (a) => actions.push(a) });
    expect(r.pid).toBe(pid);
    expect(['R', 'S']).toContain(procState(pid));
    expect(actions.slice(3)).toEqual(['pre-restore', 'post-restore', 'network-unlock', 'pre-resume', 'post-resume']);
    expect(openFds()).toBe(before);
  });

  it('cancels at the next action point: the dump fails and the tree runs on untraced', async () => {
    const pid = startSleeper(pids);
    await sleep(100);
    const ac = new AbortController();
    const p = amber!.dump({ pid, imagesDir: path.join(root, 'two'), signal: ac.signal, onAction: (a) => { if (a === 'network-lock') ac.abort(); } });
    await expect(p).rejects.toThrow(/cancelled at post-dump/);
    expect(['R', 'S']).toContain(procState(pid));
    expect(/^TracerPid:\s*0$/m.test(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))).toBe(true);
    const aborted = new AbortController();
    aborted.abort();
    await expect(amber!.dump({ pid, imagesDir: path.join(root, 'three'), signal: aborted.signal })).rejects.toBeInstanceOf(amber!.AbortedError);
    await expect(amber!.preDump({ pid, imagesDir: root })).rejects.toThrow(/pre-dump is not supported yet/);
  });
});
