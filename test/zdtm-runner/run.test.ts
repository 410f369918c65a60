/**
 * The runner end to end on fake tests (zdtm/runner/fixtures/static: shell scripts that
 * daemonize like real zdtm tests) against mutant and fixture checkpointers.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../../zdtm/runner/paths';
import type { TreeSnap } from '../../zdtm/runner/proc/snapshot';
import type { CaseResult } from '../../zdtm/runner/run-case';
import { SKIP_NAMESPACES, SKIP_PRE_DUMP } from '../../zdtm/runner/skip';
import { pickCases, runSuite } from '../../zdtm/runner/suite';

const staticDir = path.join(repoRoot, 'zdtm', 'runner', 'fixtures', 'static');
const bins = {
  noop: path.join(repoRoot, 'zdtm', 'mutants', 'noop-amber'),
  leaveRunning: path.join(repoRoot, 'zdtm', 'runner', 'fixtures', 'leave-running-amber'),
  fail: path.join(repoRoot, 'zdtm', 'runner', 'fixtures', 'fail-amber'),
};
const reports = fs.mkdtempSync(path.join(os.tmpdir(), 'zdtm-run-'));
afterAll(() => fs.rmSync(reports, { recursive: true, force: true }));

interface Run {
  tests?: string[];
  amberBin: string;
  iters?: number;
  norst?: boolean;
  pre?: number;
  flavors?: Array<'h' | 'ns' | 'uns'>;
  timeoutS?: number;
  keepGoing?: boolean;
  jobs?: number;
}

async function run(r: Run): Promise<{ byName: Map<string, CaseResult>; output: string; reportDir: string }> {
  const cases = pickCases({ tests: r.tests ?? [], all: !r.tests, quick: false, exclude: [], flavors: r.flavors ?? ['h'], staticDir });
  let output = '';
  const reportDir = fs.mkdtempSync(path.join(reports, 'r-'));
  const { results } = await runSuite(
    cases,
    {
      amberBin: r.amberBin,
      iters: r.iters ?? 1,
      norst: r.norst ?? false,
      pre: r.pre ?? 0,
      timeoutS: r.timeoutS ?? 5,
      keepWorkdirs: false,
      jobs: r.jobs ?? 1,
      keepGoing: r.keepGoing ?? true,
      reportDir,
    },
    { write: (s) => void (output += s) },
  );
  return { byName: new Map(results.map((x) => [x.name, x])), output, reportDir };
}

/** Every task recorded at the start of a kept (failed) case is gone. */
function expectNoLeftovers(results: Iterable<CaseResult>): void {
  for (const r of results) {
    const file = path.join(r.workdir, 'proc-start.json');
    if (!r.workdir || !fs.existsSync(file)) continue;
    const snap = JSON.parse(fs.readFileSync(file, 'utf8')) as TreeSnap;
    for (const t of snap.tasks) {
      let state: string | undefined;
      try {
        const stat = fs.readFileSync(`/proc/${t.pid}/stat`, 'utf8');
        state = stat.slice(stat.lastIndexOf(')') + 2)[0];
      } catch {
        state = undefined;
      }
      expect(state === undefined || state === 'Z', `${r.name}: task ${t.pid} left in state ${state}`).toBe(true);
    }
    fs.rmSync(r.workdir, { recursive: true, force: true });
  }
}

describe('zdtm runner on fake tests', () => {
  it('fails every test under the no-op mutant, and leaves nothing running', async () => {
    const { byName, output, reportDir } = await run({ amberBin: bins.noop });
    expect([...byName.keys()]).toEqual(['fake_crfail', 'fake_crfail_other', 'fake_fail', 'fake_hang', 'fake_nostart', 'fake_ok']);
    expect([...byName.values()].every((r) => r.result === 'fail')).toBe(true);
    expect(byName.get('fake_ok')?.reason).toMatch(/^dump: iteration 1: dump exited 0 but the tree is still alive: \d+ \(state T\)/);
    expect(byName.get('fake_crfail')?.reason).toMatch(/dump succeeded, but this test is flagged crfail/);
    expect(byName.get('fake_nostart')?.reason).toBe('start: test did not start: exit 1');
    expect(output.trimEnd().split('\n').pop()).toBe('0 passed, 6 failed, 0 skipped');
    const summary = JSON.parse(fs.readFileSync(path.join(reportDir, 'summary.json'), 'utf8'));
    expect(summary).toMatchObject({ passed: 0, failed: 6, skipped: 0 });
    expect(fs.readFileSync(path.join(reportDir, 'logs', 'fake_ok.h', 'img-1', 'dump.log'), 'utf8')).toMatch(/noop-amber: stopped/);
    expectNoLeftovers(byName.values());
  }, 60_000);

  it('passes a test whose dump --leave-running leaves it as it was (--norst), and reads FAIL verdicts', async () => {
    const { byName } = await run({ tests: ['fake_ok', 'fake_fail'], amberBin: bins.leaveRunning, norst: true, iters: 3 });
    const ok = byName.get('fake_ok') as CaseResult;
    expect(ok).toMatchObject({ result: 'pass', reason: '', restore_ms: null });
    expect(typeof ok.dump_ms).toBe('number');
    expect(fs.existsSync(ok.workdir)).toBe(false);
    expect(byName.get('fake_fail')).toMatchObject({ result: 'fail', reason: 'verdict: FAIL: fake failure (exit 1)' });
    expectNoLeftovers(byName.values());
  }, 60_000);

  it('passes a crfail test whose dump fails cleanly with its refusal; fails one refused otherwise, and a normal one', async () => {
    const { byName } = await run({ tests: ['fake_crfail', 'fake_crfail_other', 'fake_ok'], amberBin: bins.fail });
    expect(byName.get('fake_crfail')).toMatchObject({ result: 'pass' });
    expect(byName.get('fake_crfail_other')?.reason).toMatch(/dump failed, but not with the refusal this test is for \(\/a refusal nobody gives\/\)/);
    expect(byName.get('fake_ok')?.reason).toBe('dump: iteration 1: dump failed: exit 1');
    expectNoLeftovers(byName.values());
  }, 60_000);

  it('fails and kills a test that ignores SIGTERM', async () => {
    const t0 = Date.now();
    const { byName } = await run({ tests: ['fake_hang'], amberBin: bins.leaveRunning, norst: true, timeoutS: 1 });
    expect(byName.get('fake_hang')?.reason).toMatch(/^stop: test \d+ did not exit within 1 s of SIGTERM$/);
    expect(Date.now() - t0).toBeLessThan(15_000);
    expectNoLeftovers(byName.values());
  }, 60_000);

  it('skips namespace flavors and pre-dumps the checkpointer lacks', async () => {
    const flavors = await run({ tests: ['fake_ok'], amberBin: bins.leaveRunning, norst: true, flavors: ['h', 'ns', 'uns'] });
    expect(flavors.output).toContain(`2 x ${SKIP_NAMESPACES}`);
    expect(flavors.output.trimEnd().split('\n').pop()).toBe('1 passed, 0 failed, 2 skipped');
    const pre = await run({ tests: ['fake_ok'], amberBin: bins.fail, pre: 2 });
    expect(pre.byName.get('fake_ok')).toMatchObject({ result: 'skip', reason: SKIP_PRE_DUMP });
  }, 60_000);

  it('stops at the first failure without --keep-going', async () => {
    const { byName } = await run({ tests: ['fake_nostart', 'fake_ok'], amberBin: bins.leaveRunning, norst: true, keepGoing: false });
    expect(byName.get('fake_nostart')?.result).toBe('fail');
    expect(byName.get('fake_ok')).toMatchObject({ result: 'skip', reason: expect.stringMatching(/^not run/) });
    expectNoLeftovers(byName.values());
  }, 60_000);
});
