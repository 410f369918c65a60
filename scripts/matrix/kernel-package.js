'use strict';
/**
 * A Debian kernel, ready to boot: the image package of a suite's linux-image-ARCH metapackage
 * (or a named package) is downloaded, unpacked once into the cache, and its vmlinux extracted:
 *   CACHE/kernels/PKG_VERSION/{vmlinuz, vmlinux, config, modules/, kernel.json}
 */
const fs = require('node:fs');
const path = require('node:path');
const { run } = require('./exec');
const { MatrixError } = require('./errors');
const { extractVmlinux } = require('./extract-vmlinux');
const log = require('./log').createLog('kernel');

/** The concrete image package behind spec.package (a metapackage is followed one level). */
async function resolvePackage(apt, name) {
  if (/^linux-image-\d/.test(name)) return name;
  const deps = (await apt.depends(name)).filter((d) => /^linux-image-\d/.test(d));
  if (deps.length === 0) throw new MatrixError('KERNEL', `${name} in ${apt.suite} depends on no linux-image-N package`);
  return deps[0];
}

function findRelease(root) {
  for (const dir of ['lib/modules', 'usr/lib/modules']) {
    const d = path.join(root, dir);
    if (!fs.existsSync(d)) continue;
    const rels = fs.readdirSync(d);
    if (rels.length === 1) return { release: rels[0], modules: path.join(d, rels[0]) };
  }
  throw new MatrixError('KERNEL', `no single /lib/modules/RELEASE in the package unpacked at ${root}`);
}

/** Boot image name by architecture: bzImage-style vmlinuz on x86, vmlinuz (Image.gz) on arm64. */
function findImage(root, release) {
  const boot = path.join(root, 'boot');
  const name = fs.readdirSync(boot).find((f) => f === `vmlinuz-${release}` || f === `vmlinux-${release}`);
  if (!name) throw new MatrixError('KERNEL', `no /boot/vmlinuz-${release} in the package`);
  return path.join(boot, name);
}

/**
 * Returns { release, package, version, dir, vmlinuz, vmlinux, modules, config } for a kernel
 * spec { suite, arch, package }, downloading and unpacking it when not cached yet.
 */
async function fetchKernel(apt, spec, cacheDir) {
  const pkg = await resolvePackage(apt, spec.package);
  const version = await apt.candidate(pkg);
  if (!version) throw new MatrixError('KERNEL', `${apt.suite}/${apt.arch} has no ${pkg}`);
  const dir = path.join(cacheDir, 'kernels', `${pkg}_${version}_${apt.arch}`);
  const meta = path.join(dir, 'kernel.json');
  if (fs.existsSync(meta)) return JSON.parse(fs.readFileSync(meta, 'utf8'));

  const deb = await apt.download(pkg, path.join(cacheDir, 'debs'));
  const tmp = `${dir}.tmp`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(path.join(tmp, 'root'), { recursive: true });
  log.info(`unpacking ${path.basename(deb)}`);
  await run(['dpkg-deb', '-x', deb, path.join(tmp, 'root')]);
  const { release, modules } = findRelease(path.join(tmp, 'root'));
  const image = findImage(path.join(tmp, 'root'), release);
  fs.renameSync(image, path.join(tmp, 'vmlinuz'));
  fs.renameSync(modules, path.join(tmp, 'modules'));
  const config = path.join(tmp, 'root', 'boot', `config-${release}`);
  if (fs.existsSync(config)) fs.renameSync(config, path.join(tmp, 'config'));
  fs.rmSync(path.join(tmp, 'root'), { recursive: true, force: true });
  const format = extractVmlinux(path.join(tmp, 'vmlinuz'), path.join(tmp, 'vmlinux'));
  log.info(`${release}: ${format === 'none' ? 'the image is not compressed' : `vmlinux unpacked (${format})`}`);

  const info = {
    release,
    package: pkg,
    version,
    suite: apt.suite,
    arch: apt.arch,
    dir,
    vmlinuz: path.join(dir, 'vmlinuz'),
    vmlinux: path.join(dir, 'vmlinux'),
    modules: path.join(dir, 'modules'),
    config: path.join(dir, 'config'),
  };
  fs.writeFileSync(path.join(tmp, 'kernel.json'), `${JSON.stringify(info, null, 2)}\n`);
  fs.rmSync(dir, { recursive: true, force: true });
  fs.renameSync(tmp, dir);
  return info;
}

module.exports = { fetchKernel, resolvePackage };
