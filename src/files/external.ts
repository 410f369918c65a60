/**
 * Files the caller of amber provides, with CRIU's options and keys.
 *
 * Dump: `--external file[MNTID:INODE]` (a regular file, directory or device) and
 * `--external tty[RDEV:DEV]` (a terminal) name open files that are not dumped: a regular one is
 * written as a reg_file_entry with `ext` set and the key as its name, a terminal as a
 * tty_file_entry whose tty_info_entry has type EXT_TTY (CRIU's own encoding of both). The numbers
 * are hexadecimal, as CRIU prints them.
 *
 * Restore: `--inherit-fd fd[N]:KEY` says that the restorer's own fd N is the file the images
 * know by KEY: `pipe:[INO]`, `socket:[INO]`, a regular file's path as dumped (CRIU's form has no
 * leading slash; both are taken), or the key of an external file. Such a file is not opened from
 * the images; every task that held it gets a duplicate of fd N (an external regular file is
 * reopened through /proc/self/fd/N with its dumped flags and offset, as CRIU does). A file that
 * needs one (an external, or a pipe whose other end was outside the dumped tree) and has none
 * fails the restore before any task exists, naming the task, the fd and the key.
 */
import * as fs from 'node:fs';
import { native } from '../native';
import { ImageError, InheritFdError, UsageError } from '../errors';
import { Entry, readImageOptional } from '../images';
import { Logger } from '../log';
import { isTerminal } from './tty';
import { queuedPipeData } from './pipe';
import { FdType, FileDumpContext, FileKind, FileRestoreContext, NO_FOWN, OpenedFile, OpenFd } from './types';

const O_ACCMODE = 3, O_WRONLY = 1, O_RDWR = 2, O_NONBLOCK = 0o4000, O_CLOEXEC = 0o2000000;
const CREATION_FLAGS = 0o100 | 0o200 | 0o400 | 0o1000; // O_CREAT O_EXCL O_NOCTTY O_TRUNC
const F_GETFD = 1, F_GETFL = 3, F_DUPFD_CLOEXEC = 1030, F_GETPIPE_SZ = 1032, F_SETPIPE_SZ = 1031;
const TTY_INFO_IMG = 'tty-info.img';
const SK_QUEUES_IMG = 'sk-queues.img';
/** unix_sk_entry.uflags: the socket is outside the tree. */
const USK_EXTERN = 1;
/** tty_info_entry.type of a terminal left to the caller. */
const EXT_TTY = 5;

// ---------------------------------------------------------------- keys

function hexNumber(text: string, what: string, option: string): string {
  const t = text.trim().toLowerCase().replace(/^0x/, '');
  if (!/^[0-9a-f]+$/.test(t)) throw new UsageError(`option ${option}: ${what} "${text}" is not a hexadecimal number (CRIU writes these keys in hex)`);
  return BigInt(`0x${t}`).toString(16);
}

/**
 * A resource key in one spelling: hex numbers of file[..] and tty[..] without 0x or leading
 * zeros, paths without their leading slashes (CRIU's spelling); pipe:[..] and socket:[..] as is.
 */
export function normalizeKey(key: string, option = '--inherit-fd'): string {
  const pair = /^(file|tty)\[([^:\]]+):([^:\]]+)\]$/.exec(key);
  if (pair) return `${pair[1]}[${hexNumber(pair[2], pair[1] === 'file' ? 'mount id' : 'rdev', option)}:${hexNumber(pair[3], pair[1] === 'file' ? 'inode' : 'dev', option)}]`;
  const ino = /^(pipe|socket):\[(\d+)\]$/.exec(key);
  if (ino) return `${ino[1]}:[${BigInt(ino[2])}]`;
  if (key.startsWith('/')) return key.replace(/^\/+/, '');
  return key;
}

export function fileKey(mntId: number, ino: number | bigint): string {
  return `file[${mntId.toString(16)}:${ino.toString(16)}]`;
}

export function ttyKey(rdev: number | bigint, dev: number | bigint): string {
  return `tty[${rdev.toString(16)}:${dev.toString(16)}]`;
}

/** `--external X`: the key of the file it names. Forms amber does not handle yet are refused. */
export function parseExternal(spec: string): string {
  const form = /^([a-z]+)\[/.exec(spec)?.[1];
  if (form === 'file' || form === 'tty') {
    if (!/^(file|tty)\[[^:\]]+:[^:\]]+\]$/.test(spec)) {
      throw new UsageError(`option --external ${spec}: want ${form === 'file' ? 'file[MNTID:INODE]' : 'tty[RDEV:DEV]'} (hexadecimal)`);
    }
    return normalizeKey(spec, `--external ${spec}`);
  }
  // unix[INO], mnt[..], dev[..], net[..], veth[..], macvlan[..], INO:KEY (namespaces), ...
  throw new UsageError(`option --external ${spec}: not supported yet`);
}

export interface InheritFd {
  /** The restorer's fd. */
  fd: number;
  /** The resource key (normalized). */
  key: string;
}

export interface InheritSpecs {
  fds: InheritFd[];
  /** CRIU's debug[N]:TEXT: TEXT is written to fd N when the restore starts. */
  debug: { fd: number; text: string }[];
}

/** The values of every --inherit-fd, checked: each fd must be open in amber itself. */
export function parseInheritFds(specs: string[]): InheritSpecs {
  const out: InheritSpecs = { fds: [], debug: [] };
  for (const spec of specs) {
    const m = /^(fd|debug)\[(\d+)\]:([\s\S]+)$/.exec(spec);
    if (!m) throw new UsageError(`option --inherit-fd ${spec}: want fd[N]:RESOURCE (or debug[N]:TEXT)`);
    const fd = Number(m[2]);
    try {
      native.fcntl(fd, F_GETFD, 0);
    } catch {
      throw new UsageError(`option --inherit-fd ${spec}: fd ${fd} is not open in amber (the caller must pass it open)`);
    }
    if (m[1] === 'debug') {
      out.debug.push({ fd, text: m[3] });
      continue;
    }
    const key = normalizeKey(m[3]);
    const twice = out.fds.find((i) => i.key === key);
    if (twice && twice.fd !== fd) throw new UsageError(`option --inherit-fd ${spec}: ${key} is already fd ${twice.fd}`);
    if (!twice) out.fds.push({ fd, key });
  }
  return out;
}

// ---------------------------------------------------------------- dump

/** The --external keys of one dump, and which of them named an open file. */
export class ExternalFiles {
  readonly used = new Set<string>();
  constructor(readonly keys: ReadonlySet<string>) {}
  static parse(specs: string[]): ExternalFiles {
    return new ExternalFiles(new Set(specs.map(parseExternal)));
  }
  has(key: string): boolean {
    if (!this.keys.has(key)) return false;
    this.used.add(key);
    return true;
  }
  /** Keys that named no open file of the tree. */
  unused(): string[] {
    return [...this.keys].filter((k) => !this.used.has(k));
  }
}

/** A regular file, directory or device named by --external file[..]: only its key, flags and offset. */
export const externalFile: FileKind = {
  name: 'external file',
  type: FdType.REG,
  matches: () => false,
  dump(f: OpenFd, id: number) {
    const key = fileKey(f.info.mntId, f.stat.ino);
    return {
      type: FdType.REG, id,
      reg: { id, flags: f.info.flags & ~O_CLOEXEC, pos: f.info.pos, fown: NO_FOWN, name: key, mnt_id: f.info.mntId, ext: true, mode: f.stat.mode },
    };
  },
  open(entry: Entry) {
    throw new ImageError('files.img', entry.id, `${entry.reg?.name} is external: restore needs --inherit-fd fd[N]:${entry.reg?.name}`);
  },
};

/** A terminal named by --external tty[..]: a tty_file_entry and an EXT_TTY tty_info_entry. */
export const externalTty: FileKind = {
  name: 'external terminal',
  type: FdType.TTY,
  matches: () => false,
  dump(f: OpenFd, id: number, ctx: FileDumpContext) {
    const key = ttyKey(f.stat.rdev, f.stat.dev);
    // One tty_info_entry per terminal, numbered by the first file id that names it.
    const infos = (ctx.cache.get('external-tty-infos') as Map<string, number> | undefined) ?? new Map<string, number>();
    ctx.cache.set('external-tty-infos', infos);
    let infoId = infos.get(key);
    if (infoId === undefined) {
      infos.set(key, (infoId = id));
      ctx.addImageEntry(TTY_INFO_IMG, 'TTY_INFO', {
        id: infoId, type: EXT_TTY, locked: false, exclusive: false, packet_mode: false, sid: 0, pgrp: 0, rdev: f.stat.rdev, dev: f.stat.dev,
      });
    }
    return { type: FdType.TTY, id, tty: { id, tty_info_id: infoId, flags: f.info.flags & ~O_CLOEXEC, fown: NO_FOWN } };
  },
  open(entry: Entry) {
    throw new ImageError('files.img', entry.id, 'an external terminal: restore needs --inherit-fd fd[N]:tty[RDEV:DEV]');
  },
};

/** The kind for an fd that --external names, if one does. */
export function externalKindFor(f: OpenFd, ctx: FileDumpContext): FileKind | undefined {
  const ext = ctx.externals;
  if (!ext || ext.keys.size === 0) return undefined;
  if (isTerminal(f.stat)) {
    if (ext.has(ttyKey(f.stat.rdev, f.stat.dev))) {
      ctx.log.info(`task ${f.pid} fd ${f.fd} (${f.link}): external terminal ${ttyKey(f.stat.rdev, f.stat.dev)}, left to the caller`);
      return externalTty;
    }
    return undefined;
  }
  if (f.link.startsWith('/') && ext.has(fileKey(f.info.mntId, f.stat.ino))) {
    ctx.log.info(`task ${f.pid} fd ${f.fd} (${f.link}): external file ${fileKey(f.info.mntId, f.stat.ino)}, left to the caller`);
    return externalFile;
  }
  return undefined;
}

// ---------------------------------------------------------------- restore

/** The --inherit-fd fds of one restore, by key, and which of them were taken. */
export class InheritedFds {
  private readonly byKey = new Map<string, number>();
  private readonly taken = new Set<string>();
  constructor(fds: readonly InheritFd[]) {
    for (const i of fds) this.byKey.set(i.key, i.fd);
  }
  get size(): number {
    return this.byKey.size;
  }
  has(key: string): boolean {
    return this.byKey.has(key);
  }
  /** The fd for key, without counting it as taken. */
  fdOf(key: string): number | undefined {
    return this.byKey.get(key);
  }
  take(key: string): number | undefined {
    const fd = this.byKey.get(key);
    if (fd !== undefined) this.taken.add(key);
    return fd;
  }
  unused(): InheritFd[] {
    return [...this.byKey].filter(([k]) => !this.taken.has(k)).map(([key, fd]) => ({ key, fd }));
  }
}

interface Inheritance {
  /** The keys the file answers to, the first one being what error messages show. */
  keys: string[];
  /** Why the file must come from the caller; undefined when an --inherit-fd is optional. */
  required?: string;
}

function ttyInfos(ctx: FileRestoreContext): Map<number, Entry> {
  let infos = ctx.shared.get(TTY_INFO_IMG) as Map<number, Entry> | undefined;
  if (!infos) {
    infos = new Map((readImageOptional(ctx.imagesDir, TTY_INFO_IMG, 'TTY_INFO') ?? []).map((e) => [e.id, e]));
    ctx.shared.set(TTY_INFO_IMG, infos);
  }
  return infos;
}

const SOCKET_FIELDS = ['usk', 'isk', 'nlsk', 'psk'];

/** Under which keys a file of files.img can be inherited, and whether it must be. */
export function inheritanceOf(entry: Entry, ctx: FileRestoreContext): Inheritance {
  switch (entry.type) {
    case FdType.PIPE: {
      const key = `pipe:[${entry.pipe.pipe_id}]`;
      return { keys: [key], required: entry.pipe.amber_peer_outside ? `its other end was outside the dumped tree: restore needs --inherit-fd fd[N]:${key}` : undefined };
    }
    case FdType.REG: {
      const reg = entry.reg;
      if (reg?.ext) return { keys: [reg.name], required: `dumped as external (--external ${reg.name}): restore needs --inherit-fd fd[N]:${reg.name}` };
      return { keys: typeof reg?.name === 'string' ? [normalizeKey(reg.name)] : [] };
    }
    case FdType.TTY: {
      const info = ttyInfos(ctx).get(entry.tty?.tty_info_id);
      if (info?.type === EXT_TTY) {
        const key = ttyKey(info.rdev, info.dev ?? 0);
        return { keys: [key], required: `an external terminal: restore needs --inherit-fd fd[N]:${key}` };
      }
      return { keys: [] };
    }
    default: {
      const sk = SOCKET_FIELDS.map((f) => entry[f]).find((s) => s && typeof s.ino === 'number');
      return { keys: sk ? [`socket:[${sk.ino}]`] : [] };
    }
  }
}

/** Whether an --inherit-fd stands for this file (kinds that make all their files at once skip it). */
export function isInherited(entry: Entry, ctx: FileRestoreContext): boolean {
  return !!ctx.inherited?.size && inheritanceOf(entry, ctx).keys.some((k) => ctx.inherited!.has(k));
}

/**
 * Why a unix socket cannot be the caller's fd: its peer is in the tree (the pair would be cut
 * apart), or messages were queued for it at dump (they cannot be put into the caller's socket).
 */
function unixMisfit(entry: Entry, files: Map<number, Entry>, ctx: FileRestoreContext): string | undefined {
  const usk = entry.usk;
  const peer = usk.peer ? [...files.values()].find((f) => f.type === FdType.UNIXSK && f.usk?.ino === usk.peer && !(f.usk.uflags & USK_EXTERN)) : undefined;
  if (peer) return `its peer socket:[${usk.peer}] is in the dumped tree: inheriting one end would cut the pair apart`;
  let queues = ctx.shared.get(SK_QUEUES_IMG) as Entry[] | undefined;
  if (!queues) ctx.shared.set(SK_QUEUES_IMG, (queues = readImageOptional(ctx.imagesDir, SK_QUEUES_IMG, 'SK_QUEUES') ?? []));
  const queued = queues.filter((q) => q.id_for === entry.id).reduce((n, q) => n + (q.length ?? 0), 0);
  if (queued) return `${queued} bytes were queued for it at dump, which amber cannot put into the caller's socket`;
  return undefined;
}

/**
 * Before any task exists: every file of the tree that must come from the caller has its
 * --inherit-fd. Throws InheritFdError naming the first task and fd that lack one.
 */
export function checkInherited(processes: readonly { pid: number; fdinfo: Entry[] }[], files: Map<number, Entry>, ctx: FileRestoreContext): void {
  for (const p of processes) {
    for (const fi of p.fdinfo) {
      const f = files.get(fi.id);
      if (!f) continue;
      const inh = inheritanceOf(f, ctx);
      const key = inh.keys.find((k) => ctx.inherited?.has(k));
      if (key === undefined) {
        if (inh.required) throw new InheritFdError(p.pid, fi.fd, inh.keys[0], inh.required);
        continue;
      }
      const misfit = doesNotFit(f, ctx.inherited!.fdOf(key)!) ?? (f.type === FdType.UNIXSK && f.usk ? unixMisfit(f, files, ctx) : undefined);
      if (misfit) throw new InheritFdError(p.pid, fi.fd, key, misfit);
    }
  }
}

function dumpedFlags(entry: Entry): number {
  return (entry.type === FdType.REG ? entry.reg?.flags : entry.type === FdType.PIPE ? entry.pipe?.flags : entry.tty?.flags) ?? O_RDWR;
}

/** Why the caller's fd cannot stand for the dumped file (its access mode), if it cannot. */
function doesNotFit(entry: Entry, fd: number): string | undefined {
  if (entry.type === FdType.REG && entry.reg?.ext) return undefined; // reopened with the dumped flags
  const have = accessMode(native.fcntl(fd, F_GETFL, 0));
  const want = accessMode(dumpedFlags(entry));
  if (have === 'read-write' || have === want) return undefined;
  return `the inherited fd ${fd} is open for ${have === 'read' ? 'reading' : 'writing'} only, the dumped file was open for ${want === 'read' ? 'reading' : want === 'write' ? 'writing' : 'reading and writing'}`;
}

function accessMode(flags: number): 'read' | 'write' | 'read-write' {
  const m = flags & O_ACCMODE;
  return m === O_RDWR ? 'read-write' : m === O_WRONLY ? 'write' : 'read';
}

/**
 * Puts the bytes queued at dump in a pipe whose reading end was in the tree into the caller's
 * pipe (they were written by the outside writer and not read yet). Once per pipe.
 */
function refillInheritedPipe(entry: Entry, fd: number, key: string, ctx: FileRestoreContext): void {
  const pipeId: number = entry.pipe.pipe_id;
  if (!entry.pipe.amber_peer_outside || (entry.pipe.flags & O_ACCMODE) === O_WRONLY) return;
  const once = `inherit-fd-refill:${pipeId}`;
  if (ctx.shared.has(once)) return;
  ctx.shared.set(once, true);
  const data = queuedPipeData(pipeId, ctx);
  if (!data || data.length === 0) return;
  const st = fs.fstatSync(fd);
  if (!st.isFIFO()) throw new InheritFdError(undefined, fd, key, `${data.length} bytes were queued in the pipe at dump, and the inherited fd ${fd} is not a pipe to put them in`);
  const w = fs.openSync(`/proc/self/fd/${fd}`, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  try {
    if (native.fcntl(w, F_GETPIPE_SZ, 0) < data.length) native.fcntl(w, F_SETPIPE_SZ, data.length);
    let off = 0;
    while (off < data.length) off += fs.writeSync(w, data, off, data.length - off);
  } catch (e) {
    throw new InheritFdError(undefined, fd, key, `the inherited pipe does not take the ${data.length} bytes queued at dump: ${(e as Error).message}`);
  } finally {
    fs.closeSync(w);
  }
  ctx.log.info(`${key}: ${data.length} bytes queued at dump put into the inherited fd ${fd}`);
}

/**
 * The file as the caller provides it, when an --inherit-fd names it: a new fd of the restorer
 * (the caller closes it). Undefined when the file is the images' to open. Throws when the file
 * must come from the caller and does not, or the inherited fd cannot be it.
 */
export function openInherited(entry: Entry, ctx: FileRestoreContext, log: Logger = ctx.log): OpenedFile | undefined {
  const inh = inheritanceOf(entry, ctx);
  let key: string | undefined;
  let fd: number | undefined;
  for (const k of inh.keys) {
    fd = ctx.inherited?.take(k);
    if (fd !== undefined) { key = k; break; }
  }
  if (fd === undefined || key === undefined) {
    if (inh.required) throw new InheritFdError(undefined, undefined, inh.keys[0], inh.required);
    return undefined;
  }
  if (entry.type === FdType.REG && entry.reg.ext) {
    // CRIU's way for an external file: a new open file description of the caller's file, with
    // the dumped flags and offset.
    try {
      const o = fs.openSync(`/proc/self/fd/${fd}`, (entry.reg.flags & ~CREATION_FLAGS) | O_CLOEXEC);
      log.info(`${key}: opened through the inherited fd ${fd} (${fs.readlinkSync(`/proc/self/fd/${fd}`)})`);
      return { fd: o, pos: entry.reg.pos };
    } catch (e) {
      throw new InheritFdError(undefined, fd, key, `cannot reopen the inherited fd ${fd} with the dumped flags 0o${entry.reg.flags.toString(8)}: ${(e as Error).message}`);
    }
  }
  const misfit = doesNotFit(entry, fd);
  if (misfit) throw new InheritFdError(undefined, undefined, key, misfit);
  if (entry.type === FdType.PIPE) refillInheritedPipe(entry, fd, key, ctx);
  log.info(`${key}: the inherited fd ${fd} (${fs.readlinkSync(`/proc/self/fd/${fd}`)})`);
  // The caller's open file description itself, offset and status flags included.
  return { fd: native.fcntl(fd, F_DUPFD_CLOEXEC, 0) };
}
