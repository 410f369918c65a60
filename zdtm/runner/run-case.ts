/**
 * One test in one flavor, as a straight line of steps: start, record, then per iteration
 * (pre-dumps,) dump, check the tree is gone, restore, check it is back the same; finally
 * SIGTERM and the test's verdict. Whatever happens, nothing of the test is left running.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { track } from './active';
import * as amber from './amber';
import { cleanupWorkdir } from './workdir';
import { killLeftovers } from './cleanup';
import { CaseFailure, CaseSkip, type LogRef } from './errors';
import { describeExec, tailFile } from './exec';
import { hasFlag } from './metadata';
import { PSTREE_IMG, readImage } from '../../src/images';
import { compareTrees } from './proc/compare';
import { allIds, snapshotTree, type TreeSnap } from './proc/snapshot';
import { readPidfile, startTest, stopTest, testFiles, testLogs, type TestFiles } from './program';
import { procState, reapOnce, sleep, waitPidsFree } from './reaper';
import { caseId, type Flavor, type TestCase } from './select';
import { skipReason } from './skip';

export interface CaseConfig {
  amberBin: string;
  iters: number;
  /** Dump with --leave-running and never restore. */
  norst: boolean;
  /** Pre-dumps before each dump. */
  pre: number;
  /** Seconds per step; a test's own "timeout" can raise it. */
  timeoutS: number;
  /** This run's folder; each case works in runDir/NAME.FLAVOR. */
  runDir: string;
  features: amber.FeatureProbe;
  isRoot: boolean;
  /** Keep the work dir of passed cases too. */
  keepWorkdirs?: boolean;
}

export type Verdict = 'pass' | 'fail' | 'skip';

export interface CaseResult {
  name: string;
  flavor: Flavor;
  result: Verdict;
  reason: string;
  /** Mean per iteration, null when nothing was measured. */
  dump_ms: number | null;
  restore_ms: number | null;
  /** What explains a failure: differences, log excerpts. */
  details: string[];
  logs: LogRef[];
  workdir: string;
  ms: number;
}

interface CaseState {
  tc: TestCase;
  cfg: CaseConfig;
  files: TestFiles;
  stepMs: number;
  pid?: number;
  known?: TreeSnap;
  dumpMs: number[];
  restoreMs: number[];
}

const mean = (xs: number[]): number | null => (xs.length === 0 ? null : Math.round(xs.reduce((a, b) => a + b, 0) / xs.length));

/** A checkpointer run that did not do what it had to; `what` gets its exit unless it exited 0. */
function amberFailure(step: string, what: string, r: amber.AmberRun, timeoutMs: number): CaseFailure {
  return new CaseFailure(
    step,
    r.code === 0 ? what : `${what}: ${describeExec(r, timeoutMs)}`,
    [`$ ${r.argv.join(' ')}`, `output:\n${tailFile(r.output, 10)}`, `${path.basename(r.log)} (tail):\n${tailFile(r.log, 25)}`],
    [
      { label: `amber ${path.basename(r.log)}`, path: r.log },
      { label: `amber ${path.basename(r.output)}`, path: r.output },
    ],
  );
}

function record(s: CaseState, label: string): TreeSnap {
  let snap: TreeSnap;
  try {
    snap = snapshotTree(s.pid as number);
  } catch (e) {
    throw new CaseFailure(label, `cannot read /proc of the test: ${(e as Error).message}`, [], testLogs(s.files));
  }
  fs.writeFileSync(path.join(s.files.workdir, `proc-${label}.json`), JSON.stringify(snap, null, 1));
  return snap;
}

/**
 * The recorded state of a test just started: the first of two snapshots in a row that agree.
 * The launcher exits as soon as the test says ready, which can be a moment before the test
 * has finished its side (closing the ready pipe, say).
 */
async function recordSettled(s: CaseState): Promise<TreeSnap> {
  const deadline = Date.now() + 2000;
  let last = record(s, 'start');
  for (;;) {
    await sleep(10);
    const now = record(s, 'start');
    const diffs = compareTrees(last, now, { anonMapsMayChange: s.tc.meta.kind === 'ts' });
    if (diffs.length === 0) return now;
    if (Date.now() >= deadline) {
      fs.appendFileSync(path.join(s.files.workdir, 'runner.log'), `test never settled after start:\n${diffs.join('\n')}\n`);
      return now;
    }
    last = now;
  }
}

function expectSame(s: CaseState, step: string, label: string, what: string): void {
  const now = record(s, label);
  const diffs = compareTrees(s.known as TreeSnap, now, { anonMapsMayChange: s.tc.meta.kind === 'ts' });
  if (diffs.length > 0) throw new CaseFailure(step, `${what} (${diffs.length} difference${diffs.length > 1 ? 's' : ''}: ${diffs[0]})`, diffs, testLogs(s.files));
}

/** Every PID and TID in a dump's pstree.img (none if it cannot be read). */
function dumpedIds(dir: string): number[] {
  try {
    return readImage(dir, PSTREE_IMG, 'PSTREE').flatMap((e) => [e.pid as number, ...((e.threads as number[] | undefined) ?? [])]);
  } catch {
    return [];
  }
}

/** After a successful dump: every task dead at once, every PID free for the restore. */
async function expectGone(s: CaseState, iter: number, dir: string): Promise<void> {
  // The tree as dumped too: a transition test's tree has tasks the runner never saw.
  const ids = [...new Set([...allIds(s.known as TreeSnap), ...dumpedIds(dir)])];
  const deadline = Date.now() + 2000;
  let alive = ids;
  while (alive.length > 0) {
    alive = alive.filter((pid) => reapOnce(pid).state === 'running');
    if (alive.length === 0 || Date.now() >= deadline) break;
    await sleep(10);
  }
  if (alive.length > 0) {
    const states = alive.map((p) => `${p} (state ${procState(p) ?? '?'})`).join(', ');
    throw new CaseFailure('dump', `iteration ${iter}: dump exited 0 but the tree is still alive: ${states}`, [], testLogs(s.files));
  }
  const taken = await waitPidsFree(ids, s.stepMs);
  if (taken.length > 0) throw new CaseFailure('dump', `iteration ${iter}: PIDs ${taken.join(', ')} still taken after the dump (zombies nobody reaped)`);
}

async function preDumps(s: CaseState, iter: number, timeoutMs: number): Promise<string | undefined> {
  let prev: string | undefined;
  for (let k = 1; k <= s.cfg.pre; k++) {
    const name = `img-${iter}.pre-${k}`;
    const r = await amber.preDump({ bin: s.cfg.amberBin, dir: path.join(s.files.workdir, name), timeoutMs }, s.pid as number, prev, s.tc.meta.dumpOpts);
    if (r.code !== 0) throw amberFailure('pre-dump', `iteration ${iter}: pre-dump ${k} failed`, r, timeoutMs);
    prev = `../${name}`;
  }
  return prev;
}

async function cycle(s: CaseState, iter: number): Promise<void> {
  const { cfg, stepMs } = s;
  const pid = s.pid as number;
  const dir = path.join(s.files.workdir, `img-${iter}`);
  const call = { bin: cfg.amberBin, dir, timeoutMs: stepMs };
  const prev = await preDumps(s, iter, stepMs);
  const d = await amber.dump(call, pid, { leaveRunning: cfg.norst, prevImagesDir: prev, extra: s.tc.meta.dumpOpts });
  if (d.code !== 0) throw amberFailure('dump', `iteration ${iter}: dump failed`, d, stepMs);
  s.dumpMs.push(d.ms);
  if (cfg.norst) {
    if (!hasFlag(s.tc.meta, 'transition')) expectSame(s, 'dump', `leave-running-${iter}`, `iteration ${iter}: the tree changed across dump --leave-running`);
    return;
  }
  await expectGone(s, iter, dir);
  const pidfile = path.join(dir, 'restore.pid');
  const r = await amber.restore(call, pidfile, s.tc.meta.restoreOpts);
  if (r.code !== 0) throw amberFailure('restore', `iteration ${iter}: restore failed`, r, stepMs);
  s.restoreMs.push(r.ms);
  const restored = await readPidfile(pidfile, 1000);
  if (restored !== pid) {
    throw amberFailure('restore', `iteration ${iter}: restore pid file says ${restored ?? 'nothing'}, expected ${pid}`, r, stepMs);
  }
  // A transition test changes its tree the whole time (forks, threads): it checks itself.
  if (!hasFlag(s.tc.meta, 'transition')) expectSame(s, 'restore', `restore-${iter}`, `iteration ${iter}: the restored tree differs`);
}

/** crfail: the dump must fail and leave the task running exactly as it was. */
async function failingDump(s: CaseState): Promise<void> {
  const call = { bin: s.cfg.amberBin, dir: path.join(s.files.workdir, 'img-1'), timeoutMs: s.stepMs };
  const d = await amber.dump(call, s.pid as number, { leaveRunning: false, extra: s.tc.meta.dumpOpts });
  s.dumpMs.push(d.ms);
  if (d.code === 0) throw amberFailure('dump', 'dump succeeded, but this test is flagged crfail (its dump must fail)', d, s.stepMs);
  if (d.timedOut || d.spawnError) throw amberFailure('dump', 'dump did not fail cleanly', d, s.stepMs);
  const said = [d.output, d.log].map((f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : '')).join('\n');
  const refusal = s.tc.meta.refusal as RegExp;
  if (!refusal.test(said)) throw amberFailure('dump', `the dump failed, but not with the refusal this test is for (/${refusal.source}/)`, d, s.stepMs);
  expectSame(s, 'dump', 'after-failed-dump', 'the task changed across the failed dump');
}

function skipped(tc: TestCase, reason: string): CaseResult {
  return { name: tc.meta.name, flavor: tc.flavor, result: 'skip', reason, dump_ms: null, restore_ms: null, details: [], logs: [], workdir: '', ms: 0 };
}

export async function runCase(tc: TestCase, cfg: CaseConfig): Promise<CaseResult> {
  const t0 = Date.now();
  const why = await skipReason(tc, { features: cfg.features, pre: cfg.pre, isRoot: cfg.isRoot });
  if (why) return skipped(tc, why);
  const workdir = path.join(cfg.runDir, caseId(tc));
  fs.rmSync(workdir, { recursive: true, force: true });
  fs.mkdirSync(workdir, { recursive: true });
  const s: CaseState = {
    tc,
    cfg,
    files: testFiles(workdir, tc.meta.name),
    stepMs: Math.max(cfg.timeoutS, tc.meta.timeout ?? 0) * 1000,
    dumpMs: [],
    restoreMs: [],
  };
  let failure: CaseFailure | undefined;
  let skip: CaseSkip | undefined;
  const untrack = track(s);
  try {
    s.pid = await startTest(tc.meta, s.files, s.stepMs);
    s.known = await recordSettled(s);
    if (hasFlag(tc.meta, 'crfail')) await failingDump(s);
    else for (let i = 1; i <= cfg.iters; i++) await cycle(s, i);
    await stopTest(s.pid, s.files, s.stepMs);
  } catch (e) {
    if (e instanceof CaseSkip) skip = e;
    else failure = e instanceof CaseFailure ? e : new CaseFailure('runner', `runner error: ${(e as Error).message}`, [String((e as Error).stack)]);
  } finally {
    const killed = await killLeftovers(s.pid, s.known);
    untrack();
    if (killed.length > 0) fs.appendFileSync(path.join(workdir, 'runner.log'), `killed leftovers: ${killed.join(' ')}\n`);
  }
  if (skip) {
    cleanupWorkdir(workdir);
    return { ...skipped(tc, skip.reason), ms: Date.now() - t0 };
  }
  const result: CaseResult = {
    name: tc.meta.name,
    flavor: tc.flavor,
    result: failure ? 'fail' : 'pass',
    reason: failure ? failure.message : '',
    dump_ms: mean(s.dumpMs),
    restore_ms: mean(s.restoreMs),
    details: failure ? failure.details : [],
    logs: failure ? failure.logs : [],
    workdir,
    ms: Date.now() - t0,
  };
  if (!failure && !cfg.keepWorkdirs) cleanupWorkdir(workdir);
  return result;
}
