/** summary.json: counts and one entry per test case, for CI and scripts. */
import type { CaseResult } from '../run-case';

export interface SummaryEntry {
  name: string;
  flavor: string;
  result: 'pass' | 'fail' | 'skip';
  reason: string;
  dump_ms: number | null;
  restore_ms: number | null;
}

export interface Summary {
  passed: number;
  failed: number;
  skipped: number;
  tests: SummaryEntry[];
}

export function countResults(results: CaseResult[]): { passed: number; failed: number; skipped: number } {
  return {
    passed: results.filter((r) => r.result === 'pass').length,
    failed: results.filter((r) => r.result === 'fail').length,
    skipped: results.filter((r) => r.result === 'skip').length,
  };
}

export function buildSummary(results: CaseResult[]): Summary {
  return {
    ...countResults(results),
    tests: results.map((r) => ({
      name: r.name,
      flavor: r.flavor,
      result: r.result,
      reason: r.reason,
      dump_ms: r.dump_ms,
      restore_ms: r.restore_ms,
    })),
  };
}

/** The closing line CI reads. */
export function closingLine(results: CaseResult[]): string {
  const c = countResults(results);
  return `${c.passed} passed, ${c.failed} failed, ${c.skipped} skipped`;
}
