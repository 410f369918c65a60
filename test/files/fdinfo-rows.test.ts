// Refuse, never drop: every fd kind has an fdinfo table, and a row it does not list is refused.
import { describe, expect, it } from 'vitest';
import { FILE_KINDS } from '../../src/files/registry';
import { FDINFO_ROWS, refuseUnknownFdinfo } from '../../src/files/fdinfo-rows';
import { parseFdinfo } from '../../src/proc/fdinfo';
import type { OpenFd } from '../../src/files/types';

const fd = (text: string): OpenFd => ({ pid: 1, fd: 3, link: 'anon_inode:[eventfd]', info: parseFdinfo(text), stat: {} as OpenFd['stat'] });

describe('fdinfo rows', () => {
  it('has a table for every fd kind of the registry', () => {
    expect(FILE_KINDS.map((k) => k.name).filter((n) => !(n in FDINFO_ROWS))).toEqual([]);
  });
  it('accepts the rows it knows and refuses one it does not', () => {
    const base = 'pos:\t0\nflags:\t02\nmnt_id:\t15\nino:\t1057\n';
    expect(() => refuseUnknownFdinfo(fd(`${base}eventfd-count:                0\neventfd-id: 4\neventfd-semaphore: 0\n`), 'eventfd')).not.toThrow();
    expect(() => refuseUnknownFdinfo(fd(`${base}eventfd-count: 0\neventfd-shiny-new: 1\n`), 'eventfd')).toThrow(/eventfd-shiny-new/);
    expect(() => refuseUnknownFdinfo(fd(`${base}inotify wd:1 ino:2 sdev:3 mask:4 ignored_mask:0\n`), 'inotify')).not.toThrow();
    expect(() => refuseUnknownFdinfo(fd(`${base}tfd: 5 events: 1\n`), 'eventfd')).toThrow(/tfd/);
  });
});
