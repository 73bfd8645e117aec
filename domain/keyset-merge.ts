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

/**
 * The rows that more than one page has (by `keyOf`), with the pages holding them: the two
 * copies of a moved vendor's rows, in the database it left and the one it moved to, while
 * both exist (issue 19: from the copy until the old rows are deleted).
 */
export function copiesAcrossPages<T>(pages: readonly (readonly T[])[], keyOf: (row: T) => string): Map<string, { row: T; pages: number[] }> {
  const seen = new Map<string, { row: T; pages: number[] }>();
  pages.forEach((page, p) => {
    for (const row of page) {
      const key = keyOf(row);
      const hit = seen.get(key);
      if (hit === undefined) seen.set(key, { row, pages: [p] });
      else hit.pages.push(p);
    }
  });
  for (const [key, hit] of seen) if (hit.pages.length < 2) seen.delete(key);
  return seen;
}

/**
 * The pages with one copy of each row kept: the one in page `keep.get(key)` (its vendor's
 * current database), or the first page holding it when that has none. Dropping copies before
 * the merge keeps the merge exact: a row among the union's first `limit` distinct rows is
 * among the first `limit` of each page that holds it (a page has no row twice), so every
 * kept copy that belongs on the merged page was fetched.
 */
export function keepOneCopy<T>(
  pages: readonly (readonly T[])[],
  keyOf: (row: T) => string,
  copies: ReadonlyMap<string, { pages: readonly number[] }>,
  keep: ReadonlyMap<string, number>,
): T[][] {
  if (copies.size === 0) return pages.map((page) => [...page]);
  return pages.map((page, p) =>
    page.filter((row) => {
      const copy = copies.get(keyOf(row));
      if (copy === undefined) return true;
      const preferred = keep.get(keyOf(row));
      return p === (preferred !== undefined && copy.pages.includes(preferred) ? preferred : copy.pages[0]);
    }),
  );
}
