import { describe, expect, it } from 'vitest';
import { compareTrees, normalizeMaps } from '../../zdtm/runner/proc/compare';
import type { MapEntry } from '../../zdtm/runner/proc/parse';
import type { FdSnap, TaskSnap, TreeSnap } from '../../zdtm/runner/proc/snapshot';

const map = (start: string, end: string, perms = 'rw-p', offset = '00000000', inode = 0, path = ''): MapEntry => ({
  start, end, perms, offset, dev: inode ? 'fd:01' : '00:00', inode, path,
});

const fd = (n: number, link: string, extra: Partial<FdSnap> = {}): FdSnap => ({ fd: n, link, flags: 0o2, pos: 0, mntId: 20, ...extra });

function task(pid: number, over: Partial<TaskSnap> = {}): TaskSnap {
  return {
    pid, ppid: 1, pgid: 100, sid: 100, comm: 'test', state: 'S', tracerPid: 0, threads: [pid],
    fds: [fd(0, '/dev/null'), fd(3, 'pipe:[1000]'), fd(4, 'pipe:[1000]', { flags: 0o1 })],
    maps: [map('400000', '401000', 'r-xp', '00000000', 7, '/bin/t'), map('7f0000000000', '7f0000004000')],
    ...over,
  };
}

const tree = (...tasks: TaskSnap[]): TreeSnap => ({ root: tasks[0].pid, tasks });

describe('snapshot comparison', () => {
  it('finds nothing between equal trees, whatever the inode numbers of pipes', () => {
    const before = tree(task(100), task(101, { ppid: 100 }));
    const after = tree(
      task(100, { ppid: 555, fds: [fd(0, '/dev/null'), fd(3, 'pipe:[2000]'), fd(4, 'pipe:[2000]', { flags: 0o1 })] }),
      task(101, { ppid: 100, state: 'R', fds: [fd(0, '/dev/null'), fd(3, 'pipe:[2000]'), fd(4, 'pipe:[2000]', { flags: 0o1 })] }),
    );
    expect(compareTrees(before, after)).toEqual([]);
  });

  it('sees a broken sharing of one pipe between fds', () => {
    const before = tree(task(100));
    const after = tree(task(100, { fds: [fd(0, '/dev/null'), fd(3, 'pipe:[2000]'), fd(4, 'pipe:[2001]', { flags: 0o1 })] }));
    expect(compareTrees(before, after)).toEqual(['pid 100: fd 4: pipe:[#1] flags 01 pos 0 mnt 20 -> pipe:[#2] flags 01 pos 0 mnt 20']);
  });

  it('reports missing, new and changed fds, ignoring O_LARGEFILE', () => {
    const before = tree(task(100, { fds: [fd(0, '/dev/null'), fd(5, '/tmp/f', { pos: 10 }), fd(6, '/tmp/g')] }));
    const after = tree(task(100, { fds: [fd(0, '/dev/null', { flags: 0o100002 }), fd(5, '/tmp/f', { pos: 11 }), fd(7, 'socket:[9]')] }));
    expect(compareTrees(before, after)).toEqual([
      'pid 100: fd 5: /tmp/f flags 02 pos 10 mnt 20 -> /tmp/f flags 02 pos 11 mnt 20',
      'pid 100: fd 6 missing (was /tmp/g flags 02 pos 0 mnt 20)',
      'pid 100: fd 7 is new: socket:[#1] flags 02 pos 0 mnt 20',
    ]);
  });

  it('reports tasks missing and new, and changed ids, threads and comm', () => {
    const before = tree(task(100), task(101, { ppid: 100 }));
    const after = tree(task(100, { sid: 7, threads: [100, 103], comm: 'x' }), task(102, { ppid: 100 }));
    expect(compareTrees(before, after)).toEqual([
      'pid 100: sid 100 -> 7',
      'pid 100: comm test -> x',
      'pid 100: threads 100 -> 100,103',
      'pid 101 (test) missing',
      'pid 102 (test) is new',
    ]);
  });

  it('ignores the root parent but not the others', () => {
    const before = tree(task(100), task(101, { ppid: 100 }));
    const after = tree(task(100, { ppid: 2 }), task(101, { ppid: 1 }));
    expect(compareTrees(before, after)).toEqual(['pid 101: ppid 100 -> 1']);
  });

  it('reports tasks left stopped or traced', () => {
    const before = tree(task(100));
    const after = tree(task(100, { state: 't', tracerPid: 42 }));
    expect(compareTrees(before, after)).toEqual(['pid 100: left in a trace stop', 'pid 100: still traced by 42']);
    expect(compareTrees(before, tree(task(100, { state: 'T' })))).toEqual(['pid 100: left stopped']);
  });

  it('shows map differences as removed and added lines', () => {
    const before = tree(task(100));
    const after = tree(task(100, { maps: [map('400000', '401000', 'r-xp', '00000000', 7, '/bin/t'), map('7f0000000000', '7f0000004000', 'r--p')] }));
    expect(compareTrees(before, after)).toEqual([
      'pid 100: map - 7f0000000000-7f0000004000 rw-p - 00:00 0',
      'pid 100: map + 7f0000000000-7f0000004000 r--p - 00:00 0',
    ]);
  });

  it('merges kernel-split neighbours and ignores anonymous offsets', () => {
    const split = [map('1000', '2000', 'rw-p', '00000001'), map('2000', '3000', 'rw-p', '00000abc')];
    expect(normalizeMaps(split)).toEqual(['1000-3000 rw-p - 00:00 0']);
    const file = [map('1000', '2000', 'r--p', '00000000', 7, '/f'), map('2000', '3000', 'r--p', '00001000', 7, '/f')];
    expect(normalizeMaps(file)).toEqual(['1000-3000 r--p 00000000 fd:01 7 /f']);
    const notContiguous = [map('1000', '2000', 'r--p', '00000000', 7, '/f'), map('2000', '3000', 'r--p', '00005000', 7, '/f')];
    expect(normalizeMaps(notContiguous)).toHaveLength(2);
    const gap = [map('1000', '2000'), map('3000', '4000')];
    expect(normalizeMaps(gap)).toHaveLength(2);
  });

  it('caps a long list of differences', () => {
    const before = tree(task(100, { fds: Array.from({ length: 60 }, (_, i) => fd(i, `/f${i}`)) }));
    const after = tree(task(100, { fds: [] }));
    const diffs = compareTrees(before, after);
    expect(diffs).toHaveLength(41);
    expect(diffs[40]).toBe('... and 20 more');
  });
});
