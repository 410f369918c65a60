/**
 * Every step of dump and restore, made to fail on purpose (AMBER_FAULT): a failed dump must
 * leave the tree running exactly as it was, a failed restore must leave no process behind.
 * The victim is the zdtm test child_process (a parent and its child), which checks its own
 * state when it finally gets SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { FAULT_POINTS } from '../../src/fault';
import { becomeSubreaper, defaultAmberBin, loadTests } from '../../zdtm/runner';
import * as amber from '../../zdtm/runner/amber';
import { startTest, stopTest, testFiles } from '../../zdtm/runner/program';
import { waitPidsFree } from '../../zdtm/runner/reaper';
import { treePids, withFault, removeWorkDir } from './fault-helpers';

const isRoot = process.getuid?.() === 0;
const victim = loadTests().find((t) => t.name === 'child_process');
const ready = isRoot && victim !== undefined && fs.existsSync(victim.programFile) && fs.existsSync(defaultAmberBin);
const root = fs.mkdtempSync('/tmp/amber-faults-');
afterAll(() => removeWorkDir(root));


function mapsOf(pids: number[]): string {
  return pids.map((p) => fs.readFileSync(`/proc/${p}/maps`, 'utf8')).join('\n');
}


describe.skipIf(!ready)('fault injection', () => {
  beforeAll(() => {
    becomeSubreaper();
  });

  for (const point of FAULT_POINTS.filter((p) => p.startsWith('dump:'))) {
    it(`a dump failing at ${point} leaves the tree running unchanged`, async () => {
      const dir = path.join(root, point.replace(':', '-'));
      fs.mkdirSync(dir, { recursive: true });
      const files = testFiles(dir, victim!.name);
      const pid = await startTest(victim!, files, 10_000);
      const pids = treePids(pid);
      const before = mapsOf(pids);
      const r = await withFault(point, () => amber.dump({ bin: defaultAmberBin, dir: path.join(dir, 'img'), timeoutMs: 30_000 }, pid, { leaveRunning: false, extra: [] }));
      expect(r.code).toBe(1);
      expect(fs.readFileSync(r.output, 'utf8')).toContain(`fault injected at ${point}`);
      expect(treePids(pid)).toEqual(pids);
      expect(mapsOf(pids)).toBe(before);
      await stopTest(pid, files, 10_000);
    });
  }

  for (const point of FAULT_POINTS.filter((p) => p.startsWith('restore:'))) {
    it(`a restore failing at ${point} leaves nothing behind, and a second restore works`, async () => {
      const dir = path.join(root, point.replace(':', '-'));
      fs.mkdirSync(dir, { recursive: true });
      const files = testFiles(dir, victim!.name);
      const pid = await startTest(victim!, files, 10_000);
      const pids = treePids(pid);
      const call = { bin: defaultAmberBin, dir: path.join(dir, 'img'), timeoutMs: 30_000 };
      expect((await amber.dump(call, pid, { leaveRunning: false, extra: [] })).code).toBe(0);
      expect(await waitPidsFree(pids, 5_000)).toEqual([]);
      const r = await withFault(point, () => amber.restore(call, path.join(dir, 'restored.pid'), []));
      expect(r.code).toBe(1);
      expect(fs.readFileSync(r.output, 'utf8')).toContain(`fault injected at ${point}`);
      expect(await waitPidsFree(pids, 5_000)).toEqual([]);
      expect((await amber.restore(call, path.join(dir, 'restored.pid'), [])).code).toBe(0);
      expect(treePids(pid)).toEqual(pids);
      await stopTest(pid, files, 10_000);
    });
  }
});
