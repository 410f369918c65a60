'use strict';
// Unit tests of the matrix's pure parts: `node --test scripts/matrix/test/`.
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const zlib = require('node:zlib');
const { spawnSync } = require('node:child_process');

const { parseSources } = require('../mirrors');
const { parseArgs, runnerArgs } = require('../options');
const { unpackKernel } = require('../extract-vmlinux');
const { dependsOf, resolve } = require('../guest-modules');
const { buildMatrix, mergeMatrices, textTable } = require('../matrix-report');
const { selectKernels } = require('../kernels');
const { suiteScript } = require('../suite-script');
const { checkVerdict } = require('../results');
const { MatrixUsageError } = require('../errors');

test('mirrors: deb822 and one-line sources, disabled stanzas and non-deb types left out', () => {
  const deb822 = [
    'Types: deb\nURIs: http://mirror.example/debian\nSuites: bookworm bookworm-updates\nComponents: main',
    'Types: deb\nURIs: http://mirror.example/debian-security\nSuites: bookworm-security\nComponents: main',
    'Types: deb-src\nURIs: http://src.example/debian\nSuites: bookworm',
    'Enabled: no\nTypes: deb\nURIs: http://off.example/debian\nSuites: bookworm',
  ].join('\n\n');
  assert.deepEqual(parseSources('x.sources', deb822), [
    { uri: 'http://mirror.example/debian', suites: ['bookworm', 'bookworm-updates'] },
    { uri: 'http://mirror.example/debian-security', suites: ['bookworm-security'] },
  ]);
  const list = '# comment\ndeb [signed-by=/k.gpg] http://a.example/debian trixie main\ndeb-src http://b.example/debian trixie main\n';
  assert.deepEqual(parseSources('x.list', list), [{ uri: 'http://a.example/debian', suites: ['trixie'] }]);
});

test('options: -t takes names up to the next option; selections exclude each other', () => {
  const o = parseArgs(['-t', 'a', 'b', '-k', '6.1,6.12', '-x', 'pipe', '--report', '/r']);
  assert.deepEqual(o.test, ['a', 'b']);
  assert.deepEqual(o.kernels, ['6.1', '6.12']);
  assert.equal(o.timeoutMs, 20 * 60 * 1000);
  assert.deepEqual(runnerArgs(o, { kind: 'qemu' }), ['-t', 'a', 'b', '-x', 'pipe', '--timeout', '120']);
  assert.deepEqual(runnerArgs(parseArgs([]), { kind: 'host' }), ['-a']);
  assert.throws(() => parseArgs(['--quick', '-t', 'a']), MatrixUsageError);
  assert.throws(() => parseArgs(['--bogus']), MatrixUsageError);
  assert.throws(() => parseArgs(['--accel', 'hvf']), MatrixUsageError);
  assert.equal(parseArgs(['--timeout=5']).timeoutMs, 5 * 60 * 1000);
});

test('kernels: ids from the list, SUITE:PACKAGE for any other', () => {
  assert.deepEqual(selectKernels([]).map((k) => k.id), ['host', '5.10', '6.1', '6.12']);
  const k = selectKernels(['bookworm:linux-image-6.12.107+deb12-amd64'])[0];
  assert.equal(k.suite, 'bookworm');
  assert.equal(k.package, 'linux-image-6.12.107+deb12-amd64');
  assert.equal(k.arch, 'amd64');
  assert.equal(selectKernels(['trixie:linux-image-arm64'])[0].arch, 'arm64');
  assert.throws(() => selectKernels(['4.19']), MatrixUsageError);
});

function fakeElf(size = 4096) {
  const b = Buffer.alloc(size, 0x90);
  Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1]).copy(b);
  return b;
}

test('extract-vmlinux: finds a gzip payload between a header and trailing bytes', () => {
  const elf = fakeElf();
  const image = Buffer.concat([Buffer.alloc(1000, 0x11), zlib.gzipSync(elf), Buffer.alloc(300, 0x22)]);
  const found = unpackKernel(image);
  assert.equal(found.format, 'gzip');
  assert.equal(found.offset, 1000);
  assert.ok(found.data.equals(elf));
});

test('extract-vmlinux: xz payload; an image without a kernel gives null', { skip: spawnSync('xz', ['--version']).error ? 'no xz' : false }, () => {
  const elf = fakeElf();
  const xz = spawnSync('xz', ['-c'], { input: elf }).stdout;
  const found = unpackKernel(Buffer.concat([Buffer.alloc(517, 0x01), xz, Buffer.alloc(64)]));
  assert.equal(found.format, 'xz');
  assert.ok(found.data.equals(elf));
  assert.equal(unpackKernel(Buffer.alloc(8192, 0x33)), null);
});

test('guest-modules: dependencies first, built-ins and unknown names left out, .ko.gz decompressed', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'matrix-mods-'));
  const mod = (rel, deps) => {
    fs.mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    const body = Buffer.from(`\x7fELF...\0license=GPL\0depends=${deps}\0vermagic=x\0`);
    fs.writeFileSync(path.join(dir, rel), rel.endsWith('.gz') ? zlib.gzipSync(body) : body);
  };
  mod('kernel/fs/9p/9p.ko', '9pnet,netfs');
  mod('kernel/net/9p/9pnet.ko', '');
  mod('kernel/net/9p/9pnet_virtio.ko.gz', '9pnet,virtio_ring');
  mod('kernel/fs/netfs/netfs.ko', '');
  fs.writeFileSync(path.join(dir, 'modules.builtin'), 'kernel/drivers/virtio/virtio_ring.ko\n');
  assert.deepEqual(dependsOf(Buffer.from('x\0depends=a-b,c\0')), ['a_b', 'c']);
  const order = resolve(dir, ['9pnet_virtio', '9p', 'not_there']).map((m) => m.name);
  assert.deepEqual(order, ['9pnet', '9pnet_virtio', 'netfs', '9p']);
  fs.rmSync(dir, { recursive: true });
});

const run = (release, tests, extra = {}) => ({
  release,
  header: `${release} (x)`,
  kind: 'qemu',
  check: { ok: true, summary: 'Looks good.', missing: [] },
  summary: tests && { passed: tests.filter((t) => t.result === 'pass').length, failed: 0, skipped: 0, tests },
  ...extra,
});

test('matrix-report: one column per kernel, one note per distinct reason (PIDs folded)', () => {
  const m = buildMatrix([
    run('6.1', [
      { name: 'a', flavor: 'h', result: 'pass', reason: '' },
      { name: 'b', flavor: 'h', result: 'fail', reason: 'dump failed', detail: 'Error: task 12 EIO' },
    ]),
    run('5.10', [
      { name: 'a', flavor: 'h', result: 'skip', reason: 'feature x missing' },
      { name: 'b', flavor: 'h', result: 'fail', reason: 'dump failed', detail: 'Error: task 99 EIO' },
    ]),
    run('6.12', null, { error: 'the guest did not finish (timed out)' }),
  ]);
  assert.deepEqual(m.kernels, ['6.1', '5.10', '6.12']);
  assert.deepEqual(m.results.a['5.10'], { result: 'skip', reason: 'feature x missing' });
  assert.equal(m.results.b['6.12'].result, 'fail');
  assert.match(m.results.b['6.12'].reason, /kernel run failed: the guest did not finish/);
  const text = textTable(m);
  assert.match(text, /^b\s+FAIL \[3\]\s+FAIL \[3\]\s+FAIL \[2\]$/m);
  assert.match(text, /^\[3\] dump failed: Error: task N EIO$/m);
  assert.match(text, /did not run/);
});

test('matrix-report: merge keeps every kernel, renaming repeats', () => {
  const one = buildMatrix([run('6.1', [{ name: 'a', flavor: 'h', result: 'pass' }])]);
  const merged = mergeMatrices([one, one]);
  assert.deepEqual(merged.kernels, ['6.1', '6.1 #2']);
  assert.equal(merged.results.a['6.1 #2'].result, 'pass');
});

test('suite-script: arguments quoted for sh, the report goes to $IO', () => {
  const s = suiteScript(['-t', "it's", '--quick']);
  assert.match(s, /run --keep-going '-t' 'it'\\''s' '--quick' --report "\$IO\/report"/);
  assert.match(s, /bin\/amber check > "\$IO\/check.txt"/);
});

test('results: amber check verdicts', () => {
  assert.deepEqual(checkVerdict('Looks good.', 0), { ok: true, summary: 'Looks good.', missing: [] });
  assert.equal(checkVerdict('Warn: x\nLooks good.', 0).ok, true);
  assert.deepEqual(checkVerdict('Missing: rseq', 1).missing, ['Missing: rseq']);
  assert.equal(checkVerdict(null, null).summary, 'not run');
});
