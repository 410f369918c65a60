'use strict';
/**
 * The kernel modules the guest needs (virtio PCI, 9p over virtio, ...), with what they depend
 * on, in load order, packed as a cpio archive that is appended to the rootfs initramfs:
 *   /usr/lib/modules/RELEASE/matrix/NN-NAME.ko   (decompressed: no xz/zstd support needed in insmod)
 *   /usr/lib/modules/RELEASE/matrix/load.order    (file names, dependencies first)
 * Under /usr/lib, not /lib: the rootfs has merged /usr, and a directory `lib` in a later archive
 * would replace the rootfs's `lib -> usr/lib` symlink (the kernel unpacks over a different type).
 * The packages ship no modules.dep (depmod makes it at install time), so dependencies are read
 * from each module's own `depends=` field in its .modinfo section.
 */
const fs = require('node:fs');
const path = require('node:path');
const zlib = require('node:zlib');
const { spawnSync } = require('node:child_process');
const { MatrixError } = require('./errors');
const { packDir } = require('./cpio');

/**
 * What /init loads; those built into a kernel are left out for it: the 9p mounts, then what
 * amber and the zdtm tests use that Debian builds as modules: sock_diag for every socket family
 * amber dumps (without them every socket test fails with ENOENT), nftables for the network lock
 * (and crc32c, which its libcrc32c needs),
 * veth and tun for the network tests.
 */
const GUEST_MODULES = [
  'virtio_pci', '9pnet_virtio', '9p',
  'unix_diag', 'inet_diag', 'tcp_diag', 'udp_diag', 'raw_diag', 'af_packet_diag', 'netlink_diag',
  // libcrc32c (nf_tables needs it) asks the crypto API for crc32c, which a guest without
  // modprobe cannot load on demand: the generic implementation first.
  'crc32c_generic', 'nf_tables', 'veth', 'tun',
];

const canonical = (name) => name.replace(/-/g, '_');
const moduleName = (file) => canonical(path.basename(file).replace(/\.ko(\.xz|\.zst|\.gz)?$/, ''));

/** name -> file (relative to the modules dir) for every .ko* file of the tree. */
function indexModules(modulesDir) {
  const index = new Map();
  const walk = (rel) => {
    for (const e of fs.readdirSync(path.join(modulesDir, rel), { withFileTypes: true })) {
      const r = path.join(rel, e.name);
      if (e.isDirectory()) walk(r);
      else if (/\.ko(\.xz|\.zst|\.gz)?$/.test(e.name)) index.set(moduleName(e.name), r);
    }
  };
  walk('kernel');
  return index;
}

function builtins(modulesDir) {
  const f = path.join(modulesDir, 'modules.builtin');
  if (!fs.existsSync(f)) return new Set();
  return new Set(fs.readFileSync(f, 'utf8').split('\n').filter(Boolean).map(moduleName));
}

function decompress(file) {
  const data = fs.readFileSync(file);
  if (file.endsWith('.gz')) return zlib.gunzipSync(data);
  if (!file.endsWith('.xz') && !file.endsWith('.zst')) return data;
  const cmd = file.endsWith('.xz') ? 'xz' : 'zstd';
  const r = spawnSync(cmd, ['-dc'], { input: data, maxBuffer: 1 << 28 });
  if (r.status !== 0) throw new MatrixError('MODULES', `${cmd} -dc ${file} failed: ${r.stderr}`, { path: file });
  return r.stdout;
}

/** The `depends=` list of a module's .modinfo. */
function dependsOf(ko) {
  const at = ko.indexOf('\0depends=');
  if (at === -1) return [];
  const start = at + '\0depends='.length;
  const list = ko.subarray(start, ko.indexOf(0, start)).toString();
  return list.split(',').filter(Boolean).map(canonical);
}

/** [{ name, data }] in load order for `wanted`, leaving out built-in and absent ones. */
function resolve(modulesDir, wanted) {
  const index = indexModules(modulesDir);
  const builtin = builtins(modulesDir);
  const order = [];
  const seen = new Set();
  const visit = (name, chain) => {
    if (seen.has(name) || builtin.has(name)) return;
    if (chain.includes(name)) throw new MatrixError('MODULES', `module dependency cycle: ${[...chain, name].join(' -> ')}`);
    const rel = index.get(name);
    if (!rel) return;
    const data = decompress(path.join(modulesDir, rel));
    for (const dep of dependsOf(data)) visit(dep, [...chain, name]);
    seen.add(name);
    order.push({ name, data });
  };
  for (const m of wanted) visit(canonical(m), []);
  return order;
}

/** Writes OUT (a cpio archive) with the modules of `kernel` that the guest loads. */
async function buildModulesArchive(kernel, outFile, wanted = GUEST_MODULES) {
  const stage = `${outFile}.d`;
  fs.rmSync(stage, { recursive: true, force: true });
  const dir = path.join(stage, 'usr', 'lib', 'modules', kernel.release, 'matrix');
  fs.mkdirSync(dir, { recursive: true });
  const mods = resolve(kernel.modules, wanted);
  const files = mods.map((m, i) => `${String(i).padStart(2, '0')}-${m.name}.ko`);
  mods.forEach((m, i) => fs.writeFileSync(path.join(dir, files[i]), m.data));
  fs.writeFileSync(path.join(dir, 'load.order'), files.map((f) => `${f}\n`).join(''));
  await packDir(stage, outFile);
  fs.rmSync(stage, { recursive: true, force: true });
  return mods.map((m) => m.name);
}

module.exports = { buildModulesArchive, resolve, dependsOf, GUEST_MODULES };
