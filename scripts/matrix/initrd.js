'use strict';
/**
 * The initramfs of one kernel: the shared rootfs archive followed by that kernel's modules
 * archive (the kernel unpacks concatenated cpio archives as one), cached per kernel and rootfs.
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { concat } = require('./cpio');
const { buildModulesArchive, GUEST_MODULES } = require('./guest-modules');
const log = require('./log').createLog('initrd');

async function buildInitrd(kernel, rootfsCpio, cacheDir, modules = GUEST_MODULES) {
  const modKey = crypto.createHash('sha256').update(modules.join(',')).digest('hex').slice(0, 8);
  const modCpio = path.join(kernel.dir, `modules-${modKey}.cpio`);
  if (!fs.existsSync(modCpio)) {
    const loaded = await buildModulesArchive(kernel, modCpio, modules);
    log.info(`${kernel.release}: modules ${loaded.join(' ') || '(all built in)'}`);
  }
  const out = path.join(cacheDir, 'initrd', `${kernel.release}-${kernel.arch}-${path.basename(rootfsCpio, '.cpio')}-${modKey}.cpio`);
  if (fs.existsSync(out)) return out;
  fs.mkdirSync(path.dirname(out), { recursive: true });
  for (const f of fs.readdirSync(path.dirname(out))) {
    if (f.startsWith(`${kernel.release}-${kernel.arch}-`)) fs.rmSync(path.join(path.dirname(out), f), { force: true });
  }
  concat([rootfsCpio, modCpio], out);
  return out;
}

module.exports = { buildInitrd };
