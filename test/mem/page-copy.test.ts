import { spawn, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyFileToTask, copyTaskToFile } from '../../src/mem/page-copy';

const PAGE = 4096;
let child: ChildProcess;
let dir: string;
let stack: { start: bigint; end: bigint };

function readMem(pid: number, addr: bigint, len: number): Buffer {
  const fd = fs.openSync(`/proc/${pid}/mem`, 'r');
  try {
    const b = Buffer.alloc(len);
    expect(fs.readSync(fd, b, 0, len, Number(addr))).toBe(len);
    return b;
  } finally {
    fs.closeSync(fd);
  }
}

beforeAll(async () => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-pagecopy-'));
  child = spawn('sleep', ['300'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 100));
  const line = fs.readFileSync(`/proc/${child.pid}/maps`, 'utf8').split('\n').find((l) => l.endsWith('[stack]'))!;
  const [s, e] = line.split(' ')[0].split('-').map((x) => BigInt(`0x${x}`));
  stack = { start: s, end: e };
});
afterAll(() => {
  child.kill('SIGKILL');
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('bulk page copies (native/pagecopy.cc)', () => {
  it('copies scattered task pages to their file offsets, from several threads, both ways', () => {
    const pid = child.pid!;
    const pages = Number((stack.end - stack.start) / BigInt(PAGE));
    expect(pages).toBeGreaterThanOrEqual(8);
    // The lowest pages of the stack are below any frame of `sleep`: free to write.
    const pattern = Buffer.alloc(4 * PAGE);
    for (let i = 0; i < pattern.length; i++) pattern[i] = (i * 7 + 3) & 0xff;
    const src = path.join(dir, 'src.img');
    fs.writeFileSync(src, pattern);
    const fd = fs.openSync(src, 'r');
    // Pages 0, 2, 3 of the stack from file pages 3, 0, 1 (out of order, one run of two).
    copyFileToTask(pid, fd, [
      { addr: stack.start, len: PAGE, fileOffset: 3 * PAGE },
      { addr: stack.start + BigInt(2 * PAGE), len: 2 * PAGE, fileOffset: 0 },
    ], undefined, 3);
    fs.closeSync(fd);
    expect(readMem(pid, stack.start, PAGE).equals(pattern.subarray(3 * PAGE))).toBe(true);
    expect(readMem(pid, stack.start + BigInt(2 * PAGE), 2 * PAGE).equals(pattern.subarray(0, 2 * PAGE))).toBe(true);

    // Back out: the whole stack, one piece through /proc/PID/mem, into a file at an offset.
    const out = path.join(dir, 'out.img');
    const ofd = fs.openSync(out, 'w+');
    const memFd = fs.openSync(`/proc/${pid}/mem`, 'r');
    let reported = 0;
    copyTaskToFile(pid, memFd, ofd, [
      { addr: stack.start, len: 2 * PAGE, fileOffset: PAGE },
      { addr: stack.start + BigInt(2 * PAGE), len: (pages - 2) * PAGE, fileOffset: 3 * PAGE, viaMem: true },
    ], (n) => (reported += n), 2);
    fs.closeSync(memFd);
    fs.closeSync(ofd);
    const got = fs.readFileSync(out);
    expect(reported).toBe(pages * PAGE);
    expect(got.length).toBe((pages + 1) * PAGE);
    expect(got.subarray(PAGE).equals(readMem(pid, stack.start, pages * PAGE))).toBe(true);
  });

  it('names the address it could not read, and refuses a range past the end of the pages file', () => {
    const pid = child.pid!;
    const ofd = fs.openSync(path.join(dir, 'bad.img'), 'w+');
    expect(() => copyTaskToFile(pid, -1, ofd, [{ addr: 0x1000n, len: PAGE, fileOffset: 0 }])).toThrow(/process_vm_readv at 0x1000/);
    expect(() => copyTaskToFile(pid, -1, ofd, [{ addr: stack.start, len: PAGE, fileOffset: 100 }])).toThrow(RangeError);
    expect(() => copyTaskToFile(pid, -1, ofd, [{ addr: stack.start, len: PAGE, fileOffset: 0, viaMem: true }])).toThrow(/without memFd/);
    fs.writeSync(ofd, Buffer.alloc(PAGE), 0, PAGE, 0);
    expect(() => copyFileToTask(pid, ofd, [{ addr: stack.start, len: 2 * PAGE, fileOffset: 0 }])).toThrow(/past the end of the pages file/);
    fs.closeSync(ofd);
  });
});
