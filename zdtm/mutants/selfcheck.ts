/**
 * Mutation self-check of the zdtm suite: runs the whole suite against each mutant checkpointer
 * and says how many tests fail under each.
 *   node dist/zdtm/mutants/selfcheck.js [runner options, e.g. -x PATTERN --quick --iters 2]
 * noop-amber checkpoints nothing: a test that passes under it cannot fail, and makes this
 * exit 1. corrupt-amber flips a byte of restored memory: tests that pass under it do not
 * look at that memory (listed, not an error: register tests, for one, have no reason to).
 * Then the state mutants (src/mutant.ts, one restore step left out each): each must be caught
 * by every test of its state; a blind one makes this exit 1. With -t/-x picks, only the two
 * whole-suite mutants run.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoRoot } from '../runner/paths';
import type { Summary } from '../runner/report/summary';
import { checkStateMutants } from './state-mutants';

interface Mutant {
  name: string;
  /** Passing tests under this mutant are defects. */
  mustFailAll: boolean;
}

const MUTANTS: Mutant[] = [
  { name: 'noop-amber', mustFailAll: true },
  { name: 'corrupt-amber', mustFailAll: false },
];

const runnerMain = path.join(__dirname, '..', 'runner', 'main.js');

function runSuite(mutant: Mutant, args: string[], reportDir: string): Promise<number | null> {
  const bin = path.join(repoRoot, 'zdtm', 'mutants', mutant.name);
  const picks = args.some((a) => ['-t', '--test', '-a', '--all', '--quick'].includes(a) || a.startsWith('--test='));
  const argv = [runnerMain, 'run', ...(picks ? [] : ['-a']), '--keep-going', ...args, '--amber-bin', bin, '--report', reportDir];
  process.stdout.write(`\n== ${mutant.name}: node ${argv.map((a) => path.relative(process.cwd(), a) || a).join(' ')}\n`);
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('exit', (code) => resolve(code));
    child.on('error', () => resolve(null));
  });
}

async function main(args: string[]): Promise<number> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zdtm-selfcheck-'));
  const lines: string[] = [];
  let defect = false;
  for (const mutant of MUTANTS) {
    const reportDir = path.join(tmp, mutant.name);
    const code = await runSuite(mutant, args, reportDir);
    let summary: Summary;
    try {
      summary = JSON.parse(fs.readFileSync(path.join(reportDir, 'summary.json'), 'utf8')) as Summary;
    } catch {
      lines.push(`${mutant.name}: the runner wrote no summary (exit ${code})`);
      defect = true;
      continue;
    }
    const ran = summary.passed + summary.failed;
    lines.push(`${mutant.name}: ${summary.failed} of ${ran} tests fail (${summary.skipped} skipped)`);
    const passing = summary.tests.filter((t) => t.result === 'pass').map((t) => `${t.name} (${t.flavor})`);
    if (passing.length > 0) {
      lines.push(`  ${mutant.mustFailAll ? 'DEFECT: these cannot fail' : 'blind to this mutation'}: ${passing.join(', ')}`);
      if (mutant.mustFailAll) defect = true;
    }
  }
  fs.rmSync(tmp, { recursive: true, force: true });
  const picks = args.some((a) => ['-t', '--test', '-x', '--exclude'].includes(a));
  if (!picks) {
    process.stdout.write('\n== state mutants: each leaves out one restore step\n');
    const state = await checkStateMutants([], (l) => process.stdout.write(`${l}\n`));
    lines.push(`state mutants: ${state.lines.length - state.blind} of ${state.lines.length} caught by every test of their state`, ...state.lines.map((l) => `  ${l}`));
    if (state.blind) defect = true;
  }
  process.stdout.write(`\n== self-check\n${lines.join('\n')}\n`);
  return defect ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`selfcheck: ${e instanceof Error ? e.stack : String(e)}\n`);
    process.exitCode = 2;
  },
);
