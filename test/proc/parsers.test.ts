import { describe, expect, it } from 'vitest';
import * as fs from 'node:fs';
import { parseMaps, parseMapsLine, parseSmaps } from '../../src/proc/maps';
import { parseStat } from '../../src/proc/stat';
import { parseStatus, statusHex, statusNumbers } from '../../src/proc/status';
import { parseFdinfo } from '../../src/proc/fdinfo';
import { scanPages } from '../../src/proc/pagemap';

describe('maps', () => {
  it('parses anonymous, file, deleted and special rows', () => {
    const m = parseMaps([
      '55d0c0a00000-55d0c0a21000 rw-p 00000000 00:00 0                          [heap]',
      '7f0000000000-7f0000001000 r-xs 00002000 fe:00 1234   /usr/lib/x (deleted)',
      '7ffd1000-7ffd2000 ---p 00000000 00:00 0 ',
    ].join('\n'));
    expect(m).toHaveLength(3);
    expect(m[0]).toMatchObject({ start: 0x55d0c0a00000n, end: 0x55d0c0a21000n, read: true, write: true, exec: false, shared: false, path: '[heap]', inode: 0 });
    expect(m[1]).toMatchObject({ shared: true, exec: true, offset: 0x2000n, dev: 'fe:00', inode: 1234, path: '/usr/lib/x (deleted)' });
    expect(m[2]).toMatchObject({ read: false, write: false, path: '' });
  });
  it('rejects garbage', () => {
    expect(() => parseMapsLine('hello')).toThrow(/unparsable maps line/);
  });
  it('reads VmFlags from smaps', () => {
    const s = parseSmaps('7ffd1000-7ffd2000 rw-p 00000000 00:00 0  [stack]\nRss: 4 kB\nVmFlags: rd wr mr mw me gd ac\n');
    expect(s[0].vmFlags?.has('gd')).toBe(true);
  });
  it('parses this process\'s own smaps', () => {
    const s = parseSmaps(fs.readFileSync('/proc/self/smaps', 'utf8'));
    expect(s.some((e) => e.path === '[stack]')).toBe(true);
    expect(s.every((e) => e.vmFlags !== undefined)).toBe(true);
  });
});

describe('stat', () => {
  it('handles a comm with spaces and parentheses', () => {
    const fields = Array.from({ length: 52 }, (_, i) => String(i + 1));
    fields[2] = 'S';
    const text = `42 (a) b (c)) ${fields.slice(2).join(' ')}`;
    const st = parseStat(text);
    expect(st.pid).toBe(42);
    expect(st.comm).toBe('a) b (c)');
    expect(st.state).toBe('S');
    expect(st.ppid).toBe(4);
    expect(st.startCode).toBe(26n);
    expect(st.envEnd).toBe(51n);
  });
  it('parses this process', () => {
    const st = parseStat(fs.readFileSync('/proc/self/stat', 'utf8'));
    expect(st.pid).toBe(process.pid);
    expect(st.startBrk > 0n).toBe(true);
  });
});

describe('status and fdinfo', () => {
  it('reads ids and capability masks', () => {
    const st = parseStatus('Name:\tx\nUid:\t1\t2\t3\t4\nGroups:\t\nCapEff:\t000001fffeffffff\n');
    expect(statusNumbers(st, 'Uid')).toEqual([1, 2, 3, 4]);
    expect(statusNumbers(st, 'Groups')).toEqual([]);
    expect(statusHex(st, 'CapEff')).toBe(0x1fffeffffffn);
    expect(() => statusNumbers(st, 'Gid')).toThrow(/lacks Gid/);
  });
  it('reads pos, octal flags and mnt_id', () => {
    const f = parseFdinfo('pos:\t4096\nflags:\t02102002\nmnt_id:\t27\nino:\t77\n');
    expect(f).toMatchObject({ pos: 4096n, flags: 0o2102002, mntId: 27, ino: 77 });
  });
});

describe('pagemap', () => {
  it('finds present pages of a touched buffer', () => {
    const buf = Buffer.alloc(64 * 4096, 1);
    const maps = parseMaps(fs.readFileSync('/proc/self/maps', 'utf8'));
    const heap = maps.find((m) => m.path === '[stack]')!;
    const fd = fs.openSync('/proc/self/pagemap', 'r');
    const { runs, scanned } = scanPages(fd, heap.start, heap.end, false);
    fs.closeSync(fd);
    expect(scanned).toBe(Number((heap.end - heap.start) / 4096n));
    expect(runs.length).toBeGreaterThan(0);
    expect(buf[0]).toBe(1);
  });
});
