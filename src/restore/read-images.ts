/**
 * Reads and cross-checks everything a restore needs before anything is created, so that a
 * missing, truncated or inconsistent image fails the restore with nothing to clean up.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import * as img from '../images';
import { ImageError } from '../errors';
import { PAGE_SIZE } from '../proc/pagemap';
import { TASK_STATE_CODE } from '../pstree/freeze';

export interface ProcessImages {
  pid: number;
  pstree: img.Entry;
  zombie: boolean;
  /** Core of each thread, the leader first (tid = pstree.threads[i]). */
  cores: img.Entry[];
  mm: img.Entry;
  ids: img.Entry;
  pagemap: img.Entry[]; // entries after the head
  pagesFile: string;
  fdinfo: img.Entry[];
  fs: img.Entry;
  /** Its fd table / fs information is its parent's (same files_id / fs_id): cloned with CLONE_FILES / CLONE_FS. */
  sharesFiles: boolean;
  sharesFs: boolean;
}

export interface ImageSet {
  dir: string;
  inventory: img.Entry;
  files: Map<number, img.Entry>;
  /** seccomp filters of every thread (seccomp.img), empty when none. */
  seccompFilters: img.Entry[];
  /** Every process in pstree order (parents before children). */
  processes: ProcessImages[];
}

function one(dir: string, file: string, kind: img.ImageKindName): img.Entry {
  const entries = img.readImage(dir, file, kind);
  if (entries.length !== 1) throw new ImageError(file, undefined, `expected one entry, found ${entries.length}`);
  return entries[0];
}

function readProcess(dir: string, pstree: img.Entry, files: Map<number, img.Entry>): ProcessImages {
  const pid: number = pstree.pid;
  const threads: number[] = pstree.threads ?? [];
  const leader = one(dir, img.coreImg(pid), 'CORE');
  if (leader.mtype !== 1 || !leader.tc) throw new ImageError(img.coreImg(pid), 0, 'not an x86_64 task core (mtype or tc missing)');
  // A zombie's thread list means nothing (CRIU 4.2 writes an uninitialized thread id there).
  if (leader.tc.task_state === TASK_STATE_CODE.zombie) {
    return { pid, pstree: { ...pstree, threads: [pid] }, zombie: true, cores: [leader], mm: {}, ids: {}, pagemap: [], pagesFile: '', fdinfo: [], fs: {}, sharesFiles: false, sharesFs: false };
  }
  if (threads[0] !== pid) throw new ImageError(img.PSTREE_IMG, undefined, `task ${pid}: its first thread is ${threads[0]}, not itself`);
  const cores = [leader, ...threads.slice(1).map((tid) => one(dir, img.coreImg(tid), 'CORE'))];
  cores.forEach((c, i) => {
    if (!c.thread_info?.gpregs || !c.thread_info?.fpregs) throw new ImageError(img.coreImg(threads[i]), 0, 'thread registers missing');
    stoppedRegs(c.thread_info.gpregs);
  });
  const ids = one(dir, img.idsImg(pid), 'IDS');
  const mm = one(dir, img.mmImg(pid), 'MM');
  const pm = img.readImage(dir, img.pagemapImg(pid), 'PAGEMAP');
  if (pm.length === 0 || pm[0].pages_id === undefined) throw new ImageError(img.pagemapImg(pid), 0, 'no pagemap head');
  const pagesFile = path.join(dir, img.pagesImg(pm[0].pages_id));
  const pagemap = splitAtVmas(dataRanges(pm.slice(1), img.pagemapImg(pid)), mm.vmas ?? [], img.pagemapImg(pid), img.mmImg(pid));
  const expected = pagemap.reduce((s, e) => s + e.nr_pages * PAGE_SIZE, 0);
  let size: number;
  try {
    size = fs.statSync(pagesFile).size;
  } catch {
    throw new ImageError(path.basename(pagesFile), undefined, 'missing pages file');
  }
  if (size !== expected) {
    throw new ImageError(path.basename(pagesFile), undefined, `holds ${size} bytes but ${img.pagemapImg(pid)} describes ${expected}`);
  }
  const fdinfo = img.readImage(dir, img.fdinfoImg(ids.files_id), 'FDINFO');
  fdinfo.forEach((f, i) => {
    if (!files.has(f.id)) throw new ImageError(img.fdinfoImg(ids.files_id), i, `fd ${f.fd} refers to file id ${f.id}, absent from ${img.FILES_IMG}`);
  });
  const fsEntry = one(dir, img.fsImg(pid), 'FS');
  for (const [what, id] of [['cwd', fsEntry.cwd_id], ['root', fsEntry.root_id], ['exe', mm.exe_file_id]] as const) {
    if (!files.get(id)?.reg?.name) throw new ImageError(what === 'exe' ? img.mmImg(pid) : img.fsImg(pid), 0, `${what} refers to file id ${id}, absent from ${img.FILES_IMG}`);
  }
  return { pid, pstree, zombie: false, cores, mm, ids, pagemap, pagesFile, fdinfo, fs: fsEntry, sharesFiles: false, sharesFs: false };
}

/**
 * The registers a thread resumes with (images hold those). amber's own images also keep the
 * registers of the stop when a syscall was interrupted (stopped_ax/stopped_ip): amber's restore
 * applies the restart itself, with the kernel's rules, from those.
 */
function stoppedRegs(regs: img.Entry): void {
  if (regs.stopped_ax !== undefined && regs.stopped_ip !== undefined) {
    regs.ax = regs.stopped_ax;
    regs.ip = regs.stopped_ip;
  }
  delete regs.stopped_ax;
  delete regs.stopped_ip;
}

/**
 * The ranges cut where one VMA ends and the next begins (CRIU's entries run on across adjacent
 * VMAs), so that each lies in one VMA; the pieces keep the file order. A range reaching outside
 * every VMA is a corrupt image.
 */
export function splitAtVmas(ranges: img.PagemapRange[], vmas: img.Entry[], file: string, mmFile: string): img.PagemapRange[] {
  const out: img.PagemapRange[] = [];
  // By start, searched by halves: a linear search per range made 10,000 VMAs quadratic (0.3 s).
  const byStart = [...vmas].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const vmaAt = (addr: bigint): img.Entry | undefined => {
    let lo = 0, hi = byStart.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (byStart[mid].start <= addr) lo = mid + 1;
      else hi = mid;
    }
    const v = byStart[lo - 1];
    return v && addr < v.end ? v : undefined;
  };
  ranges.forEach((r, i) => {
    let addr = r.vaddr;
    const end = r.vaddr + BigInt(r.nr_pages * PAGE_SIZE);
    while (addr < end) {
      const v = vmaAt(addr);
      if (!v) throw new ImageError(file, i + 1, `pages at 0x${addr.toString(16)} lie outside every VMA of ${mmFile}`);
      const stop = end < v.end ? end : (v.end as bigint);
      out.push({ vaddr: addr, nr_pages: Number((stop - addr) / BigInt(PAGE_SIZE)), flags: r.flags });
      addr = stop;
    }
  });
  return out;
}

/**
 * The pagemap entries whose data are in pages-ID.img (PE_PRESENT), in file order, counts and
 * flags normalized; ranges with no data and no parent (holes) are dropped. Pages in a parent
 * dump (PE_PARENT) are refused: amber's restore reads one images directory.
 */
function dataRanges(entries: img.Entry[], file: string): img.PagemapRange[] {
  return entries.map(img.normalizePagemapEntry).filter((e, i) => {
    if (e.flags & img.PE_PRESENT) return true;
    if (e.flags & img.PE_PARENT) throw new ImageError(file, i + 1, `pages at 0x${e.vaddr.toString(16)} are in the parent dump (PE_PARENT), which amber's restore does not read`);
    return false;
  });
}

/** file_entry's sub-message for each fd_types value (fdinfo.proto). */
const FILE_ENTRY_FIELD: Record<number, string> = {
  1: 'reg', 2: 'pipe', 3: 'fifo', 4: 'isk', 5: 'usk', 6: 'efd', 7: 'epfd', 8: 'ify', 9: 'sgfd', 10: 'psk',
  11: 'tty', 12: 'ffy', 13: 'nlsk', 16: 'ext', 17: 'tfd', 18: 'memfd', 1001: 'pidfd',
};

export function readImageSet(dir: string): ImageSet {
  if (!fs.existsSync(dir)) throw new ImageError(dir, undefined, 'images directory does not exist');
  const inventory = one(dir, img.INVENTORY_IMG, 'INVENTORY');
  if (inventory.img_version !== img.IMAGES_V1_1) throw new ImageError(img.INVENTORY_IMG, 0, `unsupported image version ${inventory.img_version}`);
  const tree = img.readImage(dir, img.PSTREE_IMG, 'PSTREE');
  if (tree.length === 0) throw new ImageError(img.PSTREE_IMG, undefined, 'no tasks');
  const pids = new Set<number>();
  tree.forEach((t, i) => {
    if (pids.has(t.pid)) throw new ImageError(img.PSTREE_IMG, i, `task ${t.pid} listed twice`);
    if (i > 0 && !pids.has(t.ppid)) throw new ImageError(img.PSTREE_IMG, i, `task ${t.pid}: parent ${t.ppid} is not listed before it`);
    pids.add(t.pid);
  });
  const files = new Map<number, img.Entry>();
  img.readImage(dir, img.FILES_IMG, 'FILES').forEach((f, i) => {
    // Each type's own sub-message (CRIU's layout of file_entry) must be there: every kind reads it.
    const field = FILE_ENTRY_FIELD[f.type];
    if (field && !f[field]) throw new ImageError(img.FILES_IMG, i, `file ${f.id} of type ${f.type} has no '${field}' part`);
    if (files.has(f.id)) throw new ImageError(img.FILES_IMG, i, `file id ${f.id} listed twice`);
    files.set(f.id, f);
  });
  // A FIFO's path is the reg_file_entry its regf_id names (CRIU's layout); amber's older images
  // carried it inside the FIFO entry.
  for (const f of files.values()) {
    if (f.fifo && !f.reg) {
      const reg = files.get(f.fifo.regf_id)?.reg;
      if (!reg) throw new ImageError(img.FILES_IMG, undefined, `FIFO ${f.id}: its path (reg file ${f.fifo.regf_id}) is not in ${img.FILES_IMG}`);
      f.reg = reg;
    }
  }
  const processes = tree.map((t) => readProcess(dir, t, files));
  // Same id as the parent's: the same kernel object (CRIU's kobj ids). The root task is compared
  // with nothing: inventory root_ids are the dumper's own (amber's older images repeated the root's).
  const byPid = new Map(processes.map((p) => [p.pid, p]));
  for (const p of processes.slice(1)) {
    const parent = byPid.get(p.pstree.ppid);
    if (!parent || p.zombie || parent.zombie) continue;
    p.sharesFiles = p.ids.files_id === parent.ids.files_id;
    p.sharesFs = p.ids.fs_id === parent.ids.fs_id;
  }
  // CRIU's images do not say who made a unix socket (amber's own owner_pid/peer_cred_pid): the
  // first task holding it (parents first) makes it, as CRIU's restore does, so SO_PEERCRED names it.
  for (const p of processes) {
    for (const f of p.fdinfo) {
      const usk = files.get(f.id)?.usk;
      if (!usk) continue;
      usk.owner_pid ??= p.pid;
      usk.peer_cred_pid ??= p.pid;
    }
  }
  if (processes[0].zombie) throw new ImageError(img.coreImg(processes[0].pid), 0, 'the root task is a zombie');
  const seccompFilters = img.readImageOptional(dir, img.SECCOMP_IMG, 'SECCOMP')?.[0]?.seccomp_filters ?? [];
  // CRIU writes a filter chain that every thread shares once, in the leader's core, its newest
  // filter flagged SECCOMP_FILTER_FLAG_TSYNC: threads without seccomp fields of their own share it.
  const TSYNC = 1;
  for (const p of processes) {
    const lead = p.cores[0]?.thread_core;
    if (p.zombie || !lead || lead.seccomp_filter === undefined || !(seccompFilters[lead.seccomp_filter]?.flags & TSYNC)) continue;
    for (const c of p.cores.slice(1)) {
      if (c.thread_core && c.thread_core.seccomp_mode === undefined) {
        c.thread_core.seccomp_mode = lead.seccomp_mode;
        c.thread_core.seccomp_filter = lead.seccomp_filter;
      }
    }
  }
  return { dir, inventory, files, seccompFilters, processes };
}
