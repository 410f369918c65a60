/**
 * The zdtm suite as vitest tests: one per zdtm test and flavor, each run through the same
 * library function the CLI uses (runCase), in the forked worker that vitest.config.ts gives
 * the zdtm projects (one at a time; that worker becomes the child subreaper).
 * Environment: ZDTM_ITERS (dump/restore cycles, default 3), ZDTM_FLAVORS (default h),
 * ZDTM_AMBER_BIN (default bin/amber), ZDTM_TIMEOUT (seconds per step, default 30).
 */
import * as fs from 'node:fs';
import { beforeAll, test } from 'vitest';
import { defaultAmberBin } from '../../zdtm/runner/paths';
import { runCase, type CaseConfig, type CaseResult } from '../../zdtm/runner/run-case';
import { caseId, parseFlavors, type Flavor, type TestCase } from '../../zdtm/runner/select';
import { pickCases, setupRun } from '../../zdtm/runner/suite';
import { removeRunDirIfClean } from '../../zdtm/runner/workdir';

function envInt(name: string, fallback: number): number {
  const v = process.env[name];
  if (v === undefined || v === '') return fallback;
  if (!/^\d+$/.test(v) || Number(v) < 1) throw new Error(`${name} must be a positive integer, not "${v}"`);
  return Number(v);
}

/** The failure as the error vitest shows: reason first, then what explains it. */
function failureText(r: CaseResult): string {
  return [r.reason, `work dir: ${r.workdir}`, ...r.details].join('\n\n');
}

export function defineZdtmSuite(set: 'all' | 'quick'): void {
  const iters = envInt('ZDTM_ITERS', 3);
  const timeoutS = envInt('ZDTM_TIMEOUT', 30);
  const cases = pickCases({ tests: [], all: set === 'all', quick: set === 'quick', exclude: [], flavors: parseFlavors(process.env.ZDTM_FLAVORS ?? 'h') });
  if (cases.length === 0) {
    test.skip('no zdtm tests selected', () => undefined);
    return;
  }

  let config: CaseConfig;
  beforeAll(() => {
    const setup = setupRun({ amberBin: process.env.ZDTM_AMBER_BIN ?? defaultAmberBin, iters, norst: false, pre: 0, timeoutS, keepWorkdirs: false });
    if (!setup.subreaper) console.warn('zdtm: not a child subreaper (native addon not built?): restores wait for PID 1 to reap');
    config = setup.config;
    return () => {
      if (fs.existsSync(config.runDir)) removeRunDirIfClean(config.runDir);
    };
  });

  // A backstop only (runCase bounds every step): start + stop + 2 steps per iteration, plus slack.
  const worstStep = Math.max(timeoutS, ...cases.map((c) => c.meta.timeout ?? 0));
  const timeoutMs = (2 + 2 * iters) * worstStep * 1000 + 30_000;

  const byId = new Map<string, TestCase>(cases.map((tc) => [caseId(tc), tc]));
  const rows: Array<[string, Flavor]> = cases.map((tc) => [tc.meta.name, tc.flavor]);
  test.for(rows)(
    '%s (%s)',
    { timeout: timeoutMs },
    async ([name, flavor], ctx) => {
      const tc = byId.get(caseId({ name, flavor })) as TestCase;
      const r = await runCase(tc, config);
      if (r.result === 'skip') ctx.skip(r.reason);
      const timing = `dump ${r.dump_ms ?? '-'} ms, restore ${r.restore_ms ?? '-'} ms (mean of ${iters})`;
      await ctx.annotate(timing, 'timing');
      if (r.result === 'pass') return;
      // The console tab and the error show the reason and details; the logs are attachments.
      console.log(`${caseId(tc)} failed:\n${failureText(r)}`);
      for (const log of r.logs) {
        if (fs.existsSync(log.path)) await ctx.annotate(log.label, 'log', { path: log.path, contentType: 'text/plain' });
      }
      const e = new Error(failureText(r));
      e.name = 'ZdtmFailure';
      throw e;
    },
  );
}
