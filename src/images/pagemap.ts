/**
 * pagemap_entry as CRIU reads it. Flags: PE_PARENT, the pages are in the parent dump's images;
 * PE_LAZY, they may be filled on demand (they are still in pages-ID.img when PE_PRESENT);
 * PE_PRESENT, the data follow in this dump's pages-ID.img, in entry order. An entry without
 * flags is PE_PARENT when in_parent is set, PE_PRESENT otherwise (older images). The count is
 * field 5 (CRIU 4.x, 64-bit) when present, field 2 otherwise (CRIU 4.x writes 0 there).
 */
import type { Entry } from './image-file';

export const PE_PARENT = 1 << 0;
export const PE_LAZY = 1 << 1;
export const PE_PRESENT = 1 << 2;

export interface PagemapRange { vaddr: bigint; nr_pages: number; flags: number }

/** The entry with its page count in nr_pages and its flags made explicit. */
export function normalizePagemapEntry(e: Entry): PagemapRange {
  const nr = e.nr_pages_64 !== undefined ? Number(e.nr_pages_64) : e.nr_pages;
  const flags = e.flags !== undefined ? e.flags : e.in_parent ? PE_PARENT : PE_PRESENT;
  return { vaddr: e.vaddr, nr_pages: nr, flags };
}
