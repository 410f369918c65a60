import { describe, expect, it } from 'vitest';
import { ImageError } from '../../src/errors';
import { splitAtVmas } from '../../src/restore/read-images';

const P = 4096;
const vma = (startPage: number, pages: number) => ({ start: BigInt(startPage * P), end: BigInt((startPage + pages) * P) });
const range = (page: number, pages: number) => ({ vaddr: BigInt(page * P), nr_pages: pages, flags: 1 });
const split = (ranges: ReturnType<typeof range>[], vmas: ReturnType<typeof vma>[]) => splitAtVmas(ranges, vmas, 'pagemap-1.img', 'mm-1.img');

describe('splitAtVmas', () => {
  it('cuts a range where one VMA ends and the next begins, whatever the order of the VMAs', () => {
    const vmas = [vma(20, 5), vma(10, 4), vma(14, 6)];
    expect(split([range(12, 10), range(24, 1)], vmas)).toEqual([range(12, 2), range(14, 6), range(20, 2), range(24, 1)]);
  });

  it('finds the VMA of each range among many (by halves: 10,000 VMAs, one range each)', () => {
    const vmas = Array.from({ length: 10_000 }, (_, i) => vma(2 * i, 1));
    const ranges = vmas.map((_, i) => range(2 * i, 1));
    expect(split(ranges, [...vmas].reverse())).toEqual(ranges);
  });

  it('refuses pages in a gap between VMAs or past the last one, naming the pagemap entry', () => {
    const vmas = [vma(10, 2), vma(14, 2)];
    expect(() => split([range(10, 1), range(12, 1)], vmas)).toThrow(ImageError);
    expect(() => split([range(10, 1), range(12, 1)], vmas)).toThrow(/pagemap-1\.img.*2.*0xc000 lie outside every VMA of mm-1\.img/);
    expect(() => split([range(15, 2)], vmas)).toThrow(/0x10000 lie outside every VMA/);
    expect(() => split([range(9, 1)], vmas)).toThrow(/0x9000 lie outside/);
  });
});
