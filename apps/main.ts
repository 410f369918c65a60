/**
 * `npm run apps -- [options]`: the application tests. One line per app, then
 * "N passed, N failed". Exit status: 0 all passed, 1 an app failed, 2 bad usage.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { newRunId } from '../zdtm/runner/paths';
import { becomeSubreaper } from '../zdtm/runner/reaper';
import { allCases } from './cases';
import type { AppCase } from './lib/app';
import { killActive, runApp, type AppResult, type DriverConfig } from './lib/driver';
import { killRunningHelpers } from './lib/exec';
import { helpText, parseOptions, UsageError, type Options } from './lib/options';
import { ensurePackages } from './lib/packages';
import { fmtMs } from './lib/util';
import { selfcheck } from './selfcheck';

const say = (s: string): void => {
  process.stderr.write(`apps: ${s}\n`);
};

const mean = (xs: number[]): number => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : 0);

function line(r: AppResult, width: number): string {
  const name = r.name.padEnd(width);
  if (r.result === 'pass') {
    return `PASS ${name}  ${r.cyclesDone} cycles in ${fmtMs(r.ms)} (load ${fmtMs(r.loadMs)}, dump ${fmtMs(mean(r.dumpMs))}, restore ${fmtMs(mean(r.restoreMs))}, verify ${fmtMs(mean(r.verifyMs))} a cycle; dumped tree ${r.afterDump[0] === 'gone' ? 'gone' : 'left in place'})`;
  }
  return `FAIL ${name}  ${r.step}: ${r.reason} (after ${r.cyclesDone} cycles, ${fmtMs(r.ms)}; logs in ${r.workdir})`;
}

function failedBefore(c: AppCase, reason: string): AppResult {
  return { name: c.name, result: 'fail', step: 'setup', reason, details: [], cyclesDone: 0, afterDump: [], loadMs: 0, dumpMs: [], restoreMs: [], verifyMs: [], ms: 0, workdir: '' };
}

function pick(o: Options): AppCase[] {
  if (o.tests.length === 0) return allCases;
  const unknown = o.tests.filter((t) => !allCases.some((c) => c.name === t));
  if (unknown.length) throw new UsageError(`no app ${unknown.join(', ')} (there are: ${allCases.map((c) => c.name).join(', ')})`);
  return allCases.filter((c) => o.tests.includes(c.name));
}

export async function main(argv: string[]): Promise<number> {
  let o: Options;
  let cases: AppCase[];
  try {
    o = parseOptions(argv);
    cases = pick(o);
  } catch (e) {
    if (!(e instanceof UsageError)) throw e;
    say(`${e.message} (--help shows the options)`);
    return 2;
  }
  if (o.help) {
    process.stdout.write(helpText());
    return 0;
  }
  if (o.list) {
    for (const c of allCases) process.stdout.write(`${c.name.padEnd(10)} ${c.summary}\n`);
    return 0;
  }
  try {
    if (!o.selfcheck) fs.accessSync(o.amberBin, fs.constants.X_OK);
  } catch {
    say(`the checkpointer ${o.amberBin} is not an executable file`);
    return 2;
  }

  const workRoot = o.report ?? path.join(os.tmpdir(), 'amber-apps', newRunId());
  fs.mkdirSync(workRoot, { recursive: true });
  if (!becomeSubreaper()) say('could not become a child subreaper (native addon not loadable?): dumped PIDs are freed by init, slowly, and exit codes are not seen');

  for (const sig of ['SIGINT', 'SIGTERM'] as const) {
    process.once(sig, () => {
      say(`${sig}: killing the running app and checkpointer`);
      killRunningHelpers();
      void killActive().finally(() => process.exit(sig === 'SIGINT' ? 130 : 143));
    });
  }

  const missingBins = o.install
    ? ensurePackages(cases.flatMap((c) => c.needs), path.join(workRoot, 'apt.log'), say)
    : cases.flatMap((c) => c.needs).filter((n) => !fs.existsSync(n.bin)).map((n) => `${n.bin} (package ${n.pkg})`);

  const cfg: DriverConfig = {
    amberBin: o.amberBin,
    cycles: o.cycles,
    amberMs: o.timeoutS * 1000,
    stepMs: o.timeoutS * 1000,
    workRoot,
    keepWorkdir: o.keep || o.report !== undefined,
  };
  const missing = (c: AppCase): string | undefined => {
    const gone = c.needs.filter((n) => missingBins.some((m) => m.startsWith(`${n.bin} `))).map((n) => `${n.bin} (package ${n.pkg})`);
    return gone.length ? `missing ${gone.join(', ')}` : c.preflight?.();
  };
  if (o.selfcheck) {
    const sc = await selfcheck(cases, cfg, missing);
    fs.writeFileSync(path.join(workRoot, 'selfcheck.json'), `${JSON.stringify(sc, null, 1)}\n`);
    if (o.report) say(`report: ${path.join(workRoot, 'selfcheck.json')}`);
    else if (sc.failed === 0) fs.rmSync(workRoot, { recursive: true, force: true });
    else say(`logs: ${workRoot}`);
    process.stdout.write(`${sc.passed} passed, ${sc.failed} failed\n`);
    return sc.failed === 0 ? 0 : 1;
  }
  const width = Math.max(...cases.map((c) => c.name.length));
  const results: AppResult[] = [];
  for (const c of cases) {
    const pre = missing(c);
    const r = pre ? failedBefore(c, pre) : await runApp(c, cfg);
    results.push(r);
    process.stdout.write(`${line(r, width)}\n`);
    if (r.result === 'fail') for (const d of r.details) process.stderr.write(`${d.replace(/^/gm, '    ')}\n`);
  }

  const passed = results.filter((r) => r.result === 'pass').length;
  const failed = results.length - passed;
  const report = { amberBin: o.amberBin, cycles: o.cycles, timeoutS: o.timeoutS, date: new Date().toISOString(), passed, failed, results };
  fs.writeFileSync(path.join(workRoot, 'report.json'), `${JSON.stringify(report, null, 1)}\n`);
  if (o.report) say(`report: ${path.join(workRoot, 'report.json')}`);
  else if (failed === 0) fs.rmSync(workRoot, { recursive: true, force: true });
  else say(`logs of the failed apps: ${workRoot}`);
  process.stdout.write(`${passed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`apps: harness crashed: ${e instanceof Error ? e.stack : String(e)}\n`);
      void killActive().finally(() => process.exit(2));
    },
  );
}
