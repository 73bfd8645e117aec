/**
 * Operator-wide lists over the partitioned read model (issue 19 item 2): each read database
 * answers a page in the list's key order from the same keyset cursor; the pages are merged
 * in that order and cut to the page size. Since every database starts strictly after the
 * cursor and returns its first `limit` rows, the first `limit` of the merge are exactly the
 * first `limit` rows of the union: one cursor (the last row's key) serves every database.
 * Pure.
 */

/** The first `limit` rows of sorted pages merged by `compare` (a k-way merge; each page already sorted). */
export function mergeSortedPages<T>(pages: readonly (readonly T[])[], compare: (a: T, b: T) => number, limit: number): T[] {
  const heads = pages.map(() => 0);
  const out: T[] = [];
  while (out.length < limit) {
    let best = -1;
    for (let p = 0; p < pages.length; p++) {
      const row = pages[p]![heads[p]!];
      if (row === undefined) continue;
      if (best === -1 || compare(row, pages[best]![heads[best]!]!) < 0) best = p;
    }
    if (best === -1) break;
    out.push(pages[best]![heads[best]!]!);
    heads[best]! += 1;
  }
  return out;
}

/** Compares two keys (tuples of strings or numbers) in ascending order, element by element. */
export function compareKeys(a: readonly (string | number)[], b: readonly (string | number)[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (x < y) return -1;
    if (x > y) return 1;
  }
  return a.length - b.length;
}
