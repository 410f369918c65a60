import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { inheritable, placeRuns, planCow } from '../../src/mem/cow';
import { VMA } from '../../src/mem/vma';

const P = 4096;
const anon = (start: number, pages: number, extra: Record<string, unknown> = {}) => ({
  start: BigInt(start), end: BigInt(start + pages * P), pgoff: 0n, shmid: 0n, prot: 3, flags: 0x22,
  status: VMA.AREA_REGULAR | VMA.ANON_PRIVATE, fd: -1n, madv: 0n, ...extra,
});

/** A pages file with the given pages (vaddr -> fill byte), and its pagemap entries. */
function pages(dir: string, name: string, list: [number, number][]) {
  const file = path.join(dir, name);
  const entries: { vaddr: bigint; nr_pages: number }[] = [];
  const bufs: Buffer[] = [];
  for (const [vaddr, fill] of list) {
    const last = entries[entries.length - 1];
    if (last && Number(last.vaddr) + last.nr_pages * P === vaddr) last.nr_pages++;
    else entries.push({ vaddr: BigInt(vaddr), nr_pages: 1 });
    bufs.push(Buffer.alloc(P, fill));
  }
  fs.writeFileSync(file, Buffer.concat(bufs));
  return { file, runs: placeRuns(entries) };
}

describe('copy-on-write plan for a child forked from its restored parent', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'amber-cow-'));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));
  const A = 0x100000, B = 0x200000, C = 0x300000;

  it('keeps equal pages shared, writes the ones that differ or are new, drops the ones the child lacks', () => {
    const parent = pages(dir, 'p.img', [[A, 1], [A + P, 2], [A + 2 * P, 3], [A + 3 * P, 4]]);
    // child: page 0 same, page 1 changed, page 2 missing (dropped), page 3 same, page 4 new
    const child = pages(dir, 'c.img', [[A, 1], [A + P, 9], [A + 3 * P, 4], [A + 4 * P, 5]]);
    const plan = planCow([anon(A, 8)], parent, [anon(A, 8)], child);
    const k = plan.kept.get(BigInt(A))!;
    expect(plan.unmap).toEqual([]);
    expect(plan.pagesCompared).toBe(3);
    expect(plan.pagesShared).toBe(2);
    expect(k.zap).toEqual([{ start: BigInt(A + 2 * P), len: P }]);
    // The changed page and the new one, each from its place in the child's file.
    expect(k.write).toEqual([{ vaddr: BigInt(A + P), len: P, offset: P }, { vaddr: BigInt(A + 4 * P), len: P, offset: 3 * P }]);
  });

  it('unmaps what the child does not have exactly as inherited', () => {
    const parent = pages(dir, 'p2.img', [[A, 1], [B, 1], [C, 1]]);
    const child = pages(dir, 'c2.img', [[A, 1]]);
    const plan = planCow(
      [anon(A, 1), anon(B, 1), anon(C, 1, { madv: 1n << 18n })],
      parent,
      [anon(A, 1), anon(B, 1, { prot: 1 }), anon(C, 1, { madv: 1n << 18n })],
      child,
    );
    expect([...plan.kept.keys()]).toEqual([BigInt(A)]);
    expect(plan.unmap).toEqual([{ start: BigInt(B), end: BigInt(B + P) }, { start: BigInt(C), end: BigInt(C + P) }]);
  });

  it('never keeps shared, memfd, vDSO or DONTFORK mappings', () => {
    const base = anon(A, 1);
    expect(inheritable(base, { ...base })).toBe(true);
    expect(inheritable({ ...base, status: VMA.AREA_REGULAR | VMA.ANON_SHARED }, { ...base, status: VMA.AREA_REGULAR | VMA.ANON_SHARED })).toBe(false);
    expect(inheritable({ ...base, madv: 1n << 10n }, { ...base, madv: 1n << 10n })).toBe(false);
    const vdso = { ...base, status: VMA.AREA_REGULAR | VMA.AREA_VDSO };
    expect(inheritable(vdso, vdso)).toBe(false);
    const file = { ...base, status: VMA.AREA_REGULAR | VMA.FILE_PRIVATE, shmid: 3n, pgoff: 0n };
    expect(inheritable(file, { ...file })).toBe(true);
    expect(inheritable(file, { ...file, shmid: 4n })).toBe(false);
  });

  it('handles a huge reservation without walking its pages', () => {
    const parent = pages(dir, 'p3.img', [[A, 7]]);
    const child = pages(dir, 'c3.img', [[A, 7]]);
    const huge = (s: number) => ({ ...anon(s, 1), end: BigInt(s) + (1n << 46n) });
    const plan = planCow([huge(A)], parent, [huge(A)], child);
    expect(plan.pagesShared).toBe(1);
  });
});
