import { describe, expect, it } from 'vitest';
import { kcmpSearch } from '../../src/proc/kcmp-order';

/** kcmp's answers for objects that are numbers: 0 same, 1 element before probe, 2 after. */
const order = (probe: number) => (x: number) => (x === probe ? 0 : x < probe ? 1 : 2);

describe('kcmpSearch', () => {
  it('finds the same object or where it goes, in log n comparisons', () => {
    const sorted: number[] = [];
    let calls = 0;
    for (const v of [50, 10, 90, 30, 70, 10, 90, 60]) {
      const { at, same } = kcmpSearch(sorted, (x) => (calls++, order(v)(x)));
      if (same === undefined) sorted.splice(at, 0, v);
      else expect(same).toBe(v);
    }
    expect(sorted).toEqual([10, 30, 50, 60, 70, 90]);
    expect(calls).toBeLessThan(8 * 4);
  });

  it('falls back to comparing with each when kcmp gives no order (3)', () => {
    const list = [1, 2, 3];
    expect(kcmpSearch(list, (x) => (x === 3 ? 0 : 3))).toEqual({ at: 3, same: 3 });
    expect(kcmpSearch(list, () => 3)).toEqual({ at: 3, same: undefined });
  });
});
