'use strict';
/**
 * One VM of the Vagrantfile, driven through the vagrant command line from the project root:
 * `vagrant up` (boot and the three provisioners: setup, zdtm, and the trigger that copies the
 * reports to matrix-report/NAME/), `vagrant destroy -f`, `vagrant status`. The output goes to a
 * log file whole and to the terminal line by line, progress bars left out.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { track, stop } = require('../matrix/children');
const { run } = require('../matrix/exec');
const log = require('../matrix/log').createLog('vagrant');

/**
 * What the Vagrantfile reads (see its header): the local boxes, no kernel step, the libvirt
 * domain type, the suite's options.
 */
function vagrantEnv({ boxPrefix, driver, matrixArgs }) {
  return {
    ...process.env,
    AMBER_VAGRANT_BOX_PREFIX: boxPrefix,
    AMBER_VAGRANT_KERNEL_UPGRADE: '0',
    AMBER_VAGRANT_LIBVIRT_DRIVER: driver,
    MATRIX_ARGS: matrixArgs,
    VAGRANT_DEFAULT_PROVIDER: 'libvirt',
    VAGRANT_CHECKPOINT_DISABLE: '1', // no version check against HashiCorp's servers (unreachable)
  };
}

/** Vagrant's output as lines: \r-redrawn progress bars ("Progress: 42%") and colour codes dropped. */
function outputLines(text) {
  return text
    .split(/\r\n|\n|\r/)
    .map((l) => l.replace(/\x1b\[[0-9;]*[A-Za-z]/g, '').trimEnd())
    .filter((l) => l && !/^Progress: \d+%$/.test(l.trim()));
}

/**
 * Which step a line of `vagrant up` starts: 'boot' (domain creation), 'provision:NAME', or null.
 * Used to time the steps.
 */
function stepOf(line) {
  let m = /==> [\w.-]+: Running provisioner: ([\w-]+)/.exec(line);
  if (m) return `provision:${m[1]}`;
  m = /==> [\w.-]+: Running action triggers after/.exec(line);
  if (m) return 'reports';
  if (/==> [\w.-]+: (Creating image|Starting domain|Uploading base box)/.test(line)) return 'boot';
  return null;
}

/**
 * Runs `vagrant ARGS` in project with env; resolves { code, timedOut, ms, steps: [{ step, at }] }.
 * Lines go to logFile and, with the VM's name in front, to onLine.
 */
function vagrant(args, { project, env, logFile, onLine, timeoutMs }) {
  const started = Date.now();
  const steps = [];
  return new Promise((resolve) => {
    fs.mkdirSync(path.dirname(logFile), { recursive: true });
    const out = fs.openSync(logFile, 'a');
    fs.writeSync(out, `$ vagrant ${args.join(' ')}\n`);
    // detached: its own process group, so a timeout stops its ssh and rsync children too
    const child = track(spawn('vagrant', args, { cwd: project, env, stdio: ['ignore', 'pipe', 'pipe'], detached: true }), true);
    let pending = '';
    const take = (d) => {
      const text = pending + d.toString();
      const cut = Math.max(text.lastIndexOf('\n'), text.lastIndexOf('\r'));
      pending = text.slice(cut + 1);
      for (const l of outputLines(text.slice(0, cut + 1))) {
        fs.writeSync(out, `${l}\n`);
        const step = stepOf(l);
        if (step) steps.push({ step, at: Date.now() - started });
        if (onLine) onLine(l);
      }
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      log.warn(`vagrant ${args[0]} still running after ${Math.round(timeoutMs / 60000)} min: stopping it`);
      stop(child);
    }, timeoutMs || 24 * 3600 * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      take('\n');
      fs.writeSync(out, `(exit ${code ?? signal} after ${Math.round((Date.now() - started) / 1000)} s)\n`);
      fs.closeSync(out);
      resolve({ code: code ?? 128, timedOut, ms: Date.now() - started, steps });
    });
    child.on('error', (e) => {
      if (onLine) onLine(`cannot run vagrant: ${e.message}`);
    });
  });
}

/** `vagrant status NAME --machine-readable`: 'not_created', 'running', 'shutoff', ... */
async function vmState(name, { project, env }) {
  const r = await run(['vagrant', 'status', name, '--machine-readable'], { cwd: project, env, check: false });
  const m = /^\d+,[\w.-]+,state,([\w-]+)$/m.exec(r.stdout);
  return m ? m[1] : 'unknown';
}

/** Seconds of each step from the step starts of `vagrant up` (the last one ends at totalMs). */
function stepDurations(steps, totalMs) {
  const firsts = [];
  for (const s of steps) if (!firsts.some((f) => f.step === s.step)) firsts.push(s);
  return firsts.map((s, i) => ({ step: s.step, s: Math.round(((i + 1 < firsts.length ? firsts[i + 1].at : totalMs) - s.at) / 1000) }));
}

module.exports = { vagrant, vagrantEnv, vmState, outputLines, stepOf, stepDurations };
