/** Summaries of the runs and the printed table. */

export function median(xs: number[]): number | undefined {
  if (xs.length === 0) return undefined;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

/** GiB per second for bytes in ms. */
export function gibps(bytes: number | undefined, ms: number | undefined): number | undefined {
  if (bytes === undefined || ms === undefined || ms <= 0) return undefined;
  return bytes / GiB / (ms / 1000);
}

export function fmt(x: number | undefined, digits = 0): string {
  return x === undefined || !Number.isFinite(x) ? '-' : x.toFixed(digits);
}

/** "median (min–max)" of xs, in whole ms. */
export function spread(xs: number[]): string {
  const m = median(xs);
  if (m === undefined) return '-';
  return xs.length < 2 ? fmt(m) : `${fmt(m)} (${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))})`;
}

/** x / y to `digits` decimals, '-' when either is missing (or y is 0). */
export function ratio(x: number | undefined, y: number | undefined, digits = 2): string {
  return x !== undefined && y ? fmt(x / y, digits) : '-';
}

/** Medians of one tool on one workload, for the amber/criu rows. */
export interface Medians {
  dump?: number;
  restore?: number;
  frozen?: number;
}

/**
 * The row that follows amber's and CRIU's in a 9-column table (workload, tool, dump, restore,
 * two per-size columns, frozen, image, check): amber's medians over CRIU's.
 */
export function ratioRow(workload: string, amber: Medians, criu: Medians): string[] {
  return [workload, 'amber/criu', ratio(amber.dump, criu.dump), ratio(amber.restore, criu.restore), '', '', ratio(amber.frozen, criu.frozen), '', 'ratio of medians'];
}

/** x with 3 significant digits (at least whole units above 100): 0.0123, 1.23, 12.3, 123. */
export function sig3(x: number | undefined): string {
  if (x === undefined || !Number.isFinite(x)) return '-';
  if (x === 0) return '0';
  const digits = Math.max(0, 2 - Math.floor(Math.log10(Math.abs(x))));
  return x.toFixed(Math.min(digits, 6));
}

/**
 * A table with a header row: the first `lead` columns and the last are text (left-aligned),
 * the others numbers. A row shorter than the header spans its cells after the first `lead`.
 */
export function table(header: string[], rows: string[][], lead = 2): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.filter((r) => r.length === header.length).map((r) => r[i].length)));
  const right = (i: number): boolean => i >= lead && i < header.length - 1;
  const line = (cells: string[]): string => {
    if (cells.length < header.length) {
      const head = cells.slice(0, lead).map((c, i) => c.padEnd(widths[i])).join('  ');
      return `${head}  ${cells.slice(lead).join(' ')}`.trimEnd();
    }
    return cells.map((c, i) => (right(i) ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  };
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...rows.map(line)].join('\n');
}

/** The same table in Markdown. */
export function markdown(header: string[], rows: string[][], lead = 2): string {
  const align = header.map((_, i) => (i >= lead && i < header.length - 1 ? '---:' : '---'));
  const out = [`| ${header.join(' | ')} |`, `| ${align.join(' | ')} |`];
  for (const r of rows) {
    const cells = r.length < header.length ? [...r.slice(0, lead), r.slice(lead).join(' '), ...Array(header.length - lead - 1).fill('')] : r;
    out.push(`| ${cells.map((c) => c.replace(/\|/g, '\\|')).join(' | ')} |`);
  }
  return out.join('\n');
}

/** A run of a workload as far as the verdict goes: restored or not, and how its check ended. */
export interface CheckedRun { restoreMs?: number; verify?: string }

/** The values f gives for the runs that have one. */
export function times<R>(runs: readonly R[], f: (r: R) => number | undefined): number[] {
  return runs.map(f).filter((x): x is number => x !== undefined);
}

/** The check column: `ok N/N`, the first failure and how many, or why there is none. */
export function verdict(runs: readonly CheckedRun[]): string {
  const restored = runs.filter((r) => r.restoreMs !== undefined);
  const checked = restored.filter((r) => r.verify !== 'skipped');
  const ok = checked.filter((r) => r.verify === 'ok').length;
  if (checked.length === 0) return restored.length ? 'not checked' : '-';
  if (ok === checked.length) return `ok ${ok}/${checked.length}`;
  return `${checked.find((r) => r.verify !== 'ok')?.verify} (${checked.length - ok}/${checked.length})`;
}
