'use strict';
/**
 * `npm run matrix`: the zdtm suite on each kernel of the list, as a table test × kernel.
 * Steps: options → host tools → project build → prepare each kernel (download, unpack, initramfs)
 * → choose KVM or TCG → run each kernel, one at a time → matrix.json, tables, JUnit files.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { parseArgs, helpText, runnerArgs } = require('./options');
const { MatrixError, MatrixUsageError } = require('./errors');
const { KERNELS, DEFAULT_IDS, selectKernels } = require('./kernels');
const { ensureTools } = require('./host-tools');
const { createContext } = require('./context');
const { QemuTarget } = require('./qemu-target');
const { HostTarget } = require('./host-target');
const { chooseAccel } = require('./accel');
const { buildProject } = require('./build-project');
const { lockCache } = require('./cache-lock');
const { suiteScript } = require('./suite-script');
const { collect, kernelJunit } = require('./results');
const { buildMatrix, mergeMatrices, textTable, markdownTable } = require('./matrix-report');
const { stopping } = require('./children');
const log = require('./log').createLog('matrix');

/** After SIGINT/SIGTERM: children.js is stopping everything and exits; report nothing. */
const INTERRUPTED = 130;

function listKernels() {
  for (const k of KERNELS) {
    const what = k.kind === 'host' ? 'runs on the host' : `${k.package} from ${k.suite} (${k.arch})`;
    process.stdout.write(`${k.id.padEnd(12)} ${DEFAULT_IDS.includes(k.id) ? '*' : ' '} ${what}: ${k.desc}\n`);
  }
  process.stdout.write('(* = in the default list)\n');
}

function toolsFor(targets) {
  const tools = new Set();
  for (const t of targets) {
    if (t.kind !== 'qemu') continue;
    tools.add(t.arch === 'arm64' ? 'qemu-system-aarch64' : 'qemu-system-x86_64');
    for (const x of ['mmdebstrap', 'cpio', 'dpkg-deb', 'xz', 'zstd', 'gzip', '/usr/share/keyrings/debian-archive-keyring.gpg']) tools.add(x);
  }
  return [...tools];
}

function reportDir(opts) {
  const dir = opts.report ? path.resolve(opts.report) : fs.mkdtempSync(path.join(os.tmpdir(), 'amber-matrix-'));
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/** Each target, one at a time: exec the script, stream its output with the kernel id in front. */
async function runAll(targets, opts, dir, accel) {
  const runs = [];
  for (const t of targets) {
    if (stopping()) break;
    const ioDir = path.join(dir, 'kernels', t.spec.id);
    const script = opts.exec ?? suiteScript(runnerArgs(opts, t));
    const how = t.kind === 'qemu' ? `qemu ${accel}` : 'host';
    log.info(`${t.spec.id}: ${t.release} (${how}) ...`);
    const r = await t.exec(script, ioDir, {
      accel,
      timeoutMs: opts.timeoutMs,
      onLine: (l) => process.stderr.write(`  [${t.spec.id}] ${l}\n`),
    });
    log.info(`${t.spec.id}: ${r.error ? r.error.split('\n')[0] : `exit status ${r.status}`} after ${Math.round(r.ms / 1000)} s`);
    runs.push({ target: t, ioDir, run: r });
  }
  return runs;
}

function writeSuiteReports(runs, dir, accel, opts) {
  const collected = runs.map(({ target, ioDir, run }) => {
    const c = collect(target, ioDir, run);
    fs.writeFileSync(path.join(dir, `junit-${c.release}.xml`), kernelJunit(ioDir, c.release, c.error));
    return {
      ...c,
      header: target.header(accel),
      kind: target.kind,
      accel: target.kind === 'qemu' ? accel : null,
      package: target.kernel?.package,
      version: target.kernel?.version,
    };
  });
  const selection = opts.test.length ? `-t ${opts.test.join(' ')}` : opts.quick ? '--quick' : '-a';
  const matrix = buildMatrix(collected, { selection, date: new Date().toISOString() });
  writeMatrix(matrix, dir);
  const bad = collected.filter((c) => c.error || !c.summary || c.summary.failed > 0);
  return bad.length === 0 ? 0 : 1;
}

/** matrix.json, matrix.txt and matrix.md into dir (when there is one), the table to stdout. */
function writeMatrix(matrix, dir) {
  const text = textTable(matrix);
  if (dir) {
    fs.writeFileSync(path.join(dir, 'matrix.json'), `${JSON.stringify(matrix, null, 2)}\n`);
    fs.writeFileSync(path.join(dir, 'matrix.txt'), text);
    fs.writeFileSync(path.join(dir, 'matrix.md'), markdownTable(matrix));
  }
  const what = matrix.selection ? `zdtm ${matrix.selection}` : 'zdtm';
  process.stdout.write(`\n${what}, one column per kernel:\n\n${text}${dir ? `\nreports: ${dir}\n` : ''}`);
}

/** --merge: one table from the matrix.json files of earlier runs. */
function merge(opts) {
  const list = opts.merge.map((d) => {
    const f = path.join(d, 'matrix.json');
    if (!fs.existsSync(f)) throw new MatrixError('USAGE', `no matrix.json in ${d}`);
    return JSON.parse(fs.readFileSync(f, 'utf8'));
  });
  const matrix = mergeMatrices(list);
  matrix.selection = [...new Set(list.map((m) => m.selection).filter(Boolean))].join(', ');
  let dir = null;
  if (opts.report) {
    dir = path.resolve(opts.report);
    fs.mkdirSync(dir, { recursive: true });
  }
  writeMatrix(matrix, dir);
  const failed = Object.values(matrix.results).some((byKernel) => Object.values(byKernel).some((c) => c.result === 'fail'));
  return failed ? 1 : 0;
}

async function main(argv) {
  let opts;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    if (e instanceof MatrixUsageError) {
      process.stderr.write(`matrix: ${e.message}\n${helpText()}`);
      return 2;
    }
    throw e;
  }
  if (opts.help) {
    process.stdout.write(helpText());
    return 0;
  }
  if (opts.list) {
    listKernels();
    return 0;
  }
  try {
    if (opts.merge.length) return merge(opts);
    const specs = selectKernels(opts.kernels);
    const ctx = createContext(opts);
    const targets = specs.map((s) => (s.kind === 'host' ? new HostTarget(s, ctx) : new QemuTarget(s, ctx)));
    const foreign = targets.filter((t) => t.arch !== (process.arch === 'arm64' ? 'arm64' : 'amd64'));
    if (foreign.length && !opts.exec && !opts.prepare) {
      throw new MatrixUsageError(`${foreign.map((t) => t.spec.id).join(', ')}: another architecture than the build's: only --exec CMD runs there`);
    }
    await lockCache(opts.cache);
    await ensureTools(toolsFor(targets));
    if (!opts.noBuild && !opts.exec) await buildProject(ctx.project);
    for (const t of targets) await t.prepare();
    if (opts.prepare) {
      for (const t of targets) log.info(`${t.spec.id}: ${t.release} ready${t.initrd ? ` (${t.initrd})` : ''}`);
      return 0;
    }
    const dir = reportDir(opts);
    const first = targets.find((t) => t.kind === 'qemu');
    const accel = first ? await chooseAccel(opts.accel, first, dir) : null;
    const runs = await runAll(targets, opts, dir, accel);
    if (stopping()) return INTERRUPTED;
    if (opts.exec) {
      const failed = runs.filter((r) => r.run.status !== 0);
      for (const r of runs) process.stdout.write(`${r.target.header(accel)}: ${r.run.error || `exit status ${r.run.status}`}\n`);
      return failed.length === 0 ? 0 : 1;
    }
    return writeSuiteReports(runs, dir, accel, opts);
  } catch (e) {
    if (e instanceof MatrixError) {
      process.stderr.write(`matrix: ${e.message}\n`);
      if (e.cause && e.cause.message) process.stderr.write(`  caused by: ${e.cause.message}\n`);
      return 2;
    }
    throw e;
  }
}

module.exports = { main };
