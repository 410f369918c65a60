/**
 * --report DIR: junit.xml, summary.json, and for each failed case a copy of its logs (text
 * files only, no images) under logs/NAME.FLAVOR/.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import type { CaseResult } from '../run-case';
import { caseId } from '../select';
import { buildJunit } from './junit';
import { buildSummary } from './summary';

const MAX_LOG_BYTES = 4 << 20;

function copyLogs(r: CaseResult, into: string): void {
  if (!r.workdir || !fs.existsSync(r.workdir)) return;
  const walk = (dir: string, rel: string): void => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const src = path.join(dir, e.name);
      const dst = path.join(into, rel, e.name);
      if (e.isDirectory()) walk(src, path.join(rel, e.name));
      else if (e.isFile() && !e.name.endsWith('.img') && fs.statSync(src).size <= MAX_LOG_BYTES) {
        fs.mkdirSync(path.dirname(dst), { recursive: true });
        fs.copyFileSync(src, dst);
      }
    }
  };
  walk(r.workdir, '');
}

export function writeReport(dir: string, results: CaseResult[], totalMs: number): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'junit.xml'), buildJunit(results, totalMs));
  fs.writeFileSync(path.join(dir, 'summary.json'), `${JSON.stringify(buildSummary(results), null, 2)}\n`);
  fs.rmSync(path.join(dir, 'logs'), { recursive: true, force: true });
  for (const r of results.filter((x) => x.result === 'fail')) copyLogs(r, path.join(dir, 'logs', caseId(r)));
}
