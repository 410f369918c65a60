/**
 * `--write-docs`: the tables of a run go into README.md and docs/bench.md, between the markers
 * below, so that the numbers the documentation quotes are those of a real run, whole, with the
 * command that made them.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';

export const BEGIN = '<!-- bench:begin -->';
export const END = '<!-- bench:end -->';

/**
 * Offsets of the lines that hold only `marker` (so that prose quoting a marker is no marker):
 * where each line starts, and where it ends (its newline excluded).
 */
function markerLines(text: string, marker: string): { start: number; end: number }[] {
  const found: { start: number; end: number }[] = [];
  let start = 0;
  for (const line of text.split('\n')) {
    if (line.trim() === marker) found.push({ start, end: start + line.length });
    start += line.length + 1;
  }
  return found;
}

/** Why text cannot take a block (no markers, several, or END before BEGIN), or undefined. */
export function markerProblem(text: string): string | undefined {
  const b = markerLines(text, BEGIN);
  const e = markerLines(text, END);
  if (b.length === 0 || e.length === 0) return `no ${b.length === 0 ? BEGIN : END} line`;
  if (b.length > 1 || e.length > 1) return `${BEGIN} and ${END} must each be alone on one line, once (found ${b.length} and ${e.length})`;
  if (e[0].start < b[0].start) return `${END} comes before ${BEGIN}`;
  return undefined;
}

/** text with the lines between the marker lines replaced by block; the markers stay. */
export function replaceBetweenMarkers(text: string, block: string): string {
  const problem = markerProblem(text);
  if (problem) throw new Error(problem);
  const begin = markerLines(text, BEGIN)[0];
  const end = markerLines(text, END)[0];
  return `${text.slice(0, begin.end)}\n${block.trim()}\n${text.slice(end.start)}`;
}

/** Throws, before a run starts, when a file cannot take the block. */
export function checkDocs(files: string[]): void {
  for (const f of files) {
    let text: string;
    try {
      text = fs.readFileSync(f, 'utf8');
    } catch (e) {
      throw new Error(`--write-docs: cannot read ${f}: ${e instanceof Error ? e.message : String(e)}`);
    }
    const problem = markerProblem(text);
    if (problem) throw new Error(`--write-docs: ${f}: ${problem}`);
  }
}

/** Replaces the block in every file; each is written whole (a temporary file, then a rename). */
export function writeDocs(files: string[], block: string): void {
  for (const f of files) {
    const next = replaceBetweenMarkers(fs.readFileSync(f, 'utf8'), block);
    const tmp = path.join(path.dirname(f), `.${path.basename(f)}.${process.pid}.tmp`);
    fs.writeFileSync(tmp, next);
    fs.renameSync(tmp, f);
  }
}

/** An argument as a shell would need it written. */
function quote(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

/**
 * The command that reproduces the run, as `npm run bench` with its arguments: without the
 * options that only say where the output goes, and with CRIU_BIN when it was set.
 */
export function commandLine(args: string[], criuBin: string | undefined): string {
  const kept: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === '--write-docs' || args[i] === '--markdown') continue;
    if (args[i] === '--docs' || args[i] === '--json') {
      i++;
      continue;
    }
    kept.push(args[i]);
  }
  const env = criuBin ? `CRIU_BIN=${quote(criuBin)} ` : '';
  return `${env}npm run bench${kept.length ? ` -- ${kept.map(quote).join(' ')}` : ''}`;
}

/** Text lines under a table, as a Markdown list; an indented line is an item of the one above. */
export function bullets(lines: string[]): string {
  return lines.map((l) => `${/^\s/.test(l) ? '  ' : ''}- ${l.trim()}`).join('\n');
}
