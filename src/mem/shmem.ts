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
 * Puts the dumped contents of shared anonymous object `shmid` into `dst`, the restored object
 * (its /proc/PID/map_files file: offsets are the object's). Returns false when the images have
 * no pagemap-shmem for it (amber's older images: the pages are in the process pagemap).
 */
export function fillShmemObject(dst: number, shmid: bigint, imagesDir: string): boolean {
  const pm = readImageOptional(imagesDir, shmemPagemapImg(shmid), 'PAGEMAP');
  if (!pm) return false;
  const [head, ...entries] = pm;
  const src = fs.openSync(path.join(imagesDir, pagesImg(head.pages_id)), O_RDONLY | O_CLOEXEC);
  try {
    let fileOff = 0;
    for (const e of entries.map(normalizePagemapEntry)) {
      if (!(e.flags & PE_PRESENT)) continue;
      const n = e.nr_pages * PAGE_SIZE;
      copyRange(src, fileOff, dst, Number(e.vaddr), n);
      fileOff += n;
    }
  } finally {
    fs.closeSync(src);
  }
  return true;
}
