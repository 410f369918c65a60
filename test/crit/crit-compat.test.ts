/**
 * amber crit against Debian's crit 3.17 on the same images: the JSON of
 * decode (plain and --pretty) and show --nopl, the failure on pages-*.img,
 * decode/encode round trips to the same bytes, and the x explorers.
 *
 * Images: the samples of every kind amber writes (test/images/samples.ts),
 * and the dump directories of a few zdtm tests run here with amber (when the
 * zdtm programs are built and we may ptrace). Skipped without /usr/bin/crit.
 * Fields crit 3.17 does not know (amber's own, numbered from 1000, and
 * CRIU's newer ones) are taken out of amber's JSON before comparing.
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import * as protobuf from 'protobufjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_KIND_NAMES, writeImage } from '../../src/images';
import { messageType } from '../../src/images/schema';
import { critMain } from '../../src/crit/cli';
import { critKind } from '../../src/crit/codec';
import { crit317Knows } from '../../src/crit/formats';
import { type JsonObject, type JsonValue, parse, stringify } from '../../src/crit/json';
import { CRIT_317_SAMPLES, SAMPLES, fown, mm, regFile, skOpts } from '../images/samples';

const CRIT = '/usr/bin/crit';
const ROOT = path.resolve(__dirname, '../..');
const ZDTM_RUNNER = path.join(ROOT, 'dist/zdtm/runner/main.js');
const skip = !fs.existsSync(CRIT);
const ZDTM_TESTS = ['pipe_held', 'unix_stream_pair', 'file_offsets', 'tcp_established_v4', 'file_unlinked_shared', 'memfd_held', 'pty_queued_data',
  'seccomp_filters', 'timerfd_held', 'eventfd_counter', 'inotify_held', 'signalfd_held', 'udp_queue', 'tree_sessions_pgids', 'unix_abstract_listen',
  'memfd_mapped_shared', 'shm_anon_shared_fork', 'file_shared_map', 'fifo_named', 'thread_futex_wait', 'tcp_established_v6'];

interface Run { status: number; stdout: Buffer; stderr: string }

/** Runs many crit command lines in one Python process (test/crit/crit_batch.py). */
function critBatch(runs: string[][]): Promise<Run[]> {
  return new Promise((resolve, reject) => {
    const child = spawn('/usr/bin/python3', [path.join(__dirname, 'crit_batch.py')], { stdio: ['pipe', 'pipe', 'inherit'] });
    const out: Buffer[] = [];
    child.stdout.on('data', (d: Buffer) => out.push(d));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`crit_batch.py exited ${code}`));
      const res = JSON.parse(Buffer.concat(out).toString()) as { status: number; stdout: string; stderr: string }[];
      resolve(res.map((r) => ({ status: r.status, stdout: Buffer.from(r.stdout, 'base64'), stderr: r.stderr })));
    });
    child.stdin.end(JSON.stringify(runs));
  });
}

const critRuns = new Map<string, Run>();
async function critAll(runs: string[][]): Promise<void> {
  const todo = runs.filter((a) => !critRuns.has(a.join('\0')));
  const res = await critBatch(todo);
  todo.forEach((a, i) => critRuns.set(a.join('\0'), res[i]));
}
function crit(args: string[]): Run {
  const r = critRuns.get(args.join('\0'));
  if (!r) throw new Error(`crit ${args.join(' ')} was not run`);
  return r;
}

function amber(args: string[], input: Buffer = Buffer.alloc(0)): Run {
  const out: Buffer[] = [];
  let err = '';
  const status = critMain(args, {
    stdout: (d) => out.push(Buffer.isBuffer(d) ? d : Buffer.from(d)),
    stderr: (t) => {
      err += t;
    },
    stdin: () => input,
  });
  return { status, stdout: Buffer.concat(out), stderr: err };
}

/** Takes out of amber's JSON the fields crit 3.17 does not know; the names taken out. */
function stripUnknown(type: protobuf.Type, obj: JsonObject, where: string, removed: string[]): void {
  for (const key of Object.keys(obj)) {
    const field = type.fields[key];
    if (!field) continue; // "extra"
    // amber's own enum values (numbered from 1000) are unknown to crit, which then drops the field.
    const ownEnum = field.resolvedType instanceof protobuf.Enum && typeof obj[key] === 'string' && (field.resolvedType.values[obj[key] as string] ?? 0) >= 1000;
    if (!crit317Knows(type.name, key, field.id) || ownEnum) {
      delete obj[key];
      removed.push(`${where}.${key}`);
      continue;
    }
    if (field.resolvedType instanceof protobuf.Type) {
      const sub = field.resolvedType;
      const v = obj[key];
      if (Array.isArray(v)) v.forEach((x, i) => stripUnknown(sub, x as JsonObject, `${where}.${key}[${i}]`, removed));
      else stripUnknown(sub, v as JsonObject, `${where}.${key}`, removed);
    }
  }
}

function stripImage(json: JsonValue): string[] {
  const img = json as { magic: string; entries: JsonObject[] };
  const kind = critKind(img.magic)!;
  const removed: string[] = [];
  img.entries.forEach((e, i) => {
    const typeName = i === 0 && kind.head ? kind.head : img.magic === 'GHOST_FILE' && i > 0 ? 'ghost_chunk_entry' : kind.message;
    stripUnknown(messageType(typeName), e, `entries[${i}]`, removed);
  });
  return removed;
}

let work: string;
const imageDirs: string[] = [];
let zdtmNote = '';
let runDir: string | undefined;

/** Values at the edges of crit's pretty forms: leftover flag bits, unnamed values, odd socket names, IPv6, devices. */
function writeEdges(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  const names = ['\0abstract', '/tmp/a b ', `${'x='.repeat(60)}.`, '.', 'tab\there\nnext line \n', '\r\nwin\r\n', ''].map((n) => Buffer.from(n, 'latin1'));
  names.push(Buffer.from([0x80, 0xff, 0x3d, 0x20, 0x09]), Buffer.from('\0' + 'y'.repeat(107)));
  writeImage(dir, 'unixsk.img', 'UNIXSK', names.map((name, i) => ({ id: 20 + i, ino: 9000 + i, type: [1, 2, 5, 4][i % 4], state: [1, 7, 10, 12][i % 4], flags: 0o4002, uflags: i, backlog: 5, peer: i ? 9000 : 0, fown, opts: skOpts, name })));
  const v6 = (...w: number[]) => w.map((x) => ((x & 0xff) << 24 | (x & 0xff00) << 8 | (x >>> 8) & 0xff00 | x >>> 24) >>> 0);
  const addrs = [v6(0, 0, 0, 1), v6(0xfe800000, 0, 0, 0x10002), v6(0, 0, 0xffff, 0x7f000001), v6(0x20010db8, 0, 0x8, 0x800200c), v6(0, 0, 0, 0), v6(0x10000, 0x1, 0, 0x1)];
  writeImage(dir, 'inetsk.img', 'INETSK', addrs.map((a, i) => ({ id: 40 + i, ino: 7000 + i, family: i === 5 ? 3 : 10, type: [1, 2, 3, 99][i % 4], proto: [6, 17, 136, 255][i % 4], state: [1, 10, 7, 42][i % 4], src_port: 80, dst_port: i, flags: 0x802, backlog: 0, src_addr: a, dst_addr: i % 2 ? a : [], fown, opts: skOpts })));
  writeImage(dir, 'ghost-file-1.img', 'GHOST_FILE', [
    { uid: 0, gid: 0, mode: 0o20620, dev: (259 << 20) | 0xfffff, ino: 1n, rdev: (70000 & 0xff) | ((259 & 0xfff) << 8) | ((70000 & ~0xff) << 12), chunks: true, size: 3n },
    { len: 3n, off: 0n, extra: Buffer.from('abc') },
  ]);
  const vmas = [
    { ...mm.vmas[0], prot: 0xf, flags: 0x40122, status: 0x80003fef },
    { ...mm.vmas[1], prot: 0, flags: 0x1, status: 0, madv: 0n, fdflags: 0o2 },
  ];
  writeImage(dir, 'mm-1.img', 'MM', [{ ...mm, vmas }]);
  writeImage(dir, 'pagemap-1.img', 'PAGEMAP', [{ pages_id: 3 }, { vaddr: 0n, nr_pages: 1, flags: 0x17 }, { vaddr: 0xfffffffffffff000n, nr_pages: 1, flags: 0 }]);
  writeImage(dir, 'reg-files.img', 'REG_FILES', [{ ...regFile, flags: 0o12345677 }, { ...regFile, id: 8, flags: 0 }]);
}

function writeSamples(dir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const kind of IMAGE_KIND_NAMES) writeImage(dir, `${kind.toLowerCase()}.img`, kind, (CRIT_317_SAMPLES[kind] ?? SAMPLES[kind]));
}

function runZdtm(): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [ZDTM_RUNNER, 'run', '-t', ...ZDTM_TESTS, '--iters', '1', '-k', '--keep-workdirs'], { cwd: ROOT });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('error', (e) => resolve({ stdout, stderr: stderr + String(e) }));
    child.on('close', () => resolve({ stdout, stderr }));
  });
}

const isPages = (f: string) => /\/pages-\d+\.img$/.test(f);
const DECODES = (file: string) => [['decode', '-i', file], ['decode', '--pretty', '-i', file], ['show', file, '--nopl']];
const EXPLORE = ['ps', 'fds', 'mems', 'rss'];
const critJson = (file: string, pretty: boolean) => path.join(work, 'crit-json', `${file.replace(/\//g, '_')}${pretty ? '.pretty' : ''}.json`);
const critImg = (file: string, pretty: boolean) => path.join(work, 'crit-written', `${file.replace(/\//g, '_')}${pretty ? '.pretty' : ''}.img`);

beforeAll(async () => {
  if (skip) return;
  work = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-crit-compat-'));
  writeSamples(path.join(work, 'samples'));
  writeEdges(path.join(work, 'edges'));
  imageDirs.push(path.join(work, 'samples'), path.join(work, 'edges'));
  // A ghost file as CRIU's older dumps have it: no chunks, the contents to the end of the file.
  const crafted = path.join(work, 'crafted');
  fs.mkdirSync(crafted);
  const ghost = { magic: 'GHOST_FILE', entries: [{ uid: 1, gid: 2, mode: 33188, dev: '8:1', ino: 99, rdev: '136:5', extra: Buffer.from('old-style ghost\n'.repeat(9)).toString('base64') }] };
  fs.writeFileSync(path.join(crafted, 'ghost.json'), JSON.stringify(ghost));
  const crafts = [['encode', '-i', path.join(crafted, 'ghost.json'), '-o', path.join(crafted, 'ghost-file-2.img')]];
  // The per-type images older CRIU wrote (signalfd.img, ...), from the members of the sample files.img.
  const older: Record<string, string> = { sgfd: 'SIGNALFD', tfd: 'TIMERFD', ify: 'INOTIFY_FILE', ffy: 'FANOTIFY_FILE', nlsk: 'NETLINK_SK', psk: 'PACKETSK' };
  const sampleFiles = (parse(amber(['decode', '--pretty', '-i', path.join(work, 'samples', 'files.img')]).stdout.toString()) as { entries: JsonObject[] }).entries;
  for (const [member, magic] of Object.entries(older)) {
    const entries = sampleFiles.filter((f) => member in f).map((f) => f[member]);
    if (entries.length === 0) continue;
    const json = path.join(crafted, `${member}.json`);
    fs.writeFileSync(json, stringify({ magic, entries }, 4));
    crafts.push(['encode', '-i', json, '-o', path.join(crafted, `${magic.toLowerCase()}.img`)]);
  }
  // A kind amber has no messages for.
  fs.writeFileSync(path.join(crafted, 'utsns.json'), JSON.stringify({ magic: 'UTSNS', entries: [{ nodename: 'n', domainname: 'd' }] }));
  crafts.push(['encode', '-i', path.join(crafted, 'utsns.json'), '-o', path.join(work, 'utsns.img')]);
  await critAll(crafts);
  for (const f of fs.readdirSync(crafted).filter((x) => x.endsWith('.json'))) fs.rmSync(path.join(crafted, f));
  expect(fs.readdirSync(crafted).length).toBeGreaterThan(3);
  imageDirs.push(crafted);
  if (!fs.existsSync(ZDTM_RUNNER)) zdtmNote = 'zdtm runner not built';
  else {
    const r = await runZdtm();
    const m = /work dir (\S+)/.exec(r.stdout);
    if (!m) zdtmNote = `zdtm run failed: ${r.stderr}`;
    else {
      runDir = m[1];
      let made = 0;
      for (const t of ZDTM_TESTS) {
        const d = path.join(runDir, `${t}.h`, 'img-1');
        if (fs.existsSync(path.join(d, 'pstree.img'))) {
          imageDirs.push(d);
          made++;
        }
      }
      // Without root (ptrace, fixed PIDs) the dumps fail: the tests then run on the samples.
      if (made < ZDTM_TESTS.length / 2) zdtmNote = `only ${made} of ${ZDTM_TESTS.length} zdtm tests left a dump: ${r.stdout.slice(-800)}`;
    }
  }
  // More dump directories to compare on, from the environment (colon-separated).
  for (const d of (process.env.AMBER_CRIT_IMAGE_DIRS ?? '').split(':').filter(Boolean)) imageDirs.push(path.resolve(d));
  const files = imageDirs.flatMap(images);
  const runs: string[][] = [];
  for (const f of files.filter((x) => !isPages(x))) runs.push(...DECODES(f));
  for (const f of files.filter(isPages).slice(0, 3)) runs.push(['show', f], ['decode', '-i', f]);
  for (const d of imageDirs.filter((x) => !/\/(samples|edges|crafted)$/.test(x))) for (const w of EXPLORE) runs.push(['x', d, w]);
  await critAll(runs);
  // crit encode of crit's own decode, plain and pretty.
  fs.mkdirSync(path.join(work, 'crit-json'));
  fs.mkdirSync(path.join(work, 'crit-written'));
  const encodes: string[][] = [];
  for (const f of files.filter((x) => !isPages(x))) {
    for (const pretty of [false, true]) {
      fs.writeFileSync(critJson(f, pretty), crit(pretty ? ['decode', '--pretty', '-i', f] : ['decode', '-i', f]).stdout);
      encodes.push(['encode', '-i', critJson(f, pretty), '-o', critImg(f, pretty)]);
    }
  }
  await critAll(encodes);
}, 300_000);

afterAll(() => {
  if (process.env.AMBER_CRIT_KEEP) return console.warn(`amber crit test images kept in ${work} and ${runDir}`);
  if (runDir) fs.rmSync(runDir, { recursive: true, force: true });
  if (work) fs.rmSync(work, { recursive: true, force: true });
});

const images = (dir: string) => fs.readdirSync(dir).filter((f) => f.endsWith('.img')).sort().map((f) => path.join(dir, f));

describe.skipIf(skip)('amber crit decodes as crit 3.17 does', () => {
  it('has image directories of several zdtm tests', () => {
    if (zdtmNote) console.warn(`amber crit tests run on samples only: ${zdtmNote}`);
    expect(imageDirs.length).toBeGreaterThan(zdtmNote ? 2 : 12);
  });

  it('decode, decode --pretty and show --nopl give crit\'s JSON', () => {
    let compared = 0;
    let sameText = 0;
    const bad: string[] = [];
    for (const dir of imageDirs) {
      for (const file of images(dir)) {
        if (isPages(file)) continue;
        for (const args of DECODES(file)) {
          const theirs = crit(args);
          const ours = amber(args);
          const what = `${args.join(' ')}`;
          if (ours.status !== theirs.status) {
            bad.push(`${what}: exit ${ours.status}, crit ${theirs.status} ${ours.stderr} ${theirs.stderr}`);
            continue;
          }
          if (theirs.status !== 0) continue;
          compared++;
          if (ours.stdout.equals(theirs.stdout)) {
            sameText++;
            continue;
          }
          const mine = parse(ours.stdout.toString());
          const removed = stripImage(mine);
          if (removed.length === 0) bad.push(`${what}: texts differ, yet amber prints no field crit lacks`);
          else if (!isDeepStrictEqual(mine, parse(theirs.stdout.toString()))) {
            try {
              expect(mine).toEqual(parse(theirs.stdout.toString()));
            } catch (e) {
              bad.push(`${what}: ${(e as Error).message.slice(0, 2000)}`);
            }
          }
        }
      }
    }
    expect(bad).toEqual([]);
    expect(compared).toBeGreaterThan(30);
    expect(sameText).toBeGreaterThan(0);
  });

  it('names the CRIU kinds amber has no messages for', () => {
    const r = amber(['show', path.join(work, 'utsns.img')]);
    expect([r.status, r.stderr]).toEqual([1, "amber crit: amber has no messages for CRIU's UTSNS images (magic 0x54473203)\n"]);
  });

  it('fails on pages-*.img as crit does', () => {
    const pages = imageDirs.flatMap(images).filter(isPages).slice(0, 3);
    if (pages.length === 0) return;
    for (const file of pages) {
      for (const args of [['show', file], ['decode', '-i', file]]) {
        const theirs = crit(args);
        const ours = amber(args);
        expect(ours.status).toBe(1);
        expect(ours.status).toBe(theirs.status);
        expect(ours.stderr).toBe(theirs.stderr);
        expect(ours.stdout.length).toBe(0);
      }
    }
  });
});

describe.skipIf(skip)('amber crit encode', () => {
  it('gives back the same bytes after decode, plain and --pretty, for every image', () => {
    let n = 0;
    const bad: string[] = [];
    for (const dir of imageDirs) {
      for (const file of images(dir)) {
        if (isPages(file)) continue;
        const bytes = fs.readFileSync(file);
        for (const pretty of [false, true]) {
          const json = amber(['decode', ...(pretty ? ['--pretty'] : []), '-i', file]);
          const back = amber(['encode'], json.stdout);
          if (json.status !== 0 || back.status !== 0 || !back.stdout.equals(bytes)) bad.push(`${file} (pretty ${pretty}): ${json.stderr}${back.stderr}`);
          n++;
        }
      }
    }
    expect(bad).toEqual([]);
    expect(n).toBeGreaterThan(30);
  });

  it('reads crit\'s JSON as crit encode does, and round-trips images crit wrote', () => {
    let n = 0;
    const bad: string[] = [];
    const critCannot: string[] = [];
    for (const dir of imageDirs) {
      for (const file of images(dir)) {
        if (isPages(file)) continue;
        for (const pretty of [false, true]) {
          const enc = crit(['encode', '-i', critJson(file, pretty), '-o', critImg(file, pretty)]);
          if (enc.status !== 0) {
            // crit's JSON lacks what crit dropped (an amber-own enum value of a required field).
            critCannot.push(`${file}: ${enc.stderr.trim().split('\n').pop()}`);
            continue;
          }
          const critBytes = fs.readFileSync(critImg(file, pretty));
          // amber's encode of crit's JSON is crit's encode of it.
          const ours = amber(['encode', '-i', critJson(file, pretty)]);
          if (ours.status !== 0 || !ours.stdout.equals(critBytes)) bad.push(`encode of crit's JSON of ${file} (pretty ${pretty}): ${ours.stderr}`);
          // And amber's decode of what crit wrote encodes back to it.
          const again = amber(['decode', ...(pretty ? ['--pretty'] : []), '-i', critImg(file, pretty)]);
          if (!amber(['encode'], again.stdout).stdout.equals(critBytes)) bad.push(`round trip of ${critImg(file, pretty)}`);
          n++;
        }
      }
    }
    expect(bad).toEqual([]);
    expect(critCannot.every((c) => /missing required fields/.test(c)), critCannot.join('\n')).toBe(true);
    expect(n).toBeGreaterThan(30);
  });
});

describe.skipIf(skip)('amber crit x', () => {
  for (const what of EXPLORE) {
    it(`x DIR ${what} prints what crit x prints`, () => {
      let same = 0;
      const bad: string[] = [];
      for (const dir of imageDirs) {
        if (/\/(samples|edges|crafted)$/.test(dir)) continue;
        const theirs = crit(['x', dir, what]);
        const ours = amber(['x', dir, what]);
        const o = ours.stdout.toString();
        const t = theirs.stdout.toString();
        if (theirs.status === 0) {
          if (ours.status !== 0 || o !== t) bad.push(`${dir} ${what}: exit ${ours.status} ${ours.stderr}\n--- amber\n${o}--- crit\n${t}`);
          else same++;
        } else if (!o.startsWith(t)) {
          // crit stopped with an error; amber gets at least as far (it knows its own enum values).
          bad.push(`${dir} ${what}: crit failed (${theirs.stderr.trim().split('\n').pop()}), amber printed other lines:\n${o}`);
        } else if (ours.status === 0 && !/KeyError/.test(theirs.stderr)) {
          bad.push(`${dir} ${what}: crit failed (${theirs.stderr.trim().split('\n').pop()}) but amber did not`);
        }
      }
      expect(bad).toEqual([]);
      if (!zdtmNote) expect(same).toBeGreaterThan(5);
    });
  }
});
