/** The harness's command line, declared once: parsing and --help both come from the table. */
import * as path from 'node:path';
import { defaultAmberBin } from '../../zdtm/runner/paths';

export interface Options {
  amberBin: string;
  cycles: number;
  tests: string[];
  report?: string;
  timeoutS: number;
  keep: boolean;
  install: boolean;
  list: boolean;
  selfcheck: boolean;
  help: boolean;
}

interface OptionSpec {
  names: string[];
  arg?: string;
  help: string;
  set(o: Options, v: string): void;
}

const positiveInt = (name: string, v: string, max: number): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new UsageError(`${name} wants an integer in 1..${max}, got "${v}"`);
  return n;
};

export class UsageError extends Error {}

const table: OptionSpec[] = [
  { names: ['--amber-bin'], arg: 'PATH', help: `the checkpointer (CRIU's command line); default bin/amber`, set: (o, v) => (o.amberBin = path.resolve(v)) },
  { names: ['--cycles'], arg: 'N', help: 'checkpoint/restore cycles per app, in a row (default 3)', set: (o, v) => (o.cycles = positiveInt('--cycles', v, 100)) },
  { names: ['-t', '--test'], arg: 'NAME', help: 'run only this app (repeatable, or a comma list)', set: (o, v) => o.tests.push(...v.split(',').filter(Boolean)) },
  { names: ['--report'], arg: 'DIR', help: 'write report.json and every app\'s logs here (kept); default: a temp dir, kept only for failed apps', set: (o, v) => (o.report = path.resolve(v)) },
  { names: ['--timeout'], arg: 'S', help: 'deadline in seconds of one checkpointer run and of one request (default 60)', set: (o, v) => (o.timeoutS = positiveInt('--timeout', v, 3600)) },
  { names: ['--keep'], help: 'keep the work dirs of passed apps too', set: (o) => (o.keep = true) },
  { names: ['--no-install'], help: 'never run apt-get (an app whose binary is missing fails)', set: (o) => (o.install = false) },
  { names: ['--list'], help: 'list the apps and exit', set: (o) => (o.list = true) },
  { names: ['--selfcheck'], help: 'test the harness: every app must PASS with noop-amber and FAIL with each of apps/mutants/', set: (o) => (o.selfcheck = true) },
  { names: ['-h', '--help'], help: 'this help', set: (o) => (o.help = true) },
];

export function parseOptions(argv: string[]): Options {
  const o: Options = { amberBin: defaultAmberBin, cycles: 3, tests: [], timeoutS: 60, keep: false, install: true, list: false, selfcheck: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    let a = argv[i];
    let inline: string | undefined;
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    if (eq > 0) {
      inline = a.slice(eq + 1);
      a = a.slice(0, eq);
    }
    const spec = table.find((s) => s.names.includes(a));
    if (!spec) throw new UsageError(`unknown option ${argv[i]}`);
    if (spec.arg) {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs ${spec.arg}`);
      spec.set(o, v);
    } else {
      if (inline !== undefined) throw new UsageError(`${a} takes no value`);
      spec.set(o, '');
    }
  }
  return o;
}

export function helpText(): string {
  const rows = table.map((s) => [`${s.names.join(', ')}${s.arg ? ` ${s.arg}` : ''}`, s.help]);
  const w = Math.max(...rows.map((r) => r[0].length));
  return [
    'usage: npm run apps -- [options]   (or: node dist/apps/main.js [options])',
    'Checkpoints and restores real applications (redis, nginx, node:http, Python asyncio) with a',
    'CRIU-compatible checkpointer, with client connections held open across the checkpoints.',
    '',
    ...rows.map(([a, h]) => `  ${a.padEnd(w)}  ${h}`),
    '',
  ].join('\n');
}
