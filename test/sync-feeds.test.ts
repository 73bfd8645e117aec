/**
 * Feeds with bad items, through the API and the real local SYNC queue: partial success
 * (exactly the bad items are errors, named by item number, everything else applied),
 * CSV files (quoted fields, BOM, CRLF, blank lines; a bad row reported with its line
 * number), and delta feeds.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { expectConsistent, seedBasics, skuObject, type Keys } from "./support/fixtures";
import { allErrors, createSkus, postCsv, postFeed, waitForJob } from "./support/sync-fixtures";

let keys: Keys;

beforeAll(async () => {
  keys = await seedBasics();
  await createSkus(
    keys.operator,
    Array.from({ length: 20 }, (_, i) => `PS-${i}`),
    "V1",
  );
  await createSkus(keys.operator, ["PS-OTHER-1", "PS-OTHER-2"], "V2");
  await createSkus(keys.operator, ["CSV-1", "CSV-3", "CSV-4", "DL-1"], "V1");
});

const onHand = async (sku: string, locationId: string) => (await skuObject(sku).snapshot()).locations.find((l) => l.locationId === locationId)?.onHand ?? 0;

describe("partial success", () => {
  it("3 unknown SKUs, 2 other-vendor SKUs and 1 out-of-range value: exactly those 6 errors, everything else applied", async () => {
    const good = Array.from({ length: 20 }, (_, i) => ({ sku: `PS-${i}`, locationId: i % 2 === 0 ? "L1" : "L2", quantity: 10 + i }));
    const items = [
      ...good.slice(0, 5),
      { sku: "PS-NOPE-1", locationId: "L1", quantity: 1 },
      { sku: "PS-OTHER-1", locationId: "L1", quantity: 1 },
      ...good.slice(5, 12),
      { sku: "PS-NOPE-2", locationId: "L1", quantity: 1 },
      { sku: "PS-12", locationId: "L2", quantity: 1_000_001 },
      { sku: "PS-OTHER-2", locationId: "L2", quantity: 1 },
      ...good.slice(12),
      { sku: "PS-NOPE-3", locationId: "L2", quantity: 1 },
    ];
    const res = await postFeed(keys.vendor, items);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ received: 26, accepted: 25, rejected: 1 });
    const job = await waitForJob(keys.vendor, res.body.jobId);
    expect(job).toMatchObject({ status: "completed_with_errors", counts: { received: 26, applied: 20, unchanged: 0, conflicts: 0, errors: 6, pending: 0 } });
    expect((await allErrors(keys.vendor, job.jobId)).map((e) => [e.item, e.sku, e.code])).toEqual([
      [5, "PS-NOPE-1", "unknown_sku"],
      [6, "PS-OTHER-1", "forbidden_sku"],
      [14, "PS-NOPE-2", "unknown_sku"],
      [15, "PS-12", "out_of_range"],
      [16, "PS-OTHER-2", "forbidden_sku"],
      [25, "PS-NOPE-3", "unknown_sku"],
    ]);
    for (const item of good) {
      expect(await onHand(item.sku, item.locationId)).toBe(item.quantity);
      await expectConsistent(item.sku);
    }
    // Another vendor's SKUs were never touched.
    for (const sku of ["PS-OTHER-1", "PS-OTHER-2"]) expect((await skuObject(sku).snapshot()).version).toBe(0);
  });
});

describe("CSV", () => {
  it("quoted fields, BOM, CRLF and blank lines; a bad row is reported with its line number", async () => {
    const csv = [
      "\ufeffsku,location_id,quantity",
      '"CSV-1",L1,5',
      "",
      '"CSV-3","L2","12"',
      "CSV-4,L1,abc",
      '"CSV,2",L1,3',
      "CSV-4,L2",
      "   ",
      '"CSV-4","L1","7"',
      "",
    ].join("\r\n");
    const res = await postCsv(keys.vendor, csv);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ received: 6, accepted: 3, rejected: 3 });
    const job = await waitForJob(keys.vendor, res.body.jobId);
    expect(job).toMatchObject({ source: "csv", status: "completed_with_errors", counts: { applied: 3, errors: 3 } });
    expect(await allErrors(keys.vendor, job.jobId)).toEqual([
      { item: 2, row: 5, sku: "CSV-4", locationId: "L1", quantity: "abc", code: "invalid_quantity", message: "quantity must be an integer" },
      { item: 3, row: 6, sku: "CSV,2", locationId: "L1", quantity: "3", code: "invalid_sku", message: expect.stringMatching(/^sku must be/) },
      { item: 4, row: 7, sku: "CSV-4", locationId: "L2", quantity: null, code: "invalid_item", message: "expected 3 fields, got 2" },
    ]);
    expect(await onHand("CSV-1", "L1")).toBe(5);
    expect(await onHand("CSV-3", "L2")).toBe(12);
    expect(await onHand("CSV-4", "L1")).toBe(7);
  });

  it("rows the consumer rejects carry their line number too, and a CSV may be a delta feed (?mode=delta)", async () => {
    const res = await postCsv(keys.vendor, "sku,location_id,quantity\nCSV-1,L1,+3\nCSV-MISSING,L1,1\nCSV-3,L2,-2\n", { query: "mode=delta" });
    expect(res.status).toBe(202);
    const job = await waitForJob(keys.vendor, res.body.jobId);
    expect(job).toMatchObject({ mode: "delta", counts: { applied: 2, errors: 1 } });
    expect(await allErrors(keys.vendor, job.jobId)).toEqual([expect.objectContaining({ item: 1, row: 3, sku: "CSV-MISSING", code: "unknown_sku" })]);
    expect(await onHand("CSV-1", "L1")).toBe(8);
    expect(await onHand("CSV-3", "L2")).toBe(10);
  });
});

describe("delta feeds", () => {
  it("add or remove units as given; a delta below zero is an item error and changes nothing", async () => {
    const first = await postFeed(keys.vendor, [{ sku: "DL-1", locationId: "L1", quantity: 10 }]);
    await waitForJob(keys.vendor, first.body.jobId);
    const res = await postFeed(
      keys.vendor,
      [
        { sku: "DL-1", locationId: "L1", quantity: -3 },
        { sku: "DL-1", locationId: "L2", quantity: -1 },
      ],
      { mode: "delta" },
    );
    const job = await waitForJob(keys.vendor, res.body.jobId);
    expect(job).toMatchObject({ status: "completed_with_errors", counts: { applied: 1, errors: 1 } });
    expect((await allErrors(keys.vendor, job.jobId)).map((e) => [e.item, e.code])).toEqual([[1, "would_go_negative"]]);
    expect(await onHand("DL-1", "L1")).toBe(7);
    expect(await onHand("DL-1", "L2")).toBe(0);
    await expectConsistent("DL-1");
  });
});
