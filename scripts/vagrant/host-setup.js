'use strict';
/**
 * This machine, made ready for vagrant-libvirt (it runs as root on a fresh Debian machine):
 *   - the Debian packages: vagrant, vagrant-libvirt, libvirt, qemu, and what the boxes are built with;
 *   - /dev/kvm group kvm, mode 0660: without udev it stays root-only, and libvirtd, finding it
 *     unusable, probes qemu again (30-45 s) on every domain define and start;
 *   - virtlogd, virtlockd and libvirtd started by hand when there is no systemd to start them.
 */
const fs = require('node:fs');
const { run } = require('../matrix/exec');
const { VagrantError } = require('./errors');
const log = require('../matrix/log').createLog('host');

/** The packages; --no-install-recommends keeps nfs-kernel-server, libguestfs and the like out. */
const PACKAGES = [
  'vagrant', 'vagrant-libvirt', 'libvirt-daemon-system', 'libvirt-daemon-driver-qemu', 'libvirt-clients',
  'qemu-system-x86', 'qemu-utils', 'dnsmasq-base', 'iptables', 'iproute2',
  'mmdebstrap', 'debian-archive-keyring', 'e2fsprogs', 'openssh-client', 'rsync', 'tar',
];

/** Daemons in the order they are needed: libvirtd talks to the other two. */
const DAEMONS = ['virtlogd', 'virtlockd', 'libvirtd'];

async function missingPackages(pkgs) {
  const r = await run(['dpkg-query', '-W', '-f', '${Package} ${db:Status-Abbrev}\n', ...pkgs], { check: false });
  const installed = new Set(
    r.stdout
      .split('\n')
      .map((l) => l.split(' '))
      .filter((f) => f[1] === 'ii')
      .map((f) => f[0].replace(/:.*/, '')),
  );
  return pkgs.filter((p) => !installed.has(p));
}

async function installPackages() {
  const missing = await missingPackages(PACKAGES);
  if (missing.length === 0) return;
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  log.info('apt-get update');
  await run(['apt-get', 'update', '-qq'], { env });
  log.info(`apt-get install ${missing.join(' ')}`);
  await run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...missing], { env });
}

function kvmAccess() {
  if (!fs.existsSync('/dev/kvm')) return;
  const st = fs.statSync('/dev/kvm');
  const kvm = /^kvm:x:(\d+):/m.exec(fs.readFileSync('/etc/group', 'utf8'));
  if (!kvm) return;
  const gid = Number(kvm[1]);
  if (st.gid === gid && (st.mode & 0o060) === 0o060) return;
  log.info('/dev/kvm: group kvm, mode 0660 (no udev here to do it)');
  fs.chownSync('/dev/kvm', st.uid, gid);
  fs.chmodSync('/dev/kvm', 0o660);
}

function running(daemon) {
  try {
    const pid = Number.parseInt(fs.readFileSync(`/run/${daemon}.pid`, 'utf8'), 10);
    if (!pid) return false;
    process.kill(pid, 0);
    return fs.readFileSync(`/proc/${pid}/comm`, 'utf8').trim() === daemon;
  } catch {
    return false;
  }
}

async function startDaemons() {
  if (fs.existsSync('/run/systemd/system')) return; // systemd started them with the packages
  for (const d of DAEMONS) {
    if (running(d)) continue;
    log.info(`starting ${d} -d (no systemd here)`);
    // -d: it forks into the background and outlives this run, as a service would
    await run([`/usr/sbin/${d}`, '-d']);
  }
  for (let i = 0; i < 60; i++) {
    const r = await run(['virsh', '-c', 'qemu:///system', 'version'], { check: false });
    if (r.code === 0) return;
    await new Promise((res) => setTimeout(res, 500));
  }
  throw new VagrantError('HOST', 'libvirtd does not answer on qemu:///system (virsh version fails)');
}

async function prepareHost() {
  if (process.getuid() !== 0) throw new VagrantError('HOST', 'run as root: it installs packages, starts libvirtd and builds boxes with mmdebstrap');
  await installPackages();
  kvmAccess();
  await startDaemons();
}

module.exports = { prepareHost, PACKAGES };
