'use strict';
/** The command line of `npm run vagrant -- ...`: declared once, parsed and documented from here. */
const { VagrantUsageError } = require('./errors');
const { quote } = require('../matrix/suite-script');
const { checkSelection, optionRows, selectionArgs } = require('../matrix/options');

const DEFAULT_CACHE = process.env.AMBER_VAGRANT_CACHE || '/var/cache/amber-vagrant';

/** kind: flag (boolean), value (one argument), list (arguments up to the next option), multi (repeatable value). */
const OPTIONS = [
  { name: 'vms', short: 'k', kind: 'list', arg: 'NAME...', help: 'VMs to run: name, kernel or suite (debian13-6.12, 6.12, trixie); default all three' },
  { name: 'test', short: 't', kind: 'list', arg: 'NAME...', help: 'run these zdtm tests (passed to the suite in each VM)' },
  { name: 'quick', kind: 'flag', help: 'run the tests of zdtm/quick.list' },
  { name: 'all', short: 'a', kind: 'flag', help: 'run every test not flagged noauto (the default)' },
  { name: 'exclude', short: 'x', kind: 'multi', arg: 'PATTERN', help: "leave out tests matching PATTERN (the runner's -x)" },
  { name: 'iters', kind: 'value', arg: 'N', help: "dump/restore cycles per test (the runner's --iters)" },
  { name: 'keep', kind: 'flag', help: 'do not destroy the VMs afterwards (a later run provisions them again)' },
  { name: 'rebuild', kind: 'flag', help: 'build the boxes again even when their recipe has not changed' },
  { name: 'prepare', kind: 'flag', help: 'only set up this machine and build the boxes' },
  { name: 'destroy', kind: 'flag', help: "destroy the Vagrantfile's VMs (after an interrupted run) and exit" },
  { name: 'cache', kind: 'value', arg: 'DIR', help: `boxes, their kernels, the ssh key (default ${DEFAULT_CACHE}, or $AMBER_VAGRANT_CACHE)` },
  { name: 'timeout', kind: 'value', arg: 'MIN', help: '`vagrant up` of one VM is stopped after it (default 120; 45 with --quick or -t)' },
  { name: 'driver', kind: 'value', arg: 'qemu|kvm', help: "vagrant-libvirt's domain type (default qemu: TCG, as KVM does not run Debian's kernels here)" },
  { name: 'help', short: 'h', kind: 'flag', help: 'this help' },
];

function helpText() {
  const rows = optionRows(OPTIONS);
  return [
    'usage: npm run vagrant -- [options]\n',
    "Brings up the Vagrantfile's VMs one at a time (libvirt, on boxes built here), runs the zdtm\n",
    'suite inside each, copies its reports to matrix-report/NAME/, destroys it, and prints one\n',
    'table of them all. Runs as root. See docs/matrix.md.\n\n',
    ...rows,
  ].join('');
}

const camel = (s) => s.replace(/-(\w)/g, (_, c) => c.toUpperCase());

function parseArgs(argv) {
  const opts = { vms: [], test: [], exclude: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const o = a.startsWith('--') ? OPTIONS.find((x) => x.name === a.slice(2).split('=')[0]) : OPTIONS.find((x) => a === `-${x.short}`);
    if (!o) throw new VagrantUsageError(`unknown option ${a}`);
    const key = camel(o.name);
    const inline = a.startsWith('--') && a.includes('=') ? a.slice(a.indexOf('=') + 1) : undefined;
    if (o.kind === 'flag') {
      if (inline !== undefined) throw new VagrantUsageError(`${o.name} takes no value`);
      opts[key] = true;
    } else if (o.kind === 'value' || o.kind === 'multi') {
      if (inline === undefined && i + 1 >= argv.length) throw new VagrantUsageError(`${a} needs ${o.arg}`);
      const v = inline !== undefined ? inline : argv[++i];
      if (o.kind === 'value') opts[key] = v;
      else opts[key].push(v);
    } else {
      const values = inline !== undefined ? [inline] : [];
      while (inline === undefined && i + 1 < argv.length && !argv[i + 1].startsWith('-')) values.push(argv[++i]);
      if (values.length === 0) throw new VagrantUsageError(`${a} needs ${o.arg}`);
      // -k also takes the matrix's comma form: -k 6.1,6.12
      opts[key].push(...(o.name === 'vms' ? values.flatMap((v) => v.split(',')).filter(Boolean) : values));
    }
  }
  checkSelection(opts, ['iters', 'timeout'], VagrantUsageError);
  if (opts.driver && !['qemu', 'kvm'].includes(opts.driver)) throw new VagrantUsageError('--driver is qemu or kvm');
  opts.driver = opts.driver || 'qemu';
  opts.cache = opts.cache || DEFAULT_CACHE;
  const narrow = opts.quick || opts.test.length > 0;
  opts.timeoutMs = Number(opts.timeout || (narrow ? 45 : 120)) * 60 * 1000;
  return opts;
}

/** The suite's options as the Vagrantfile's MATRIX_ARGS (pasted into a sh script there: quoted). */
function matrixArgs(opts) {
  return selectionArgs(opts).map((a) => (/^[\w.,:=/+-]+$/.test(a) ? a : quote(a))).join(' ');
}

/** The selection as the matrix names it in matrix.json. */
function selectionOf(opts) {
  return opts.test.length ? `-t ${opts.test.join(' ')}` : opts.quick ? '--quick' : '-a';
}

module.exports = { parseArgs, helpText, matrixArgs, selectionOf, OPTIONS };
