/**
 * Probes of files and mounts: fdinfo rows, timerfd ticks, openat2, and mount features tried in a
 * child's own mount namespace (so that nothing is left mounted here): MOVE_MOUNT_SET_GROUP, autofs
 * pipes, overlayfs files in /proc/PID/maps. AppArmor namespace stacking.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../native';
import {
  Call, closeQuietly, CLONE_NEWNS, cstr, errName, forkStopped, NR, Probe, procRow, reap, sys,
  WIFSTOPPED, withTempDir,
} from './sys';

const TFD_IOC_SET_TICKS = 0x40085400;
const MS_BIND = 0x1000, MS_REC = 0x4000, MS_PRIVATE = 1 << 18, MS_SHARED = 1 << 20;
const MOVE_MOUNT_SET_GROUP = 0x100;
const AT_FDCWD = -100;
const O_PATH = 0o10000000, O_CLOEXEC = 0o2000000, RESOLVE_NO_MAGICLINKS = 2, RESOLVE_NO_SYMLINKS = 4;
const ELOOP = 40;
const WUNTRACED = 2;

function fdinfo(fd: number): string {
  return fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8');
}

/**
 * mnt_id in fdinfo: an open file's row names its mount, and that id is a mount of
 * /proc/self/mountinfo (how a dumped file finds its mount).
 */
export const probeMntId: Probe = () => {
  const fd = fs.openSync('/proc/self/status', 'r');
  try {
    const id = procRow(fdinfo(fd), 'mnt_id');
    if (id === undefined) return 'fdinfo has no mnt_id row';
    const ids = fs.readFileSync('/proc/self/mountinfo', 'utf8').split('\n').map((l) => l.split(' ')[0]);
    return ids.includes(id) ? undefined : `mnt_id ${id} is not in /proc/self/mountinfo`;
  } finally {
    closeQuietly(fd);
  }
};

/** File locks in fdinfo: a file this process flock()ed shows a "lock:" row saying FLOCK. */
export const probeFdinfoLock: Probe = () =>
  withTempDir((dir) => {
    const fd = fs.openSync(path.join(dir, 'lock'), 'w');
    try {
      const r = sys(NR.flock, fd, 1 /* LOCK_SH */);
      if (r.ret === -1) return `flock: ${errName(r.errno)}`;
      const row = procRow(fdinfo(fd), 'lock');
      if (row === undefined) return 'fdinfo of a locked file has no lock row';
      return /FLOCK/.test(row) ? undefined : `the lock row says "${row}", not FLOCK`;
    } finally {
      closeQuietly(fd);
    }
  });

/**
 * Timerfd C/R: TFD_IOC_SET_TICKS gives a timerfd expirations (3) that a read then returns, and
 * fdinfo shows its clockid, ticks and settings.
 */
export const probeTimerfd: Probe = () => {
  const fd = native.timerfdCreate(1 /* CLOCK_MONOTONIC */, 0o4000 | O_CLOEXEC);
  try {
    native.ioctlSetU64(fd, TFD_IOC_SET_TICKS, 3n);
    const b = Buffer.alloc(8);
    if (fs.readSync(fd, b, 0, 8, null) !== 8 || b.readBigUInt64LE(0) !== 3n) return 'a read after TFD_IOC_SET_TICKS did not give the 3 ticks set';
    const info = fdinfo(fd);
    for (const row of ['clockid', 'ticks', 'settime flags', 'it_value', 'it_interval']) if (procRow(info, row) === undefined) return `timerfd fdinfo has no ${row} row`;
    return undefined;
  } catch (e) {
    return `TFD_IOC_SET_TICKS: ${(e as Error).message}`;
  } finally {
    closeQuietly(fd);
  }
};

/**
 * fdinfo of the special files the engine dumps: an eventfd's count, an epoll's target fd, a
 * signalfd's mask, an inotify watch.
 */
export const probeFdinfoExt: Probe = () => {
  const fds: number[] = [];
  try {
    const ev = native.eventfd(13, O_CLOEXEC);
    fds.push(ev);
    if (procRow(fdinfo(ev), 'eventfd-count') === undefined || parseInt(procRow(fdinfo(ev), 'eventfd-count')!, 16) !== 13) return 'eventfd fdinfo lacks its count';
    const [r, w] = native.pipe2(O_CLOEXEC);
    fds.push(r, w);
    const ep = native.epollCreate(O_CLOEXEC);
    fds.push(ep);
    const e = Buffer.alloc(12);
    e.writeUInt32LE(1, 0);
    if (sys(233 /* epoll_ctl */, ep, 1, r, e).ret === -1) return 'epoll_ctl failed';
    if (!new RegExp(`^tfd:\\s+${r}\\s`, 'm').test(fdinfo(ep))) return 'epoll fdinfo lacks its target fd';
    const sfd = native.signalfd(1n << 9n, O_CLOEXEC);
    fds.push(sfd);
    if (procRow(fdinfo(sfd), 'sigmask') === undefined) return 'signalfd fdinfo lacks its mask';
    const ino = native.inotifyInit1(O_CLOEXEC);
    fds.push(ino);
    const wd = native.inotifyAddWatch(ino, '/', 0xfff);
    if (!new RegExp(`^inotify wd:${wd} `, 'm').test(fdinfo(ino))) return 'inotify fdinfo lacks its watch';
    return undefined;
  } finally {
    fds.forEach(closeQuietly);
  }
};

/**
 * openat2: the syscall opens "/" (O_PATH), and honours its resolve flags: "/proc/self", a
 * symlink, must fail with ELOOP under RESOLVE_NO_SYMLINKS.
 */
export const probeOpenat2: Probe = () => {
  const how = (resolve: number) => {
    const b = Buffer.alloc(24);
    b.writeBigUInt64LE(BigInt(O_PATH | O_CLOEXEC), 0);
    b.writeBigUInt64LE(BigInt(resolve), 16);
    return b;
  };
  const ok = sys(NR.openat2, AT_FDCWD, cstr('/'), how(RESOLVE_NO_MAGICLINKS), 24);
  if (ok.ret === -1) return `openat2("/"): ${errName(ok.errno)}`;
  closeQuietly(ok.ret);
  const loop = sys(NR.openat2, AT_FDCWD, cstr('/proc/self'), how(RESOLVE_NO_SYMLINKS), 24);
  if (loop.ret !== -1) {
    closeQuietly(loop.ret);
    return 'openat2 followed a symlink under RESOLVE_NO_SYMLINKS';
  }
  return loop.errno === ELOOP ? undefined : `openat2 under RESOLVE_NO_SYMLINKS: ${errName(loop.errno)}, not ELOOP`;
};

/** The calls that give a child its own mount namespace, with nothing propagating back here. */
const privateMountNs = (): Call[] => [[NR.unshare, [CLONE_NEWNS]], [NR.mount, [0, cstr('/'), 0, MS_REC | MS_PRIVATE, 0]]];

/**
 * A child in its own mount namespace runs the calls and stops; fn reads what it wants of the child
 * (/proc/PID/...) while it waits; then it is killed, and its mounts go with its namespace.
 */
function inMountNsChild(calls: Call[], what: string[], fn: (pid: number, rets: number[]) => string | undefined): string | undefined {
  const all = [...privateMountNs(), ...calls];
  const { pid, results } = forkStopped(all);
  try {
    if (results.length !== all.length || results.some((r) => r.ret === -1)) {
      const i = results.findIndex((r) => r.ret === -1);
      if (i < 0) return 'the probe child died';
      const name = i < 2 ? 'a private mount namespace' : what[i - 2] ?? `call ${i}`;
      return `${name}: ${errName(results[i].errno)}`;
    }
    const [, st] = native.waitpid(pid, WUNTRACED);
    if (!WIFSTOPPED(st)) return 'the probe child did not stop';
    return fn(pid, results.slice(2).map((r) => r.ret));
  } finally {
    reap(pid);
  }
}

/** The mountinfo rows of a process, as [mount point, optional fields, fs type, super options]. */
function mountRows(pid: number): { point: string; optional: string; fstype: string; superOpts: string }[] {
  return fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').filter(Boolean).map((l) => {
    const [left, right] = l.split(' - ');
    const f = left.split(' ');
    const r = right.split(' ');
    return { point: f[4], optional: f.slice(6).join(' '), fstype: r[0], superOpts: r[2] ?? '' };
  });
}

/**
 * MOVE_MOUNT_SET_GROUP: a bind mount is put in the peer group of a shared tmpfs with move_mount,
 * and then both show the same shared:N in mountinfo (how restore rebuilds propagation).
 */
export const probeMoveMountSetGroup: Probe = () =>
  withTempDir((dir) => {
    const sub = path.join(dir, 'sub');
    const calls: Call[] = [
      [NR.mount, [cstr('amber-check'), cstr(dir), cstr('tmpfs'), 0, 0]],
      [NR.mount, [0, cstr(dir), 0, MS_PRIVATE, 0]],
      [NR.mkdir, [cstr(sub), 0o700]],
      [NR.mount, [cstr(sub), cstr(sub), 0, MS_BIND, 0]],
      [NR.mount, [0, cstr(dir), 0, MS_SHARED, 0]],
      [429 /* move_mount */, [AT_FDCWD, cstr(dir), AT_FDCWD, cstr(sub), MOVE_MOUNT_SET_GROUP]],
    ];
    const what = ['mount tmpfs', 'make it private', 'mkdir', 'bind mount', 'make the tmpfs shared', 'move_mount(MOVE_MOUNT_SET_GROUP)'];
    return inMountNsChild(calls, what, (pid) => {
      const rows = mountRows(pid);
      const group = (p: string) => /shared:(\d+)/.exec([...rows].reverse().find((r) => r.point === p)?.optional ?? '')?.[1];
      const a = group(dir), b = group(sub);
      return a !== undefined && a === b ? undefined : `after move_mount the bind mount is in peer group ${b ?? 'none'}, not ${a ?? 'none'}`;
    });
  });

/**
 * autofs mounts can be dumped: an autofs mount made with a pipe shows pipe_ino= in its mountinfo
 * options (the dump finds the daemon's pipe by it). In a child's own mount namespace.
 */
export const probeAutofs: Probe = () =>
  withTempDir((dir) => {
    const [r, w] = native.pipe2(0);
    try {
      const pgrp = fs.readFileSync('/proc/self/stat', 'utf8').split(') ')[1].split(' ')[2];
      const opts = `fd=${w},pgrp=${pgrp},minproto=5,maxproto=5,direct`;
      return inMountNsChild([[NR.mount, [cstr('amber-check'), cstr(dir), cstr('autofs'), 0, cstr(opts)]]], ['mount autofs'], (pid) => {
        const row = mountRows(pid).find((x) => x.point === dir && x.fstype === 'autofs');
        if (!row) return 'the autofs mount is not in mountinfo';
        return /(^|,)pipe_ino=\d+/.test(row.superOpts) ? undefined : `autofs mountinfo options "${row.superOpts}" have no pipe_ino`;
      });
    } finally {
      closeQuietly(r);
      closeQuietly(w);
    }
  });

/**
 * /proc/PID/maps names overlayfs files by the overlay's device and inode (6.8+; before, by the
 * underlying file's): a child mounts an overlay in its own mount namespace; this process opens a
 * file through it (/proc/CHILD/root/...), maps it, and its maps row must carry the dev:ino that
 * fstat gives for that open file.
 */
export const probeOverlayfsMaps: Probe = () =>
  withTempDir((dir) => {
    for (const d of ['lower', 'upper', 'work', 'merged']) fs.mkdirSync(path.join(dir, d));
    fs.writeFileSync(path.join(dir, 'lower', 'f'), Buffer.alloc(4096, 1));
    const merged = path.join(dir, 'merged');
    const opts = `lowerdir=${path.join(dir, 'lower')},upperdir=${path.join(dir, 'upper')},workdir=${path.join(dir, 'work')}`;
    return inMountNsChild([[NR.mount, [cstr('overlay'), cstr(merged), cstr('overlay'), 0, cstr(opts)]]], ['mount overlay'], (pid) => {
      const fd = fs.openSync(`/proc/${pid}/root${merged}/f`, 'r');
      try {
        const st = fs.fstatSync(fd);
        if (st.ino === fs.statSync(path.join(dir, 'lower', 'f')).ino && st.dev === fs.statSync(path.join(dir, 'lower', 'f')).dev) return 'the file opened through the overlay is the lower file itself';
        const m = sys(NR.mmap, 0, 4096, 1 /* PROT_READ */, 2 /* MAP_PRIVATE */, fd, 0);
        if (m.ret === -1) return `mmap of the overlay file: ${errName(m.errno)}`;
        try {
          const start = BigInt(m.ret).toString(16);
          const row = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').find((l) => l.startsWith(start + '-'));
          if (!row) return 'the mapping is not in /proc/self/maps';
          const f = row.split(/\s+/);
          const [maj, min] = f[3].split(':').map((x) => parseInt(x, 16));
          const want = { maj: (st.dev >> 8) & 0xfff, min: (st.dev & 0xff) | ((st.dev >> 12) & 0xfff00) };
          if (Number(f[4]) === st.ino && maj === want.maj && min === want.min) return undefined;
          return `/proc/self/maps shows ${f[3]} ${f[4]} for an overlayfs file whose fstat says ${want.maj.toString(16)}:${want.min.toString(16)} ${st.ino}`;
        } finally {
          sys(NR.munmap, BigInt(m.ret), 4096);
        }
      } finally {
        closeQuietly(fd);
      }
    });
  });

/**
 * AppArmor namespaces with stacking, which the dump of confined tasks needs: securityfs shows
 * apparmor with domain stacking ("yes") and a policy namespaces directory.
 */
export const probeApparmorStacking: Probe = () => {
  const base = '/sys/kernel/security/apparmor';
  if (!fs.existsSync(base)) return `${base} is not there (no AppArmor, or securityfs not mounted)`;
  let stack = '';
  try {
    stack = fs.readFileSync(`${base}/features/domain/stack`, 'utf8').trim();
  } catch { /* below */ }
  if (stack !== 'yes') return 'AppArmor has no domain stacking';
  return fs.existsSync(`${base}/policy/namespaces`) ? undefined : 'AppArmor has no policy namespaces';
};
