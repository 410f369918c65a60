/**
 * VMAs as CRIU's vma_entry describes them: classification of /proc/PID/smaps rows into
 * status bits (VMA_AREA_*), mmap flags and madvise bits; which ones amber cannot carry yet.
 */
import * as fs from 'node:fs';
import { UnsupportedError } from '../errors';
import { MapsEntry } from '../proc/maps';
import { madviseBits, refusedVmFlag } from './vm-flags';

export const VMA = {
  AREA_REGULAR: 1 << 0, AREA_STACK: 1 << 1, AREA_VSYSCALL: 1 << 2, AREA_VDSO: 1 << 3, AREA_HEAP: 1 << 5,
  FILE_PRIVATE: 1 << 6, FILE_SHARED: 1 << 7, ANON_SHARED: 1 << 8, ANON_PRIVATE: 1 << 9,
  AREA_SYSVIPC: 1 << 10, AREA_SOCKET: 1 << 11, AREA_VVAR: 1 << 12, AREA_AIORING: 1 << 13, AREA_MEMFD: 1 << 14, UNSUPP: 1 << 31,
} as const;

export const PROT_READ = 1, PROT_WRITE = 2, PROT_EXEC = 4;
export const MAP_SHARED = 0x1, MAP_PRIVATE = 0x2, MAP_ANONYMOUS = 0x20, MAP_GROWSDOWN = 0x100, MAP_NORESERVE = 0x4000;

/** vma_entry.mlock (amber's own). */
export const MLOCK_STATE = { locked: 1, onFault: 3 } as const;


export interface VmaEntry {
  start: bigint; end: bigint; pgoff: bigint; shmid: bigint;
  prot: number; flags: number; status: number; fd: bigint;
  madv?: bigint; fdflags?: number; mlock?: number;
}

/** A VMA plus what dump and restore need beside the image entry. */
export interface VmaInfo {
  entry: VmaEntry;
  /** Path of the mapped file, for file-backed VMAs. */
  path?: string;
  /** Dump pages of this VMA; anonOnly: only pages that diverged from the file. */
  /** none; all present pages; anon: present and diverged from the file; object: every page (shared memory, whose pages may be present only in other tasks). */
  pages: 'none' | 'all' | 'anon' | 'object';
  /** A memfd mapping (AREA_MEMFD): the memfd_inode_entry's inode_id, set by the dump once the memfd is dumped. */
  memfdInode?: number;
  /** The mapped file was unlinked ("/path (deleted)"): it is dumped as a ghost (ghost.ts). */
  deleted?: boolean;
  /** Device and inode of the mapped file as maps shows them ("fd:01:1234"): one file, one key. */
  fileKey?: string;
  /** Set by the dump for a deleted one: its file id (whose remap names the ghost) and old path. */
  ghostFile?: { id: number; name: string };
  /** A file mapped by path: its size and mode at dump, which restore checks (statMappedFiles). */
  fileStat?: { size: bigint; mode: number };
}

/**
 * The size and mode of every file mapped by path (not memfds, not unlinked files), read through
 * /proc/PID/map_files: restore maps the file its path then names, and refuses one that differs.
 * `seen` keeps them by file for the whole dump: every process of a tree maps the same libraries,
 * each in several VMAs (1,000 processes: 0.3 s of stats).
 */
export function statMappedFiles(pid: number, vmas: VmaInfo[], seen: Map<string, { size: bigint; mode: number }> = new Map()): void {
  for (const v of vmas) {
    if (!(v.entry.status & (VMA.FILE_PRIVATE | VMA.FILE_SHARED)) || v.entry.status & VMA.AREA_MEMFD || v.deleted) continue;
    const known = v.fileKey === undefined ? undefined : seen.get(v.fileKey);
    if (known) {
      v.fileStat = known;
      continue;
    }
    const st = fs.statSync(`/proc/${pid}/map_files/${v.entry.start.toString(16)}-${v.entry.end.toString(16)}`, { bigint: true });
    v.fileStat = { size: st.size, mode: Number(st.mode) };
    if (v.fileKey !== undefined) seen.set(v.fileKey, v.fileStat);
  }
}

/** smaps path of a memfd mapping: "/memfd:NAME (deleted)". */
const MEMFD_MAP_PATH = /^\/memfd:.* \(deleted\)$/s;

const O_RDONLY = 0, O_RDWR = 2;

export function classifyVma(m: MapsEntry, pid: number): VmaInfo {
  const v = classifyVmaKind(m, pid);
  if (m.inode !== 0) v.fileKey = `${m.dev}:${m.inode}`;
  // MAP_NORESERVE (VmFlags nr) rides on every ordinary mapping's mmap flags.
  if (m.vmFlags?.has('nr') && !(v.entry.status & (VMA.AREA_VDSO | VMA.AREA_VVAR | VMA.AREA_VSYSCALL))) v.entry.flags |= MAP_NORESERVE;
  return v;
}

function classifyVmaKind(m: MapsEntry, pid: number): VmaInfo {
  const prot = (m.read ? PROT_READ : 0) | (m.write ? PROT_WRITE : 0) | (m.exec ? PROT_EXEC : 0);
  const flagsSet = m.vmFlags ?? new Set<string>();
  const madv = madviseBits(flagsSet);
  const base: VmaEntry = {
    start: m.start, end: m.end, pgoff: m.offset, shmid: 0n, prot,
    flags: m.shared ? MAP_SHARED : MAP_PRIVATE, status: VMA.AREA_REGULAR, fd: -1n,
  };
  if (madv) base.madv = madv;
  // VM_LOCKED (mlock, MAP_LOCKED) and VM_LOCKONFAULT (mlock2 MLOCK_ONFAULT).
  if (flagsSet.has('lo')) base.mlock = flagsSet.has('lf') ? MLOCK_STATE.onFault : MLOCK_STATE.locked;
  const where = `mapping ${m.start.toString(16)}-${m.end.toString(16)} ${m.path || '[anon]'}`;

  switch (m.path) {
    case '[vsyscall]':
      return { entry: { ...base, status: VMA.AREA_VSYSCALL, flags: MAP_PRIVATE | MAP_ANONYMOUS }, pages: 'none' };
    case '[vdso]':
      // Its pages go in the images, as CRIU's do: CRIU's restorer reads the dumped vDSO's symbols
      // from them to tell whether the vDSO of the kernel it runs on can take its place.
      return { entry: { ...base, status: VMA.AREA_REGULAR | VMA.AREA_VDSO, flags: MAP_PRIVATE | MAP_ANONYMOUS }, pages: 'object' };
    case '[vvar]':
    case '[vvar_vclock]':
      return { entry: { ...base, status: VMA.AREA_REGULAR | VMA.AREA_VVAR, flags: MAP_PRIVATE | MAP_ANONYMOUS }, pages: 'none' };
  }
  // Kinds refused by what they are, before their flags or inode number speak: an io_uring ring
  // is VM_IO on older kernels (remap_pfn_range), and the first SysV segment of an IPC
  // namespace is shmid 0, which maps shows as inode 0.
  if (m.path.startsWith('/SYSV')) {
    throw new UnsupportedError(pid, where, `System V shared memory segment ${m.inode} (shmat): SysV IPC belongs to the IPC namespace, which amber does not dump, so the segment and its attachment cannot be carried`);
  }
  if (m.path.startsWith('anon_inode:')) {
    // Rings of an fd kind amber does not carry (io_uring, perf_event, ...): the fd says which.
    throw new UnsupportedError(pid, where, `a mapping of ${m.path.slice(11)} (its fd's kind is not supported yet)`);
  }
  // The kernel's own mappings above carry io/pf and the like; every other one answers to the table.
  const refusal = refusedVmFlag(flagsSet);
  if (refusal) throw new UnsupportedError(pid, where, refusal);
  const growsDown = flagsSet.has('gd') || m.path === '[stack]' ? MAP_GROWSDOWN : 0;
  if (m.inode === 0 || m.path === '[heap]' || m.path === '[stack]') {
    if (m.path.startsWith('[') && !['[heap]', '[stack]', ''].includes(m.path) && !m.path.startsWith('[anon:')) {
      throw new UnsupportedError(pid, where, 'special kernel mapping not supported');
    }
    if (m.shared) throw new UnsupportedError(pid, where, 'shared mapping without a file');
    let status: number = VMA.AREA_REGULAR | VMA.ANON_PRIVATE;
    if (m.path === '[heap]') status |= VMA.AREA_HEAP;
    if (m.path === '[stack]') status |= VMA.AREA_STACK;
    return { entry: { ...base, status, flags: MAP_PRIVATE | MAP_ANONYMOUS | growsDown, pgoff: 0n }, pages: 'all' };
  }
  // Shared anonymous memory shows as a deleted /dev/zero.
  if (m.path.startsWith('/dev/zero')) {
    return {
      entry: { ...base, status: VMA.AREA_REGULAR | VMA.ANON_SHARED, flags: MAP_SHARED | MAP_ANONYMOUS, shmid: BigInt(m.inode) },
      pages: 'object',
    };
  }
  // A memfd: mapped from the restored memfd, whose contents are dumped with it (private: only the
  // pages copied on write come from the pages image).
  if (MEMFD_MAP_PATH.test(m.path)) {
    if (m.shared) {
      return { entry: { ...base, status: VMA.AREA_REGULAR | VMA.FILE_SHARED | VMA.AREA_MEMFD, fdflags: m.write || flagsSet.has('mw') ? O_RDWR : O_RDONLY }, path: m.path, pages: 'none' };
    }
    return { entry: { ...base, status: VMA.AREA_REGULAR | VMA.FILE_PRIVATE | VMA.AREA_MEMFD, flags: MAP_PRIVATE | growsDown, fdflags: O_RDONLY }, path: m.path, pages: 'anon' };
  }
  if (!m.path.startsWith('/')) throw new UnsupportedError(pid, where, 'mapping of an unknown kind');
  // An unlinked file (a POSIX shm object after shm_unlink, a replaced library): a ghost, checked
  // and dumped with the fds (dumpMappedGhosts), mapped from the ghost at restore.
  const deleted = m.path.endsWith(' (deleted)') ? { deleted: true } : {};
  if (m.shared) {
    return { entry: { ...base, status: VMA.AREA_REGULAR | VMA.FILE_SHARED, fdflags: m.write || flagsSet.has('mw') ? O_RDWR : O_RDONLY }, path: m.path, pages: 'none', ...deleted };
  }
  return { entry: { ...base, status: VMA.AREA_REGULAR | VMA.FILE_PRIVATE, flags: MAP_PRIVATE | growsDown, fdflags: O_RDONLY }, path: m.path, pages: 'anon', ...deleted };
}
