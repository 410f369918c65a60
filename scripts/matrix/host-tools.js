'use strict';
/**
 * The Debian packages the matrix needs on the host, installed when missing (it runs as root on
 * a fresh Debian machine): `apt-get update` once, then `apt-get install` of what is missing.
 */
const fs = require('node:fs');
const { run, have } = require('./exec');
const { MatrixError } = require('./errors');
const log = require('./log').createLog('host-tools');

/** command (or absolute file) -> Debian package that provides it. */
const TOOLS = {
  'qemu-system-x86_64': 'qemu-system-x86',
  'qemu-system-aarch64': 'qemu-system-arm',
  mmdebstrap: 'mmdebstrap',
  cpio: 'cpio',
  'dpkg-deb': 'dpkg',
  'apt-get': 'apt',
  xz: 'xz-utils',
  zstd: 'zstd',
  gzip: 'gzip',
  bzip2: 'bzip2',
  lz4: 'lz4',
  lzop: 'lzop',
  '/usr/share/keyrings/debian-archive-keyring.gpg': 'debian-archive-keyring',
};

let updated = false;

async function present(tool) {
  return tool.startsWith('/') ? fs.existsSync(tool) : have(tool);
}

/** Installs the packages behind `tools` (names of TOOLS) that are not there yet. */
async function ensureTools(tools) {
  const missing = [];
  for (const t of tools) {
    if (!TOOLS[t]) throw new MatrixError('TOOLS', `no package known for ${t}`);
    if (!(await present(t))) missing.push(TOOLS[t]);
  }
  if (missing.length === 0) return;
  const pkgs = [...new Set(missing)];
  if (process.getuid() !== 0) {
    throw new MatrixError('TOOLS', `missing packages ${pkgs.join(' ')}: run as root or install them`);
  }
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  if (!updated) {
    log.info('apt-get update');
    await run(['apt-get', 'update', '-qq'], { env });
    updated = true;
  }
  log.info(`apt-get install ${pkgs.join(' ')}`);
  await run(['apt-get', 'install', '-y', '-qq', '--no-install-recommends', ...pkgs], { env });
}

module.exports = { ensureTools, TOOLS };
