/**
 * The terminal side: a line per finished case while the run goes on (with a transient
 * "running" line on a TTY), then a one-screen summary and the closing count line.
 */
import type { CaseResult } from '../run-case';
import { closingLine } from './summary';

const LABEL = { pass: 'PASS', fail: 'FAIL', skip: 'SKIP' } as const;

export interface Out {
  write(s: string): void;
  isTTY?: boolean;
}

const ms = (v: number | null): string => (v === null ? '-' : `${v} ms`);

export function resultLine(r: CaseResult, index: number, total: number): string {
  const w = String(total).length;
  const head = `[${String(index).padStart(w)}/${total}] ${LABEL[r.result]}  ${r.name} (${r.flavor})`;
  if (r.result === 'skip') return `${head}  ${r.reason}`;
  const times = `dump ${ms(r.dump_ms)}, restore ${ms(r.restore_ms)}`;
  return r.result === 'pass' ? `${head}  ${times}` : `${head}  ${times}\n      ${r.reason}`;
}

export class Progress {
  private done = 0;
  private readonly running = new Set<string>();

  constructor(private readonly out: Out, private readonly total: number) {}

  start(id: string): void {
    this.running.add(id);
    this.status();
  }

  finish(id: string, r: CaseResult): void {
    this.running.delete(id);
    this.done++;
    this.clear();
    this.out.write(`${resultLine(r, this.done, this.total)}\n`);
    this.status();
  }

  private clear(): void {
    if (this.out.isTTY) this.out.write('\r\x1b[K');
  }

  private status(): void {
    if (!this.out.isTTY || this.running.size === 0) return;
    this.clear();
    const line = `running: ${[...this.running].join(', ')}`;
    this.out.write(line.length > 100 ? `${line.slice(0, 97)}...` : line);
  }
}

const DETAIL_LINES = 45;

function indentDetails(details: string[]): string[] {
  const lines = details.join('\n').split('\n');
  const shown = lines.length > DETAIL_LINES ? [...lines.slice(0, DETAIL_LINES), `... (${lines.length - DETAIL_LINES} more lines in the work dir)`] : lines;
  return shown.filter((l) => l !== '').map((l) => `      | ${l}`);
}

/** Failures with their reason and work dir, skip reasons with counts, then the count line. */
export function finalSummary(results: CaseResult[], totalMs: number, reportDir?: string): string {
  const lines: string[] = [''];
  const failed = results.filter((r) => r.result === 'fail');
  if (failed.length > 0) {
    lines.push('Failed:');
    for (const r of failed.slice(0, 20)) {
      lines.push(`  ${r.name} (${r.flavor}): ${r.reason}`, `      logs: ${r.workdir}`);
      // A run with one or two failures (a developer's `run -t NAME`) shows why, in place.
      if (failed.length <= 2) lines.push(...indentDetails(r.details));
    }
    if (failed.length > 20) lines.push(`  ... and ${failed.length - 20} more`);
  }
  const skipReasons = new Map<string, number>();
  for (const r of results) if (r.result === 'skip') skipReasons.set(r.reason, (skipReasons.get(r.reason) ?? 0) + 1);
  if (skipReasons.size > 0) {
    lines.push('Skipped:');
    for (const [reason, n] of [...skipReasons].sort((a, b) => b[1] - a[1])) lines.push(`  ${n} x ${reason}`);
  }
  lines.push(`Took ${(totalMs / 1000).toFixed(1)} s.${reportDir ? ` Report: ${reportDir}` : ''}`);
  lines.push(closingLine(results));
  return `${lines.join('\n')}\n`;
}
