'use strict';
/** The command line of `npm run matrix -- ...`: declared once, parsed and documented from here. */
const { MatrixUsageError } = require('./errors');

const DEFAULT_CACHE = process.env.AMBER_MATRIX_CACHE || '/var/cache/amber-matrix';

/** kind: flag (boolean), value (one argument), list (arguments up to the next option), multi (repeatable value). */
const OPTIONS = [
  { name: 'test', short: 't', kind: 'list', arg: 'NAME...', help: 'run these zdtm tests (repeatable)' },
  { name: 'quick', kind: 'flag', help: 'run the tests of zdtm/quick.list' },
  { name: 'all', short: 'a', kind: 'flag', help: 'run every test not flagged noauto (the default)' },
  { name: 'exclude', short: 'x', kind: 'multi', arg: 'PATTERN', help: "leave out tests matching PATTERN (the runner's -x)" },
  { name: 'iters', kind: 'value', arg: 'N', help: 'dump/restore cycles per test (the runner\'s --iters)' },
  { name: 'kernels', short: 'k', kind: 'multi', arg: 'ID,...', help: 'kernels to run on (default: host,5.10,6.1,6.12; see --list)' },
  { name: 'report', kind: 'value', arg: 'DIR', help: 'write matrix.json, matrix.txt, matrix.md, junit-KERNEL.xml and kernels/ID/ there' },
  { name: 'cache', kind: 'value', arg: 'DIR', help: `kernels, rootfs, initramfs (default ${DEFAULT_CACHE}, or $AMBER_MATRIX_CACHE)` },
  { name: 'timeout', kind: 'value', arg: 'MIN', help: 'minutes allowed per kernel before its qemu is killed (default 60; 20 with --quick or -t)' },
  { name: 'step-timeout', kind: 'value', arg: 'S', help: "the runner's --timeout inside qemu (default 120: emulated CPUs are slow)" },
  { name: 'accel', kind: 'value', arg: 'auto|kvm|tcg', help: 'auto (default) uses KVM only if a 10 s test boot through it works' },
  { name: 'smp', kind: 'value', arg: 'N', help: 'guest CPUs (default 2)' },
  { name: 'mem', kind: 'value', arg: 'MB', help: 'guest memory (default 2048)' },
  { name: 'exec', kind: 'value', arg: 'CMD', help: 'run CMD (sh, from the project root) on each kernel instead of the suite' },
  { name: 'merge', kind: 'list', arg: 'DIR...', help: 'print (and with --report write) one matrix from the matrix.json of earlier runs' },
  { name: 'prepare', kind: 'flag', help: 'only download and build what the kernels need' },
  { name: 'no-build', kind: 'flag', help: 'do not build the project (tsc, make -C zdtm) first' },
  { name: 'list', kind: 'flag', help: 'list the known kernels' },
  { name: 'help', short: 'h', kind: 'flag', help: 'this help' },
];

/** The help's rows of an option table (this one, or the Vagrant runner's). */
function optionRows(options) {
  return options.map((o) => {
    const names = `${o.short ? `-${o.short}, ` : '    '}--${o.name}${o.arg ? ` ${o.arg}` : ''}`;
    return `  ${names.padEnd(30)} ${o.help}\n`;
  });
}

/** The checks a parsed selection shares with the Vagrant runner's: one way to pick tests, numbers > 0. */
function checkSelection(opts, numeric, UsageError) {
  const picks = [opts.test.length > 0, !!opts.quick, !!opts.all].filter(Boolean).length;
  if (picks > 1) throw new UsageError('-t, --quick and -a exclude each other');
  for (const k of numeric) {
    if (opts[k] !== undefined && !(Number(opts[k]) > 0)) throw new UsageError(`--${k} needs a positive number`);
  }
}

/** The zdtm runner's options for the tests picked (-t, --quick or -a; -x; --iters). */
function selectionArgs(opts) {
  const args = [];
  if (opts.test.length) args.push('-t', ...opts.test);
  else if (opts.quick) args.push('--quick');
  else args.push('-a');
  for (const x of opts.exclude) args.push('-x', x);
  if (opts.iters) args.push('--iters', String(opts.iters));
  return args;
}

function helpText() {
  const rows = optionRows(OPTIONS);
  return [
    'usage: npm run matrix -- [options]\n',
    'Runs the zdtm suite on each kernel (Debian kernels under qemu, the host kernel directly)\n',
    'and prints a table test x kernel. See docs/matrix.md.\n\n',
    ...rows,
  ].join('');
}

const camel = (s) => s.replace(/-(\w)/g, (_, c) => c.toUpperCase());

function parseArgs(argv) {
  const opts = { test: [], exclude: [], kernels: [], merge: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const o = a.startsWith('--') ? OPTIONS.find((x) => x.name === a.slice(2).split('=')[0]) : OPTIONS.find((x) => a === `-${x.short}`);
    if (!o) throw new MatrixUsageError(`unknown option ${a}`);
    const key = camel(o.name);
    const inline = a.startsWith('--') && a.includes('=') ? a.slice(a.indexOf('=') + 1) : undefined;
    const value = () => {
      if (inline !== undefined) return inline;
      if (i + 1 >= argv.length) throw new MatrixUsageError(`${a} needs ${o.arg}`);
      return argv[++i];
    };
    if (o.kind === 'flag') opts[key] = true;
    else if (o.kind === 'value') opts[key] = value();
    else if (o.kind === 'multi') opts[key].push(...value().split(o.name === 'kernels' ? ',' : /\n/).filter(Boolean));
    else {
      const start = i + 1;
      while (i + 1 < argv.length && !argv[i + 1].startsWith('-')) i++;
      if (i < start) throw new MatrixUsageError(`${a} needs ${o.arg}`);
      opts[key].push(...argv.slice(start, i + 1));
    }
  }
  checkSelection(opts, ['iters', 'timeout', 'stepTimeout', 'smp', 'mem'], MatrixUsageError);
  if (opts.accel && !['auto', 'kvm', 'tcg'].includes(opts.accel)) throw new MatrixUsageError('--accel is auto, kvm or tcg');
  opts.cache = opts.cache || DEFAULT_CACHE;
  opts.accel = opts.accel || 'auto';
  const narrow = opts.quick || opts.test.length > 0;
  opts.timeoutMs = Number(opts.timeout || (narrow ? 20 : 60)) * 60 * 1000;
  return opts;
}

/** The zdtm runner's selection options. */
function runnerArgs(opts, target) {
  const args = selectionArgs(opts);
  if (target.kind === 'qemu') args.push('--timeout', String(opts.stepTimeout || 120));
  return args;
}

module.exports = { parseArgs, helpText, runnerArgs, optionRows, checkSelection, selectionArgs, OPTIONS };
