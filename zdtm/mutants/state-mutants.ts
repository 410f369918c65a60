/**
 * State mutants: for each name of src/mutant.ts, amber restores everything but that one kind of
 * state (AMBER_MUTANT=name), and every zdtm test listed for it must then FAIL. A test that still
 * passes does not check the state it is there for. Prints one line per mutant and ends with
 * "N passed, N failed" (a mutant passes when all its tests failed).
 *   node dist/zdtm/mutants/state-mutants.js [-t MUTANT...]
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { MUTANTS, MutantName } from '../../src/mutant';
import type { Summary } from '../runner/report/summary';

const runnerMain = path.join(__dirname, '..', 'runner', 'main.js');

function runTests(mutant: string, tests: readonly string[], reportDir: string): Promise<number | null> {
  const argv = [runnerMain, 'run', '-t', ...tests, '--keep-going', '--iters', '1', '--report', reportDir];
  return new Promise((resolve) => {
    const child = spawn(process.execPath, argv, { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, AMBER_MUTANT: mutant } });
    child.on('exit', (code) => resolve(code));
    child.on('error', () => resolve(null));
  });
}

/** One line per mutant ("ok" when every test of its state caught it) and the count of blind ones. */
export async function checkStateMutants(only: readonly string[] = [], out: (line: string) => void = () => {}): Promise<{ lines: string[]; blind: number }> {
  const names = (Object.keys(MUTANTS) as MutantName[]).filter((n) => only.length === 0 || only.includes(n));
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'zdtm-state-mutants-'));
  const lines: string[] = [];
  let blind = 0;
  try {
    for (const name of names) {
      const reportDir = path.join(tmp, name);
      await runTests(name, MUTANTS[name], reportDir);
      let summary: Summary | undefined;
      try { summary = JSON.parse(fs.readFileSync(path.join(reportDir, 'summary.json'), 'utf8')) as Summary; } catch { /* none */ }
      const passing = summary ? summary.tests.filter((t) => t.result !== 'fail').map((t) => `${t.name} (${t.result})`) : ['(no summary)'];
      const caught = MUTANTS[name].length - (summary ? passing.length : MUTANTS[name].length);
      const line = passing.length === 0
        ? `ok    ${name}: caught by ${caught} of ${MUTANTS[name].length} tests (all fail without this state)`
        : `BLIND ${name}: caught by ${caught} of ${MUTANTS[name].length}; still ${passing.join(', ')}`;
      if (passing.length) blind++;
      lines.push(line);
      out(line);
    }
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true });
  }
  return { lines, blind };
}

async function main(args: string[]): Promise<number> {
  const only = args[0] === '-t' ? args.slice(1) : [];
  const { lines, blind } = await checkStateMutants(only, (l) => process.stdout.write(`${l}\n`));
  process.stdout.write(`${lines.length - blind} passed, ${blind} failed\n`);
  return blind ? 1 : 0;
}

if (require.main === module) main(process.argv.slice(2)).then(
  (code) => { process.exitCode = code; },
  (e: unknown) => { process.stderr.write(`state-mutants: ${e instanceof Error ? e.stack : String(e)}\n`); process.exitCode = 2; },
);
