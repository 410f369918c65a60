/**
 * One app, as a straight line of steps: start (detached), load, then per cycle: record the
 * tree, dump, see what the dump left (nothing, or - with a checkpointer that only freezes -
 * the tree in place), send while checkpointed, restore, compare the tree, verify the state;
 * at the end the whole state, and a clean exit on the app's stop signal. Whatever happens,
 * every client socket is closed and every task of the app killed and reaped.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { tailFile } from '../../zdtm/runner/exec';
import { reapOnce, waitExit, waitPidsFree } from '../../zdtm/runner/reaper';
import * as amber from './amber';
import type { AppCase, AppEnv, AppRun } from './app';
import { killEverything } from './cleanup';
import { launchDetached } from './launch';
import { freePort } from './ports';
import { compareTrees, describeTask, isLive, processTree, readTask, type Task } from './proc';
import { AppFailure, pollFor, sleep, withTimeout } from './util';

export interface DriverConfig {
  amberBin: string;
  cycles: number;
  /** Deadline of one checkpointer run. */
  amberMs: number;
  /** Deadline of one request or start step. */
  stepMs: number;
  /** Each app works in workRoot/NAME. */
  workRoot: string;
  /** Keep the work dir (logs; images only of failed apps) even when the app passed. */
  keepWorkdir: boolean;
}

export interface AppResult {
  name: string;
  result: 'pass' | 'fail';
  step: string;
  reason: string;
  details: string[];
  cyclesDone: number;
  /** What each dump left: "gone" (the tree was killed) or "in place" (only frozen). */
  afterDump: string[];
  loadMs: number;
  dumpMs: number[];
  restoreMs: number[];
  verifyMs: number[];
  ms: number;
  workdir: string;
}

interface Active {
  root?: number;
  recorded: Set<number>;
  run?: AppRun;
  cleanups: (() => void)[];
}

function runCleanups(a: Active, log: (l: string) => void): void {
  for (const fn of a.cleanups.splice(0)) {
    try {
      fn();
    } catch (e) {
      log(`cleanup: ${(e as Error).message}`);
    }
  }
}

const active = new Set<Active>();

/** On interrupt: close and kill whatever app is running. */
export async function killActive(): Promise<void> {
  for (const a of active) {
    a.run?.close();
    await killEverything(a.root, [...a.recorded]);
    runCleanups(a, () => undefined);
  }
  active.clear();
}

const pidsOf = (tree: Task[]): number[] => tree.map((t) => t.pid);

/** After a dump that exited 0: the tree is either all gone (then its PIDs must be free) or all still there. */
async function afterDump(tree: Task[], cfg: DriverConfig): Promise<string> {
  const pids = pidsOf(tree);
  const alive = (): number[] => pids.filter((p) => reapOnce(p).state === 'running');
  let left = alive();
  const t0 = Date.now();
  while (left.length === pids.length && Date.now() - t0 < 300) {
    await sleep(20);
    left = alive();
  }
  if (left.length === pids.length) {
    return `in place (${pids.map((p) => `${p}:${readTask(p)?.state ?? '?'}`).join(' ')})`;
  }
  const gone = await pollFor(() => (alive().length === 0 ? true : undefined), 3000);
  if (!gone) {
    const still = alive().map((p) => `${p} (${readTask(p)?.state ?? '?'})`);
    throw new AppFailure('dump', `the dump exited 0 but killed only part of the tree; still alive: ${still.join(', ')}`);
  }
  const taken = await waitPidsFree(pids, cfg.stepMs);
  if (taken.length > 0) throw new AppFailure('dump', `PIDs ${taken.join(', ')} still taken after the dump (zombies nobody reaped)`);
  return 'gone';
}

function checkKept(run: AppRun, step: string, when: string): void {
  const bad = run.keptConnections().map((c) => c.problem()).filter((p): p is string => p !== undefined);
  if (bad.length > 0) throw new AppFailure(step, `kept connection broken ${when}: ${bad.join(' | ')}`);
}

export async function runApp(app: AppCase, cfg: DriverConfig): Promise<AppResult> {
  const t0 = Date.now();
  const workdir = path.join(cfg.workRoot, app.name);
  fs.rmSync(workdir, { recursive: true, force: true });
  fs.mkdirSync(workdir, { recursive: true });
  const logFile = path.join(workdir, 'harness.log');
  const log = (line: string): void => fs.appendFileSync(logFile, `${new Date().toISOString()} ${line}\n`);
  const appLogs: string[] = [];
  const res: AppResult = {
    name: app.name,
    result: 'pass',
    step: '',
    reason: '',
    details: [],
    cyclesDone: 0,
    afterDump: [],
    loadMs: 0,
    dumpMs: [],
    restoreMs: [],
    verifyMs: [],
    ms: 0,
    workdir,
  };
  const me: Active = { recorded: new Set(), cleanups: [] };
  active.add(me);
  /** Where the run is: the step a failure is reported at. */
  let phase = 'start';
  try {
    const port = await freePort();
    log(`${app.name}: port ${port}, checkpointer ${cfg.amberBin}, ${cfg.cycles} cycles`);
    const env: AppEnv = {
      workdir,
      port,
      stepMs: cfg.stepMs,
      log,
      launch: async (argv, logName) => {
        const file = path.join(workdir, logName);
        appLogs.push(file);
        const pid = await launchDetached({ argv, cwd: workdir, logFile: file, timeoutMs: cfg.stepMs });
        me.root = pid;
        log(`launched ${argv.join(' ')} as ${pid}`);
        return pid;
      },
      onCleanup: (fn) => me.cleanups.push(fn),
    };
    const run = app.create(env);
    me.run = run;
    const root = await withTimeout(run.start(), cfg.stepMs * 2, 'start', `${app.name} start`);
    me.root = root;
    const tree = processTree(root);
    for (const t of tree) me.recorded.add(t.pid);
    log(`started: ${tree.map(describeTask).join('; ')}`);
    let t = Date.now();
    phase = 'load';
    await withTimeout(run.load(), cfg.stepMs * 3, 'load', `${app.name} load`);
    res.loadMs = Date.now() - t;
    log(`loaded in ${res.loadMs} ms`);

    for (let cycle = 1; cycle <= cfg.cycles; cycle++) {
      phase = `dump ${cycle}`;
      const before = processTree(root);
      for (const tk of before) me.recorded.add(tk.pid);
      const sick = before.filter((tk) => !isLive(tk));
      if (before.length === 0 || sick.length > 0) throw new AppFailure('dump', `the app is not running before the dump (${sick.map(describeTask).join(', ') || 'no root'})`);
      checkKept(run, 'dump', 'before the dump');
      if (run.beforeDump) await withTimeout(run.beforeDump(cycle), cfg.stepMs, 'dump', 'before-dump step');
      const dir = path.join(workdir, `img-${cycle}`);
      log(`cycle ${cycle}: dump of ${root} (${before.length} tasks: ${before.map((tk) => `${tk.pid}/${tk.comm}/${tk.threads}t`).join(' ')})`);
      const d = await amber.dump(cfg.amberBin, dir, root, app.dumpOpts, cfg.amberMs);
      if (d.code !== 0) throw new AppFailure('dump', `dump failed: ${amber.outcome(d, cfg.amberMs)}`, amber.stepDetails(d));
      res.dumpMs.push(d.ms);
      const left = await afterDump(before, cfg);
      res.afterDump.push(left);
      log(`cycle ${cycle}: dump took ${d.ms} ms; the tree is ${left}`);
      checkKept(run, 'dump', 'after the dump');
      if (run.whileCheckpointed) await withTimeout(run.whileCheckpointed(cycle), cfg.stepMs, 'dump', 'while-checkpointed step');

      phase = `restore ${cycle}`;
      const pidfile = path.join(dir, 'restore.pid');
      const r = await amber.restore(cfg.amberBin, dir, pidfile, app.restoreOpts, cfg.amberMs);
      if (r.code !== 0) throw new AppFailure('restore', `restore failed: ${amber.outcome(r, cfg.amberMs)}`, amber.stepDetails(r));
      res.restoreMs.push(r.ms);
      let said: string | undefined;
      try {
        said = fs.readFileSync(pidfile, 'utf8').trim();
      } catch {
        said = undefined;
      }
      if (said !== String(root)) throw new AppFailure('restore', `restore pid file says ${said === undefined ? 'nothing' : JSON.stringify(said)}, expected ${root}`, amber.stepDetails(r));
      // States may take a moment to settle (a task still stopped); a missing task will not appear.
      let diffs: string[] = [];
      const t1 = Date.now();
      const same = await pollFor(() => {
        diffs = compareTrees(before, processTree(root));
        if (diffs.length === 0) return true;
        return Date.now() - t1 > 1000 && diffs.some((x) => x.endsWith('is missing')) ? false : undefined;
      }, 5000);
      if (!same) throw new AppFailure('restore', `the restored tree differs (${diffs[0]})`, diffs);
      log(`cycle ${cycle}: restore took ${r.ms} ms; tree as before`);
      checkKept(run, 'restore', 'after the restore');
      t = Date.now();
      phase = `verify ${cycle}`;
      await withTimeout(run.verify(cycle), cfg.stepMs * 3, 'verify', 'verify');
      res.verifyMs.push(Date.now() - t);
      checkKept(run, 'verify', 'after the checks');
      log(`cycle ${cycle}: verified in ${Date.now() - t} ms`);
      res.cyclesDone = cycle;
    }

    phase = 'final';
    await withTimeout(run.finalCheck(), cfg.stepMs * 3, 'final', `${app.name} final check`);
    checkKept(run, 'final', 'after the final check');
    log('final check passed');
    phase = 'stop';
    await stopApp(app, root, cfg, log);
  } catch (e) {
    const f = e instanceof AppFailure ? e : new AppFailure('harness', `harness error: ${(e as Error).message}`, [String((e as Error).stack)]);
    res.result = 'fail';
    res.step = phase;
    res.reason = f.message;
    res.details = [...f.details, ...appLogs.map((f2) => `${path.basename(f2)} (tail):\n${tailFile(f2, 12)}`)];
    log(`FAIL at ${phase} (${f.step}): ${f.message}`);
    for (const d of f.details) log(d);
  } finally {
    me.run?.close();
    const killed = await killEverything(me.root, [...me.recorded]);
    if (killed.length > 0) log(`killed leftovers: ${killed.join(' ')}`);
    runCleanups(me, log);
    active.delete(me);
  }
  res.ms = Date.now() - t0;
  if (res.result === 'pass') {
    if (!cfg.keepWorkdir) fs.rmSync(workdir, { recursive: true, force: true });
    else dropImages(workdir);
  }
  return res;
}

/** The app's stop signal: it must exit (0, when we can see its status) and take its tree with it. */
async function stopApp(app: AppCase, root: number, cfg: DriverConfig, log: (l: string) => void): Promise<void> {
  const tree = pidsOf(processTree(root));
  try {
    process.kill(root, app.stopSignal);
  } catch (e) {
    throw new AppFailure('stop', `cannot send ${app.stopSignal} to ${root}: ${(e as NodeJS.ErrnoException).code}`);
  }
  const exit = await waitExit(root, cfg.stepMs);
  if (!exit) throw new AppFailure('stop', `${app.name} (${root}) did not exit within ${cfg.stepMs / 1000} s of ${app.stopSignal}`);
  const taken = await waitPidsFree(tree, cfg.stepMs);
  if (taken.length > 0) throw new AppFailure('stop', `tasks ${taken.join(', ')} still there after the root exited`);
  if (exit.signal !== undefined) throw new AppFailure('stop', `${app.name} was killed by signal ${exit.signal} after ${app.stopSignal}`);
  if (exit.code !== undefined && exit.code !== 0) throw new AppFailure('stop', `${app.name} exited ${exit.code} after ${app.stopSignal}`);
  log(`stopped with ${app.stopSignal}: ${exit.code !== undefined ? `exit ${exit.code}` : 'exit status not ours to see'}`);
}

/** Images are big and say little once the app passed: keep the logs only. */
function dropImages(workdir: string): void {
  for (const e of fs.readdirSync(workdir)) {
    if (!e.startsWith('img-')) continue;
    const dir = path.join(workdir, e);
    for (const f of fs.readdirSync(dir)) if (f.endsWith('.img')) fs.rmSync(path.join(dir, f), { force: true });
  }
}
