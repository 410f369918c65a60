/**
 * `npm run zdtm -- list|run ...`: the zdtm test runner's command line.
 * Exit status: 0 no failure, 1 a test failed, 2 bad usage or a runner error.
 */
import { killOnInterrupt } from './active';
import { helpText, parseArgs, type RunOptions } from './cli/options';
import { RunnerError, RunnerUsageError } from './errors';
import { loadTests } from './metadata';
import { quickListFile } from './paths';
import { readNameList } from './select';
import { pickCases, runSuite } from './suite';

/** Every test (noauto ones too), or those of the quick list. */
function list(opts: RunOptions): number {
  const quick = opts.quick ? new Set(readNameList(quickListFile)) : undefined;
  const names = loadTests(opts.staticDir).filter((m) => !quick || quick.has(m.name));
  const width = Math.max(4, ...names.map((m) => m.name.length));
  const lines = names.map((m) => {
    const flags = [m.kind, ...m.flags, ...m.feature.map((f) => `feature:${f}`)].join(',');
    return `${m.name.padEnd(width)}  ${flags.padEnd(24)}  ${m.desc}\n`;
  });
  process.stdout.write(lines.join(''));
  return 0;
}

export async function main(argv: string[]): Promise<number> {
  let opts: RunOptions;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    if (e instanceof RunnerUsageError) {
      process.stderr.write(`zdtm: ${e.message}\n(zdtm help shows the options)\n`);
      return 2;
    }
    throw e;
  }
  try {
    if (opts.command === 'help') {
      process.stdout.write(helpText());
      return 0;
    }
    if (opts.command === 'list') return list(opts);
    const cases = pickCases(opts);
    killOnInterrupt();
    const out = { write: (s: string) => process.stdout.write(s), isTTY: process.stdout.isTTY };
    const run = await runSuite(cases, opts, out);
    return run.results.some((r) => r.result === 'fail') ? 1 : 0;
  } catch (e) {
    if (e instanceof RunnerError) {
      process.stderr.write(`zdtm: ${e.message}\n`);
      return 2;
    }
    throw e;
  }
}

if (require.main === module) {
  // `zdtm list | head` closes the pipe early: not an error.
  process.stdout.on('error', (e: NodeJS.ErrnoException) => {
    if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw e;
  });
  main(process.argv.slice(2)).then(
    (code) => {
      process.exitCode = code;
    },
    (e: unknown) => {
      process.stderr.write(`zdtm: runner crashed: ${e instanceof Error ? e.stack : String(e)}\n`);
      process.exitCode = 2;
    },
  );
}
