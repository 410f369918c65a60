'use strict';
/**
 * The guest's userland: a small Debian rootfs made by mmdebstrap (the host's own release, so the
 * host-compiled zdtm programs find the same glibc), plus this machine's node binary with the
 * libraries `ldd` says it needs, plus guest-init.sh as /init, packed as an uncompressed cpio
 * archive (the kernel unpacks it faster than it decompresses anything under TCG).
 *   CACHE/rootfs/SUITE-ARCH-KEY/tree/        mmdebstrap's output, made once
 *   CACHE/rootfs/SUITE-ARCH-KEY/rootfs-KEY2.cpio   tree + node + /init
 */
const crypto = require('node:crypto');
const fs = require('node:fs');
const path = require('node:path');
const { run } = require('./exec');
const { MatrixError } = require('./errors');
const { KEYRING } = require('./apt-suite');
const { packDir } = require('./cpio');
const log = require('./log').createLog('rootfs');

/** minbase (maintainer scripts run: the host's own architecture) gets these on top. */
const PACKAGES = ['kmod', 'mount', 'procps', 'iproute2', 'psmisc', 'nftables'];
/**
 * extract (packages only unpacked: another architecture, whose maintainer scripts this machine
 * cannot run without binfmt_misc) gets these, which work unconfigured.
 */
const EXTRACT_PACKAGES = ['base-files', 'dash', 'coreutils', 'mount', 'kmod', 'hostname', 'iproute2', 'procps'];
const EXCLUDES = ['/usr/share/doc/*', '/usr/share/man/*', '/usr/share/info/*', '/usr/share/locale/*', '/usr/share/lintian/*'];
const INIT = path.join(__dirname, 'guest-init.sh');

const hash = (...parts) => crypto.createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 12);

/**
 * Removes a tree that an interrupted mmdebstrap may have left with /proc, /sys or /dev mounted
 * inside: unmount those first, and never recurse into a mount. `refuse` makes the caller's error
 * (the Vagrant boxes use it too).
 */
async function removeTree(dir, refuse = (message) => new MatrixError('ROOTFS', message)) {
  const mounts = () =>
    fs
      .readFileSync('/proc/mounts', 'utf8')
      .split('\n')
      .map((l) => (l.split(' ')[1] || '').replace(/\\040/g, ' '))
      .filter((m) => m.startsWith(`${dir}/`));
  for (const m of mounts().sort().reverse()) await run(['umount', '-l', m], { check: false });
  if (mounts().length > 0) throw refuse(`${dir} still has mounts inside: not removing it`);
  fs.rmSync(dir, { recursive: true, force: true });
}

async function debootstrap(spec, mirrors, tree) {
  const tmp = `${tree}.tmp`;
  await removeTree(tmp);
  fs.mkdirSync(path.dirname(tmp), { recursive: true });
  const sources = ['', '-updates'].map((p) => `deb [signed-by=${KEYRING}] ${mirrors.debian} ${spec.suite}${p} main`);
  sources.push(`deb [signed-by=${KEYRING}] ${mirrors.security} ${spec.suite}-security main`);
  const variant = spec.variant || 'minbase';
  log.info(`mmdebstrap ${spec.suite} ${spec.arch} ${variant} (once; cached)`);
  await run([
    'mmdebstrap',
    '--mode=root',
    `--variant=${variant}`,
    `--architectures=${spec.arch}`,
    `--include=${packagesOf(spec).join(',')}`,
    ...EXCLUDES.map((e) => `--dpkgopt=path-exclude=${e}`),
    '--skip=cleanup/apt/lists', // removed below together with the rest
    spec.suite,
    tmp,
    ...sources,
  ]);
  for (const d of ['var/lib/apt/lists', 'var/cache/apt', 'var/cache/debconf', 'var/log']) {
    fs.rmSync(path.join(tmp, d), { recursive: true, force: true });
    fs.mkdirSync(path.join(tmp, d), { recursive: true });
  }
  if (variant === 'extract') finishExtracted(tmp);
  fs.renameSync(tmp, tree);
}

const packagesOf = (spec) => [...(spec.variant === 'extract' ? EXTRACT_PACKAGES : PACKAGES), ...(spec.packages || [])];

/** What maintainer scripts and usrmerge would have done, as far as /init and node need it. */
function finishExtracted(tree) {
  for (const d of ['bin', 'sbin', 'lib']) {
    if (!fs.existsSync(path.join(tree, d))) fs.symlinkSync(`usr/${d}`, path.join(tree, d));
  }
  for (const d of ['proc', 'sys', 'dev', 'run', 'tmp', 'root', 'mnt']) fs.mkdirSync(path.join(tree, d), { recursive: true });
  const passwd = path.join(tree, 'etc/passwd');
  if (!fs.existsSync(passwd)) fs.writeFileSync(passwd, 'root:x:0:0:root:/root:/bin/sh\n');
  const group = path.join(tree, 'etc/group');
  if (!fs.existsSync(group)) fs.writeFileSync(group, 'root:x:0:\n');
}

/** Paths of the shared libraries `binary` loads, as `ldd` resolves them on this machine. */
async function lddLibs(binary) {
  const r = await run(['ldd', binary]);
  return r.stdout
    .split('\n')
    .map((l) => /(\/\S+)\s+\(0x/.exec(l))
    .filter(Boolean)
    .map((m) => m[1]);
}

/** Copies `file` into tree at the same path unless a file is already there. */
function copyIn(tree, file) {
  const dest = path.join(tree, file);
  if (fs.existsSync(dest)) return false;
  fs.mkdirSync(path.dirname(dest), { recursive: true });
  fs.copyFileSync(fs.realpathSync(file), dest);
  fs.chmodSync(dest, 0o755);
  return true;
}

/**
 * Returns the path of the rootfs archive for spec { suite, arch, node } (node: a binary of this
 * machine to put in as /usr/bin/node, or null when spec.packages brings Debian's nodejs).
 */
async function buildRootfs(spec, mirrors, cacheDir) {
  const base = path.join(cacheDir, 'rootfs', `${spec.suite}-${spec.arch}-${hash(spec.variant || 'minbase', ...packagesOf(spec), ...EXCLUDES)}`);
  const tree = path.join(base, 'tree');
  if (!fs.existsSync(tree)) {
    await debootstrap(spec, mirrors, tree);
    for (const old of fs.readdirSync(path.dirname(base))) {
      const dir = path.join(path.dirname(base), old);
      if (old.startsWith(`${spec.suite}-${spec.arch}-`) && dir !== base) await removeTree(dir);
    }
  }
  const init = fs.readFileSync(INIT);
  const nodeStat = spec.node ? fs.statSync(spec.node) : null;
  const key = hash(init.toString(), spec.node || '-', nodeStat ? `${nodeStat.size}:${nodeStat.mtimeMs}` : '-');
  const out = path.join(base, `rootfs-${key}.cpio`);
  if (fs.existsSync(out)) return out;

  const stage = path.join(base, 'stage');
  await removeTree(stage);
  await run(['cp', '-a', tree, stage]);
  if (spec.node) {
    fs.copyFileSync(spec.node, path.join(stage, 'usr/bin/node'));
    fs.chmodSync(path.join(stage, 'usr/bin/node'), 0o755);
    for (const lib of await lddLibs(spec.node)) if (copyIn(stage, lib)) log.info(`added ${lib} for node`);
  }
  if (!fs.existsSync(path.join(stage, 'usr/bin/node'))) throw new MatrixError('ROOTFS', 'the rootfs has no node');
  fs.writeFileSync(path.join(stage, 'init'), init, { mode: 0o755 });
  log.info(`packing ${path.relative(cacheDir, out)}`);
  await packDir(stage, out);
  fs.rmSync(stage, { recursive: true, force: true });
  for (const f of fs.readdirSync(base)) if (/^rootfs-.*\.cpio$/.test(f) && path.join(base, f) !== out) fs.rmSync(path.join(base, f));
  return out;
}

module.exports = { buildRootfs, lddLibs, removeTree };
