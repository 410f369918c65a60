/**
 * Memory restore inside the stub: empty its address space (but the scratch area), put the vDSO
 * where it was, map every VMA at its address (files from the real files), then fill pages from
 * pages-N.img with one copy from several threads (page-copy.ts).
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fillShmemObject } from './shmem';
import { SYS, syscallName } from '../arch/x86_64/syscalls';
import { AmberError, FileChangedError, ImageError, SysError } from '../errors';
import { isErrorResult } from '../compel/remote-syscalls';
import { Entry } from '../images';
import { Logger } from '../log';
import { PAGE_SIZE } from '../proc/pagemap';
import { parseMaps } from '../proc/maps';
import { SCRATCH_SIZE } from '../compel';
import { Injected, putString } from '../task/injected';
import { MAP_ANONYMOUS, MAP_SHARED, MLOCK_STATE, PROT_READ, PROT_WRITE, VMA } from './vma';
import { KeptVma, PageRun, placeRuns } from './cow';
import { copyFileToTask } from './page-copy';

const MLOCK_ONFAULT = 1;
import { takeRestorerFd } from '../restore/fds';
import { mutated } from '../mutant';

const TASK_SIZE = 0x7ffffffff000n;
const ARCH_MAP_VDSO_64 = 0x2003;
const MAP_FIXED = 0x10;
const AT_FDCWD = -100;
const O_RDONLY = 0, O_CLOEXEC = 0o2000000;
const MADV_DONTNEED = 4;

function vmaName(v: Entry): string {
  return `VMA ${v.start.toString(16)}-${v.end.toString(16)}`;
}

/** Unmaps all of the stub's memory but the scratch area; drops its inherited rseq first (caller). */
export function emptyAddressSpace(t: Injected, scratch: bigint): void {
  t.remote.call(SYS.munmap, 0, scratch);
  const after = scratch + BigInt(SCRATCH_SIZE);
  t.remote.call(SYS.munmap, after, TASK_SIZE - after);
}

/** Maps the vDSO (with its vvar pages) at the dumped address; same kernel, same layout. */
export function placeVdso(t: Injected, pid: number, vmas: Entry[]): void {
  const special = vmas.filter((v) => v.status & (VMA.AREA_VDSO | VMA.AREA_VVAR));
  if (special.length === 0) return;
  const start = special.reduce((m, v) => (v.start < m ? v.start : m), special[0].start);
  t.remote.call(SYS.arch_prctl, ARCH_MAP_VDSO_64, start);
  const now = parseMaps(fs.readFileSync(`/proc/${pid}/maps`, 'utf8')).filter((m) => ['[vdso]', '[vvar]', '[vvar_vclock]'].includes(m.path));
  for (const v of special) {
    // One image area may cover several of the kernel's ([vvar] + [vvar_vclock], as CRIU writes them).
    const inside = now.filter((m) => m.start < v.end && m.end > v.start);
    const tiled = inside.every((m) => m.start >= v.start && m.end <= v.end) && inside.reduce((n, m) => n + (BigInt(m.end) - BigInt(m.start)), 0n) === BigInt(v.end) - BigInt(v.start);
    if (!tiled) {
      throw new AmberError(`the vDSO of this kernel does not fit the dumped layout at ${vmaName(v)} (images from another kernel?)`);
    }
  }
}

/**
 * Shared anonymous memory objects of a restore, by their dumped inode: how large each must be
 * (the furthest any mapping of it in the tree reaches), and, once created, a mapping of it
 * through whose /proc/PID/map_files later mappings (in the same or another process) map it.
 */
export interface ShmemRegistry {
  sizes: Map<bigint, bigint>;
  mapped: Map<bigint, { pid: number; start: bigint; end: bigint }>;
}

/** The registry for a tree whose processes map `vmas` (every process's mm VMAs). */
export function shmemRegistry(vmas: Iterable<Entry>): ShmemRegistry {
  const sizes = new Map<bigint, bigint>();
  for (const v of vmas) {
    if (!(v.status & VMA.ANON_SHARED) || !(v.status & VMA.AREA_REGULAR)) continue;
    const reach = BigInt(v.pgoff) + (BigInt(v.end) - BigInt(v.start));
    if (reach > (sizes.get(v.shmid) ?? 0n)) sizes.set(v.shmid, reach);
  }
  return { sizes, mapped: new Map() };
}

export interface PagesSource {
  file: string;
  entries: Entry[]; // pagemap entries, in pages-file order
}

/**
 * Opens, in the restorer, a new open file description (with fdflags) of the restored memfd behind
 * a memfd_file_entry, for a mapping; the caller closes it.
 */
export type MemfdOpener = (file: Entry, fdflags: number) => number;

/**
 * Opens, in the restorer, a mapped file that is not reached by its path (an unlinked file, made
 * again as a ghost), with fdflags; undefined for a file opened by its path. The caller closes it.
 */
export type RemappedOpener = (file: Entry, fdflags: number) => number | undefined;

/**
 * Maps and fills every regular VMA. `files` resolves file ids (vma.shmid) to files.img entries;
 * `openMemfd` gives the restored memfd that memfd mappings (VMA_AREA_MEMFD) map.
 */
export function restoreVmas(t: Injected, pid: number, vmas: Entry[], files: Map<number, Entry>, shmem: ShmemRegistry, pages: PagesSource, log: Logger, onBytes?: (n: number) => void, openMemfd?: MemfdOpener, openRemapped?: RemappedOpener, kept?: ReadonlyMap<bigint, KeptVma>): void {
  const fileFds = new Map<string, number>();
  // The mmaps (and advice) of the VMAs run in batches of injected syscalls; pages are copied in
  // once every VMA is mapped (all at once, from several threads); what must follow the fill
  // (protections, locks) is the last batch.
  const maps = new SyscallBatch(t, pid);
  const after = new SyscallBatch(t, pid);
  const fill: PageRun[] = [];
  // File offset of each pagemap entry in the pages file.
  const placed = placeRuns(pages.entries);
  let next = 0;
  // Mapped files reopened from the restorer's side (ghost files), by VMA start, until handed over.
  const remapped = new Map<bigint, number>();
  try {
    openMappedFiles(t, pid, vmas, files, fileFds, remapped, openRemapped, kept);
    for (const v of vmas) {
      if (!(v.status & VMA.AREA_REGULAR) || v.status & (VMA.AREA_VDSO | VMA.AREA_VVAR)) {
        // The kernel's own areas: placed by placeVdso; their pages (the dumped vDSO) are not put back.
        while (next < placed.length && placed[next].vaddr >= v.start && placed[next].vaddr < v.end) next++;
        continue;
      }
      const len = v.end - v.start;
      const mine = [];
      while (next < placed.length && placed[next].vaddr < v.end) {
        if (placed[next].vaddr < v.start) throw new ImageError('pagemap', next + 1, `pages at 0x${placed[next].vaddr.toString(16)} are not in order`);
        mine.push(placed[next++]);
      }
      // Inherited from the parent as it is (cow.ts): only what differs is written.
      const inherited = kept?.get(v.start);
      if (inherited) {
        keepInherited(v, inherited, fill, maps, after);
        continue;
      }
      const prot = v.prot | (mine.length ? PROT_WRITE : 0);
      let fd = -1;
      let flags = v.flags | MAP_FIXED;
      let pgoff = v.pgoff;
      const shared = v.status & VMA.ANON_SHARED ? shmem.mapped.get(v.shmid) : undefined;
      if (shared) {
        // Same object as an earlier mapping (mapped by now): map its file, no longer anonymous.
        if (shared.pid === pid) maps.flush();
        const rfd = fs.openSync(`/proc/${shared.pid}/map_files/${shared.start.toString(16)}-${shared.end.toString(16)}`, 'r+');
        try {
          fd = takeRestorerFd(t, rfd);
        } finally {
          fs.closeSync(rfd);
        }
        fileFds.set(`shmem ${v.start}`, fd);
        flags &= ~MAP_ANONYMOUS;
      } else if (v.status & VMA.ANON_SHARED) {
        // A new object, made whole (a mapping of part of it, split by munmap or mprotect, maps
        // it from its own offset: made as large as this piece alone, the next piece was past
        // its end, SIGBUS), filled, then mapped here at this piece's offset.
        maps.flush();
        const size = shmem.sizes.get(v.shmid) ?? BigInt(v.pgoff) + BigInt(len);
        const whole = t.remote.call(SYS.mmap, 0, size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
        const rfd = fs.openSync(`/proc/${pid}/map_files/${whole.toString(16)}-${(whole + size).toString(16)}`, 'r+');
        try {
          fd = takeRestorerFd(t, rfd);
          fillShmemObject(rfd, v.shmid, path.dirname(pages.file));
        } finally {
          fs.closeSync(rfd);
        }
        // Before any later fixed mapping could land where the whole object was mapped for a moment.
        maps.add(SYS.munmap, [whole, size], `the whole of shared object ${v.shmid}`);
        fileFds.set(`shmem ${v.start}`, fd);
        flags &= ~MAP_ANONYMOUS;
        shmem.mapped.set(v.shmid, { pid, start: v.start, end: v.end });
      } else if (v.status & VMA.AREA_MEMFD) {
        // The one restored memfd, so that every mapping and fd of it shares one object.
        const f = files.get(Number(v.shmid));
        if (!f?.memfd || !openMemfd) throw new ImageError('mm', undefined, `${vmaName(v)} maps memfd file id ${v.shmid}, absent from files.img`);
        const rfd = openMemfd(f, v.fdflags ?? O_RDONLY);
        try {
          fd = takeRestorerFd(t, rfd);
        } finally {
          fs.closeSync(rfd);
        }
        fileFds.set(`memfd ${v.start}`, fd);
      } else if (v.status & (VMA.FILE_PRIVATE | VMA.FILE_SHARED)) {
        const f = files.get(Number(v.shmid));
        if (!f?.reg?.name) throw new ImageError('mm', undefined, `${vmaName(v)} maps file id ${v.shmid}, absent from files.img`);
        const rfd = remapped.get(v.start);
        if (rfd !== undefined) {
          remapped.delete(v.start);
          try {
            fd = takeRestorerFd(t, rfd);
          } finally {
            fs.closeSync(rfd);
          }
          fileFds.set(`remapped ${v.start}`, fd);
        } else {
          fd = fileFds.get(mappedFileKey(f, v))!;
        }
      }
      maps.add(SYS.mmap, [v.start, len, prot, flags, fd, fd >= 0 ? pgoff : 0], vmaName(v), v.start);
      // Advice before the pages: MADV_NOHUGEPAGE must be in force before a fill could fault in
      // whole huge pages (and make absent pages present) on kernels with THP always on.
      applyAdvice(v, BigInt(len), maps);
      fill.push(...mine);
      if (prot !== v.prot) after.add(SYS.mprotect, [v.start, len, v.prot], vmaName(v));
      lockIfLocked(v, BigInt(len), after);
    }
    if (next !== placed.length) throw new ImageError('pagemap', next + 1, 'pages outside every VMA');
    maps.flush();
    fillPages(pid, pages.file, fill, onBytes);
    after.flush();
  } finally {
    for (const rfd of remapped.values()) fs.closeSync(rfd);
    // One batch; a close that fails (it cannot: the fds are the stub's own) changes nothing.
    t.remote.rawBatch([...fileFds.values()].map((fd) => ({ nr: SYS.close, args: [fd] })));
  }
  log.debug(`mapped ${vmas.length} VMAs, filled ${placed.reduce((n, p) => n + p.len, 0) / PAGE_SIZE} pages`);
}

function applyAdvice(v: Entry, len: bigint, batch: SyscallBatch): void {
  const madv = BigInt(v.madv ?? 0n);
  for (let advice = 0n; advice < 64n; advice++) {
    if ((madv >> advice) & 1n && !mutated('skip-madvise')) batch.add(SYS.madvise, [v.start, len, advice], vmaName(v));
  }
}

/** The pages file into the task's memory (page-copy.ts: one copy, several threads). */
function fillPages(pid: number, file: string, runs: readonly PageRun[], onBytes?: (n: number) => void): void {
  if (runs.length === 0) return;
  const fd = fs.openSync(file, 'r');
  try {
    copyFileToTask(pid, fd, runs.map((p) => ({ addr: p.vaddr, len: p.len, fileOffset: p.offset })), onBytes);
  } catch (e) {
    if (e instanceof RangeError) throw new ImageError(file, undefined, e.message, { cause: e });
    throw e;
  } finally {
    fs.closeSync(fd);
  }
}

/** Locked last: locking faults every page in, which must not happen before the fill. */
function lockIfLocked(v: Entry, len: bigint, batch: SyscallBatch): void {
  if (v.mlock && !mutated('skip-mlock')) batch.add(SYS.mlock2, [v.start, len, v.mlock === MLOCK_STATE.onFault ? MLOCK_ONFAULT : 0], vmaName(v));
}

/**
 * A mapping the task inherited from its restored parent: pages the parent had and the task's
 * images lack are dropped, pages that differ written; the rest stays shared copy-on-write.
 */
function keepInherited(v: Entry, k: KeptVma, fill: PageRun[], before: SyscallBatch, after: SyscallBatch): void {
  const len = BigInt(v.end) - BigInt(v.start);
  applyAdvice(v, len, before);
  for (const z of k.zap) before.add(SYS.madvise, [z.start, z.len, MADV_DONTNEED], vmaName(v));
  const widen = k.write.length > 0 && !(v.prot & PROT_WRITE);
  if (widen) before.add(SYS.mprotect, [v.start, len, v.prot | PROT_WRITE], vmaName(v));
  fill.push(...k.write);
  if (widen) after.add(SYS.mprotect, [v.start, len, v.prot], vmaName(v));
  lockIfLocked(v, len, after);
}

/**
 * Injected syscalls collected and run in batches (RemoteSyscalls.rawBatch): each result is
 * checked, a failure names the syscall and the VMA it was for.
 */
class SyscallBatch {
  private calls: { nr: number; args: (number | bigint)[]; what: string; expect?: bigint }[] = [];
  constructor(private readonly t: Injected, private readonly pid: number) {}

  add(nr: number, args: (number | bigint)[], what: string, expect?: bigint): void {
    this.calls.push({ nr, args, what, expect });
  }

  flush(): void {
    const calls = this.calls;
    if (!calls.length) return;
    this.calls = [];
    const results = this.t.remote.rawBatch(calls);
    results.forEach((r, i) => {
      const c = calls[i];
      if (isErrorResult(r)) throw new SysError(Number(-r), `${syscallName(c.nr)} of ${c.what} (inside the task)`, this.pid);
      if (c.expect !== undefined && r !== c.expect) throw new AmberError(`${c.what} mapped at 0x${r.toString(16)}`);
    });
  }
}

function mappedFileKey(f: Entry, v: Entry): string {
  return `${f.reg.name}\0${v.fdflags ?? O_RDONLY}`;
}

/**
 * Opens, inside the task, every file its VMAs map (once per name and access mode), in batches of
 * injected openats (the paths side by side in the scratch buffer): fileFds gets them by
 * mappedFileKey. A file that is a ghost is reopened on the restorer's side instead (remapped).
 */
function openMappedFiles(t: Injected, pid: number, vmas: Entry[], files: Map<number, Entry>, fileFds: Map<string, number>, remapped: Map<bigint, number>,
  openRemapped?: RemappedOpener, kept?: ReadonlyMap<bigint, KeptVma>): void {
  const wanted = new Map<string, { reg: Entry; oflags: number }>();
  for (const v of vmas) {
    if (!(v.status & VMA.AREA_REGULAR) || v.status & (VMA.AREA_VDSO | VMA.AREA_VVAR | VMA.ANON_SHARED | VMA.AREA_MEMFD) || kept?.get(v.start)) continue;
    if (!(v.status & (VMA.FILE_PRIVATE | VMA.FILE_SHARED))) continue;
    const f = files.get(Number(v.shmid));
    if (!f?.reg?.name) continue; // restoreVmas names it
    const rfd = openRemapped?.(f, v.fdflags ?? O_RDONLY);
    if (rfd !== undefined) remapped.set(v.start, rfd);
    else wanted.set(mappedFileKey(f, v), { reg: f.reg, oflags: v.fdflags ?? O_RDONLY });
  }
  const todo = [...wanted];
  while (todo.length) {
    const chunk: typeof todo = [];
    let used = 0;
    while (todo.length && used + Buffer.byteLength(todo[0][1].reg.name) + 1 <= t.dataSize) {
      used += Buffer.byteLength(todo[0][1].reg.name) + 1;
      chunk.push(todo.shift()!);
    }
    if (!chunk.length) throw new AmberError(`the path ${todo[0][1].reg.name.slice(0, 80)}... does not fit the scratch buffer`);
    let at = 0;
    const calls = chunk.map(([, w]) => {
      const where = putString(t, w.reg.name, at);
      at += Buffer.byteLength(w.reg.name) + 1;
      return { nr: SYS.openat, args: [AT_FDCWD, where, w.oflags | O_CLOEXEC] };
    });
    const results = t.remote.rawBatch(calls);
    // Every fd kept first, so that the closing batch takes them all should one fail.
    results.forEach((r, i) => { if (!isErrorResult(r)) fileFds.set(chunk[i][0], Number(r)); });
    results.forEach((r, i) => {
      if (isErrorResult(r)) throw new SysError(Number(-r), `openat of ${chunk[i][1].reg.name}, mapped (inside the task)`, pid);
      checkMappedFile(pid, Number(r), chunk[i][1].reg);
    });
  }
}

/**
 * The file the task opened for a mapping must be the one dumped: the same size and mode (seen
 * through the task's own fd: the task may see another root than the restorer), else restore
 * fails naming it.
 */
function checkMappedFile(pid: number, fd: number, reg: Entry): void {
  if (reg.size === undefined && reg.mode === undefined) return;
  const st = fs.statSync(`/proc/${pid}/fd/${fd}`, { bigint: true });
  const mode = Number(st.mode), size = st.size;
  if (reg.size !== undefined && size !== BigInt(reg.size)) throw new FileChangedError(reg.name, 'the mapped file\'s size', `${reg.size} bytes`, `${size} bytes`);
  if (reg.mode !== undefined && mode !== reg.mode) throw new FileChangedError(reg.name, 'the mapped file\'s mode', `0${reg.mode.toString(8)}`, `0${mode.toString(8)}`);
}

/** struct prctl_mm_map, with auxv written into the scratch buffer and the exe opened inside the task. */
export function setMmMap(t: Injected, pid: number, mm: Entry, exePath: string): void {
  const PR_SET_MM = 35, PR_SET_MM_MAP = 14;
  const auxv: bigint[] = mm.mm_saved_auxv ?? [];
  // The stub's exe is the restorer's (node). The kernel refuses to replace an exe link whose file
  // is still mapped, so when the task is itself a node process its exe is already right: keep it.
  const sameExe = sameFile(`/proc/${pid}/exe`, exePath);
  const exeFd = sameExe ? -1 : Number(t.remote.call(SYS.openat, AT_FDCWD, putString(t, exePath), O_RDONLY | O_CLOEXEC));
  try {
    const auxvBuf = Buffer.alloc(auxv.length * 8);
    auxv.forEach((v, i) => auxvBuf.writeBigUInt64LE(v, i * 8));
    const auxvAddr = t.data + 1024n;
    t.mem.write(auxvAddr, auxvBuf);
    const b = Buffer.alloc(104);
    const fields = [mm.mm_start_code, mm.mm_end_code, mm.mm_start_data, mm.mm_end_data, mm.mm_start_brk, mm.mm_brk,
      mm.mm_start_stack, mm.mm_arg_start, mm.mm_arg_end, mm.mm_env_start, mm.mm_env_end, auxvAddr];
    fields.forEach((v, i) => b.writeBigUInt64LE(BigInt(v), i * 8));
    b.writeUInt32LE(auxvBuf.length, 96);
    b.writeUInt32LE(exeFd >>> 0, 100);
    t.mem.write(t.data, b);
    t.remote.call(SYS.prctl, PR_SET_MM, PR_SET_MM_MAP, t.data, 104, 0);
  } finally {
    if (exeFd >= 0) t.remote.call(SYS.close, exeFd);
  }
}

function sameFile(a: string, b: string): boolean {
  try {
    const x = fs.statSync(a), y = fs.statSync(b);
    return x.dev === y.dev && x.ino === y.ino;
  } catch {
    return false;
  }
}
