/**
 * Probes of memory: /proc/PID/pagemap and map_files, the PAGEMAP_SCAN ioctl, soft-dirty bits,
 * process_vm_readv, AIO rings that follow mremap, userfaultfd, hugetlb memfds.
 */
import * as fs from 'node:fs';
import { native } from '../native';
import { addressOf, closeQuietly, errName, NR, Probe, sys } from './sys';

const PAGE = 4096;
const PROT_RW = 3, MAP_PRIVATE_ANON = 0x22;
const PAGEMAP_SCAN = 0xc0606610; // _IOWR('f', 16, struct pm_scan_arg), 96 bytes
const PAGE_IS_WRITTEN = 1 << 1, PAGE_IS_PRESENT = 1 << 3, PAGE_IS_GUARD = 1 << 8;
const MADV_GUARD_INSTALL = 102;
const UFFDIO_API = 0xc018aa3f, UFFDIO_REGISTER = 0xc020aa00, UFFD_API = 0xaa;
const UFFD_FEATURE_EVENT_FORK = 1 << 1, UFFD_FEATURE_EVENT_REMAP = 1 << 2, UFFD_FEATURE_EVENT_REMOVE = 1 << 3;
const UFFD_FEATURE_EVENT_UNMAP = 1 << 6, UFFD_FEATURE_WP_ASYNC = 1 << 15;
const NONCOOP = UFFD_FEATURE_EVENT_FORK | UFFD_FEATURE_EVENT_REMAP | UFFD_FEATURE_EVENT_REMOVE | UFFD_FEATURE_EVENT_UNMAP;
const MFD_CLOEXEC = 1, MFD_HUGETLB = 4;

/** An anonymous private mapping of n pages for fn, unmapped after. */
function withMapping<T>(pages: number, fn: (addr: bigint) => T): T {
  const m = sys(NR.mmap, 0, pages * PAGE, PROT_RW, MAP_PRIVATE_ANON, -1, 0);
  if (m.ret === -1) throw new Error(`mmap: ${errName(m.errno)}`);
  const addr = BigInt(m.ret);
  try {
    return fn(addr);
  } finally {
    sys(NR.munmap, addr, pages * PAGE);
  }
}

/** Writes bytes into this process's memory at addr (a mapping made here, not a JS object). */
function poke(addr: bigint, bytes: Buffer): void {
  native.processVmWritev(process.pid, addr, bytes, 0, bytes.length);
}

/** The 64-bit /proc/self/pagemap entry of the page holding addr. */
function pagemapEntry(addr: bigint): bigint {
  const fd = fs.openSync('/proc/self/pagemap', 'r');
  try {
    const b = Buffer.alloc(8);
    if (fs.readSync(fd, b, 0, 8, Number(addr / BigInt(PAGE)) * 8) !== 8) throw new Error('short read of /proc/self/pagemap');
    return b.readBigUInt64LE(0);
  } finally {
    closeQuietly(fd);
  }
}

/**
 * /proc/PID/pagemap: a page just written shows as present (bit 63) and exclusively mapped
 * (bit 56); one never touched is absent. The dump reads which pages exist from there.
 */
export const probePagemap: Probe = () =>
  withMapping(2, (addr) => {
    poke(addr, Buffer.from('amber'));
    const touched = pagemapEntry(addr), untouched = pagemapEntry(addr + BigInt(PAGE));
    if (!((touched >> 63n) & 1n)) return 'a written page is not present in /proc/self/pagemap';
    if (!((touched >> 56n) & 1n)) return 'a written private page is not marked exclusively mapped (bit 56)';
    if ((untouched >> 63n) & 1n) return 'a never touched page shows as present';
    return undefined;
  });

/**
 * Soft-dirty tracking (what CRIU's mem_dirty_track means): after "4" is written to clear_refs a
 * page's bit 55 is clear, and writing the page sets it again. Without CONFIG_MEM_SOFT_DIRTY the
 * bit is never set.
 */
export const probeSoftDirty: Probe = () =>
  withMapping(1, (addr) => {
    poke(addr, Buffer.from('a'));
    fs.writeFileSync('/proc/self/clear_refs', '4');
    const cleared = (pagemapEntry(addr) >> 55n) & 1n;
    poke(addr, Buffer.from('b'));
    const dirty = (pagemapEntry(addr) >> 55n) & 1n;
    if (!dirty) return 'a page written after clear_refs is not soft-dirty (bit 55): no soft-dirty tracking (CONFIG_MEM_SOFT_DIRTY)';
    if (cleared) return 'clear_refs did not clear the soft-dirty bit';
    return undefined;
  });

/** One PAGEMAP_SCAN over [start, end): the regions found, or the errno. */
function pagemapScan(start: bigint, end: bigint, categoryMask: number, returnMask: number): { start: bigint; end: bigint; categories: bigint }[] | number {
  const vec = Buffer.alloc(24 * 8);
  const arg = Buffer.alloc(96);
  arg.writeBigUInt64LE(96n, 0);
  arg.writeBigUInt64LE(start, 16);
  arg.writeBigUInt64LE(end, 24);
  arg.writeBigUInt64LE(addressOf(vec), 40);
  arg.writeBigUInt64LE(8n, 48);
  arg.writeBigUInt64LE(BigInt(categoryMask), 72);
  arg.writeBigUInt64LE(BigInt(returnMask), 88);
  const fd = fs.openSync('/proc/self/pagemap', 'r');
  try {
    const r = sys(NR.ioctl, fd, PAGEMAP_SCAN, arg);
    if (r.ret === -1) return r.errno;
    const out = [];
    for (let i = 0; i < r.ret; i++) {
      out.push({ start: vec.readBigUInt64LE(i * 24), end: vec.readBigUInt64LE(i * 24 + 8), categories: vec.readBigUInt64LE(i * 24 + 16) });
    }
    return out;
  } finally {
    closeQuietly(fd);
  }
}

/**
 * The PAGEMAP_SCAN ioctl: over two pages of which only the first was written, asking for present
 * pages must give exactly one region, the first page, flagged PAGE_IS_PRESENT.
 */
export const probePagemapScan: Probe = () =>
  withMapping(2, (addr) => {
    poke(addr, Buffer.from('amber'));
    const r = pagemapScan(addr, addr + 2n * BigInt(PAGE), PAGE_IS_PRESENT, PAGE_IS_PRESENT);
    if (typeof r === 'number') return `ioctl(PAGEMAP_SCAN): ${errName(r)}`;
    if (r.length !== 1 || r[0].start !== addr || r[0].end !== addr + BigInt(PAGE)) return `PAGEMAP_SCAN found ${r.length} regions, not the one written page`;
    return r[0].categories === BigInt(PAGE_IS_PRESENT) ? undefined : 'PAGEMAP_SCAN did not flag the page present';
  });

/**
 * PAGEMAP_SCAN knows guard pages (PAGE_IS_GUARD): the middle of three pages made a guard with
 * madvise(MADV_GUARD_INSTALL) is the one region found when asking for guards. Without it a dump
 * cannot see guard regions.
 */
export const probePagemapScanGuard: Probe = () =>
  withMapping(3, (addr) => {
    const mid = addr + BigInt(PAGE);
    const g = sys(NR.madvise, mid, PAGE, MADV_GUARD_INSTALL);
    if (g.ret === -1) return `madvise(MADV_GUARD_INSTALL): ${errName(g.errno)}`;
    const r = pagemapScan(addr, addr + 3n * BigInt(PAGE), PAGE_IS_GUARD, PAGE_IS_GUARD);
    if (typeof r === 'number') return `ioctl(PAGEMAP_SCAN) for PAGE_IS_GUARD: ${errName(r)}`;
    if (r.length !== 1 || r[0].start !== mid || r[0].end !== mid + BigInt(PAGE)) return `PAGEMAP_SCAN found ${r.length} guard regions, not the one guard page`;
    return undefined;
  });

/** /proc/PID/map_files: every entry of this process is a link that resolves (CONFIG_CHECKPOINT_RESTORE, and the right to read it). */
export const probeMapFiles: Probe = () => {
  let names: string[];
  try {
    names = fs.readdirSync('/proc/self/map_files');
  } catch (e) {
    return `/proc/self/map_files: ${(e as NodeJS.ErrnoException).code}`;
  }
  if (names.length === 0) return '/proc/self/map_files is empty';
  try {
    fs.readlinkSync(`/proc/self/map_files/${names[0]}`);
    fs.statSync(`/proc/self/map_files/${names[0]}`);
  } catch (e) {
    return `/proc/self/map_files/${names[0]}: ${(e as NodeJS.ErrnoException).code}`;
  }
  return undefined;
};

/** process_vm_readv (how the dump reads memory) and /proc/PID/mem (pages not readable to the task): both give back bytes written here. */
export const probeMemoryRead: Probe = () =>
  withMapping(1, (addr) => {
    poke(addr, Buffer.from('amber-check'));
    const b = Buffer.alloc(11);
    native.processVmReadv(process.pid, addr, b, 0, 11);
    if (b.toString() !== 'amber-check') return 'process_vm_readv read other bytes';
    const fd = fs.openSync('/proc/self/mem', 'r');
    try {
      const c = Buffer.alloc(11);
      fs.readSync(fd, c, 0, 11, Number(addr));
      return c.toString() === 'amber-check' ? undefined : '/proc/self/mem read other bytes';
    } finally {
      closeQuietly(fd);
    }
  });

/**
 * AIO rings follow mremap: io_setup's ring (its address is the context id) moved elsewhere with
 * mremap must still be found at the new address: io_getevents there answers 0 events, not EINVAL.
 */
export const probeAioRemap: Probe = () => {
  const ctx = Buffer.alloc(8);
  const s = sys(NR.io_setup, 16, ctx);
  if (s.ret === -1) return `io_setup: ${errName(s.errno)}`;
  let id = ctx.readBigUInt64LE(0);
  try {
    const line = fs.readFileSync('/proc/self/maps', 'utf8').split('\n').find((l) => l.startsWith(id.toString(16) + '-'));
    if (!line) return 'the AIO ring is not in /proc/self/maps';
    const [a, b] = line.split(' ')[0].split('-').map((x) => BigInt('0x' + x));
    const len = b - a;
    const dst = sys(NR.mmap, 0, len, PROT_RW, MAP_PRIVATE_ANON, -1, 0);
    if (dst.ret === -1) return `mmap: ${errName(dst.errno)}`;
    const m = sys(NR.mremap, id, len, len, 3 /* MREMAP_MAYMOVE | MREMAP_FIXED */, BigInt(dst.ret));
    if (m.ret === -1) {
      sys(NR.munmap, BigInt(dst.ret), len);
      return `mremap of the AIO ring: ${errName(m.errno)}`;
    }
    id = BigInt(m.ret);
    const g = sys(NR.io_getevents, id, 0, 1, 0, 0);
    if (g.ret === -1) return `io_getevents on the moved ring: ${errName(g.errno)}`;
    return g.ret === 0 ? undefined : `io_getevents on the moved ring gave ${g.ret} events`;
  } finally {
    if (sys(NR.io_destroy, id).ret === -1) sys(NR.munmap, id, PAGE);
  }
};

/** userfaultfd + UFFDIO_API asking for features; the features the kernel has, or the errno. */
function uffdApi(features: number, register: boolean): number | string {
  const u = sys(NR.userfaultfd, 0o2000000 | 0o4000);
  if (u.ret === -1) return `userfaultfd: ${errName(u.errno)}`;
  try {
    const api = Buffer.alloc(24);
    api.writeBigUInt64LE(BigInt(UFFD_API), 0);
    api.writeBigUInt64LE(BigInt(features), 8);
    const r = sys(NR.ioctl, u.ret, UFFDIO_API, api);
    if (r.ret === -1) return `UFFDIO_API (features ${features.toString(16)}): ${errName(r.errno)}`;
    if (register) {
      const err = withMapping(1, (addr) => {
        const reg = Buffer.alloc(32);
        reg.writeBigUInt64LE(addr, 0);
        reg.writeBigUInt64LE(BigInt(PAGE), 8);
        reg.writeBigUInt64LE(1n /* UFFDIO_REGISTER_MODE_MISSING */, 16);
        const x = sys(NR.ioctl, u.ret, UFFDIO_REGISTER, reg);
        return x.ret === -1 ? `UFFDIO_REGISTER: ${errName(x.errno)}` : undefined;
      });
      if (err) return err;
    }
    return Number(api.readBigUInt64LE(8));
  } finally {
    closeQuietly(u.ret);
  }
}

/** userfaultfd: the API handshake works and an anonymous area registers for missing-page faults (lazy restore). */
export const probeUffd: Probe = () => {
  const r = uffdApi(0, true);
  return typeof r === 'string' ? r : undefined;
};

/**
 * Non-cooperative userfaultfd: the kernel offers the fork, mremap, madvise-remove and munmap
 * events, and a second descriptor asking for all four is accepted.
 */
export const probeUffdNoncoop: Probe = () => {
  const have = uffdApi(0, false);
  if (typeof have === 'string') return have;
  if ((have & NONCOOP) !== NONCOOP) return `UFFDIO_API offers features ${have.toString(16)}, without all the non-cooperative events`;
  const r = uffdApi(NONCOOP, false);
  return typeof r === 'string' ? r : undefined;
};

/**
 * Dirty tracking without soft-dirty (amber's way): userfaultfd write-protection in async mode
 * (UFFD_FEATURE_WP_ASYNC) plus PAGEMAP_SCAN reporting written pages (PAGE_IS_WRITTEN).
 */
export const probeUffdWpDirtyTrack: Probe = () => {
  const have = uffdApi(0, false);
  if (typeof have === 'string') return have;
  if (!(have & UFFD_FEATURE_WP_ASYNC)) return 'userfaultfd has no UFFD_FEATURE_WP_ASYNC';
  return withMapping(1, (addr) => {
    const r = pagemapScan(addr, addr + BigInt(PAGE), PAGE_IS_WRITTEN, PAGE_IS_WRITTEN);
    return typeof r === 'number' ? `PAGEMAP_SCAN with PAGE_IS_WRITTEN: ${errName(r)}` : undefined;
  });
};

/** memfd_create(MFD_HUGETLB): a hugetlbfs-backed memfd can be made (restore recreates them so). */
export const probeMemfdHugetlb: Probe = () => {
  const r = sys(NR.memfd_create, Buffer.from('amber-check\0'), MFD_CLOEXEC | MFD_HUGETLB);
  if (r.ret === -1) return `memfd_create(MFD_HUGETLB): ${errName(r.errno)}`;
  closeQuietly(r.ret);
  return undefined;
};

