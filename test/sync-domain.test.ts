/**
 * The pure rules of vendor sync ingestion: the up-front item check (every item lands in
 * exactly one list, with the right code), chunk planning (a SKU's items stay together,
 * limits hold, nothing is lost or repeated), sendBatch grouping, the CSV reader (quoted
 * fields, BOM, CRLF, blank lines, line numbers, bad headers and quoting) and the status
 * rule of a finished job.
 */
import { describe, expect, it } from "vitest";
import { parseCsvFeed } from "../domain/csv-feed";
import { planChunks, sendGroups, SyncChunkMessageSchema, SYNC_CHUNK_LIMITS } from "../domain/sync-chunks";
import { checkSyncItems, clientRowOf, type RawSyncItem, type SyncFeedItem } from "../domain/sync-items";
import { finishedStatus } from "../domain/sync-jobs";

const locations = (id: string) => (id === "L1" || id === "L2" ? { active: true } : id === "L3" ? { active: false } : null);
/** Items as the route builds them from a JSON body (the client's `row`, when usable). */
const raw = (values: unknown[]): RawSyncItem[] => values.map((value, itemIndex) => ({ itemIndex, row: clientRowOf(value), value }));

describe("checkSyncItems", () => {
  it("accepts good items and names the fault of each bad one", () => {
    const { accepted, rejected } = checkSyncItems(
      raw([
        { sku: "A-1", locationId: "L1", quantity: 5 },
        "not an object",
        { sku: "A-2", locationId: "L1" },
        { sku: "A-2", locationId: "L1", quantity: 1, colour: "red" },
        { sku: "bad sku!", locationId: "L1", quantity: 1 },
        { sku: "A-3", locationId: "L9", quantity: 1 },
        { sku: "A-3", locationId: "L3", quantity: 1 },
        { sku: "A-4", locationId: "L1", quantity: 1.5 },
        { sku: "A-4", locationId: "L1", quantity: "7" },
        { sku: "A-5", locationId: "L1", quantity: 1_000_001 },
        { sku: "A-5", locationId: "L1", quantity: -1 },
        { sku: "A-1", locationId: "L1", quantity: 6 },
        { sku: "A-1", locationId: "L2", quantity: 0, row: 14 },
        { sku: "A-6", locationId: "L2", quantity: 1, row: 0 },
      ]),
      "absolute",
      "json",
      locations,
    );
    expect(accepted).toEqual([
      { itemIndex: 0, row: null, sku: "A-1", locationId: "L1", quantity: 5 },
      { itemIndex: 12, row: 14, sku: "A-1", locationId: "L2", quantity: 0 },
    ]);
    expect(rejected.map((r) => [r.itemIndex, r.code])).toEqual([
      [1, "invalid_item"],
      [2, "invalid_item"],
      [3, "invalid_item"],
      [4, "invalid_sku"],
      [5, "unknown_location"],
      [6, "unknown_location"],
      [7, "invalid_quantity"],
      [8, "invalid_quantity"],
      [9, "out_of_range"],
      [10, "out_of_range"],
      [11, "duplicate_item"],
      [13, "invalid_item"],
    ]);
    expect(rejected[0]!.message).toMatch(/object/);
    expect(rejected[1]!.message).toBe("missing quantity");
    expect(rejected[2]!.message).toBe("unknown field colour");
    expect(rejected[8]).toMatchObject({
      sku: "A-5",
      locationId: "L1",
      quantity: "1000001",
      message: "quantity must be between 0 and 1000000 for absolute feeds",
    });
    expect(rejected[10]!.message).toMatch(/already given by item 0/);
  });

  it("delta feeds take signed quantities within ±1,000,000; CSV quantities are integer text", () => {
    const items = raw([
      { sku: "D-1", locationId: "L1", quantity: "-5" },
      { sku: "D-2", locationId: "L1", quantity: "+7" },
      { sku: "D-3", locationId: "L1", quantity: "-1000001" },
      { sku: "D-4", locationId: "L1", quantity: "1e3" },
      { sku: "D-5", locationId: "L1", quantity: "" },
    ]);
    const { accepted, rejected } = checkSyncItems(items, "delta", "csv", locations);
    expect(accepted.map((a) => [a.sku, a.quantity])).toEqual([
      ["D-1", -5],
      ["D-2", 7],
    ]);
    expect(rejected.map((r) => [r.sku, r.code])).toEqual([
      ["D-3", "out_of_range"],
      ["D-4", "invalid_quantity"],
      ["D-5", "invalid_item"],
    ]);
  });
});

describe("planChunks and sendGroups", () => {
  const item = (itemIndex: number, sku: string, locationId = "L1"): SyncFeedItem => ({ itemIndex, row: null, sku, locationId, quantity: itemIndex });

  it("keeps each SKU's items in one chunk, within the item limit, losing and repeating nothing", () => {
    const items: SyncFeedItem[] = [];
    for (let i = 0; i < 1000; i++) items.push(item(i, `S-${i % 333}`, `L${Math.floor(i / 333)}`));
    const chunks = planChunks(items);
    const placed = chunks.flatMap((c) => c.skus.flatMap((g) => g.items.map((x) => x.i)));
    expect(placed.sort((a, b) => a - b)).toEqual(items.map((i) => i.itemIndex));
    const skuChunks = new Map<string, Set<number>>();
    for (const c of chunks) {
      expect(c.itemCount).toBeLessThanOrEqual(SYNC_CHUNK_LIMITS.maxItems);
      expect(c.itemCount).toBe(c.skus.reduce((n, g) => n + g.items.length, 0));
      for (const g of c.skus) skuChunks.set(g.sku, (skuChunks.get(g.sku) ?? new Set()).add(c.chunkIndex));
    }
    expect([...skuChunks.values()].every((s) => s.size === 1)).toBe(true);
    expect(chunks.map((c) => c.chunkIndex)).toEqual(chunks.map((_, i) => i));
  });

  it("splits one SKU with more items than a chunk holds, and respects the byte limit", () => {
    const many = Array.from({ length: 450 }, (_, i) => item(i, "BIG", `LOC-${String(i).padStart(50, "0")}`));
    const chunks = planChunks(many, { maxItems: 200, maxBytes: 8 * 1024 });
    expect(chunks.reduce((n, c) => n + c.itemCount, 0)).toBe(450);
    for (const c of chunks) {
      const body = { v: 1, jobId: "sync_x", chunkIndex: c.chunkIndex, vendorId: "V1", mode: "absolute", actor: "vendor:V1:key_x", skus: c.skus };
      expect(SyncChunkMessageSchema.safeParse(body).success).toBe(true);
      expect(JSON.stringify(body).length).toBeLessThanOrEqual(8 * 1024);
    }
  });

  it("10,000 items with 64-character ids fit comfortably in the queue's limits", () => {
    const id = (p: string, n: number) => `${p}${String(n).padStart(63, "0")}`;
    const items = Array.from({ length: 10_000 }, (_, i) => ({ ...item(i, id("S", i), id("L", i % 12)), row: i + 2, quantity: 1_000_000 }));
    const chunks = planChunks(items);
    const sizes = chunks.map(
      (c) =>
        JSON.stringify({
          v: 1,
          jobId: "sync_" + "0".repeat(32),
          chunkIndex: c.chunkIndex,
          vendorId: id("V", 1),
          mode: "absolute",
          actor: "x".repeat(100),
          skus: c.skus,
        }).length,
    );
    expect(Math.max(...sizes)).toBeLessThanOrEqual(SYNC_CHUNK_LIMITS.maxBytes);
    const groups = sendGroups(sizes);
    expect(groups[0]![0]).toBe(0);
    expect(groups[groups.length - 1]![1]).toBe(chunks.length);
    for (const [start, end] of groups) {
      expect(end - start).toBeLessThanOrEqual(100);
      expect(sizes.slice(start, end).reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(240 * 1024);
    }
  });
});

describe("parseCsvFeed", () => {
  it("reads quoted fields, a BOM, CRLF and blank lines, naming each row's starting line", () => {
    const text = '\ufeffsku,location_id,quantity\r\n"CSV-1",L1,5\r\n\r\n"CSV,2","L1","1""0"\r\nCSV-3,L2,"7"\r\n   \r\nCSV-4,L1\r\n"CSV-5\nX",L1,3\r\n';
    const result = parseCsvFeed(text);
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.items).toEqual([
      { itemIndex: 0, row: 2, value: { sku: "CSV-1", locationId: "L1", quantity: "5" } },
      { itemIndex: 1, row: 4, value: { sku: "CSV,2", locationId: "L1", quantity: '1"0' } },
      { itemIndex: 2, row: 5, value: { sku: "CSV-3", locationId: "L2", quantity: "7" } },
      { itemIndex: 3, row: 7, value: { sku: "CSV-4", locationId: "L1" }, fieldCountProblem: "expected 3 fields, got 2" },
      { itemIndex: 4, row: 8, value: { sku: "CSV-5\nX", locationId: "L1", quantity: "3" } },
    ]);
  });

  it("takes the columns in any order, case-insensitively, with LF line ends", () => {
    const result = parseCsvFeed("Quantity, SKU ,location_id\n4,CSV-9,L2\n");
    expect(result).toEqual({ ok: true, items: [{ itemIndex: 0, row: 2, value: { sku: "CSV-9", locationId: "L2", quantity: "4" } }] });
  });

  it("names the line each row starts on after blank lines (LF and CRLF) and quoted line breaks", () => {
    const lf = parseCsvFeed("sku,location_id,quantity\nA,L1,1\n\nB,L1,2\n\n\nC,L1,3\n");
    const cells = (i: { value?: unknown }) => i.value as Record<string, string>;
    expect(lf.ok && lf.items.map((i) => [cells(i).sku, i.row])).toEqual([
      ["A", 2],
      ["B", 4],
      ["C", 7],
    ]);
    const crlf = parseCsvFeed('sku,location_id,quantity\r\nA,L1,1\r\n\r\n,,\r\nB,"L\r\n1",2\r\nC,L1,3\r\n');
    expect(crlf.ok && crlf.items.map((i) => [cells(i).sku, i.row, cells(i).locationId])).toEqual([
      ["A", 2, "L1"],
      ["B", 5, "L\r\n1"],
      ["C", 7, "L1"],
    ]);
  });

  it("refuses a bad header, an empty feed, broken quoting and too many rows", () => {
    expect(parseCsvFeed("sku,location,quantity\nA,L1,1\n")).toMatchObject({
      ok: false,
      code: "invalid_csv_header",
      details: { missing: ["location_id"], unknown: ["location"] },
    });
    expect(parseCsvFeed("")).toMatchObject({ ok: false, code: "empty_feed" });
    expect(parseCsvFeed("sku,location_id,quantity\r\n\r\n")).toMatchObject({ ok: false, code: "empty_feed" });
    expect(parseCsvFeed('sku,location_id,quantity\nA,L1,1\n"B,L1,2\nC,L1,3\n')).toMatchObject({ ok: false, code: "malformed_csv" });
    expect(parseCsvFeed('sku,location_id,quantity\nA,L1,1\n"B"x,L1,2\n')).toMatchObject({ ok: false, code: "malformed_csv", details: { line: 3 } });
    const rows = Array.from({ length: 4 }, (_, i) => `S-${i},L1,1`).join("\n");
    expect(parseCsvFeed(`sku,location_id,quantity\n${rows}\n`, 3)).toMatchObject({ ok: false, code: "too_many_items", details: { maxItems: 3, received: 4 } });
  });
});

describe("finishedStatus", () => {
  it("completed without errors (conflicts are not errors), failed when nothing got through, else completed_with_errors", () => {
    expect(finishedStatus({ applied: 5, unchanged: 0, conflicts: 2, errors: 0 })).toBe("completed");
    expect(finishedStatus({ applied: 0, unchanged: 0, conflicts: 0, errors: 3 })).toBe("failed");
    expect(finishedStatus({ applied: 0, unchanged: 1, conflicts: 0, errors: 3 })).toBe("completed_with_errors");
  });
});
