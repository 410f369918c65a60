/**
 * --link-remap: the hard link made at dump is what restore opens the unlinked file through.
 * A dump that fails removes the links it made; a restore whose link is gone fails naming it and
 * leaves no process; with the link back, restore gives the task the very same inode and removes
 * the link.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { becomeSubreaper, defaultAmberBin, loadTests } from '../../zdtm/runner';
import * as amber from '../../zdtm/runner/amber';
import { startTest, stopTest, testFiles } from '../../zdtm/runner/program';
import { waitPidsFree } from '../../zdtm/runner/reaper';

const isRoot = process.getuid?.() === 0;
// The test holds DIR/file_unlinked_link_remap.data (deleted), still linked as ...other.
const victim = loadTests().find((t) => t.name === 'file_unlinked_link_remap');
const ready = isRoot && victim !== undefined && fs.existsSync(victim.programFile) && fs.existsSync(defaultAmberBin);

const links = (dir: string) => fs.readdirSync(dir).filter((n) => n.startsWith('link_remap.'));

describe.skipIf(!ready)('--link-remap', () => {
  let pid = 0;
  let files: ReturnType<typeof testFiles>;
  const base = fs.mkdtempSync('/tmp/amber-linkremap-');
  const images = path.join(base, 'img');
  const call = (dir: string) => ({ bin: defaultAmberBin, dir, timeoutMs: 30_000 });

  beforeAll(async () => {
    becomeSubreaper();
    files = testFiles(base, victim!.name);
    pid = await startTest(victim!, files, 10_000);
  });

  it('a failed dump leaves no link behind and the tree running', async () => {
    process.env.AMBER_FAULT = 'dump:write-images';
    try {
      const r = await amber.dump(call(path.join(base, 'failed')), pid, { leaveRunning: false, extra: ['--link-remap'] });
      expect(r.code).not.toBe(0);
    } finally {
      delete process.env.AMBER_FAULT;
    }
    expect(links(base)).toEqual([]);
    expect(fs.existsSync(`/proc/${pid}`)).toBe(true);
  });

  it('dumps through a hard link, without a ghost copy', async () => {
    const ino = fs.statSync(path.join(base, 'file_unlinked_link_remap.other')).ino;
    expect((await amber.dump(call(images), pid, { leaveRunning: false, extra: ['--link-remap'] })).code).toBe(0);
    expect(await waitPidsFree([pid], 5_000)).toEqual([]);
    const made = links(base);
    expect(made).toHaveLength(1);
    expect(fs.statSync(path.join(base, made[0])).ino).toBe(ino);
    expect(fs.readdirSync(images).filter((n) => n.startsWith('ghost-file-'))).toEqual([]);
  });

  it('refuses to restore when the link is gone, naming it, and leaves no process', async () => {
    const [link] = links(base);
    fs.renameSync(path.join(base, link), path.join(base, 'moved-away'));
    try {
      const r = await amber.restore(call(images), path.join(base, 'r.pid'), []);
      expect(r.code).not.toBe(0);
      expect(fs.readFileSync(r.output, 'utf8')).toContain(link);
      expect(await waitPidsFree([pid], 5_000)).toEqual([]);
    } finally {
      fs.renameSync(path.join(base, 'moved-away'), path.join(base, link));
    }
  });

  it('restores the same inode, removes the link, and the test passes', async () => {
    const r = await amber.restore(call(images), path.join(base, 'r.pid'), []);
    expect(r.code).toBe(0);
    expect(links(base)).toEqual([]);
    await stopTest(pid, files, 10_000);
    fs.rmSync(base, { recursive: true, force: true });
  });
});
