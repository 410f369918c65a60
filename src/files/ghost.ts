/**
 * Open regular files whose name no longer leads to them ("ghost" files): unlinked ("/path
 * (deleted)"), or whose path now names another file. In CRIU's layout: the file stays a
 * reg_file_entry named by its old path; remap-fpath.img says it is a GHOST and which ghost id
 * holds it; ghost-file-ID.img (ID in hex) holds its owner, mode, times and size, then its data as
 * chunks (ghost_chunk_entry + bytes), holes left out. One ghost per inode, whatever the number of
 * open file descriptions and tasks.
 *
 * --ghost-limit bounds the bytes of data a ghost brings into the images (CRIU bounds st_size:
 * amber counts what it stores, so a sparse file with little data is carried whatever its size).
 *
 * An O_TMPFILE file (never linked) comes back as a new O_TMPFILE file in the same directory, its
 * O_TMPFILE open file description being the one the restorer makes it with (so it can still be
 * linked in later, and F_GETFL is as before); its name "#INO" then has the new inode number.
 *
 * A removed directory (rmdir) held open or as a working directory is a ghost too: mode S_IFDIR,
 * no data; restore makes an empty directory and removes it once the tree holds it.
 *
 * Restore makes each ghost once: a new file in the old directory, under the old name when it is
 * free (so the fd reads "/path (deleted)" again) or else a hidden temporary name, unlinked at once;
 * the restorer keeps it open and every open file description is a reopen through /proc/self/fd
 * with its own flags, so they all share the one inode.
 */
import type { FileStat } from '../proc/fd-table-read';
import { kernelDev } from '../proc/devices';
import { pathOfTask } from '../proc/task-path';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { ImageError, nodeErrorToSys, UnsupportedError } from '../errors';
import { Entry, ghostFileImg, readImage, readImageOptional, REMAP_FPATH_IMG, writeImage } from '../images';
import { dataRuns } from './file-data';
import { mountIds } from './memfd';
import { parseFdinfo } from '../proc/fdinfo';
import type { VmaInfo } from '../mem/vma';
import { mutated } from '../mutant';
import { native } from '../native';
import { FileDumpContext, FileRestoreContext, OpenFd } from './types';

export const DELETED = ' (deleted)';
const REMAP_GHOST = 1, REMAP_LINKED = 0;
const O_RDONLY = 0, O_RDWR = 2, O_CREAT = 0o100, O_EXCL = 0o200, O_APPEND = 0o2000, O_DIRECTORY = 0o200000, O_CLOEXEC = 0o2000000;
/** O_NOCTTY | O_TRUNC: creation-time only. */
const O_TRUNC_NOCTTY = 0o400 | 0o1000;
/** __O_TMPFILE (O_TMPFILE without its O_DIRECTORY): kept in the open file description's flags. */
const O_TMPFILE_BIT = 0o20000000;
const F_GETFL = 3, F_SETFL = 4, F_DUPFD_CLOEXEC = 1030;
const S_IFMT = 0o170000, S_IFREG = 0o100000, S_IFDIR = 0o040000;

/**
 * The path an open regular file was opened by, when that path no longer leads to it (unlinked, or
 * now another file or nothing); undefined when the link still names this very file (which may
 * itself end in " (deleted)").
 */
export function ghostPath(f: OpenFd): string | undefined {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(pathOfTask(f.pid, f.link));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ENOTDIR') throw nodeErrorToSys(e, `stat ${f.link}`, f.pid);
  }
  if (st && st.dev === f.stat.dev && st.ino === f.stat.ino) return undefined;
  return f.link.endsWith(DELETED) ? f.link.slice(0, -DELETED.length) : f.link;
}


function timeval(ns: bigint): Entry {
  return { tv_sec: ns / 1_000_000_000n, tv_usec: (ns % 1_000_000_000n) / 1000n };
}

interface GhostDumpState { byInode: Map<string, number>; next: number }

/**
 * Dumps the ghost behind fd f (once per inode) and records in remap-fpath.img that file `id`
 * opens through it. Refuses, naming the fd, when its data exceed --ghost-limit.
 */
export function dumpGhost(f: OpenFd, id: number, name: string, ctx: FileDumpContext): void {
  const ghostId = ghostIdFor(f.stat, ctx, (gid) => {
    writeGhost(f, gid, ctx);
    if (f.stat.nlink > 0) ctx.log.warn(`fd ${f.fd} of ${f.pid}: ${f.link} is still linked ${f.stat.nlink} time(s) where its path does not lead; it is restored as a copy of its own`);
  });
  ctx.addImageEntry(REMAP_FPATH_IMG, 'REMAP_FPATH', { orig_id: id, remap_id: ghostId, remap_type: REMAP_GHOST });
  ctx.log.debug(`fd ${f.fd} of ${f.pid}: ${name} is gone; file id ${id} is ghost ${ghostId}`);
}

/** The ghost id of the inode st, the first time made by `write`. */
function ghostIdFor(st: FileStat, ctx: FileDumpContext, write: (ghostId: number) => void): number {
  let s = ctx.cache.get('ghost') as GhostDumpState | undefined;
  if (!s) ctx.cache.set('ghost', (s = { byInode: new Map(), next: 1 }));
  const key = `${st.dev}:${st.ino}`;
  let ghostId = s.byInode.get(key);
  if (ghostId === undefined) {
    ghostId = s.next;
    write(ghostId);
    s.next++;
    s.byInode.set(key, ghostId);
  }
  return ghostId;
}

/**
 * A removed directory (rmdir) still held by the task, as an open fd or as its working directory
 * (`procPath`: /proc/PID/fd/N or /proc/PID/cwd; `link` its readlink, "/path (deleted)"), for
 * file `id`: a ghost with the directory's owner, mode and times and no data (a removed
 * directory is empty and nothing can be made in it). Restore makes an empty directory again and
 * removes it once the tree holds it.
 */
export function dumpGhostDir(pid: number, procPath: string, link: string, id: number, ctx: FileDumpContext): void {
  const st = fs.statSync(procPath, { bigint: true });
  const plain = fs.statSync(procPath);
  if (!plain.isDirectory()) throw new ImageError('ghost', undefined, `${link} is not a directory`);
  if (st.nlink > 0n) throw new UnsupportedError(pid, link, `the directory has ${st.nlink} links but its path does not lead to it (over-mounted?); amber cannot reach it again`);
  const ghostId = ghostIdFor(plain, ctx, (gid) => {
    writeImage(ctx.imagesDir, ghostFileImg(gid), 'GHOST_FILE', [{
      uid: Number(st.uid), gid: Number(st.gid), mode: Number(st.mode), dev: kernelDev(Number(st.dev)), ino: st.ino,
      atim: timeval(st.atimeNs), mtim: timeval(st.mtimeNs), chunks: true,
    }]);
  });
  ctx.addImageEntry(REMAP_FPATH_IMG, 'REMAP_FPATH', { orig_id: id, remap_id: ghostId, remap_type: REMAP_GHOST });
  ctx.log.debug(`${procPath} of ${pid}: the directory ${link} was removed; file id ${id} is ghost directory ${ghostId}`);
}

function writeGhost(f: OpenFd, ghostId: number, ctx: FileDumpContext): void {
  writeGhostData(`/proc/${f.pid}/fd/${f.fd}`, f.pid, `fd ${f.fd} (${f.link})`, f.link, ghostId, ctx);
}

/** ghost-file-ID.img of the file behind procPath (/proc/PID/fd/N, /proc/PID/map_files/A-B); `what` names it in errors. */
function writeGhostData(procPath: string, pid: number, what: string, link: string, ghostId: number, ctx: FileDumpContext): void {
  // Our own open file description: SEEK_DATA moves its offset, not the task's.
  const fd = fs.openSync(procPath, O_RDONLY | O_CLOEXEC);
  try {
    const st = fs.fstatSync(fd, { bigint: true });
    const size = Number(st.size);
    const runs = dataRuns(fd, size);
    const bytes = runs.reduce((n, r) => n + r.len, 0);
    if (bytes > ctx.ghostLimit) {
      throw new UnsupportedError(pid, what,
        `the unlinked file holds ${bytes} bytes of data (size ${size}), above --ghost-limit ${ctx.ghostLimit}`);
    }
    const chunks = runs.map((r) => {
      const data = Buffer.alloc(r.len);
      let got = 0;
      while (got < r.len) {
        const n = fs.readSync(fd, data, got, r.len - got, r.off + got);
        if (n === 0) throw new ImageError(ghostFileImg(ghostId), undefined, `${link} shrank while dumped`);
        got += n;
      }
      return { len: BigInt(r.len), off: BigInt(r.off), extra: data };
    });
    writeImage(ctx.imagesDir, ghostFileImg(ghostId), 'GHOST_FILE', [{
      uid: Number(st.uid), gid: Number(st.gid), mode: Number(st.mode), dev: kernelDev(Number(st.dev)), ino: st.ino,
      atim: timeval(st.atimeNs), mtim: timeval(st.mtimeNs), chunks: true, size: st.size,
    }, ...chunks]);
    ctx.log.debug(`ghost ${ghostId}: ${link}, size ${size}, ${bytes} bytes of data in ${runs.length} runs`);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * The file behind a mapping whose file was unlinked ("/path (deleted)"), for file `id`: a ghost
 * (once per inode, shared with the fds of the same file). Refused when it is not a regular file
 * of one of the task's mounts (a kernel-internal object that only reads like a deleted file).
 */
export function dumpMappedGhost(pid: number, range: string, link: string, id: number, ctx: FileDumpContext): void {
  const procPath = `/proc/${pid}/map_files/${range}`;
  const what = `mapping ${range} ${link}`;
  const st = fs.statSync(procPath);
  if (!st.isFile()) throw new UnsupportedError(pid, what, 'the mapped object was deleted and is not a regular file');
  const fd = fs.openSync(procPath, O_RDONLY | O_CLOEXEC);
  try {
    const mnt = parseFdinfo(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')).mntId;
    if (!mountIds(pid, ctx).has(mnt)) throw new UnsupportedError(pid, what, 'the mapped object is on a mount outside the task\'s mount namespace (a kernel-internal file), which amber cannot make again');
  } finally {
    fs.closeSync(fd);
  }
  const ghostId = ghostIdFor(st, ctx, (gid) => writeGhostData(procPath, pid, what, link, gid, ctx));
  ctx.addImageEntry(REMAP_FPATH_IMG, 'REMAP_FPATH', { orig_id: id, remap_id: ghostId, remap_type: REMAP_GHOST });
  ctx.log.debug(`${what}: the mapped file is gone; file id ${id} is ghost ${ghostId}`);
}

/** Every mapping of an unlinked file gets a file id of its own whose remap names the file's ghost. */
export function dumpMappedGhosts(pid: number, vmas: VmaInfo[], nextFileId: () => number, ctx: FileDumpContext): void {
  for (const v of vmas) {
    if (!v.deleted || !v.path) continue;
    const id = nextFileId();
    dumpMappedGhost(pid, `${v.entry.start.toString(16)}-${v.entry.end.toString(16)}`, v.path, id, ctx);
    v.ghostFile = { id, name: v.path.slice(0, -DELETED.length) };
  }
}

// ---- restore ----

interface Remap { type: number; id: number }

/** remap-fpath.img's GHOST and LINKED entries (link-remap.ts): how each reg file id opens. */
function remaps(ctx: FileRestoreContext): Map<number, Remap> {
  let m = ctx.shared.get(REMAP_FPATH_IMG) as Map<number, Remap> | undefined;
  if (!m) {
    m = new Map();
    for (const e of readImageOptional(ctx.imagesDir, REMAP_FPATH_IMG, 'REMAP_FPATH') ?? []) {
      const type = e.remap_type ?? (e.remap_id & 0x80000000 ? REMAP_GHOST : REMAP_LINKED); // older images: a flag bit
      if (type !== REMAP_GHOST && type !== REMAP_LINKED) {
        throw new ImageError(REMAP_FPATH_IMG, undefined, `file ${e.orig_id}: remap type ${type} is not supported by this amber (ghost files and hard links only)`);
      }
      m.set(e.orig_id, { type, id: e.remap_id & 0x7fffffff });
    }
    ctx.shared.set(REMAP_FPATH_IMG, m);
  }
  return m;
}

/** The ghost id through which reg file `id` opens, if any. */
export function ghostOf(id: number, ctx: FileRestoreContext): number | undefined {
  const r = remaps(ctx).get(id);
  return r?.type === REMAP_GHOST ? r.id : undefined;
}

/** The file id of the hard link made at dump (--link-remap) through which reg file `id` opens, if any. */
export function linkedOf(id: number, ctx: FileRestoreContext): number | undefined {
  const r = remaps(ctx).get(id);
  return r?.type === REMAP_LINKED ? r.id : undefined;
}

/** Creates a file next to `name` (as `name` itself when free) and unlinks it again; returns its fd. */
function createUnlinked(name: string, ghostId: number): number {
  const dir = path.dirname(name);
  const tries = [name, ...Array.from({ length: 16 }, (_, i) => path.join(dir, `.amber-ghost.${ghostId.toString(16)}.${process.pid}.${i}`))];
  for (const p of tries) {
    let fd: number;
    try {
      fd = fs.openSync(p, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw nodeErrorToSys(e, `create ${p} for an unlinked file`);
    }
    fs.unlinkSync(p);
    return fd;
  }
  throw new ImageError(ghostFileImg(ghostId), undefined, `no free name in ${dir} for the unlinked ${name}`);
}

/**
 * Makes the empty directory of a ghost directory next to `name` (as `name` itself when free) and
 * opens it; it stays until the tree is about to run (tasks chdir into it by its path), then is
 * removed, or when the restore ends if it fails first.
 */
function createGhostDir(name: string, ghostId: number, ctx: FileRestoreContext): number {
  const dir = path.dirname(name);
  const tries = [name, ...Array.from({ length: 16 }, (_, i) => path.join(dir, `.amber-ghost.${ghostId.toString(16)}.${process.pid}.${i}`))];
  for (const p of tries) {
    try {
      fs.mkdirSync(p, 0o700);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'EEXIST') continue;
      throw nodeErrorToSys(e, `create ${p} for a removed directory`);
    }
    let removed = false;
    const remove = () => {
      if (removed || mutated('skip-ghost-dir-removal')) return;
      removed = true;
      fs.rmdirSync(p);
    };
    ctx.onResume(remove);
    ctx.onCleanup(remove);
    if (p !== name) ctx.log.warn(`${name} exists again: the removed directory is made as ${p}, and will be named so`);
    return fs.openSync(p, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  }
  throw new ImageError(ghostFileImg(ghostId), undefined, `no free name in ${dir} for the removed directory ${name}`);
}

/** The restorer's fd on ghost ghostId, made once with its data, size, owner, mode and times. */
function restorerGhost(ghostId: number, name: string, ctx: FileRestoreContext): number {
  const key = `ghost:${ghostId}`;
  const have = ctx.shared.get(key) as number | undefined;
  if (have !== undefined) return have;
  const file = ghostFileImg(ghostId);
  const [head, ...chunks] = readImage(ctx.imagesDir, file, 'GHOST_FILE');
  if (!head.chunks) throw new ImageError(file, 0, 'ghost data without chunks (older CRIU images) is not supported by this amber');
  const type = head.mode & S_IFMT;
  if (type !== S_IFREG && type !== S_IFDIR) throw new ImageError(file, 0, `ghost of mode 0${head.mode.toString(8)}: only regular files and directories are supported`);
  if (type === S_IFDIR && chunks.length) throw new ImageError(file, 1, 'a ghost directory with data');
  const tmpfile = type === S_IFREG ? tmpfileFlags(ghostId, ctx) : undefined;
  const fd = type === S_IFDIR ? createGhostDir(name, ghostId, ctx) : tmpfile !== undefined ? createTmpfile(name, tmpfile) : createUnlinked(name, ghostId);
  ctx.shared.set(key, fd);
  ctx.onCleanup(() => fs.closeSync(fd));
  for (const c of chunks) {
    const data: Buffer = c.extra;
    let w = 0;
    while (w < data.length) w += fs.writeSync(fd, data, w, data.length - w, Number(c.off) + w);
  }
  const end = chunks.reduce((m, c) => Math.max(m, Number(c.off + c.len)), 0);
  if (type === S_IFREG) fs.ftruncateSync(fd, head.size !== undefined ? Number(head.size) : end);
  fs.fchownSync(fd, head.uid, head.gid);
  fs.fchmodSync(fd, head.mode & 0o7777);
  if (head.atim && head.mtim) {
    const sec = (t: Entry) => Number(t.tv_sec) + Number(t.tv_usec) / 1e6;
    fs.futimesSync(fd, sec(head.atim), sec(head.mtim));
  }
  ctx.log.debug(type === S_IFDIR
    ? `ghost ${ghostId}: the directory ${name} made again, removed once the tree holds it`
    : `ghost ${ghostId}: ${name} made again (size ${head.size}, ${chunks.length} chunks) and unlinked`);
  return fd;
}

/**
 * The flags of the open file description that made ghost ghostId with O_TMPFILE, if one did: an
 * O_TMPFILE file comes back as one (it may still be linked into a directory later, and F_GETFL
 * shows O_TMPFILE), that description being the very one the restorer makes it with.
 */
function tmpfileFlags(ghostId: number, ctx: FileRestoreContext): number | undefined {
  for (const e of ctx.files.values()) {
    const reg = e.reg;
    if (reg && typeof reg.flags === 'number' && reg.flags & O_TMPFILE_BIT && ghostOf(reg.id, ctx) === ghostId) return reg.flags;
  }
  return undefined;
}

/** A new O_TMPFILE file in the directory of `name`, opened with the dumped flags (O_APPEND set after the data). */
function createTmpfile(name: string, flags: number): number {
  const dir = path.dirname(name);
  try {
    return fs.openSync(dir, (flags & ~(O_CLOEXEC | O_APPEND | O_CREAT | O_EXCL | O_TRUNC_NOCTTY)) | O_CLOEXEC, 0o600);
  } catch (e) {
    throw nodeErrorToSys(e, `open ${dir} with O_TMPFILE for ${name}`);
  }
}

/** A new open file description (flags as given) of the restored ghost ghostId, for file `name`. */
export function openGhost(ghostId: number, name: string, flags: number, ctx: FileRestoreContext): number {
  const master = restorerGhost(ghostId, name, ctx);
  // The O_TMPFILE description itself: the restorer made the file with it.
  if (flags & O_TMPFILE_BIT) {
    if (flags & O_APPEND) native.fcntl(master, F_SETFL, native.fcntl(master, F_GETFL, 0) | O_APPEND);
    return native.fcntl(master, F_DUPFD_CLOEXEC, 0);
  }
  try {
    return fs.openSync(`/proc/self/fd/${master}`, flags | O_CLOEXEC);
  } catch (e) {
    throw nodeErrorToSys(e, `reopen the unlinked ${name}`);
  }
}
