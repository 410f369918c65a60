/**
 * The command line, declared once: the table drives both parsing and --help.
 *   zdtm list | zdtm run [-t NAME... | -a] [options]
 */
import { RunnerUsageError } from '../errors';
import { defaultAmberBin } from '../paths';
import { parseFlavors, type Flavor } from '../select';

type Kind = 'flag' | 'int' | 'string' | 'repeat' | 'names';

interface OptionSpec {
  long: string;
  short?: string;
  kind: Kind;
  arg?: string;
  help: string;
  commands: Array<'run' | 'list'>;
}

export const OPTIONS: OptionSpec[] = [
  { long: 'test', short: 't', kind: 'names', arg: 'NAME...', help: 'run these tests (names follow -t until the next option)', commands: ['run'] },
  { long: 'all', short: 'a', kind: 'flag', help: 'run every test but those flagged noauto', commands: ['run'] },
  { long: 'quick', kind: 'flag', help: 'run the tests named in zdtm/quick.list', commands: ['run', 'list'] },
  { long: 'exclude', short: 'x', kind: 'repeat', arg: 'PATTERN', help: 'leave out tests matching PATTERN (regex, else substring); repeatable', commands: ['run'] },
  { long: 'iters', kind: 'int', arg: 'N', help: 'dump/restore cycles per test before the verdict (default 1)', commands: ['run'] },
  { long: 'norst', kind: 'flag', help: 'dump with --leave-running and never restore', commands: ['run'] },
  { long: 'pre', kind: 'int', arg: 'N', help: 'pre-dumps before each dump (default 0)', commands: ['run'] },
  { long: 'flavors', short: 'f', kind: 'string', arg: 'h,ns,uns', help: 'flavors to run each test in (default h)', commands: ['run', 'list'] },
  { long: 'jobs', short: 'j', kind: 'int', arg: 'N', help: 'tests run at once (default 1); tests flagged excl run alone', commands: ['run'] },
  { long: 'keep-going', short: 'k', kind: 'flag', help: 'run every test even after a failure (default: stop at the first)', commands: ['run'] },
  { long: 'amber-bin', kind: 'string', arg: 'PATH', help: 'the CRIU-compatible checkpointer to drive (default bin/amber)', commands: ['run'] },
  { long: 'report', kind: 'string', arg: 'DIR', help: 'write DIR/junit.xml, DIR/summary.json and the logs of failures', commands: ['run'] },
  { long: 'timeout', kind: 'int', arg: 'S', help: 'seconds allowed per step (start, dump, restore, stop); default 30', commands: ['run'] },
  { long: 'keep-workdirs', kind: 'flag', help: 'keep the work dirs of passed tests too', commands: ['run'] },
  { long: 'static-dir', kind: 'string', arg: 'DIR', help: 'where the tests are (default zdtm/static)', commands: ['run', 'list'] },
  { long: 'help', short: 'h', kind: 'flag', help: 'show this help', commands: ['run', 'list'] },
];

export interface RunOptions {
  command: 'run' | 'list' | 'help';
  tests: string[];
  all: boolean;
  quick: boolean;
  exclude: string[];
  iters: number;
  norst: boolean;
  pre: number;
  flavors: Flavor[];
  jobs: number;
  keepGoing: boolean;
  amberBin: string;
  reportDir?: string;
  timeoutS: number;
  keepWorkdirs: boolean;
  staticDir?: string;
}

export function defaults(): RunOptions {
  return {
    command: 'help',
    tests: [],
    all: false,
    quick: false,
    exclude: [],
    iters: 1,
    norst: false,
    pre: 0,
    flavors: ['h'],
    jobs: 1,
    keepGoing: false,
    amberBin: defaultAmberBin,
    timeoutS: 30,
    keepWorkdirs: false,
  };
}

const camel = (long: string): string => long.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

function toInt(spec: OptionSpec, v: string, min: number): number {
  if (!/^\d+$/.test(v) || Number(v) < min) throw new RunnerUsageError(`--${spec.long} wants an integer >= ${min}, not "${v}"`);
  return Number(v);
}

function assign(o: RunOptions, spec: OptionSpec, value: string | undefined): void {
  const rec = o as unknown as Record<string, unknown>;
  const key = { test: 'tests', 'amber-bin': 'amberBin', report: 'reportDir', timeout: 'timeoutS' }[spec.long] ?? camel(spec.long);
  switch (spec.long) {
    case 'flavors':
      o.flavors = parseFlavors(value as string);
      return;
    case 'iters':
    case 'jobs':
    case 'timeout':
      rec[key] = toInt(spec, value as string, 1);
      return;
    case 'pre':
      o.pre = toInt(spec, value as string, 0);
      return;
  }
  if (spec.kind === 'flag') rec[key] = true;
  else if (spec.kind === 'repeat') (rec[key] as string[]).push(value as string);
  else rec[key] = value;
}

export function parseArgs(argv: string[]): RunOptions {
  const o = defaults();
  const [command, ...rest] = argv;
  if (command === undefined || command === 'help' || command === '--help' || command === '-h') return o;
  if (command !== 'run' && command !== 'list') throw new RunnerUsageError(`unknown command "${command}": use list or run`);
  o.command = command;
  for (let i = 0; i < rest.length; i++) {
    const arg = rest[i];
    const eq = arg.startsWith('--') ? arg.indexOf('=') : -1;
    const name = eq > 0 ? arg.slice(0, eq) : arg;
    const spec = OPTIONS.find((s) => name === `--${s.long}` || (s.short !== undefined && name === `-${s.short}`));
    if (!spec) throw new RunnerUsageError(arg.startsWith('-') ? `unknown option ${arg}` : `unexpected argument "${arg}" (names go after -t)`);
    if (!spec.commands.includes(command)) throw new RunnerUsageError(`--${spec.long} does not apply to ${command}`);
    if (spec.long === 'help') {
      o.command = 'help';
      return o;
    }
    if (spec.kind === 'flag') {
      if (eq > 0) throw new RunnerUsageError(`--${spec.long} takes no value`);
      assign(o, spec, undefined);
    } else if (spec.kind === 'names') {
      if (eq > 0) o.tests.push(arg.slice(eq + 1));
      while (i + 1 < rest.length && !rest[i + 1].startsWith('-')) o.tests.push(rest[++i]);
      if (o.tests.length === 0) throw new RunnerUsageError(`${name} wants at least one test name`);
    } else {
      const value = eq > 0 ? arg.slice(eq + 1) : rest[++i];
      if (value === undefined) throw new RunnerUsageError(`${name} wants a value (${spec.arg})`);
      assign(o, spec, value);
    }
  }
  if (command === 'run') {
    const picks = [o.tests.length > 0, o.all, o.quick].filter(Boolean).length;
    if (picks === 0) throw new RunnerUsageError('say which tests: -t NAME..., -a or --quick');
    if (picks > 1) throw new RunnerUsageError('-t, -a and --quick exclude each other');
  }
  return o;
}

export function helpText(): string {
  const lines = ['usage: npm run zdtm -- list [--quick]', '       npm run zdtm -- run (-t NAME... | -a | --quick) [options]', '', 'options:'];
  for (const s of OPTIONS) {
    const flag = `${s.short ? `-${s.short}, ` : '    '}--${s.long}${s.arg ? ` ${s.arg}` : ''}`;
    lines.push(`  ${flag.padEnd(30)} ${s.help}`);
  }
  lines.push('', 'Exit status: 0 when no test failed, 1 when one did, 2 on bad usage.');
  return `${lines.join('\n')}\n`;
}
