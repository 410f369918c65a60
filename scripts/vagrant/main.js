'use strict';
/**
 * `npm run vagrant`: the repository's Vagrantfile on this machine, one VM at a time.
 * Steps: options → this machine (packages, /dev/kvm, libvirtd) → a local box per VM (built when
 * its recipe changed) → per VM: `vagrant up` (boot, setup, the suite, its reports copied to
 * matrix-report/NAME/ by the Vagrantfile's trigger), `vagrant destroy -f` → one merged table.
 */
const fs = require('node:fs');
const path = require('node:path');
const { parseArgs, helpText, matrixArgs, selectionOf } = require('./options');
const { VagrantError, VagrantUsageError } = require('./errors');
const { VMS, selectVms } = require('./vms');
const { prepareHost } = require('./host-setup');
const { ensureBox, BOX_PREFIX, SYSTEM_PATH } = require('./box');
const { vagrant, vagrantEnv, vmState, stepDurations } = require('./vm');
const { MatrixError } = require('../matrix/errors');
const { hostMirrors } = require('../matrix/mirrors');
const { lockCache } = require('../matrix/cache-lock');
const { stopping } = require('../matrix/children');
const { run } = require('../matrix/exec');
const log = require('../matrix/log').createLog('vagrant');

const PROJECT = path.resolve(__dirname, '..', '..');
const REPORTS = path.join(PROJECT, 'matrix-report');
const INTERRUPTED = 130;

/** `vagrant destroy -f NAME` when the VM exists; true when it is gone afterwards. */
async function destroy(vm, env) {
  const state = await vmState(vm.name, { project: PROJECT, env });
  if (state === 'not_created') return true;
  log.info(`${vm.name}: vagrant destroy -f (was ${state})`);
  const r = await run(['vagrant', 'destroy', '-f', vm.name], { cwd: PROJECT, env, check: false });
  if (r.code !== 0) log.warn(`${vm.name}: vagrant destroy failed: ${(r.stderr || r.stdout).trim().split('\n').slice(-3).join(' ')}`);
  return r.code === 0;
}

/** The VM being brought up: an interrupted run leaves it behind, and says so on the way out. */
let active = null;
process.on('exit', () => {
  if (active) process.stderr.write(`vagrant: ${active} may still exist: npm run vagrant -- --destroy\n`);
});

/** One VM: up (or, when a kept one is there, up --provision), the reports, destroy. */
async function runVm(vm, opts, env) {
  const logFile = path.join(opts.cache, 'logs', `${vm.name}.log`);
  fs.rmSync(logFile, { force: true });
  const state = await vmState(vm.name, { project: PROJECT, env });
  const args = ['up', vm.name, '--provider=libvirt', ...(state === 'not_created' ? [] : ['--provision'])];
  log.info(`${vm.name}: vagrant ${args.join(' ')} (log: ${logFile})`);
  active = vm.name;
  const r = await vagrant(args, {
    project: PROJECT,
    env,
    logFile,
    timeoutMs: opts.timeoutMs,
    onLine: (l) => process.stderr.write(`  [${vm.name}] ${l}\n`),
  });
  const steps = stepDurations(r.steps, r.ms);
  const dir = path.join(REPORTS, vm.name);
  const report = path.join(dir, 'matrix.json');
  const ok = fs.existsSync(report) && fs.statSync(report).mtimeMs > Date.now() - r.ms;
  let error = null;
  if (r.timedOut) error = `vagrant up timed out after ${Math.round(opts.timeoutMs / 60000)} min`;
  else if (r.code !== 0) error = `vagrant up exited ${r.code}`;
  else if (!ok) error = `vagrant up left no ${path.relative(PROJECT, report)}`;
  if (ok) fs.copyFileSync(logFile, path.join(dir, 'vagrant.log')); // else dir, if any, is an earlier run's
  log.info(`${vm.name}: ${error || 'reports in ' + path.relative(PROJECT, dir)} after ${Math.round(r.ms / 1000)} s (${steps.map((s) => `${s.step} ${s.s} s`).join(', ')})`);
  if (!opts.keep && !stopping() && (await destroy(vm, env))) active = null;
  if (opts.keep) active = null;
  return { vm, error, ms: r.ms, steps, dir: ok ? dir : null };
}

/** One table from the VMs' matrix.json: `node scripts/matrix.js --merge`, output passed through. */
async function mergedTable(dirs) {
  const r = await run([process.execPath, path.join(PROJECT, 'scripts', 'matrix.js'), '--merge', ...dirs], { cwd: PROJECT, check: false });
  process.stdout.write(r.stdout);
  if (r.stderr.trim()) process.stderr.write(r.stderr);
  return r.code;
}

async function main(argv) {
  let opts;
  try {
    opts = parseArgs(argv);
  } catch (e) {
    if (e instanceof VagrantUsageError) {
      process.stderr.write(`vagrant: ${e.message}\n${helpText()}`);
      return 2;
    }
    throw e;
  }
  if (opts.help) {
    process.stdout.write(helpText());
    return 0;
  }
  // vagrant, virsh, mke2fs and chroot live in sbin directories a non-login shell may lack
  process.env.PATH = `${process.env.PATH || ''}:${SYSTEM_PATH}`;
  try {
    const vms = selectVms(opts.vms);
    const env = vagrantEnv({ boxPrefix: BOX_PREFIX, driver: opts.driver, matrixArgs: matrixArgs(opts) });
    await prepareHost();
    await lockCache(opts.cache);
    if (opts.destroy) {
      let all = true;
      for (const vm of VMS) all = (await destroy(vm, env)) && all;
      return all ? 0 : 1;
    }
    const ctx = { cacheDir: opts.cache, mirrors: hostMirrors() };
    const boxes = [];
    for (const vm of vms) {
      if (stopping()) return INTERRUPTED;
      boxes.push({ vm, ...(await ensureBox(vm, ctx, { rebuild: opts.rebuild })) });
    }
    if (opts.prepare) {
      for (const b of boxes) log.info(`${b.vm.name}: box ${b.name} ready${b.built !== null ? ` (built in ${b.built} s)` : ''}`);
      return 0;
    }
    log.info(`zdtm ${selectionOf(opts)} on ${vms.map((v) => v.name).join(', ')}, one VM at a time`);
    const runs = [];
    for (const vm of vms) {
      if (stopping()) return INTERRUPTED;
      runs.push(await runVm(vm, opts, env));
    }
    if (stopping()) return INTERRUPTED;
    for (const r of runs) {
      const steps = r.steps.map((s) => `${s.step} ${s.s} s`).join(', ');
      process.stderr.write(`${r.vm.name}: ${r.error || 'ok'}, ${Math.round(r.ms / 1000)} s${steps ? ` (${steps})` : ''}\n`);
    }
    const dirs = runs.filter((r) => r.dir).map((r) => r.dir);
    const merged = dirs.length ? await mergedTable(dirs) : 1;
    return runs.some((r) => r.error) || merged !== 0 ? 1 : 0;
  } catch (e) {
    if (e instanceof VagrantError || e instanceof MatrixError) {
      process.stderr.write(`vagrant: ${e.message}\n`);
      if (e.cause && e.cause.message) process.stderr.write(`  caused by: ${e.cause.message}\n`);
      return 2;
    }
    throw e;
  }
}

module.exports = { main };
