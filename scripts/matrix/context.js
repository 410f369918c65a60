'use strict';
/**
 * What every target shares, made once per run and passed explicitly: the cache, the project
 * root, one private apt state per suite and architecture, one rootfs per architecture.
 */
const fs = require('node:fs');
const path = require('node:path');
const { AptSuite } = require('./apt-suite');
const { hostMirrors } = require('./mirrors');
const { buildRootfs } = require('./rootfs');

const PROJECT = path.resolve(__dirname, '..', '..');

/** The host's Debian release: the guest's userland matches it, so host binaries run there. */
function hostSuite() {
  try {
    const m = /^VERSION_CODENAME=(\w+)/m.exec(fs.readFileSync('/etc/os-release', 'utf8'));
    if (m && /^(bullseye|bookworm|trixie|forky)$/.test(m[1])) return m[1];
  } catch {
    // not Debian: use the release the matrix was written on
  }
  return 'bookworm';
}

/**
 * Rootfs per architecture: on the host's own one, the host's release plus this node binary (the
 * project and its zdtm programs are built here); on another one, trixie with Debian's nodejs.
 */
function rootfsSpec(arch) {
  const native = (process.arch === 'arm64' ? 'arm64' : 'amd64') === arch;
  if (native) return { suite: hostSuite(), arch, node: process.execPath };
  return { suite: 'trixie', arch, node: null, variant: 'extract', packages: ['nodejs'] };
}

function createContext(opts) {
  const mirrors = hostMirrors();
  const apts = new Map();
  const rootfses = new Map();
  return {
    cacheDir: opts.cache,
    project: PROJECT,
    smp: opts.smp ? Number(opts.smp) : 2,
    memMb: opts.mem ? Number(opts.mem) : 2048,
    apt(suite, arch) {
      const key = `${suite}-${arch}`;
      if (!apts.has(key)) apts.set(key, new AptSuite(path.join(opts.cache, 'apt', key), { suite, arch }, mirrors));
      return apts.get(key);
    },
    rootfs(arch) {
      if (!rootfses.has(arch)) rootfses.set(arch, buildRootfs(rootfsSpec(arch), mirrors, opts.cache));
      return rootfses.get(arch);
    },
  };
}

module.exports = { createContext, PROJECT, hostSuite };
