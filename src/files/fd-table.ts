/**
 * The fd table of a task: every open fd, grouped into open file descriptions (dup'ed fds share
 * one, found with kcmp), each described once in files.img and referenced from fdinfo-N.img.
 */
import { faultPoint, kindFaultPoint } from '../fault';
import { kcmpSearch } from '../proc/kcmp-order';
import * as fs from 'node:fs';
import { native } from '../native';
import { UnsupportedError } from '../errors';
import { Entry } from '../images';
import { parseFdinfo } from '../proc/fdinfo';
import { readFdTable } from '../proc/fd-table-read';
import { kindForFd } from './registry';
import { externalKindFor } from './external';
import { readFown, subMessage } from './fown';
import { refuseUnknownFdinfo } from './fdinfo-rows';
import { FILE_LOCKS_IMG, lockKey, locksOf } from './file-locks';
import { FileDumpContext, FileKind, OpenFd } from './types';

const KCMP_FILE = 0;
const O_CLOEXEC = 0o2000000;
/** An O_PATH fd has no owner to read (fcntl answers EBADF): its fown stays empty. */
const O_PATH = 0o10000000;
export const FD_CLOEXEC = 1;

export function openFdOf(pid: number, fd: number): OpenFd {
  return listOpenFds(pid, [fd])[0];
}

export function listOpenFds(pid: number, only?: number[]): OpenFd[] {
  const fds = only ?? fs.readdirSync(`/proc/${pid}/fd`).map(Number).sort((a, b) => a - b);
  return readFdTable(pid, fds).map((r) => ({ pid, fd: r.fd, link: r.link, info: parseFdinfo(r.fdinfo), stat: r.stat }));
}

/**
 * The open fds of a frozen task, read once per dump: the fd table and the kinds that look at
 * every fd of the tree first (pty masters) share the reading.
 */
export function openFdsOf(pid: number, ctx: { cache: Map<string, unknown> }): OpenFd[] {
  const key = `fds:${pid}`;
  let fds = ctx.cache.get(key) as OpenFd[] | undefined;
  if (!fds) ctx.cache.set(key, (fds = listOpenFds(pid)));
  return fds;
}

export interface FdTableDump {
  fdinfo: Entry[];
  files: Entry[];
}

/**
 * Open file descriptions already described, across the whole tree: dup'ed and inherited fds
 * share one. Kept by inode, and within an inode in the kernel's order of open files (kcmp-order.ts):
 * every eventfd, epoll or signalfd shares one anonymous inode, and a linear search made a dump of
 * 10,000 of them quadratic (13 s). The inode is narrowed by what never changes in an open
 * file description (mount, access mode, O_PATH, an eventfd's id), so that the kcmp search runs
 * among few: the 4,000 eventfds of a process asked 13 kcmps each before.
 */
const O_ACCMODE = 3;

/**
 * What two fds of one open file description always share: its inode, its mount, the access mode
 * and O_PATH of its flags (fcntl cannot change them), an eventfd's id (one eventfd, one file).
 * Nothing that may change (offset, other flags) goes in: a process outside the tree that shares
 * the description could change it between the reading of two fds.
 */
function identityKey(f: OpenFd): string {
  const fixedFlags = f.info.flags & (O_ACCMODE | O_PATH);
  return `${f.stat.dev}:${f.stat.ino}:${f.info.mntId}:${fixedFlags}:${f.info.rows.get('eventfd-id') ?? ''}`;
}

export class FileRegistry {
  private readonly byInode = new Map<string, { f: OpenFd; id: number }[]>();

  /**
   * The id of the open file description f names, if one is described already; else `add`, which
   * puts it where the search found its place (one search per fd, not one to look and one to add).
   */
  lookup(f: OpenFd): { id?: number; add(id: number): void } {
    const key = identityKey(f);
    let list = this.byInode.get(key);
    if (!list) this.byInode.set(key, (list = []));
    const { at, same } = kcmpSearch(list, (r) => native.kcmp(r.f.pid, f.pid, KCMP_FILE, r.f.fd, f.fd));
    return { id: same?.id, add: (id) => list.splice(at, 0, { f, id }) };
  }
}

/**
 * Ids come from `nextId`, shared with other users of files.img (cwd, root, exe, mappings).
 * `reps` is shared by every process of the tree.
 */
export function dumpFdTable(pid: number, ctx: FileDumpContext, nextId: () => number, reps: FileRegistry): FdTableDump {
  const open = openFdsOf(pid, ctx);
  const fdinfo: Entry[] = [];
  const files: Entry[] = [];
  for (const f of open) {
    const { id, kind, shared } = describeFile(f, ctx, nextId, reps, files);
    for (const lock of locksOf(f)) {
      if (!ctx.fileLocks) throw new UnsupportedError(pid, `fd ${f.fd} (${f.link})`, `holds a ${lock.kind} ${lock.entry.type ? 'write' : 'read'} lock: dump with -l/--file-locks to carry it`);
      if (ctx.once(`lock:${lockKey(lock.entry, id)}`)) ctx.addImageEntry(FILE_LOCKS_IMG, 'FILE_LOCKS', lock.entry);
    }
    fdinfo.push({ id, flags: f.info.flags & O_CLOEXEC ? FD_CLOEXEC : 0, type: kind.type, fd: f.fd });
    ctx.log.debug(`fd ${f.fd}: ${kind.name} ${f.link} (file id ${id}${shared ? ', shared' : ''})`);
  }
  return { fdinfo, files };
}

/** A file owned (F_SETOWN) by a task outside the tree: that task may be gone at restore. */
function checkOwnerInTree(f: OpenFd, fown: Entry, ctx: FileDumpContext): void {
  if (!fown.pid || fown.pid_type === 2 /* a process group */) return;
  let tgid = fown.pid;
  try {
    tgid = Number(/^Tgid:\s*(\d+)/m.exec(fs.readFileSync(`/proc/${fown.pid}/status`, 'utf8'))?.[1] ?? fown.pid);
  } catch { /* gone: refused below */ }
  if (!ctx.treePids.includes(tgid)) {
    throw new UnsupportedError(f.pid, `fd ${f.fd} (${f.link})`, `its SIGIO owner (F_SETOWN) is task ${fown.pid}, outside the dumped tree`);
  }
}

/** The file id of f's open file description: one already described (kcmp), or a new entry in `files`. */
export function describeFile(f: OpenFd, ctx: FileDumpContext, nextId: () => number, reps: FileRegistry, files: Entry[]): { id: number; kind: FileKind; shared: boolean } {
  // A file --external names is the caller's: its kind's own state (and fdinfo) is not amber's.
  const external = externalKindFor(f, ctx);
  const kind = external ?? kindForFd(f, ctx);
  if (!external) refuseUnknownFdinfo(f, kind.name);
  const slot = reps.lookup(f);
  if (slot.id !== undefined) return { id: slot.id, kind, shared: true };
  const id = nextId();
  // Registered before dumping, so that a file reaching itself (a socket in its own queue) stops here.
  slot.add(id);
  faultPoint(kindFaultPoint('dump', kind.name), ctx.fault);
  const entry = kind.dump(f, id, ctx);
  const sub = subMessage(entry);
  if (sub && !(f.info.flags & O_PATH)) {
    sub.fown = readFown(f.pid === process.pid ? f.fd : ctx.grabFd(f.pid, f.fd));
    checkOwnerInTree(f, sub.fown, ctx);
  }
  files.push(entry);
  return { id, kind, shared: false };
}
