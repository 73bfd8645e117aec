/**
 * Operator-wide lists over the partitioned read model (domain/keyset-merge.ts), as properties:
 * each database answers its first `limit` rows after one cursor, and the merge's first `limit`
 * are exactly the first `limit` of the union; with a moved vendor's rows in two databases
 * (copies), dropping the extra copies before the merge keeps that exact — every row once, the
 * copy kept where asked — page after page until the end.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { copiesAcrossPages, keepOneCopy, mergeSortedPages } from "../../domain/keyset-merge";

const byKey = (a: number, b: number) => a - b;

/** What one database answers: its rows after `cursor`, the first `limit`, in key order. */
function pageOf(rows: readonly number[], cursor: number, limit: number): number[] {
  return rows.filter((r) => r > cursor).slice(0, limit);
}

/**
 * A world: distinct keys, each in one database (its home) and some also in a second one (a
 * moved vendor's copy), as sorted arrays per database, and the database each copy must be kept in.
 */
const world = fc
  .record({
    homes: fc.array(fc.integer({ min: 0, max: 3 }), { minLength: 0, maxLength: 120 }),
    copies: fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 3 })), { maxLength: 40 }),
    limit: fc.integer({ min: 1, max: 25 }),
  })
  .map(({ homes, copies, limit }) => {
    const dbs: number[][] = [[], [], [], []];
    homes.forEach((home, key) => {
      dbs[home]!.push(key);
    });
    const keep = new Map<string, number>();
    for (const [pick, shift] of copies) {
      if (homes.length === 0) break;
      const key = pick % homes.length;
      const other = (homes[key]! + shift) % 4;
      if (!dbs[other]!.includes(key)) dbs[other]!.push(key);
      keep.set(String(key), homes[key]!);
    }
    for (const db of dbs) db.sort(byKey);
    return { dbs, keep, limit, distinct: homes.map((_, key) => key) };
  });

describe("keyset merge over four databases", () => {
  it("pages of the merge, cursor after cursor, list every row once and in order — also with copies in two databases", () => {
    fc.assert(
      fc.property(world, ({ dbs, keep, limit, distinct }) => {
        const seen: number[] = [];
        let cursor = -1;
        for (let round = 0; round <= distinct.length + 1; round++) {
          const pages = dbs.map((rows) => pageOf(rows, cursor, limit));
          const once = keepOneCopy(pages, String, copiesAcrossPages(pages, String), keep);
          // A copy is kept in the database asked for whenever that database's page has it.
          once.forEach((page, p) => {
            for (const key of page) {
              const wanted = keep.get(String(key));
              if (wanted !== undefined && pages[wanted]!.includes(key)) expect(p).toBe(wanted);
            }
          });
          const merged = mergeSortedPages(once, byKey, limit);
          // Exactly the next `limit` distinct keys after the cursor.
          expect(merged).toEqual(distinct.filter((k) => k > cursor).slice(0, limit));
          seen.push(...merged);
          if (merged.length < limit) break;
          cursor = merged[merged.length - 1]!;
        }
        expect(seen).toEqual(distinct);
      }),
      { numRuns: 300 },
    );
  });

  it("without dropping copies the same pages would list some rows twice (the property above is not vacuous)", () => {
    const dbs = [[1, 2, 3], [2, 4], [], []];
    const pages = dbs.map((rows) => pageOf(rows, 0, 10));
    expect(mergeSortedPages(pages, byKey, 10)).toEqual([1, 2, 2, 3, 4]);
    const once = keepOneCopy(pages, String, copiesAcrossPages(pages, String), new Map([["2", 1]]));
    expect(once).toEqual([[1, 3], [2, 4], [], []]);
    expect(mergeSortedPages(once, byKey, 10)).toEqual([1, 2, 3, 4]);
  });
});
