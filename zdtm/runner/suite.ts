/**
 * The library behind the CLI and the vitest projects: pick the cases, set up a run (work dir,
 * feature probes, subreaper), run them through the scheduler, report.
 */
import * as path from 'node:path';
import { FeatureProbe } from './amber';
import type { RunOptions } from './cli/options';
import { hasFlag, loadTests } from './metadata';
import { quickListFile } from './paths';
import { finalSummary, Progress, type Out } from './report/progress';
import { writeReport } from './report/write';
import { becomeSubreaper } from './reaper';
import { runCase, type CaseConfig, type CaseResult } from './run-case';
import { schedule } from './scheduler';
import { caseId, crossFlavors, readNameList, selectTests, type TestCase } from './select';
import { makeRunDir, removeRunDirIfClean } from './workdir';

export type Selection = Pick<RunOptions, 'tests' | 'all' | 'quick' | 'exclude' | 'flavors' | 'staticDir'>;

/** The cases a selection stands for, in run order. */
export function pickCases(sel: Selection): TestCase[] {
  const tests = loadTests(sel.staticDir);
  const names = sel.quick ? readNameList(quickListFile) : sel.tests;
  const known = new Set(tests.map((t) => t.name));
  // The quick list may name tests that are not written yet: those are left out, not errors.
  const picked = selectTests(tests, { names: sel.quick ? names.filter((n) => known.has(n)) : names, all: sel.all, exclude: sel.exclude });
  return crossFlavors(picked, sel.flavors);
}

export type CaseSettings = Pick<RunOptions, 'amberBin' | 'iters' | 'norst' | 'pre' | 'timeoutS' | 'keepWorkdirs'>;

export interface RunSetup {
  config: CaseConfig;
  /** False when the addon could not be loaded: dumped tasks then wait for PID 1 to reap them. */
  subreaper: boolean;
}

/** One run's shared state. Call in the process that will run the cases (it becomes subreaper). */
export function setupRun(s: CaseSettings, runDir: string = makeRunDir()): RunSetup {
  const subreaper = becomeSubreaper();
  return {
    subreaper,
    config: {
      ...s,
      amberBin: path.resolve(s.amberBin),
      runDir,
      features: new FeatureProbe(path.resolve(s.amberBin), path.join(runDir, 'probe')),
      isRoot: process.getuid?.() === 0,
    },
  };
}

function notRun(tc: TestCase): CaseResult {
  return {
    name: tc.meta.name,
    flavor: tc.flavor,
    result: 'skip',
    reason: 'not run: stopped at the first failure (--keep-going runs all)',
    dump_ms: null,
    restore_ms: null,
    details: [],
    logs: [],
    workdir: '',
    ms: 0,
  };
}

async function guardedRun(tc: TestCase, config: CaseConfig): Promise<CaseResult> {
  try {
    return await runCase(tc, config);
  } catch (e) {
    return { ...notRun(tc), result: 'fail', reason: `runner error: ${(e as Error).message}`, details: [String((e as Error).stack)] };
  }
}

export interface SuiteRun {
  results: CaseResult[];
  totalMs: number;
  runDir: string;
}

/** Runs the cases, printing progress to out; writes the report when asked. */
export async function runSuite(cases: TestCase[], opts: CaseSettings & Pick<RunOptions, 'jobs' | 'keepGoing' | 'reportDir'>, out: Out): Promise<SuiteRun> {
  const t0 = Date.now();
  const { config, subreaper } = setupRun(opts);
  if (!subreaper) out.write('warning: not a child subreaper (native addon not built?): restores wait for PID 1 to reap\n');
  out.write(`zdtm: ${cases.length} case(s), checkpointer ${config.amberBin}, work dir ${config.runDir}\n`);
  const progress = new Progress(out, cases.length);
  const results = await schedule(cases, {
    jobs: opts.jobs,
    keepGoing: opts.keepGoing,
    isExclusive: (tc) => hasFlag(tc.meta, 'excl'),
    run: (tc) => guardedRun(tc, config),
    failed: (r) => r.result === 'fail',
    notRun,
    onStart: (tc) => progress.start(caseId(tc)),
    onDone: (tc, r) => progress.finish(caseId(tc), r),
  });
  const totalMs = Date.now() - t0;
  if (opts.reportDir) writeReport(opts.reportDir, results, totalMs);
  removeRunDirIfClean(config.runDir);
  out.write(finalSummary(results, totalMs, opts.reportDir));
  return { results, totalMs, runDir: config.runDir };
}
