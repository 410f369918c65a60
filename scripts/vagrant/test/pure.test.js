'use strict';
// Unit tests of `npm run vagrant`'s pure parts: `node --test scripts/vagrant/test/`.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const { parseArgs, matrixArgs, selectionOf } = require('../options');
const { VMS, selectVms } = require('../vms');
const { recipe, recipeKey, stableJson, boxVagrantfile, packagesFor, guestFiles } = require('../recipe');
const { outputLines, stepOf, stepDurations } = require('../vm');
const { VagrantUsageError } = require('../errors');

test('options: -k takes names up to the next option, commas too; -t and --quick pass through', () => {
  const o = parseArgs(['-k', '6.1,6.12', 'trixie', '-t', 'a', 'b', '--keep', '-x', 'pipe']);
  assert.deepEqual(o.vms, ['6.1', '6.12', 'trixie']);
  assert.deepEqual(o.test, ['a', 'b']);
  assert.equal(o.keep, true);
  assert.equal(o.driver, 'qemu');
  assert.equal(o.timeoutMs, 45 * 60 * 1000);
  assert.equal(matrixArgs(o), '-t a b -x pipe');
  assert.equal(selectionOf(o), '-t a b');
  const all = parseArgs([]);
  assert.equal(matrixArgs(all), '-a');
  assert.equal(all.timeoutMs, 120 * 60 * 1000);
  assert.equal(matrixArgs(parseArgs(['--quick', '--iters=3'])), '--quick --iters 3');
  assert.equal(parseArgs(['--timeout', '5']).timeoutMs, 5 * 60 * 1000);
  assert.equal(parseArgs(['--cache=/c']).cache, '/c');
});

test('options: a pattern the Vagrantfile pastes into sh is quoted', () => {
  assert.equal(matrixArgs(parseArgs(['-x', "a b'c"])), `-a -x 'a b'\\''c'`);
});

test('options: bad usage', () => {
  for (const argv of [['--quick', '-t', 'a'], ['--bogus'], ['-k'], ['--driver', 'xen'], ['--timeout', '0'], ['--keep=1'], ['--cache']]) {
    assert.throws(() => parseArgs(argv), VagrantUsageError, argv.join(' '));
  }
});

test('vms: by name, kernel or suite, in the Vagrantfile order, each once', () => {
  assert.deepEqual(selectVms([]).map((v) => v.name), ['debian11-5.10', 'debian12-6.1', 'debian13-6.12']);
  assert.deepEqual(selectVms(['trixie', '5.10', 'debian11-5.10']).map((v) => v.name), ['debian11-5.10', 'debian13-6.12']);
  assert.throws(() => selectVms(['4.19']), VagrantUsageError);
});

test('vms: the same list as the Vagrantfile', () => {
  const text = fs.readFileSync(path.join(__dirname, '..', '..', '..', 'Vagrantfile'), 'utf8');
  const defined = [...text.matchAll(/\{\s*name:\s*"([^"]+)",\s*box:\s*"([^"]+)"\s*\}/g)].map((m) => ({ name: m[1], box: m[2] }));
  assert.deepEqual(defined, VMS.map((v) => ({ name: v.name, box: v.box })));
});

const base = {
  suite: 'trixie',
  mirrors: { debian: 'http://deb.example/debian', security: 'http://deb.example/debian-security' },
  publicKey: 'ssh-ed25519 AAAA test',
  hostCas: {},
  node: { path: '/usr/bin/node', size: 100, mtimeMs: 1, version: 'v20.0.0' },
  npm: { dir: '/usr/lib/node_modules/npm', version: '10.0.0' },
  paths: { kernel: '/c/boxes/trixie/vmlinuz', initrd: '/c/boxes/trixie/initrd.img', privateKey: '/c/ssh/key' },
};

test('recipe: the key follows every input, not the order of keys', () => {
  const key = recipeKey(recipe(base));
  assert.match(key, /^[0-9a-f]{12}$/);
  assert.equal(recipeKey(recipe({ ...base })), key);
  assert.equal(stableJson({ b: 1, a: [1, { d: 2, c: 3 }] }), stableJson({ a: [1, { c: 3, d: 2 }], b: 1 }));
  const changed = [
    { suite: 'bookworm' },
    { publicKey: 'ssh-ed25519 BBBB test' },
    { hostCas: { 'proxy.crt': 'PEM' } },
    { node: { ...base.node, mtimeMs: 2 } },
    { npm: { ...base.npm, version: '10.0.1' } },
    { mirrors: { ...base.mirrors, debian: 'http://other.example/debian' } },
    { paths: { ...base.paths, kernel: '/elsewhere/vmlinuz' } },
  ];
  const keys = new Set([key, ...changed.map((c) => recipeKey(recipe({ ...base, ...c })))]);
  assert.equal(keys.size, changed.length + 1);
});

test('recipe: packages per suite, files for the vagrant user and the host CAs', () => {
  assert.ok(!packagesFor('bullseye').includes('criu'));
  assert.ok(packagesFor('bookworm').includes('systemd-resolved'));
  for (const s of ['bullseye', 'bookworm', 'trixie']) {
    for (const p of ['linux-image-amd64', 'openssh-server', 'sudo', 'rsync', 'nftables', 'build-essential']) assert.ok(packagesFor(s).includes(p), `${s}: ${p}`);
  }
  assert.throws(() => packagesFor('buster'));
  const files = guestFiles('ssh-ed25519 AAAA test', { 'proxy.crt': 'PEM' });
  assert.equal(files['/home/vagrant/.ssh/authorized_keys'].text, 'ssh-ed25519 AAAA test\n');
  assert.equal(files['/home/vagrant/.ssh/authorized_keys'].owner, 'vagrant');
  assert.equal(files['/etc/sudoers.d/vagrant'].mode, 0o440);
  assert.equal(files['/usr/local/share/ca-certificates/proxy.crt'].text, 'PEM');
  assert.match(files['/etc/systemd/network/50-dhcp.network'].text, /Name=en\* eth\*/);
});

test("recipe: the box's Vagrantfile boots the cached kernel and names its recipe", () => {
  const text = boxVagrantfile({ suite: 'trixie', key: 'abc123', ...base.paths });
  assert.match(text, /\(recipe abc123\)/);
  assert.match(text, /lv\.kernel = "\/c\/boxes\/trixie\/vmlinuz"/);
  assert.match(text, /lv\.initrd = "\/c\/boxes\/trixie\/initrd\.img"/);
  assert.match(text, /lv\.cmd_line = "root=\/dev\/vda rw console=ttyS0 net\.ifnames=0"/);
  assert.match(text, /config\.ssh\.private_key_path = "\/c\/ssh\/key"/);
  assert.match(text, /config\.ssh\.insert_key = false/);
});

test('vm: output lines without progress bars or colours; steps timed from their starts', () => {
  const text = '==> vm: Uploading base box image\n\x1b[KProgress: 0%\r\x1b[KProgress: 50%\r\x1b[0;32m==> vm: Starting domain.\x1b[0m\n\n';
  assert.deepEqual(outputLines(text), ['==> vm: Uploading base box image', '==> vm: Starting domain.']);
  assert.equal(stepOf('==> debian13-6.12: Running provisioner: setup (shell)...'), 'provision:setup');
  assert.equal(stepOf('==> debian13-6.12: Starting domain.'), 'boot');
  assert.equal(stepOf('    debian13-6.12: Running: inline script'), null);
  const steps = [{ step: 'boot', at: 1000 }, { step: 'boot', at: 5000 }, { step: 'provision:setup', at: 61000 }, { step: 'provision:zdtm', at: 121000 }];
  assert.deepEqual(stepDurations(steps, 181000), [
    { step: 'boot', s: 60 },
    { step: 'provision:setup', s: 60 },
    { step: 'provision:zdtm', s: 60 },
  ]);
});
