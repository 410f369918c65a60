/**
 * Memory dump: the pages that exist (per /proc/PID/pagemap) of each VMA that needs them,
 * copied from /proc/PID/mem straight into pages-N.img, with the pagemap entries describing them.
 */
import * as fs from 'node:fs';
import { TaskMemory } from '../compel/task-memory';
import { PAGE_SIZE, scanPages } from '../proc/pagemap';
import { native } from '../native';
import { SysError } from '../errors';
import { PROT_READ, VmaInfo } from './vma';

export const PE_PRESENT = 1 << 2;
const CHUNK = 8 << 20;

export interface PagemapEntry { vaddr: bigint; nr_pages: number; flags: number }

export interface PagesDumpResult {
  entries: PagemapEntry[];
  pagesScanned: number;
  pagesWritten: number;
}

export function dumpPages(pid: number, vmas: VmaInfo[], pagesFd: number, onProgress?: (bytes: number) => void): PagesDumpResult {
  const pagemapFd = fs.openSync(`/proc/${pid}/pagemap`, 'r');
  const mem = new TaskMemory(pid, false);
  const buf = Buffer.allocUnsafe(CHUNK);
  const entries: PagemapEntry[] = [];
  let pagesScanned = 0;
  let pagesWritten = 0;
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
        const total = run.pages * PAGE_SIZE;
        for (let off = 0; off < total; off += CHUNK) {
          const n = Math.min(CHUNK, total - off);
          if (v.entry.prot & PROT_READ && run.exclusive) vmRead(pid, run.start + BigInt(off), buf, n);
          else mem.readInto(run.start + BigInt(off), buf, 0, n);
          let w = 0;
          while (w < n) w += fs.writeSync(pagesFd, buf, w, n - w);
          onProgress?.(n);
        }
        pagesWritten += run.pages;
      }
    }
  } finally {
    mem.close();
    fs.closeSync(pagemapFd);
  }
  return { entries, pagesScanned, pagesWritten };
}

/** process_vm_readv copies straight from the task's pages, faster than /proc/PID/mem's bounce page. */
function vmRead(pid: number, addr: bigint, buf: Buffer, len: number): void {
  let done = 0;
  while (done < len) {
    const n = native.processVmReadv(pid, addr + BigInt(done), buf, done, len - done);
    if (n <= 0) throw new SysError(5, `process_vm_readv at 0x${(addr + BigInt(done)).toString(16)} (short)`, pid);
    done += n;
  }
}
