import * as fs from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { FileRegistry, openFdOf } from '../../src/files/fd-table';
import { native } from '../../src/native';

const opened: number[] = [];
const keep = (fd: number) => (opened.push(fd), fd);
afterAll(() => opened.forEach((fd) => fs.closeSync(fd)));

/** The id each fd gets from one registry, in order: a new one per open file description. */
function ids(fds: number[]): number[] {
  const reg = new FileRegistry();
  let next = 1;
  return fds.map((fd) => {
    const slot = reg.lookup(openFdOf(process.pid, fd));
    if (slot.id !== undefined) return slot.id;
    slot.add(next);
    return next++;
  });
}

describe('FileRegistry: one id per open file description', () => {
  it('eventfds share one anonymous inode: told apart (eventfd-id), a dup found', () => {
    const a = keep(native.eventfd(0, 0)), b = keep(native.eventfd(0, 0)), c = keep(native.eventfd(0, 0));
    const dupB = keep(native.fcntl(b, 1030 /* F_DUPFD_CLOEXEC */, 0));
    expect(ids([a, b, c, dupB])).toEqual([1, 2, 3, 2]);
  });

  it('opens of one file: each its own, unless dup\'ed, whatever the access mode or close-on-exec', () => {
    const r1 = keep(fs.openSync('/dev/null', 'r')), r2 = keep(fs.openSync('/dev/null', 'r')), w = keep(fs.openSync('/dev/null', 'w'));
    const dupR1 = keep(native.fcntl(r1, 1030, 0)), dupW = keep(native.fcntl(w, 0 /* F_DUPFD */, 0));
    expect(ids([r1, r2, w, dupR1, dupW])).toEqual([1, 2, 3, 1, 3]);
  });

  it('a dup whose offset moved with its twin is still the same description', () => {
    const f = keep(fs.openSync('/proc/self/exe', 'r'));
    const d = keep(native.fcntl(f, 0, 0));
    const other = keep(fs.openSync('/proc/self/exe', 'r'));
    fs.readSync(f, Buffer.alloc(100), 0, 100, null);
    expect(ids([f, other, d])).toEqual([1, 2, 1]);
  });
});
