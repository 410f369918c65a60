/**
 * A path that no longer names the file that was dumped: restore must fail naming the file and
 * what differs (size or mode), and leave no process behind; once the file is as it was, the
 * same images restore and the test passes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { becomeSubreaper, defaultAmberBin, loadTests } from '../../zdtm/runner';
import * as amber from '../../zdtm/runner/amber';
import { startTest, stopTest, testFiles } from '../../zdtm/runner/program';
import { waitPidsFree } from '../../zdtm/runner/reaper';

const isRoot = process.getuid?.() === 0;
// file_flags holds, among others, DIR/file_flags.noatime open read-only (16 KiB, mode 0644).
const victim = loadTests().find((t) => t.name === 'file_flags');
const ready = isRoot && victim !== undefined && fs.existsSync(victim.programFile) && fs.existsSync(defaultAmberBin);

describe.skipIf(!ready)('restore of a file that changed since the dump', () => {
  let pid = 0;
  let files: ReturnType<typeof testFiles>;
  const base = fs.mkdtempSync('/tmp/amber-changed-');
  const images = path.join(base, 'img');
  const held = path.join(base, 'file_flags.noatime');
  let original: Buffer;

  beforeAll(async () => {
    becomeSubreaper();
    files = testFiles(base, victim!.name);
    pid = await startTest(victim!, files, 10_000);
    original = fs.readFileSync(held);
    expect((await amber.dump({ bin: defaultAmberBin, dir: images, timeoutMs: 30_000 }, pid, { leaveRunning: false, extra: [] })).code).toBe(0);
    expect(await waitPidsFree([pid], 5_000)).toEqual([]);
  });

  const refused = async (expectMsg: RegExp) => {
    const r = await amber.restore({ bin: defaultAmberBin, dir: images, timeoutMs: 30_000 }, path.join(base, 'r.pid'), []);
    expect(r.code).not.toBe(0);
    const out = fs.readFileSync(r.output, 'utf8');
    expect(out).toContain(held);
    expect(out).toMatch(expectMsg);
    expect(await waitPidsFree([pid], 5_000)).toEqual([]);
  };

  it('refuses a file that was truncated', async () => {
    fs.truncateSync(held, 100);
    try {
      await refused(/its size is 100 bytes, at dump it was 16384 bytes/);
    } finally {
      fs.writeFileSync(held, original);
    }
  });

  it('refuses a file whose path now names another file of another mode', async () => {
    fs.renameSync(held, `${held}.saved`);
    fs.writeFileSync(held, original, { mode: 0o600 });
    fs.chmodSync(held, 0o600);
    try {
      await refused(/its mode is 0100600, at dump it was 0100644/);
    } finally {
      fs.renameSync(`${held}.saved`, held);
    }
  });

  it('restores once the file is as it was, and the test passes', async () => {
    const r = await amber.restore({ bin: defaultAmberBin, dir: images, timeoutMs: 30_000 }, path.join(base, 'r.pid'), []);
    expect(r.code).toBe(0);
    await stopTest(pid, files, 10_000);
    fs.rmSync(base, { recursive: true, force: true });
  });
});

// shm_file_shared_fork maps DIR/shm_file_shared_fork.map (64 KiB) in two tasks, with no fd left.
const mapper = loadTests().find((t) => t.name === 'shm_file_shared_fork');
const mapperReady = isRoot && mapper !== undefined && fs.existsSync(mapper.programFile) && fs.existsSync(defaultAmberBin);

describe.skipIf(!mapperReady)('restore of a mapped file that changed since the dump', () => {
  let pids: number[] = [];
  let pid = 0;
  let files: ReturnType<typeof testFiles>;
  const base = fs.mkdtempSync('/tmp/amber-changed-map-');
  const images = path.join(base, 'img');
  const mapped = path.join(base, 'shm_file_shared_fork.map');

  beforeAll(async () => {
    becomeSubreaper();
    files = testFiles(base, mapper!.name);
    pid = await startTest(mapper!, files, 10_000);
    const children = fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    pids = [pid, ...children];
    expect((await amber.dump({ bin: defaultAmberBin, dir: images, timeoutMs: 30_000 }, pid, { leaveRunning: false, extra: [] })).code).toBe(0);
    expect(await waitPidsFree(pids, 5_000)).toEqual([]);
  });

  it('refuses a mapped file that grew, naming it, and leaves no process', async () => {
    const size = fs.statSync(mapped).size;
    fs.truncateSync(mapped, size + 4096);
    try {
      const r = await amber.restore({ bin: defaultAmberBin, dir: images, timeoutMs: 30_000 }, path.join(base, 'r.pid'), []);
      expect(r.code).not.toBe(0);
      const out = fs.readFileSync(r.output, 'utf8');
      expect(out).toContain(mapped);
      expect(out).toMatch(new RegExp(`the mapped file's size is ${size + 4096} bytes, at dump it was ${size} bytes`));
      expect(await waitPidsFree(pids, 5_000)).toEqual([]);
    } finally {
      fs.truncateSync(mapped, size);
    }
  });

  it('restores once the file is as it was, and the test passes', async () => {
    const r = await amber.restore({ bin: defaultAmberBin, dir: images, timeoutMs: 30_000 }, path.join(base, 'r.pid'), []);
    expect(r.code).toBe(0);
    await stopTest(pid, files, 10_000);
    fs.rmSync(base, { recursive: true, force: true });
  });
});
