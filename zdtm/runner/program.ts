/**
 * The test program's side of the contract: `PROG --pidfile=P --outfile=O` daemonizes (the
 * launched process exits 0 once the real test, a new session leader, is ready and has written
 * its pid), and on SIGTERM the test checks its state and ends the outfile with "PASS" or
 * "FAIL: ...".
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { CaseFailure, CaseSkip, type LogRef } from './errors';
import { describeExec, execToFile, tailFile } from './exec';
import type { TestMeta } from './metadata';
import { sleep, waitExit, type ExitInfo } from './reaper';

export interface TestFiles {
  workdir: string;
  pidfile: string;
  outfile: string;
  /** stdout/stderr of the launched process. */
  launchLog: string;
}

export function testFiles(workdir: string, name: string): TestFiles {
  return {
    workdir,
    pidfile: path.join(workdir, `${name}.pid`),
    outfile: path.join(workdir, `${name}.out`),
    launchLog: path.join(workdir, 'launch.log'),
  };
}

export function testLogs(files: TestFiles): LogRef[] {
  return [
    { label: 'test outfile', path: files.outfile },
    { label: 'test launch output', path: files.launchLog },
  ];
}

/** Reads a pid file, waiting a little for it to be written in full. */
export async function readPidfile(file: string, timeoutMs: number): Promise<number | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      const text = fs.readFileSync(file, 'utf8');
      if (/^\s*\d+\s*$/.test(text)) return Number(text.trim());
    } catch {
      // not there yet
    }
    if (Date.now() >= deadline) return undefined;
    await sleep(10);
  }
}

function failure(step: string, reason: string, files: TestFiles, extra: string[] = []): CaseFailure {
  return new CaseFailure(step, reason, [...extra, `test outfile:\n${tailFile(files.outfile)}`, `launch output:\n${tailFile(files.launchLog)}`], testLogs(files));
}

/** Starts the test and returns the pid of the real (daemonized) test process. */
/** The launcher's status when the test called zdtm_skip() (ZDTM_EXIT_SKIP in zdtm.h). */
export const EXIT_SKIP = 3;

/** The "SKIP: reason" line the launcher copied into its log. */
function skipReasonOf(launchLog: string): string {
  const line = fs.readFileSync(launchLog, 'utf8').split('\n').find((l) => l.includes('SKIP: '));
  return line ? line.slice(line.indexOf('SKIP: ') + 6).trim() : 'the test skipped itself';
}

export async function startTest(meta: TestMeta, files: TestFiles, timeoutMs: number): Promise<number> {
  if (!fs.existsSync(meta.programFile)) {
    throw new CaseFailure('start', `no test program ${path.relative(process.cwd(), meta.programFile)}: build it (npm run build)`);
  }
  const argv = [...meta.command, `--pidfile=${files.pidfile}`, `--outfile=${files.outfile}`];
  fs.writeFileSync(files.launchLog, `$ ${argv.join(' ')}\n`);
  const r = await execToFile(argv, { cwd: files.workdir, outputFile: files.launchLog, timeoutMs });
  if (r.code === EXIT_SKIP) throw new CaseSkip(skipReasonOf(files.launchLog));
  if (r.code !== 0) throw failure('start', `test did not start: ${describeExec(r, timeoutMs)}`, files);
  const pid = await readPidfile(files.pidfile, 1000);
  if (pid === undefined) throw failure('start', 'test started but wrote no pid file', files);
  return pid;
}

/** The last non-empty line of the outfile. */
export function lastLine(file: string): string | undefined {
  try {
    const lines = fs.readFileSync(file, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
    return lines[lines.length - 1];
  } catch {
    return undefined;
  }
}

function describeExit(e: ExitInfo): string {
  if (e.signal !== undefined) return `killed by signal ${e.signal}`;
  if (e.code !== undefined) return `exit ${e.code}`;
  return 'exit status unknown: not our child';
}

/** SIGTERM, wait for the exit, then the verdict: PASS in the outfile and (when known) exit 0. */
export async function stopTest(pid: number, files: TestFiles, timeoutMs: number): Promise<void> {
  try {
    process.kill(pid, 'SIGTERM');
  } catch (e) {
    throw failure('stop', `cannot send SIGTERM to ${pid}: ${(e as NodeJS.ErrnoException).code}`, files);
  }
  const exit = await waitExit(pid, timeoutMs);
  if (!exit) throw failure('stop', `test ${pid} did not exit within ${Math.round(timeoutMs / 1000)} s of SIGTERM`, files);
  const verdict = lastLine(files.outfile);
  if (verdict === undefined) throw failure('verdict', `no verdict in the outfile (${describeExit(exit)})`, files);
  if (verdict !== 'PASS') {
    const why = verdict.startsWith('FAIL') ? verdict : `last line is not PASS: "${verdict.slice(0, 200)}"`;
    throw failure('verdict', `${why} (${describeExit(exit)})`, files);
  }
  if (exit.signal !== undefined || (exit.code !== undefined && exit.code !== 0)) {
    throw failure('verdict', `outfile says PASS but the test ended with ${describeExit(exit)}`, files);
  }
}
