/**
 * The checkpointers under test, driven through their command lines (amber speaks CRIU's), each
 * in its own process: spawnSync, timed from spawn to exit.
 */
import * as child_process from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { readImage, STATS_DUMP_IMG, STATS_RESTORE_IMG, type Entry } from '../src/images';
import { ROOT } from './proc';

export interface Tool {
  name: string;
  /** The command, before the subcommand. */
  argv: string[];
}

export function amberTool(): Tool {
  return { name: 'amber', argv: [process.execPath, path.join(ROOT, 'bin', 'amber')] };
}

export function criuTool(bin: string): Tool {
  return { name: 'criu', argv: [bin] };
}

/** Upstream CRIU 4.2 as shipped next to the repository: what amber is measured against. */
export const REFERENCE_CRIU = path.resolve(ROOT, '../shared/reference/criu-4.2/criu');

/** The reference CRIU when it is there and executable. */
export function referenceCriu(): string | undefined {
  try {
    fs.accessSync(REFERENCE_CRIU, fs.constants.X_OK);
    return fs.statSync(REFERENCE_CRIU).isFile() ? REFERENCE_CRIU : undefined;
  } catch {
    return undefined;
  }
}

/** `criu --version`'s version ("4.2"), or why it does not run (e.g. a shared library missing). */
export function criuVersion(bin: string): { version?: string; error?: string } {
  const r = child_process.spawnSync(bin, ['--version'], { encoding: 'utf8', timeout: 30_000 });
  if (r.error) return { error: r.error.message };
  const m = /Version:\s*(\S+)/.exec(r.stdout ?? '');
  if (r.status !== 0 || !m) return { error: (r.stderr || r.stdout || `exit ${r.status}`).trim().split('\n')[0] };
  return { version: m[1] };
}

export interface Invocation {
  ok: boolean;
  ms: number;
  /** Exit status or signal, and the last lines of the log (or of the output) when it failed. */
  failure?: string;
  logTail?: string[];
}

const TIMEOUT_MS = 600_000;

function invoke(tool: Tool, args: string[], dir: string, logName: string): Invocation {
  const t0 = process.hrtime.bigint();
  const r = child_process.spawnSync(tool.argv[0], [...tool.argv.slice(1), ...args], {
    cwd: dir,
    encoding: 'utf8',
    timeout: TIMEOUT_MS,
    maxBuffer: 64 << 20,
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (!r.error && r.status === 0) return { ok: true, ms };
  const how = r.error ? r.error.message : r.signal ? `killed by ${r.signal}` : `exit ${r.status}`;
  const tail = logTail(path.join(dir, logName), `${r.stderr ?? ''}${r.stdout ?? ''}`);
  return { ok: false, ms, failure: `${how}: ${firstError(tail)}`, logTail: tail };
}

/** The last lines of the log, else of the command's output. */
function logTail(log: string, output: string): string[] {
  let text = '';
  try {
    text = fs.readFileSync(log, 'utf8');
  } catch {
    /* no log */
  }
  if (!text.trim()) text = output;
  return text.trimEnd().split('\n').slice(-12);
}

/** The first error line of a log tail, without its timestamp: usually the cause. */
function firstError(tail: string[]): string {
  const line = tail.find((l) => /\berror\b/i.test(l)) ?? tail[tail.length - 1] ?? '(no log)';
  return line.replace(/^\(\s*[\d.]+\)\s*/, '').trim();
}

/** `extra`: options the workload needs on both sides, e.g. --tcp-established. */
export function dump(tool: Tool, pid: number, dir: string, extra: string[] = []): Invocation {
  return invoke(tool, ['dump', '-t', String(pid), '-D', dir, '-o', 'dump.log', '-v4', ...extra], dir, 'dump.log');
}

export function restore(tool: Tool, dir: string, pidfile: string, extra: string[] = []): Invocation {
  return invoke(tool, ['restore', '-d', '-D', dir, '--pidfile', pidfile, '-o', 'restore.log', '-v4', ...extra], dir, 'restore.log');
}

export interface DumpStats {
  freezingUs: number;
  frozenUs: number;
  memdumpUs: number;
  memwriteUs: number;
  pagesWritten: number;
}

/** A stats image under CRIU's name (amber and CRIU 4.2), or the `.img` name older ambers wrote. */
function readStats(dir: string, name: string): Entry | undefined {
  for (const file of [name, `${name}.img`]) {
    if (fs.existsSync(path.join(dir, file))) return readImage(dir, file, 'STATS')[0];
  }
  return undefined;
}

export function readDumpStats(dir: string): DumpStats | undefined {
  try {
    const d = readStats(dir, STATS_DUMP_IMG)?.dump;
    if (!d) return undefined;
    return {
      freezingUs: Number(d.freezing_time ?? 0),
      frozenUs: Number(d.frozen_time ?? 0),
      memdumpUs: Number(d.memdump_time ?? 0),
      memwriteUs: Number(d.memwrite_time ?? 0),
      pagesWritten: Number(d.pages_written ?? 0),
    };
  } catch {
    return undefined;
  }
}

export function readRestoreUs(dir: string): number | undefined {
  try {
    const r = readStats(dir, STATS_RESTORE_IMG)?.restore;
    return r ? Number(r.restore_time ?? 0) : undefined;
  } catch {
    return undefined;
  }
}

/** Bytes of the images in dir (every *.img), and of the raw pages images among them. */
export function imageBytes(dir: string): { total: number; pages: number } {
  let total = 0;
  let pages = 0;
  for (const name of fs.readdirSync(dir)) {
    if (!name.endsWith('.img')) continue;
    const size = fs.statSync(path.join(dir, name)).size;
    total += size;
    if (name.startsWith('pages-')) pages += size;
  }
  return { total, pages };
}

/** Removes the raw pages images of dir: the bulk of a run's images, the logs and the rest stay. */
export function removePages(dir: string): void {
  for (const name of fs.readdirSync(dir)) if (name.startsWith('pages-') && name.endsWith('.img')) fs.rmSync(path.join(dir, name), { force: true });
}
