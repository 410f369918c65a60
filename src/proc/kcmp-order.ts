/**
 * Finding a kernel object among others with kcmp(2), which orders what it compares (0: the
 * same object, 1: the first is before the second, 2: after; 3: different but unordered): a
 * sorted list and a binary search make "which of these is the same file / address space / fd
 * table" O(log n) kcmp calls instead of one per object seen (quadratic over a dump: 10,000
 * eventfds or 1,000 processes took seconds).
 */

/** Where `probe` is in `sorted` (by the kernel's order), and the element that is the same object, if one is. */
export function kcmpSearch<T>(sorted: readonly T[], kcmpWith: (element: T) => number): { at: number; same?: T } {
  let lo = 0, hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const c = kcmpWith(sorted[mid]);
    if (c === 0) return { at: mid, same: sorted[mid] };
    if (c === 1) lo = mid + 1;
    else if (c === 2) hi = mid;
    // No order to be had: compare with each, and add at the end.
    else return { at: sorted.length, same: sorted.find((x) => kcmpWith(x) === 0) };
  }
  return { at: lo };
}
