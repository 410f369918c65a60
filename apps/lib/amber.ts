/**
 * The checkpointer, driven as a separate CLI process with CRIU's options (never in-process:
 * the engine ptraces, and the harness's own children belong to libuv).
 *   dump -t PID -D DIR -o dump.log -v4 [app options]
 *   restore -D DIR -d --pidfile FILE -o restore.log -v4 [app options]
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { describeExec, tailFile } from '../../zdtm/runner/exec';
import { run, type ExecResult } from './exec';

export interface AmberStep extends ExecResult {
  argv: string[];
  /** The -o log (inside the images dir). */
  log: string;
  /** stdout+stderr of the command. */
  output: string;
}

async function amber(bin: string, action: string, dir: string, args: string[], timeoutMs: number): Promise<AmberStep> {
  fs.mkdirSync(dir, { recursive: true });
  const log = path.join(dir, `${action}.log`);
  const output = path.join(dir, `${action}.out`);
  const argv = [bin, action, ...args];
  fs.writeFileSync(output, `$ ${argv.join(' ')}\n`);
  const r = await run(argv, { cwd: dir, outputFile: output, timeoutMs });
  return { ...r, argv, log, output };
}

export function dump(bin: string, dir: string, pid: number, extra: string[], timeoutMs: number): Promise<AmberStep> {
  return amber(bin, 'dump', dir, ['-t', String(pid), '-D', dir, '-o', 'dump.log', '-v4', ...extra], timeoutMs);
}

export function restore(bin: string, dir: string, pidfile: string, extra: string[], timeoutMs: number): Promise<AmberStep> {
  return amber(bin, 'restore', dir, ['-D', dir, '-d', '--pidfile', pidfile, '-o', 'restore.log', '-v4', ...extra], timeoutMs);
}

/** "exit 1", "timed out after 60 s", ... */
export const outcome = (r: AmberStep, timeoutMs: number): string => describeExec(r, timeoutMs);

/** What explains a failed step: the command, its output, its log. */
export function stepDetails(r: AmberStep): string[] {
  return [`$ ${r.argv.join(' ')}`, `output (tail):\n${tailFile(r.output, 15)}`, `${path.basename(r.log)} (tail):\n${tailFile(r.log, 30)}`];
}
