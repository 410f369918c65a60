import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { readFdTable } from '../../src/proc/fd-table-read';

describe('readFdTable', () => {
  it('reads what Node fs reads of /proc/PID/fd and fdinfo, stat fields in the same encoding', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-fdtable-'));
    const file = fs.openSync(path.join(dir, 'f'), 'w+');
    fs.writeSync(file, 'abc');
    const nul = fs.openSync('/dev/null', 'r');
    try {
      const fds = [file, nul, 0];
      const rows = readFdTable(process.pid, fds);
      rows.forEach((r, i) => {
        const p = `/proc/self/fd/${fds[i]}`;
        const st = fs.statSync(p);
        expect(r.fd).toBe(fds[i]);
        expect(r.link).toBe(fs.readlinkSync(p));
        expect(r.fdinfo).toBe(fs.readFileSync(`/proc/self/fdinfo/${fds[i]}`, 'utf8'));
        for (const k of ['dev', 'ino', 'mode', 'nlink', 'uid', 'gid', 'rdev', 'size'] as const) expect(r.stat[k]).toBe(st[k]);
        for (const m of ['isFile', 'isDirectory', 'isCharacterDevice', 'isBlockDevice', 'isFIFO', 'isSocket'] as const) expect(r.stat[m]()).toBe(st[m]());
      });
      expect(rows[0].stat.size).toBe(3);
      expect(rows[0].fdinfo).toMatch(/^pos:\s+3$/m);
      expect(rows[1].stat.isCharacterDevice()).toBe(true);
    } finally {
      fs.closeSync(file);
      fs.closeSync(nul);
      fs.rmSync(dir, { recursive: true });
    }
  });

  it('names the fd and the step when an fd is not open', () => {
    const open = new Set(fs.readdirSync('/proc/self/fd').map(Number));
    let fd = 1000;
    while (open.has(fd)) fd++;
    expect(() => readFdTable(process.pid, [fd])).toThrow(new RegExp(`readlink /proc/PID/fd/FD failed: ENOENT \\(pid ${process.pid}, fd ${fd}\\)`));
  });
});
