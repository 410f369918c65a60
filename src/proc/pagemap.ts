/** /proc/PID/pagemap: one u64 per virtual page. Bit 63 present, 62 swapped, 61 file-page or shared-anon, 56 mapped by this process alone. */
import * as fs from 'node:fs';

export const PAGE_SIZE = 4096;
export const PAGE_SHIFT = 12n;


export interface PageRun {
  start: bigint; // address
  pages: number;
  /**
   * Present pages mapped by others too (copy-on-write after fork, KSM): false. Such pages must
   * be read without pinning them (process_vm_readv pins, and pinning a shared anonymous page
   * makes the kernel give the task its own copy: the tree would lose its sharing to the dump).
   */
  exclusive: boolean;
}

/**
 * Runs of pages in [start, end) that hold data of their own: present or swapped, and (for
 * private file mappings, anonOnly) not a page of the file's page cache.
 */
export function scanPages(fd: number, start: bigint, end: bigint, anonOnly: boolean): { runs: PageRun[]; scanned: number } {
  const first = start >> PAGE_SHIFT;
  const count = Number((end - start) >> PAGE_SHIFT);
  const runs: PageRun[] = [];
  const chunkPages = Math.min(65536, count);
  const buf = Buffer.allocUnsafe(Math.max(chunkPages, 1) * 8);
  let run: PageRun | undefined;
  for (let done = 0; done < count; done += chunkPages) {
    const n = Math.min(chunkPages, count - done);
    let got = 0;
    while (got < n * 8) {
      const r = fs.readSync(fd, buf, got, n * 8 - got, Number((first + BigInt(done)) * 8n) + got);
      if (r === 0) break;
      got += r;
    }
    for (let i = 0; i < got / 8; i++) {
      // The flag bits live in the high word: 31 present, 30 swapped, 29 file/shared.
      const hi = buf.readUInt32LE(i * 8 + 4);
      const hasData = (hi & 0xc0000000) !== 0 && !(anonOnly && (hi & 0x20000000) !== 0);
      // Bit 56 (exclusively mapped) only means something for a present page.
      const exclusive = !(hi & 0x80000000) || (hi & 0x01000000) !== 0;
      if (hasData) {
        if (run && run.exclusive === exclusive) run.pages++;
        else {
          run = { start: (first + BigInt(done + i)) << PAGE_SHIFT, pages: 1, exclusive };
          runs.push(run);
        }
      } else run = undefined;
    }
  }
  return { runs, scanned: count };
}
