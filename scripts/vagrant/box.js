'use strict';
/**
 * The local boxes: no box can be downloaded here, so each is built from Debian's packages.
 *   mmdebstrap (minbase + kernel, systemd, sshd, build tools) → the files and commands of
 *   recipe.js → the host's node, npm and node headers in /usr/local → `mke2fs -d` into a raw
 *   image (no loop device) → `qemu-img convert -c` to box.img → metadata.json + Vagrantfile
 *   (direct kernel boot of the rootfs's own kernel) → a .box → `vagrant box add`.
 *   CACHE/ssh/vagrant_ed25519{,.pub}        the vagrant user's key pair, made once
 *   CACHE/boxes/SUITE/recipe.json           the recipe of the box now in place (and its key)
 *   CACHE/boxes/SUITE/vmlinuz, initrd.img   what libvirt boots (the box's Vagrantfile names them)
 *   CACHE/boxes/SUITE/SUITE.box             the box, kept to add it again
 * A box is rebuilt only when its recipe's key changes, or when vagrant lost it.
 */
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { run } = require('../matrix/exec');
const { KEYRING } = require('../matrix/apt-suite');
const { lddLibs, removeTree: removeMatrixTree } = require('../matrix/rootfs');
const { VagrantError } = require('./errors');
const { recipe, recipeKey, boxVagrantfile, metadata, EXCLUDES } = require('./recipe');
const log = require('../matrix/log').createLog('box');

const BOX_PREFIX = 'amber';

const boxName = (vm) => `${BOX_PREFIX}/${vm.box}`;

/** A command run inside tree, with a root's PATH whatever this process was started with. */
const SYSTEM_PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';
const inTree = (tree, argv, opts = {}) => run(['chroot', tree, ...argv], { ...opts, env: { ...process.env, PATH: SYSTEM_PATH, LC_ALL: 'C' } });

/** Where vagrant keeps an added box (VAGRANT_HOME, else ~/.vagrant.d). */
function vagrantBoxDir(name) {
  const home = process.env.VAGRANT_HOME || path.join(os.homedir(), '.vagrant.d');
  return path.join(home, 'boxes', name.replace(/\//g, '-VAGRANTSLASH-'), '0', 'libvirt');
}

/** The vagrant user's ssh key pair, made once per cache. */
async function sshKey(cacheDir) {
  const dir = path.join(cacheDir, 'ssh');
  const key = path.join(dir, 'vagrant_ed25519');
  if (!fs.existsSync(key) || !fs.existsSync(`${key}.pub`)) {
    // the cache itself stays 0755: libvirt's qemu (user libvirt-qemu) reads the kernels in it
    fs.mkdirSync(cacheDir, { recursive: true, mode: 0o755 });
    fs.mkdirSync(dir, { mode: 0o700 });
    fs.rmSync(key, { force: true });
    fs.rmSync(`${key}.pub`, { force: true });
    await run(['ssh-keygen', '-q', '-t', 'ed25519', '-N', '', '-C', 'amber-vagrant', '-f', key]);
  }
  return { privateKey: key, publicKey: fs.readFileSync(`${key}.pub`, 'utf8').trim() };
}

/** The host's npm: the package directory behind `npm` on PATH. */
async function hostNpm() {
  const r = await run(['sh', '-c', 'command -v npm'], { check: false });
  if (r.code !== 0) return null;
  for (let dir = path.dirname(fs.realpathSync(r.stdout.trim())); dir !== path.dirname(dir); dir = path.dirname(dir)) {
    const pkg = path.join(dir, 'package.json');
    if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, 'utf8')).name === 'npm') {
      return { dir, version: JSON.parse(fs.readFileSync(pkg, 'utf8')).version };
    }
  }
  return null;
}

/** This machine's local CA certificates (update-ca-certificates' *.crt), by file name. */
function hostCas(dir = '/usr/local/share/ca-certificates') {
  const cas = {};
  if (!fs.existsSync(dir)) return cas;
  for (const f of fs.readdirSync(dir).sort()) if (f.endsWith('.crt')) cas[f] = fs.readFileSync(path.join(dir, f), 'utf8');
  return cas;
}

/** What the box of vm is made from, and where its files go. */
async function boxPlan(vm, { cacheDir, mirrors }) {
  const dir = path.join(cacheDir, 'boxes', vm.suite);
  const { privateKey, publicKey } = await sshKey(cacheDir);
  const st = fs.statSync(process.execPath);
  const npm = await hostNpm();
  if (!npm) throw new VagrantError('BOX', 'no npm on this machine to put into the box');
  const paths = { kernel: path.join(dir, 'vmlinuz'), initrd: path.join(dir, 'initrd.img'), privateKey };
  const r = recipe({
    suite: vm.suite,
    mirrors,
    publicKey,
    hostCas: hostCas(),
    node: { path: process.execPath, size: st.size, mtimeMs: st.mtimeMs, version: process.version },
    npm,
    paths,
  });
  return { vm, dir, name: boxName(vm), recipe: r, key: recipeKey(r), paths };
}

/** Is the box of plan in place: built from this recipe, in vagrant's store, its kernel there? */
function boxCurrent(plan) {
  const saved = path.join(plan.dir, 'recipe.json');
  if (!fs.existsSync(saved) || JSON.parse(fs.readFileSync(saved, 'utf8')).key !== plan.key) return false;
  if (!fs.existsSync(plan.paths.kernel) || !fs.existsSync(plan.paths.initrd)) return false;
  const added = path.join(vagrantBoxDir(plan.name), 'Vagrantfile');
  return fs.existsSync(added) && fs.readFileSync(added, 'utf8').includes(`(recipe ${plan.key})`);
}

/** Unmounts what an interrupted mmdebstrap left inside dir, then removes it (matrix/rootfs.js). */
const removeTree = (dir) => removeMatrixTree(dir, (message) => new VagrantError('BOX', message, { path: dir }));

async function debootstrap(plan, tree) {
  const { suite, mirrors, packages } = plan.recipe;
  const sources = ['', '-updates'].map((p) => `deb [signed-by=${KEYRING}] ${mirrors.debian} ${suite}${p} main`);
  sources.push(`deb [signed-by=${KEYRING}] ${mirrors.security} ${suite}-security main`);
  log.info(`${suite}: mmdebstrap (${packages.length} packages and what they need)`);
  await run([
    'mmdebstrap',
    '--mode=root',
    '--variant=minbase',
    '--architectures=amd64',
    `--include=${packages.join(',')}`,
    ...EXCLUDES.map((e) => `--dpkgopt=path-exclude=${e}`),
    suite,
    tree,
    ...sources,
  ]);
}

function writeFiles(tree, files, uidOf) {
  for (const [file, { text, mode, owner }] of Object.entries(files)) {
    const dest = path.join(tree, file);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.rmSync(dest, { force: true });
    fs.writeFileSync(dest, text, { mode: mode ?? 0o644 });
    fs.chmodSync(dest, mode ?? 0o644);
    if (owner) {
      const id = uidOf(owner);
      for (let d = dest; d.startsWith(path.join(tree, 'home', owner)); d = path.dirname(d)) fs.chownSync(d, id.uid, id.gid);
    }
  }
}

/** uid and gid of a user of the tree's /etc/passwd. */
function userIds(tree, name) {
  const line = fs.readFileSync(path.join(tree, 'etc/passwd'), 'utf8').split('\n').find((l) => l.startsWith(`${name}:`));
  if (!line) throw new VagrantError('BOX', `no user ${name} in ${tree}/etc/passwd`);
  const f = line.split(':');
  return { uid: Number(f[2]), gid: Number(f[3]) };
}

/**
 * Does tree have the library the host has at lib? Looked up by lstat (never through a symlink:
 * the tree's absolute links point into the host's root from here), under both the /lib and the
 * /usr/lib spelling, since bullseye is not usr-merged and keeps most libraries in /usr/lib only.
 */
function treeHasLib(tree, lib) {
  const spellings = [lib, lib.startsWith('/usr/') ? lib.slice(4) : `/usr${lib}`];
  return spellings.some((p) => {
    try {
      fs.lstatSync(path.join(tree, p));
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * The host's node (and the libraries ldd names that the tree lacks), npm and node's headers,
 * under /usr/local: Debian has no Node 20 before trixie, and NodeSource is out of reach here.
 */
async function addNode(tree, npm) {
  const bin = path.join(tree, 'usr/local/bin');
  fs.mkdirSync(bin, { recursive: true });
  fs.copyFileSync(process.execPath, path.join(bin, 'node'));
  fs.chmodSync(path.join(bin, 'node'), 0o755);
  for (const lib of await lddLibs(process.execPath)) {
    if (treeHasLib(tree, lib)) continue;
    const dest = path.join(tree, lib);
    log.warn(`the box lacks ${lib}: copying the host's`);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(fs.realpathSync(lib), dest);
  }
  const lib = path.join(tree, 'usr/local/lib/node_modules');
  fs.mkdirSync(lib, { recursive: true });
  await run(['cp', '-a', npm.dir, path.join(lib, 'npm')]);
  for (const [name, target] of [['npm', 'npm-cli.js'], ['npx', 'npx-cli.js']]) {
    fs.rmSync(path.join(bin, name), { force: true });
    fs.symlinkSync(`../lib/node_modules/npm/bin/${target}`, path.join(bin, name));
  }
  const headers = path.join(path.dirname(path.dirname(process.execPath)), 'include', 'node');
  if (fs.existsSync(headers)) {
    fs.mkdirSync(path.join(tree, 'usr/local/include'), { recursive: true });
    await run(['cp', '-a', headers, path.join(tree, 'usr/local/include/node')]);
  } else {
    log.warn(`no node headers in ${headers}: node-gyp in the guest would have to download them`);
  }
  // The guest's own libraries must do: this is what the VM will run.
  for (const argv of [['/usr/local/bin/node', '--version'], ['/usr/local/bin/npm', '--version']]) {
    const r = await inTree(tree, argv, { check: false });
    if (r.code !== 0) throw new VagrantError('BOX', `${argv.join(' ')} does not run in the box: ${r.stderr.trim() || `exit ${r.code}`}`);
    log.info(`in the box: ${path.basename(argv[0])} ${r.stdout.trim()}`);
  }
}

/** The rootfs's own kernel and initramfs (initramfs-tools made it with virtio_blk and ext4). */
function bootFiles(tree) {
  const boot = path.join(tree, 'boot');
  const pick = (prefix) => {
    const found = fs.readdirSync(boot).filter((f) => f.startsWith(prefix)).sort();
    if (found.length !== 1) throw new VagrantError('BOX', `expected one ${prefix}* in ${boot}, found ${found.length}`);
    return path.join(boot, found[0]);
  };
  return { kernel: pick('vmlinuz-'), initrd: pick('initrd.img-') };
}

/** Removes the libvirt volume vagrant-libvirt uploaded from an earlier box of that name. */
async function dropUploadedVolume(name) {
  const prefix = `${name.replace(/\//g, '-VAGRANTSLASH-')}_vagrant_box_image_`;
  const r = await run(['virsh', '-c', 'qemu:///system', 'vol-list', '--pool', 'default'], { check: false });
  if (r.code !== 0) return; // no pool yet: vagrant-libvirt makes it on the first `up`
  for (const line of r.stdout.split('\n')) {
    const vol = line.trim().split(/\s+/)[0];
    if (vol && vol.startsWith(prefix)) {
      log.info(`removing the libvirt volume ${vol} of the previous box`);
      await run(['virsh', '-c', 'qemu:///system', 'vol-delete', '--pool', 'default', vol]);
    }
  }
}

/** Builds the box of plan (see boxPlan) and adds it to vagrant; returns the seconds it took. */
async function buildBox(plan) {
  const started = Date.now();
  const work = path.join(plan.dir, 'work');
  await removeTree(work);
  fs.mkdirSync(work, { recursive: true });
  const tree = path.join(work, 'tree');
  await debootstrap(plan, tree);
  log.info(`${plan.vm.suite}: configuring the rootfs`);
  for (const argv of plan.recipe.users) await inTree(tree, argv);
  writeFiles(tree, plan.recipe.files, (name) => userIds(tree, name));
  // the guest's DNS: systemd-resolved's stub, fed by networkd's DHCP lease
  fs.rmSync(path.join(tree, 'etc/resolv.conf'), { force: true });
  fs.symlinkSync('../run/systemd/resolve/stub-resolv.conf', path.join(tree, 'etc/resolv.conf'));
  for (const argv of plan.recipe.commands) await inTree(tree, argv);
  await addNode(tree, plan.recipe.npm);
  for (const d of ['var/lib/apt/lists', 'var/cache/apt/archives']) {
    fs.rmSync(path.join(tree, d), { recursive: true, force: true });
    fs.mkdirSync(path.join(tree, d, 'partial'), { recursive: true });
  }
  const boot = bootFiles(tree);

  log.info(`${plan.vm.suite}: disk image (mke2fs -d, qemu-img convert -c)`);
  const raw = path.join(work, 'disk.raw');
  fs.closeSync(fs.openSync(raw, 'w'));
  fs.truncateSync(raw, plan.recipe.diskGiB * 1024 ** 3);
  await run(['mke2fs', '-q', '-F', '-t', 'ext4', '-L', 'root', '-d', tree, raw]);
  const boxDir = path.join(work, 'box');
  fs.mkdirSync(boxDir);
  await run(['qemu-img', 'convert', '-c', '-O', 'qcow2', raw, path.join(boxDir, 'box.img')]);
  fs.rmSync(raw);
  fs.writeFileSync(path.join(boxDir, 'metadata.json'), `${JSON.stringify(metadata())}\n`);
  fs.writeFileSync(path.join(boxDir, 'Vagrantfile'), boxVagrantfile({ suite: plan.vm.suite, key: plan.key, ...plan.paths }));
  // box.img is compressed already: a plain tar, which vagrant reads as well as a .tar.gz
  const boxFile = path.join(work, `${plan.vm.suite}.box`);
  await run(['tar', '-C', boxDir, '-cf', boxFile, 'metadata.json', 'Vagrantfile', 'box.img']);

  fs.copyFileSync(boot.kernel, plan.paths.kernel);
  fs.copyFileSync(boot.initrd, plan.paths.initrd);
  fs.renameSync(boxFile, path.join(plan.dir, `${plan.vm.suite}.box`));
  await addBox(plan);
  fs.writeFileSync(path.join(plan.dir, 'recipe.json'), `${JSON.stringify({ key: plan.key, recipe: plan.recipe }, null, 2)}\n`);
  await removeTree(work);
  return Math.round((Date.now() - started) / 1000);
}

async function addBox(plan) {
  log.info(`vagrant box add --name ${plan.name}`);
  await dropUploadedVolume(plan.name);
  await run(['vagrant', 'box', 'add', '--force', '--name', plan.name, path.join(plan.dir, `${plan.vm.suite}.box`)]);
}

/**
 * Makes sure the box of vm is in place; returns { name, built: seconds or null }. A box whose
 * recipe is current but that vagrant lost is added again from the kept .box file.
 */
async function ensureBox(vm, ctx, { rebuild = false } = {}) {
  const plan = await boxPlan(vm, ctx);
  if (!rebuild && boxCurrent(plan)) return { name: plan.name, built: null };
  const saved = path.join(plan.dir, 'recipe.json');
  const sameRecipe = fs.existsSync(saved) && JSON.parse(fs.readFileSync(saved, 'utf8')).key === plan.key;
  if (!rebuild && sameRecipe && fs.existsSync(path.join(plan.dir, `${vm.suite}.box`)) && fs.existsSync(plan.paths.kernel)) {
    await addBox(plan);
    return { name: plan.name, built: null };
  }
  log.info(`${vm.suite}: building the box ${plan.name} (recipe ${plan.key})`);
  fs.mkdirSync(plan.dir, { recursive: true });
  fs.rmSync(saved, { force: true }); // a half-made box is never taken for a current one
  const built = await buildBox(plan);
  log.info(`${vm.suite}: box ${plan.name} built in ${built} s`);
  return { name: plan.name, built };
}

module.exports = { ensureBox, boxName, BOX_PREFIX, vagrantBoxDir, SYSTEM_PATH };
