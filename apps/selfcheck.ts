/**
 * `npm run apps -- --selfcheck`: tests the harness itself. Every app must PASS with the no-op
 * checkpointer (zdtm/mutants/noop-amber: freeze on dump, thaw on restore) and FAIL, without
 * hanging, with each broken one under apps/mutants/ (kill-amber: kills the tree and restores
 * nothing; rst-amber: resets the app's TCP connections on restore; hang-amber: a dump that
 * never returns). One line per checkpointer and app, then "N passed, N failed" over them.
 */
import * as path from 'node:path';
import { repoRoot } from '../zdtm/runner/paths';
import type { AppCase } from './lib/app';
import { runApp, type AppResult, type DriverConfig } from './lib/driver';
import { fmtMs } from './lib/util';

interface Mutant {
  name: string;
  bin: string;
  expect: 'pass' | 'fail';
  /** Seconds per step: the hanging one is given little. */
  timeoutS?: number;
}

const mutants: Mutant[] = [
  { name: 'noop-amber', bin: path.join(repoRoot, 'zdtm', 'mutants', 'noop-amber'), expect: 'pass' },
  { name: 'kill-amber', bin: path.join(repoRoot, 'apps', 'mutants', 'kill-amber'), expect: 'fail' },
  { name: 'rst-amber', bin: path.join(repoRoot, 'apps', 'mutants', 'rst-amber'), expect: 'fail' },
  { name: 'hang-amber', bin: path.join(repoRoot, 'apps', 'mutants', 'hang-amber'), expect: 'fail', timeoutS: 5 },
];

export async function selfcheck(cases: AppCase[], base: DriverConfig, missing: (c: AppCase) => string | undefined): Promise<{ passed: number; failed: number; results: (AppResult & { checkpointer: string; expected: string })[] }> {
  const out: (AppResult & { checkpointer: string; expected: string })[] = [];
  let passed = 0;
  let failed = 0;
  const width = Math.max(...cases.map((c) => c.name.length));
  for (const m of mutants) {
    const cfg: DriverConfig = {
      ...base,
      amberBin: m.bin,
      amberMs: (m.timeoutS ?? base.amberMs / 1000) * 1000,
      workRoot: path.join(base.workRoot, m.name),
    };
    for (const c of cases) {
      const why = missing(c);
      let r: AppResult;
      if (why) {
        r = { name: c.name, result: 'fail', step: 'setup', reason: why, details: [], cyclesDone: 0, afterDump: [], loadMs: 0, dumpMs: [], restoreMs: [], verifyMs: [], ms: 0, workdir: '' };
      } else {
        r = await runApp(c, cfg);
      }
      const ok = !why && r.result === m.expect;
      if (ok) passed++;
      else failed++;
      out.push({ ...r, checkpointer: m.name, expected: m.expect });
      const what = r.result === 'pass' ? 'PASS' : `FAIL at ${r.step}: ${r.reason}`;
      process.stdout.write(`${ok ? 'ok   ' : 'WRONG'} ${m.name.padEnd(10)} ${c.name.padEnd(width)}  expected ${m.expect.toUpperCase()}, got ${what.slice(0, 160)} (${fmtMs(r.ms)})\n`);
    }
  }
  return { passed, failed, results: out };
}
