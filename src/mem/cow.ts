/**
 * Copy-on-write sharing after fork, rebuilt: a child is forked from its parent once the parent's
 * memory is restored, so it inherits every private page the parent has, shared copy-on-write as
 * the kernel shares them after a real fork. This module plans what the child must then change:
 *
 * - inherited mappings the child does not have exactly (same range, kind, protection, flags,
 *   file and offset) are unmapped, and restored the ordinary way;
 * - in each kept mapping, a page the child's images hold is written only where it differs from
 *   the parent's (identical bytes stay the shared page), and a page the parent holds but the
 *   child's images do not is dropped (MADV_DONTNEED: zero, or the file's page again);
 * - mappings the kernel does not copy to a child as they are (MADV_DONTFORK, MADV_WIPEONFORK)
 *   and shared ones (restored from their object anyway) are never kept.
 *
 * So memory after restore is shared where the dumped pages were equal, instead of one copy per
 * process; CRIU counts the same thing as "pages skipped COW" in stats-restore.
 */
import * as fs from 'node:fs';
import { Entry } from '../images';
import { PAGE_SIZE } from '../proc/pagemap';
import { VMA } from './vma';

const MADV_DONTFORK = 10n, MADV_WIPEONFORK = 18n;
const CHUNK_BYTES = 8 << 20;

/** A run of pages as a pages file holds them: at vaddr, len bytes, from offset in the file. */
export interface PageRun { vaddr: bigint; len: number; offset: number }

/** Where each pagemap entry's bytes are in its pages file (entries in file order). */
export function placeRuns(entries: readonly Entry[]): PageRun[] {
  let offset = 0;
  return entries.map((e) => {
    const r = { vaddr: BigInt(e.vaddr), len: e.nr_pages * PAGE_SIZE, offset };
    offset += r.len;
    return r;
  });
}

export interface KeptVma {
  /** Child's page runs to write (parts of its pages file), each a run of differing pages. */
  write: PageRun[];
  /** Page ranges to drop: the parent has them, the child's images do not. */
  zap: { start: bigint; len: number }[];
}

export interface CowPlan {
  /** Kept inherited mappings, by start address. */
  kept: Map<bigint, KeptVma>;
  /** Ranges of the parent's mappings to unmap in the child. */
  unmap: { start: bigint; end: bigint }[];
  /** Pages left shared with the parent (for stats-restore). */
  pagesShared: number;
  /** Pages compared byte for byte. */
  pagesCompared: number;
}

const privateKind = VMA.ANON_PRIVATE | VMA.FILE_PRIVATE;

/** Whether the child's mapping can be the one it inherits from the parent's. */
export function inheritable(parent: Entry, child: Entry): boolean {
  if (parent.start !== child.start || parent.end !== child.end) return false;
  if (!(parent.status & VMA.AREA_REGULAR) || parent.status & (VMA.AREA_VDSO | VMA.AREA_VVAR)) return false;
  if (!(parent.status & privateKind) || parent.status & (VMA.ANON_SHARED | VMA.FILE_SHARED | VMA.AREA_MEMFD)) return false;
  if (parent.status !== child.status || parent.prot !== child.prot || parent.flags !== child.flags) return false;
  if (parent.status & VMA.FILE_PRIVATE && (parent.shmid !== child.shmid || parent.pgoff !== child.pgoff)) return false;
  const madv = BigInt(parent.madv ?? 0n);
  if ((madv >> MADV_DONTFORK) & 1n || (madv >> MADV_WIPEONFORK) & 1n) return false;
  return true;
}

interface PagesImage { file: string; runs: PageRun[] }

/** The runs within [start, end), clipped to it, in address order. */
function clip(runs: readonly PageRun[], start: bigint, end: bigint): PageRun[] {
  const out: PageRun[] = [];
  for (const r of runs) {
    const rEnd = r.vaddr + BigInt(r.len);
    if (rEnd <= start || r.vaddr >= end) continue;
    const from = r.vaddr > start ? r.vaddr : start;
    const to = rEnd < end ? rEnd : end;
    out.push({ vaddr: from, len: Number(to - from), offset: r.offset + Number(from - r.vaddr) });
  }
  return out.sort((x, y) => (x.vaddr < y.vaddr ? -1 : x.vaddr > y.vaddr ? 1 : 0));
}

/** A piece of a run of `a`, with where `b` has the same addresses (undefined: b has none). */
interface Piece { vaddr: bigint; len: number; offset: number; other?: number }

/** Cuts the runs of `a` where runs of `b` begin and end (both sorted, neither overlapping itself). */
function pieces(a: readonly PageRun[], b: readonly PageRun[]): Piece[] {
  const out: Piece[] = [];
  let j = 0;
  for (const r of a) {
    let at = r.vaddr;
    const end = r.vaddr + BigInt(r.len);
    while (at < end) {
      while (j < b.length && b[j].vaddr + BigInt(b[j].len) <= at) j++;
      const o = b[j];
      if (!o || o.vaddr >= end) {
        out.push({ vaddr: at, len: Number(end - at), offset: r.offset + Number(at - r.vaddr) });
        break;
      }
      if (o.vaddr > at) {
        out.push({ vaddr: at, len: Number(o.vaddr - at), offset: r.offset + Number(at - r.vaddr) });
        at = o.vaddr;
      }
      const oEnd = o.vaddr + BigInt(o.len);
      const to = oEnd < end ? oEnd : end;
      out.push({ vaddr: at, len: Number(to - at), offset: r.offset + Number(at - r.vaddr), other: o.offset + Number(at - o.vaddr) });
      at = to;
    }
  }
  return out;
}

/**
 * The plan for a child forked from `parent` (both as their images describe them). Reads both
 * pages files to compare the pages of kept mappings.
 */
export function planCow(parentVmas: readonly Entry[], parent: PagesImage, childVmas: readonly Entry[], child: PagesImage): CowPlan {
  const kept = new Map<bigint, KeptVma>();
  const unmap: { start: bigint; end: bigint }[] = [];
  const byStart = new Map(childVmas.map((v) => [BigInt(v.start), v]));
  let pagesShared = 0, pagesCompared = 0;
  const pfd = fs.openSync(parent.file, 'r');
  const cfd = fs.openSync(child.file, 'r');
  const pbuf = Buffer.allocUnsafe(CHUNK_BYTES), cbuf = Buffer.allocUnsafe(CHUNK_BYTES);
  try {
    for (const p of parentVmas) {
      if (!(p.status & VMA.AREA_REGULAR) || p.status & (VMA.AREA_VDSO | VMA.AREA_VVAR)) continue;
      const c = byStart.get(BigInt(p.start));
      if (!c || !inheritable(p, c)) {
        unmap.push({ start: BigInt(p.start), end: BigInt(p.end) });
        continue;
      }
      const start = BigInt(p.start), end = BigInt(p.end);
      const cr = clip(child.runs, start, end), pr = clip(parent.runs, start, end);
      const k: KeptVma = { write: [], zap: [] };
      const addWrite = (vaddr: bigint, len: number, offset: number) => {
        const last = k.write[k.write.length - 1];
        if (last && last.vaddr + BigInt(last.len) === vaddr && last.offset + last.len === offset) last.len += len;
        else k.write.push({ vaddr, len, offset });
      };
      // The parent's pages the child's images lack: dropped in the child.
      for (const z of pieces(pr, cr)) if (z.other === undefined) k.zap.push({ start: z.vaddr, len: z.len });
      // The child's pages: written where the parent has none, or different bytes.
      for (const c of pieces(cr, pr)) {
        if (c.other === undefined) { addWrite(c.vaddr, c.len, c.offset); continue; }
        for (let done = 0; done < c.len;) {
          const n = Math.min(c.len - done, pbuf.length);
          readFull(pfd, pbuf, n, c.other + done, parent.file);
          readFull(cfd, cbuf, n, c.offset + done, child.file);
          for (let a2 = 0; a2 < n; a2 += PAGE_SIZE) {
            pagesCompared++;
            if (pbuf.compare(cbuf, a2, a2 + PAGE_SIZE, a2, a2 + PAGE_SIZE) === 0) pagesShared++;
            else addWrite(c.vaddr + BigInt(done + a2), PAGE_SIZE, c.offset + done + a2);
          }
          done += n;
        }
      }
      kept.set(start, k);
    }
  } finally {
    fs.closeSync(pfd);
    fs.closeSync(cfd);
  }
  return { kept, unmap, pagesShared, pagesCompared };
}

function readFull(fd: number, buf: Buffer, len: number, pos: number, file: string): void {
  for (let done = 0; done < len;) {
    const n = fs.readSync(fd, buf, done, len - done, pos + done);
    if (n <= 0) throw new Error(`${file}: short read at offset ${pos + done}`);
    done += n;
  }
}
