/**
 * Shared anonymous memory (MAP_SHARED|MAP_ANONYMOUS, VMA_ANON_SHARED) as CRIU keeps it: the
 * object's contents once, in pagemap-shmem-SHMID.img + a pages image of their own (vaddr = the
 * offset in the object), not in the pagemap of the processes that map it. CRIU's restore refuses
 * pages of a shared area in a process pagemap; amber's older images had them there, which
 * amber's restore still reads.
 */
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Entry, normalizePagemapEntry, PE_PRESENT, pagesImg, readImageOptional, shmemPagemapImg } from '../images';
import { dumpShmemContents } from '../files/memfd';
import { copyRange } from '../files/file-data';
import type { FileDumpContext } from '../files/types';
import { PAGE_SIZE } from '../proc/pagemap';

const O_RDONLY = 0, O_CLOEXEC = 0o2000000;

function mapFile(pid: number, start: bigint, end: bigint): string {
  return `/proc/${pid}/map_files/${start.toString(16)}-${end.toString(16)}`;
}

/** Dumps the contents of the object behind a shared anonymous mapping (the caller does it once per shmid). */
export function dumpShmemObject(pid: number, vma: Entry, ctx: FileDumpContext): void {
  const fd = fs.openSync(mapFile(pid, vma.start, vma.end), O_RDONLY | O_CLOEXEC);
  try {
    dumpShmemContents(fd, fs.fstatSync(fd).size, Number(vma.shmid), ctx);
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Puts the dumped contents of a shared anonymous object into the one just mapped at `vma` in
 * task pid (which maps the object from its offset vma.pgoff on). Returns false when the images
 * have no pagemap-shmem for it (amber's older images: the pages are in the process pagemap).
 */
export function fillShmemObject(pid: number, vma: Entry, imagesDir: string): boolean {
  const pm = readImageOptional(imagesDir, shmemPagemapImg(vma.shmid), 'PAGEMAP');
  if (!pm) return false;
  const [head, ...entries] = pm;
  const src = fs.openSync(path.join(imagesDir, pagesImg(head.pages_id)), O_RDONLY | O_CLOEXEC);
  const dst = fs.openSync(mapFile(pid, vma.start, vma.end), 'r+');
  try {
    const pgoff = BigInt(vma.pgoff), len = BigInt(vma.end) - BigInt(vma.start);
    let fileOff = 0;
    for (const e of entries.map(normalizePagemapEntry)) {
      if (!(e.flags & PE_PRESENT)) continue;
      const n = BigInt(e.nr_pages * PAGE_SIZE);
      // The part of the range inside what this mapping covers of the object.
      const from = e.vaddr > pgoff ? e.vaddr : pgoff;
      const to = e.vaddr + n < pgoff + len ? e.vaddr + n : pgoff + len;
      if (to > from) copyRange(src, fileOff + Number(from - e.vaddr), dst, Number(from - pgoff), Number(to - from));
      fileOff += Number(n);
    }
  } finally {
    fs.closeSync(src);
    fs.closeSync(dst);
  }
  return true;
}
