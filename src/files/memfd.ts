/**
 * memfds (memfd_create), as open files and as mappings. In CRIU's layout: each open file
 * description is a memfd_file_entry (files.img, type MEMFD) pointing at its inode, a
 * memfd_inode_entry in memfd.img (name, owner, mode, size, seals), written once per inode
 * (st_dev/st_ino). The contents are shared memory pages: pagemap-shmem-SHMID.img, whose vaddr
 * is the offset in the file, and the pages-ID.img it names; holes (SEEK_DATA/SEEK_HOLE) are left
 * out, so a sparse memfd stays sparse. A mapping of a memfd is a VMA with VMA_AREA_MEMFD whose
 * shmid is the id of a memfd_file_entry.
 *
 * Restore makes each inode once in the restorer (memfd_create, contents, size, owner, mode);
 * every open file description is a reopen through /proc/self/fd with its own flags (its offset is
 * set once the task holds it), and every mapping maps a reopen of the same memfd, so all of them
 * share one object. Seals come last, when every task holds its fds and mappings (a
 * F_SEAL_FUTURE_WRITE memfd may still be mapped writable then).
 */
import { mutated } from '../mutant';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { native } from '../native';
import { ImageError, SysError, UnsupportedError } from '../errors';
import { Entry, MEMFD_INODE_IMG, pagesImg, readImageOptional, shmemPagemapImg, writeImage } from '../images';
import { createImageFile } from '../images-dir';
import { PAGE_SIZE } from '../proc/pagemap';
import { parseFdinfo } from '../proc/fdinfo';
import { copyRange, dataRuns, pageRuns } from './file-data';
import { FdType, FileDumpContext, FileKind, FileRestoreContext, NO_FOWN, OpenFd } from './types';
import { VMA, VmaInfo } from '../mem/vma';

/** readlink of a memfd (fd or mapping): "/memfd:NAME (deleted)". */
export const MEMFD_PATH = /^\/memfd:(.*) \(deleted\)$/s;

const O_RDONLY = 0, O_RDWR = 2, O_ACCMODE = 3, O_CLOEXEC = 0o2000000;
const F_DUPFD_CLOEXEC = 1030, F_SETFL = 4;
/** Flags that only mean something at creation time: never replayed on reopen. */
const CREATION_FLAGS = 0o100 | 0o200 | 0o400 | 0o1000;
const F_ADD_SEALS = 1033, F_GET_SEALS = 1034;
const F_SEAL_EXEC = 0x20;
const MFD_CLOEXEC = 1, MFD_ALLOW_SEALING = 2, MFD_EXEC = 0x10;
const EINVAL = 22, EACCES = 13;
const PE_PRESENT = 1 << 2;
const HUGETLBFS_MAGIC = 0x958458f6;

interface MemfdDumpState {
  /** inode_id by "st_dev:st_ino". */
  inodes: Map<string, number>;
  shmids: Set<number>;
  next: number;
}

function dumpState(ctx: FileDumpContext): MemfdDumpState {
  let s = ctx.cache.get('memfd') as MemfdDumpState | undefined;
  if (!s) ctx.cache.set('memfd', (s = { inodes: new Map(), shmids: new Set(), next: 1 }));
  return s;
}

/** Mount ids of the task's mount namespace: a memfd's mount (the kernel's internal shm mount) is never among them. */
export function mountIds(pid: number, ctx: FileDumpContext): Set<number> {
  const key = `mountinfo:${pid}`;
  let ids = ctx.cache.get(key) as Set<number> | undefined;
  if (!ids) {
    ids = new Set(fs.readFileSync(`/proc/${pid}/mountinfo`, 'utf8').split('\n').filter(Boolean).map((l) => Number(l.split(' ')[0])));
    ctx.cache.set(key, ids);
  }
  return ids;
}

/** A path that reads like a memfd's and a mount that is none of the task's: a memfd. */
export function isMemfd(link: string, mntId: number, pid: number, ctx: FileDumpContext): boolean {
  return MEMFD_PATH.test(link) && !mountIds(pid, ctx).has(mntId);
}

/**
 * The inode_id of the memfd behind procPath (/proc/PID/fd/N or /proc/PID/map_files/A-B); the
 * first time an inode is seen its memfd_inode_entry and contents are dumped. `what` names the
 * fd or mapping in errors.
 */
export function dumpMemfdInode(procPath: string, name: string, pid: number, what: string, ctx: FileDumpContext): number {
  // An open file description of our own: SEEK_DATA moves its offset, not the task's.
  const fd = fs.openSync(procPath, O_RDONLY | O_CLOEXEC);
  try {
    const st = fs.fstatSync(fd, { bigint: true });
    const s = dumpState(ctx);
    const key = `${st.dev}:${st.ino}`;
    const known = s.inodes.get(key);
    if (known !== undefined) return known;
    if (fs.statfsSync(`/proc/self/fd/${fd}`).type === HUGETLBFS_MAGIC) throw new UnsupportedError(pid, what, 'a memfd on hugetlbfs (MFD_HUGETLB) is not carried: amber does not dump huge pages yet');
    // A deleted file of a real mount whose name only looks like a memfd's.
    if (mountIds(pid, ctx).has(parseFdinfo(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8')).mntId)) {
      throw new UnsupportedError(pid, what, 'a deleted file that is not a memfd (mapped deleted files are not supported yet)');
    }
    const inodeId = s.next++;
    s.inodes.set(key, inodeId);
    // CRIU names the contents by the inode number (a u32 here), kept unique within the dump.
    let shmid = Number(st.ino & 0xffffffffn);
    while (s.shmids.has(shmid)) shmid = (shmid + 1) >>> 0;
    s.shmids.add(shmid);
    const size = Number(st.size);
    const seals = native.fcntl(fd, F_GET_SEALS, 0);
    const bytes = dumpShmemContents(fd, size, shmid, ctx);
    ctx.addImageEntry(MEMFD_INODE_IMG, 'MEMFD_INODE', {
      name, uid: Number(st.uid), gid: Number(st.gid), size: st.size, shmid, seals, inode_id: BigInt(inodeId), mode: Number(st.mode),
    });
    ctx.log.debug(`memfd:${name} (inode ${st.ino}): inode id ${inodeId}, size ${size}, ${bytes} bytes of data, seals 0x${seals.toString(16)}`);
    return inodeId;
  } finally {
    fs.closeSync(fd);
  }
}

/** Writes the data pages of fd to pagemap-shmem-SHMID.img + a new pages-ID.img; returns the bytes written. */
export function dumpShmemContents(fd: number, size: number, shmid: number, ctx: FileDumpContext): number {
  const runs = pageRuns(dataRuns(fd, size), size, PAGE_SIZE);
  const pagesId = ctx.nextPagesId();
  const out = createImageFile(ctx.imagesDir, pagesImg(pagesId));
  let bytes = 0;
  try {
    for (const r of runs) {
      copyRange(fd, r.off, out, null, r.len);
      bytes += r.len;
    }
  } finally {
    fs.closeSync(out);
  }
  writeImage(ctx.imagesDir, shmemPagemapImg(shmid), 'PAGEMAP', [
    { pages_id: pagesId },
    ...runs.map((r) => ({ vaddr: BigInt(r.off), nr_pages: r.len / PAGE_SIZE, flags: PE_PRESENT })),
  ]);
  return bytes;
}

/** Dumps the memfd behind every memfd mapping of the task (once per inode) and notes its inode_id on the VMA. */
export function dumpMemfdMappings(pid: number, vmas: VmaInfo[], ctx: FileDumpContext): void {
  for (const v of vmas) {
    if (!(v.entry.status & VMA.AREA_MEMFD) || !v.path) continue;
    const range = `${v.entry.start.toString(16)}-${v.entry.end.toString(16)}`;
    v.memfdInode = dumpMemfdInode(`/proc/${pid}/map_files/${range}`, MEMFD_PATH.exec(v.path)![1], pid, `mapping ${range} ${v.path}`, ctx);
  }
}

// ---- restore ----

function inodeEntries(ctx: FileRestoreContext): Map<number, Entry> {
  let m = ctx.shared.get(MEMFD_INODE_IMG) as Map<number, Entry> | undefined;
  if (!m) {
    m = new Map((readImageOptional(ctx.imagesDir, MEMFD_INODE_IMG, 'MEMFD_INODE') ?? []).map((e) => [Number(e.inode_id), e]));
    ctx.shared.set(MEMFD_INODE_IMG, m);
  }
  return m;
}

/**
 * memfd_create for a dumped memfd. Always MFD_EXEC (Linux 6.3+), never MFD_NOEXEC_SEAL: that one
 * seals F_SEAL_EXEC at once, and the dumped mode could then not be set (fchmod: EPERM); the
 * dumped F_SEAL_EXEC comes back with the other seals, on resume. A kernel without MFD_EXEC
 * (EINVAL), or whose vm.memfd_noexec refuses it (EACCES), gets no exec flag at all.
 */
function createMemfd(e: Entry): number {
  try {
    return native.memfdCreate(e.name, MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_EXEC);
  } catch (err) {
    if (!(err instanceof SysError && (err.errno === EINVAL || err.errno === EACCES))) throw err;
    return native.memfdCreate(e.name, MFD_CLOEXEC | MFD_ALLOW_SEALING);
  }
}

/** Puts back the pages of pagemap-shmem-SHMID.img into fd, at their offsets. */
function fillShmemContents(fd: number, shmid: number, ctx: FileRestoreContext): void {
  const pm = readImageOptional(ctx.imagesDir, shmemPagemapImg(shmid), 'PAGEMAP');
  if (!pm) throw new ImageError(shmemPagemapImg(shmid), undefined, `missing: the contents of memfd shmid ${shmid}`);
  const [head, ...runs] = pm;
  const file = path.join(ctx.imagesDir, pagesImg(head.pages_id));
  const src = fs.openSync(file, O_RDONLY | O_CLOEXEC);
  try {
    const total = runs.reduce((n, r) => n + r.nr_pages * PAGE_SIZE, 0);
    const have = fs.fstatSync(src).size;
    if (have < total) throw new ImageError(file, undefined, `truncated: ${have} bytes, the pagemap needs ${total}`);
    let off = 0;
    for (const r of runs) {
      const len = r.nr_pages * PAGE_SIZE;
      copyRange(src, off, fd, Number(r.vaddr), len);
      off += len;
    }
  } finally {
    fs.closeSync(src);
  }
}

/** The restorer's memfd for inode_id, made once with its contents, size, owner and mode; sealed on resume. */
export function restorerMemfd(inodeId: number, ctx: FileRestoreContext): number {
  const key = `memfd:${inodeId}`;
  const have = ctx.shared.get(key) as number | undefined;
  if (have !== undefined) return have;
  const e = inodeEntries(ctx).get(inodeId);
  if (!e) throw new ImageError(MEMFD_INODE_IMG, undefined, `no memfd inode ${inodeId}`);
  if (e.hugetlb_flag) throw new ImageError(MEMFD_INODE_IMG, undefined, `memfd:${e.name}: hugetlbfs memfds are not supported by this amber`);
  const fd = createMemfd(e);
  ctx.shared.set(key, fd);
  ctx.onCleanup(() => fs.closeSync(fd));
  fillShmemContents(fd, e.shmid, ctx);
  // After the contents: the last page was written whole.
  fs.ftruncateSync(fd, Number(e.size));
  fs.fchownSync(fd, e.uid, e.gid);
  if (e.mode !== undefined) fs.fchmodSync(fd, e.mode & 0o7777);
  const seals: number = e.seals;
  if (seals) {
    ctx.onResume(() => {
      const now = native.fcntl(fd, F_GET_SEALS, 0);
      if (seals & ~now && !mutated('skip-memfd-seals')) native.fcntl(fd, F_ADD_SEALS, seals & ~now);
    });
  }
  ctx.log.debug(`memfd:${e.name}: inode ${inodeId} made, size ${e.size}, seals 0x${seals.toString(16)}`);
  return fd;
}

/** A new open file description of the restored memfd for a mapping (caller closes it). */
export function openMemfdForMapping(file: Entry, fdflags: number, ctx: FileRestoreContext): number {
  if (!file.memfd) throw new ImageError('files.img', file.id, 'a memfd mapping whose file is not a memfd');
  const master = restorerMemfd(file.memfd.inode_id, ctx);
  return fs.openSync(`/proc/self/fd/${master}`, (fdflags & O_ACCMODE) | O_CLOEXEC);
}

export const memfd: FileKind = {
  name: 'memfd',
  type: FdType.MEMFD,
  matches: (f: OpenFd, ctx: FileDumpContext) => f.stat.isFile() && isMemfd(f.link, f.info.mntId, f.pid, ctx),
  dump(f: OpenFd, id: number, ctx: FileDumpContext) {
    const name = MEMFD_PATH.exec(f.link)![1];
    const inodeId = dumpMemfdInode(`/proc/${f.pid}/fd/${f.fd}`, name, f.pid, `fd ${f.fd} (${f.link})`, ctx);
    return { type: FdType.MEMFD, id, memfd: { id, flags: f.info.flags & ~O_CLOEXEC, pos: f.info.pos, fown: NO_FOWN, inode_id: inodeId } };
  },
  open(entry: Entry, ctx: FileRestoreContext) {
    const m = entry.memfd;
    if (!m) throw new ImageError('files.img', entry.id, 'memfd file entry without its memfd part');
    const master = restorerMemfd(m.inode_id, ctx);
    // The first read-write description is the memfd_create'd file itself, as in a program that
    // made one memfd: a reopen through /proc counts as a writer of the inode, and exec of the
    // memfd (fexecve, as runc does with its own binary) would then fail with ETXTBSY.
    const key = `memfd-own:${m.inode_id}`;
    if ((m.flags & O_ACCMODE) === O_RDWR && !ctx.shared.has(key)) {
      ctx.shared.set(key, true);
      const fd = native.fcntl(master, F_DUPFD_CLOEXEC, 0);
      native.fcntl(fd, F_SETFL, m.flags & ~(CREATION_FLAGS | O_ACCMODE | O_CLOEXEC));
      return { fd, pos: m.pos };
    }
    const fd = fs.openSync(`/proc/self/fd/${master}`, (m.flags & ~CREATION_FLAGS) | O_CLOEXEC);
    return { fd, pos: m.pos };
  },
};
