/**
 * Memory dump: the pages that exist (per /proc/PID/pagemap) of each VMA that needs them,
 * copied from the task straight into pages-N.img (page-copy.ts), with the pagemap entries describing them.
 */
import * as fs from 'node:fs';
import { PAGE_SIZE, scanPages } from '../proc/pagemap';
import { PageCopy, copyTaskToFile } from './page-copy';
import { PROT_READ, VmaInfo } from './vma';

export const PE_PRESENT = 1 << 2;

export interface PagemapEntry { vaddr: bigint; nr_pages: number; flags: number }

export interface PagesDumpResult {
  entries: PagemapEntry[];
  pagesScanned: number;
  pagesWritten: number;
}

export function dumpPages(pid: number, vmas: VmaInfo[], pagesFd: number, onProgress?: (bytes: number) => void): PagesDumpResult {
  const pagemapFd = fs.openSync(`/proc/${pid}/pagemap`, 'r');
  const entries: PagemapEntry[] = [];
  const copies: PageCopy[] = [];
  // Appended after whatever the file holds already.
  let fileOffset = fs.fstatSync(pagesFd).size;
  let pagesScanned = 0;
  let pagesWritten = 0;
  let viaMem = false;
  try {
    for (const v of vmas) {
      if (v.pages === 'none') continue;
      const { runs, scanned } = v.pages === 'object'
        // Every page of a shared memory object, read like shared pages (not pinned).
        ? { runs: [{ start: v.entry.start, pages: Number((v.entry.end - v.entry.start) / BigInt(PAGE_SIZE)), exclusive: false }], scanned: Number((v.entry.end - v.entry.start) / BigInt(PAGE_SIZE)) }
        : scanPages(pagemapFd, v.entry.start, v.entry.end, v.pages === 'anon');
      pagesScanned += scanned;
      const firstOfVma = entries.length;
      for (const run of runs) {
        const last = entries.length > firstOfVma ? entries[entries.length - 1] : undefined;
        // Runs split only by who maps them are one pagemap entry in the image (within one VMA).
        if (last && last.vaddr + BigInt(last.nr_pages * PAGE_SIZE) === run.start) last.nr_pages += run.pages;
        else entries.push({ vaddr: run.start, nr_pages: run.pages, flags: PE_PRESENT });
        const len = run.pages * PAGE_SIZE;
        // process_vm_readv copies straight from exclusive pages; pages shared with another task
        // (it would pin, and so unshare, them) or not readable go through /proc/PID/mem.
        const mem = !(v.entry.prot & PROT_READ) || !run.exclusive;
        viaMem ||= mem;
        copies.push({ addr: run.start, len, fileOffset, viaMem: mem });
        fileOffset += len;
        pagesWritten += run.pages;
      }
    }
  } finally {
    fs.closeSync(pagemapFd);
  }
  const memFd = viaMem ? fs.openSync(`/proc/${pid}/mem`, 'r') : -1;
  try {
    copyTaskToFile(pid, memFd, pagesFd, copies, onProgress);
  } finally {
    if (memFd >= 0) fs.closeSync(memFd);
  }
  return { entries, pagesScanned, pagesWritten };
}
