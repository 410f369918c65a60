import { describe, expect, it } from 'vitest';
import { parseChildren, parseFdinfo, parseMaps, parseStat, statusField } from '../../zdtm/runner/proc/parse';

describe('/proc parsers', () => {
  it('reads stat with spaces and parentheses in comm', () => {
    const s = parseStat('4242 (a (b) c) S 1 4242 4240 0 -1 4194560 100 0 0 0 0 0 0 0 20 0 1 0 123 0\n');
    expect(s).toEqual({ pid: 4242, comm: 'a (b) c', state: 'S', ppid: 1, pgid: 4242, sid: 4240 });
  });

  it('reads status fields', () => {
    const text = 'Name:\tcat\nState:\tS (sleeping)\nTracerPid:\t77\nThreads:\t3\n';
    expect(statusField(text, 'TracerPid')).toBe('77');
    expect(statusField(text, 'Threads')).toBe('3');
    expect(statusField(text, 'Nope')).toBeUndefined();
  });

  it('reads fdinfo pos, octal flags and mnt_id', () => {
    const info = parseFdinfo('pos:\t4096\nflags:\t0100002\nmnt_id:\t25\nino:\t1234\n');
    expect(info).toEqual({ pos: 4096, flags: 0o100002, mntId: 25 });
  });

  it('reads maps with and without paths', () => {
    const maps = parseMaps(
      [
        '55d0c0a00000-55d0c0a02000 r--p 00000000 fd:01 1312   /usr/bin/cat',
        '7ffd1c000000-7ffd1c021000 rw-p 00000000 00:00 0                          [stack]',
        '7f0000000000-7f0000001000 rw-p 00000000 00:00 0 ',
        '7f0000002000-7f0000003000 rw-s 00000000 00:01 99   /memfd:x (deleted)',
        '',
      ].join('\n'),
    );
    expect(maps).toHaveLength(4);
    expect(maps[0]).toEqual({ start: '55d0c0a00000', end: '55d0c0a02000', perms: 'r--p', offset: '00000000', dev: 'fd:01', inode: 1312, path: '/usr/bin/cat' });
    expect(maps[1].path).toBe('[stack]');
    expect(maps[2].path).toBe('');
    expect(maps[3].path).toBe('/memfd:x (deleted)');
    expect(() => parseMaps('garbage')).toThrow(/bad maps line/);
  });

  it('reads a children list', () => {
    expect(parseChildren('12 34 \n')).toEqual([12, 34]);
    expect(parseChildren('')).toEqual([]);
  });
});
