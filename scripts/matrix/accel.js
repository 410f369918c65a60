'use strict';
/**
 * KVM or TCG. KVM is used only when /dev/kvm opens and a real boot through it reaches the guest's
 * command within 10 s; elsewhere (no /dev/kvm, or a nested hypervisor whose KVM stock kernels
 * cannot run under, as on the machines this was written on) qemu emulates the CPU with TCG.
 */
const fs = require('node:fs');
const path = require('node:path');
const log = require('./log').createLog('accel');

function kvmOpens() {
  try {
    fs.closeSync(fs.openSync('/dev/kvm', 'r+'));
    return true;
  } catch {
    return false;
  }
}

/** 'kvm' or 'tcg' for `target` (a prepared QemuTarget); `dir` holds the probe's io folder. */
async function chooseAccel(wanted, target, dir) {
  if (wanted === 'tcg') return 'tcg';
  const hostArch = process.arch === 'arm64' ? 'arm64' : 'amd64';
  if (target.arch !== hostArch || !kvmOpens()) {
    if (wanted === 'kvm') log.warn('KVM asked for but /dev/kvm is not usable for this architecture: using TCG');
    return 'tcg';
  }
  const r = await target.exec('true', path.join(dir, 'kvm-probe'), { accel: 'kvm', timeoutMs: 10000 });
  if (r.status === 0) {
    log.info(`KVM works (a boot took ${(r.ms / 1000).toFixed(1)} s)`);
    return 'kvm';
  }
  const why = (r.error || '').split('\n').filter(Boolean);
  log.info(`KVM does not boot ${target.release} (${why[1] || why[0]}): using TCG`);
  return 'tcg';
}

module.exports = { chooseAccel };
