/**
 * inotify, fanotify and pidfd kinds without a checkpoint: the facts they rest on (an O_PATH
 * open by file handle notifies no one, INOTIFY_IOC_SETNEXTWD gives the wd asked for, a pidfd of
 * an ended child keeps its status) and a dump -> open round trip of the restorer's own fds.
 * Imports the build (dist/), as the native addon loads only from there.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { native } from '../../dist/src/native';
import { parseFdinfo } from '../../dist/src/proc/fdinfo';
import { openHandle, parseHandle } from '../../dist/src/files/fhandle';
import { inotify } from '../../dist/src/files/inotify';
import { fanotify } from '../../dist/src/files/fanotify';
import { pidfd } from '../../dist/src/files/pidfd';
import { silentLogger } from '../../dist/src/log';
import { UnsupportedError } from '../../dist/src/errors';

const IN_NONBLOCK = 0o4000, IN_CLOEXEC = 0o2000000;
const IN_MODIFY = 2, IN_OPEN = 0x20, IN_CREATE = 0x100, IN_ONESHOT = 0x80000000, IN_ALL_EVENTS = 0xfff;
const FIONREAD = 0x541b;

let dir: string;
const fds: number[] = [];
beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-fsnotify-'));
});
afterAll(() => {
  for (const fd of fds) try { fs.closeSync(fd); } catch { /* closed */ }
  fs.rmSync(dir, { recursive: true, force: true });
});
const keep = (fd: number) => (fds.push(fd), fd);

function openFd(fd: number) {
  return {
    pid: process.pid, fd,
    link: fs.readlinkSync(`/proc/self/fd/${fd}`),
    info: parseFdinfo(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')),
    stat: fs.fstatSync(fd),
  };
}

const dumpCtx = { log: silentLogger, treePids: [] as number[], grabFd: (_p: number, fd: number) => fd } as any;

function restoreCtx() {
  const resume: (() => void)[] = [];
  const cleanup: (() => void)[] = [];
  return { ctx: { log: silentLogger, onResume: (fn: () => void) => resume.push(fn), onCleanup: (fn: () => void) => cleanup.push(fn) } as any, resume, cleanup };
}

function watchLines(fd: number): string[] {
  return fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').split('\n').filter((l) => l.startsWith('inotify wd:'))
    .map((l) => l.replace(/ fhandle-bytes.*/, '')).sort();
}

describe('kernel facts', () => {
  it('opens a watched file by its handle without an IN_OPEN', () => {
    const file = path.join(dir, 'a');
    fs.writeFileSync(file, 'a');
    const ino = keep(native.inotifyInit1(IN_NONBLOCK | IN_CLOEXEC));
    native.inotifyAddWatch(ino, dir, IN_ALL_EVENTS);
    native.inotifyAddWatch(ino, file, IN_ALL_EVENTS);
    const line = fs.readFileSync(`/proc/self/fdinfo/${ino}`, 'utf8').split('\n').find((l) => l.includes(`ino:${fs.statSync(file).ino.toString(16)} `))!;
    const sdev = parseInt(/sdev:([0-9a-f]+)/.exec(line)![1], 16);
    const h = parseHandle(line)!;
    expect(h).toBeDefined();
    const o = openHandle(sdev, h);
    try {
      expect(fs.fstatSync(o).ino).toBe(fs.statSync(file).ino);
      expect(native.ioctlInt(ino, FIONREAD)).toBe(0);
    } finally {
      fs.closeSync(o);
    }
    // and a plain open is reported: the check above can fail
    fs.closeSync(fs.openSync(file, 'r'));
    expect(native.ioctlInt(ino, FIONREAD)).toBeGreaterThan(0);
  });

  it('gives the wd asked for through INOTIFY_IOC_SETNEXTWD', () => {
    const ino = keep(native.inotifyInit1(IN_CLOEXEC));
    native.inotifySetNextWd(ino, 40);
    expect(native.inotifyAddWatch(ino, dir, IN_CREATE)).toBe(40);
    native.inotifySetNextWd(ino, 7);
    expect(native.inotifyAddWatch(ino, '/', IN_CREATE)).toBe(7);
    expect(() => native.inotifySetNextWd(ino, 0)).toThrow(RangeError);
    expect(() => native.inotifyInit1(1)).toThrow(RangeError);
  });

  it('makes pidfds of ended children, with their statuses', () => {
    for (const status of [42 << 8, 0, 9, 15]) {
      const p = keep(native.pidfdOfExited(IN_NONBLOCK, status));
      const info = fs.readFileSync(`/proc/self/fdinfo/${p}`, 'utf8');
      expect(info).toMatch(/^Pid:\s*-1$/m);
      expect(parseInt(/^flags:\s*(\d+)/m.exec(info)![1], 8) & IN_NONBLOCK).toBe(IN_NONBLOCK);
      const got = native.pidfdGetInfo(p, 8n);
      if (got.readBigUInt64LE(0) & 8n) expect(got.readInt32LE(60)).toBe(status);
    }
    expect(() => native.pidfdOfExited(0, 0x7f)).toThrow(RangeError); // a stop, not an end
  });
});

describe('inotify kind', () => {
  it('dumps the watches and opens an instance with the same wds and masks, added on resume', () => {
    const sub = path.join(dir, 'sub');
    fs.mkdirSync(sub);
    fs.writeFileSync(path.join(sub, 'f'), 'f');
    const ino = keep(native.inotifyInit1(IN_NONBLOCK));
    native.inotifyAddWatch(ino, sub, IN_CREATE | IN_OPEN);
    native.inotifySetNextWd(ino, 9);
    native.inotifyAddWatch(ino, path.join(sub, 'f'), (IN_MODIFY | IN_ONESHOT) >>> 0);
    const entry = inotify.dump(openFd(ino), 5, dumpCtx);
    expect(entry.ify.wd.map((w: any) => [w.wd, w.mask])).toEqual([[1, IN_CREATE | IN_OPEN], [9, (IN_MODIFY | IN_ONESHOT) >>> 0]]);
    expect(entry.ify.wd[1].f_handle.path).toBe(path.join(sub, 'f'));
    expect(entry.ify.flags & IN_NONBLOCK).toBe(IN_NONBLOCK);

    const { ctx, resume, cleanup } = restoreCtx();
    const { fd } = inotify.open(entry, ctx);
    keep(fd);
    expect(watchLines(fd)).toEqual([]);
    for (const fn of resume) fn();
    for (const fn of cleanup) fn();
    expect(watchLines(fd)).toEqual(watchLines(ino));
    expect(native.ioctlInt(fd, FIONREAD)).toBe(0);
    fs.writeFileSync(path.join(sub, 'g'), 'g');
    expect(native.ioctlInt(fd, FIONREAD)).toBeGreaterThan(0);
  });

  it('refuses an instance with unread events', () => {
    const ino = keep(native.inotifyInit1(IN_NONBLOCK));
    native.inotifyAddWatch(ino, dir, IN_CREATE);
    fs.writeFileSync(path.join(dir, 'new'), '');
    expect(() => inotify.dump(openFd(ino), 6, dumpCtx)).toThrow(/bytes of inotify events not read yet/);
  });
});

describe.skipIf(process.getuid?.() !== 0)('fanotify kind (root)', () => {
  const FAN_CLASS_NOTIF = 0, FAN_NONBLOCK = 2, FAN_MARK_ADD = 1, FAN_MARK_FILESYSTEM = 0x100;
  const FAN_MARK_IGNORED_MASK = 0x20, FAN_MARK_IGNORED_SURV_MODIFY = 0x40, FAN_MODIFY = 2n, FAN_OPEN = 0x20n;
  const marks = (fd: number) => fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').split('\n').filter((l) => l.startsWith('fanotify ')).map((l) => l.replace(/ fhandle-bytes.*/, '')).sort();

  it('dumps the group and its inode marks and opens one like it, marks added on resume', () => {
    const a = path.join(dir, 'fa'), b = path.join(dir, 'fb');
    fs.writeFileSync(a, 'a');
    fs.writeFileSync(b, 'b');
    const g = keep(native.fanotifyInit(FAN_CLASS_NOTIF | FAN_NONBLOCK, 0));
    native.fanotifyMark(g, FAN_MARK_ADD, FAN_MODIFY, -100, a);
    native.fanotifyMark(g, FAN_MARK_ADD | FAN_MARK_IGNORED_MASK | FAN_MARK_IGNORED_SURV_MODIFY, FAN_OPEN, -100, b);
    const entry = fanotify.dump(openFd(g), 9, dumpCtx);
    expect(entry.ffy.mark.map((m: any) => [m.type, m.mflags, m.mask, m.ignored_mask]).sort()).toEqual([[1, 0, 2, 0], [1, 0x40, 0, 0x20]]);
    const { ctx, resume, cleanup } = restoreCtx();
    const { fd } = fanotify.open(entry, ctx);
    keep(fd);
    expect(marks(fd)).toEqual([marks(g)[0]]); // the group line only, until resume
    for (const fn of resume) fn();
    for (const fn of cleanup) fn();
    expect(marks(fd)).toEqual(marks(g));
  });

  it('refuses a filesystem mark', () => {
    const g = keep(native.fanotifyInit(FAN_CLASS_NOTIF, 0));
    native.fanotifyMark(g, FAN_MARK_ADD | FAN_MARK_FILESYSTEM, FAN_OPEN, -100, dir);
    expect(() => fanotify.dump(openFd(g), 10, dumpCtx)).toThrow(/filesystem mark \(FAN_MARK_FILESYSTEM\) is not supported/);
  });
});

describe('pidfd kind', () => {
  it('refuses a pidfd of a process outside the tree, naming it', () => {
    const p = keep(native.pidfdOpen(1, 0));
    let err: unknown;
    try { pidfd.dump(openFd(p), 7, dumpCtx); } catch (e) { err = e; }
    expect((err as UnsupportedError).code).toBe('EUNSUPPORTED');
    expect(String((err as Error).message)).toMatch(new RegExp(`fd ${p} .*pidfd of process 1, outside the dumped tree`));
  });

  it('dumps a pidfd of an ended process with its status and opens one like it', () => {
    const p = keep(native.pidfdOfExited(0, 3 << 8));
    const entry = pidfd.dump(openFd(p), 8, dumpCtx);
    expect(entry.pidfd.pid).toBe(0);
    const { fd } = pidfd.open(entry, restoreCtx().ctx);
    keep(fd);
    expect(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')).toMatch(/^Pid:\s*-1$/m);
    if (entry.pidfd.exit_status !== undefined) {
      expect(entry.pidfd.exit_status).toBe(3 << 8);
      expect(native.pidfdGetInfo(fd, 8n).readInt32LE(60)).toBe(3 << 8);
    }
  });
});
