'use strict';
/**
 * One qemu run: boot a kernel with the matrix initramfs, share two host folders over virtio-9p
 * (the project tree read-only, the io folder writable), wait for the guest to power off, kill
 * it when it overstays its timeout. The serial console goes to IO/console.log.
 */
const fs = require('node:fs');
const path = require('node:path');
const { spawn } = require('node:child_process');
const { track, stop } = require('./children');
const { MatrixError } = require('./errors');

/** Machine and CPU per architecture and accelerator (see docs/matrix.md for why). */
const MACHINES = {
  amd64: {
    qemu: 'qemu-system-x86_64',
    tcg: ['-accel', 'tcg,thread=multi', '-cpu', 'max', '-machine', 'q35'],
    kvm: ['-accel', 'kvm', '-cpu', 'host', '-machine', 'q35'],
    console: 'ttyS0',
  },
  arm64: {
    qemu: 'qemu-system-aarch64',
    tcg: ['-accel', 'tcg,thread=multi', '-cpu', 'cortex-a72', '-machine', 'virt'],
    kvm: ['-accel', 'kvm', '-cpu', 'host', '-machine', 'virt'],
    console: 'ttyAMA0',
  },
};

function share(tag, dir, readonly) {
  const ro = readonly ? ',readonly=on' : '';
  return [
    '-fsdev', `local,id=${tag},path=${dir},security_model=none${ro}`,
    '-device', `virtio-9p-pci,fsdev=${tag},mount_tag=${tag}`,
  ];
}

/**
 * argv of qemu for opts { arch, accel, kernel, initrd, project, io, smp, memMb, append }.
 */
function qemuArgv(opts) {
  const m = MACHINES[opts.arch];
  if (!m) throw new MatrixError('USAGE', `no qemu machine for architecture ${opts.arch}`);
  const append = [
    `console=${m.console}`,
    'rdinit=/init',
    'panic=-1',
    'loglevel=4',
    `matrix.project=${opts.project}`,
    'matrix.io=/io',
    ...(opts.append || []),
  ].join(' ');
  return [
    m.qemu,
    ...m[opts.accel],
    '-smp', String(opts.smp || 2),
    '-m', String(opts.memMb || 2048),
    '-nodefaults',
    '-no-user-config',
    '-display', 'none',
    '-monitor', 'none',
    '-serial', `file:${path.join(opts.io, 'console.log')}`,
    '-no-reboot',
    '-kernel', opts.kernel,
    '-initrd', opts.initrd,
    '-append', append,
    ...share('io', opts.io, false),
    ...share('project', opts.project, true),
  ];
}

/**
 * Boots and waits. Resolves { code, signal, timedOut, ms, stderr }. `onTick` is called every
 * second while it runs (the caller streams the guest's output from it).
 */
function boot(opts, { timeoutMs, onTick } = {}) {
  const argv = qemuArgv(opts);
  fs.writeFileSync(path.join(opts.io, 'qemu.argv'), `${argv.join(' ')}\n`);
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const child = track(spawn(argv[0], argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] }));
    let stderr = '';
    let timedOut = false;
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    const timer = setTimeout(() => {
      timedOut = true;
      stop(child);
    }, timeoutMs || 30 * 60 * 1000);
    const tick = onTick ? setInterval(onTick, 1000) : null;
    child.on('error', (e) => {
      clearTimeout(timer);
      if (tick) clearInterval(tick);
      reject(new MatrixError('BOOT', `cannot run ${argv[0]}: ${e.message}`, { cause: e }));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (tick) clearInterval(tick);
      if (onTick) onTick();
      resolve({ code, signal, timedOut, ms: Date.now() - started, stderr });
    });
  });
}

module.exports = { boot, qemuArgv, MACHINES };
