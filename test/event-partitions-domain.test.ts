/**
 * The pure rules of partitioned events (domain/event-partitions.ts), called directly: the
 * partition function is stable (pinned values: a change re-partitions every SKU), in range and
 * balanced on 10,000 realistic SKU ids of several schemes (max/mean ≤ 1.2 at N = 4, and at the
 * larger N a deployment would grow to); growing N moves only the SKUs that must move (jump
 * hashing: ~1/(N+1) of them, each to the new partition); a SKU's events pack into flush
 * messages in order, every message under the size limit, one message for a normal flush.
 */
import { describe, expect, it } from "vitest";
import { EVENT_FLUSH_MAX_BYTES, fnv1a32, packEventFlushes, partitionBalance, partitionOf, utf8Bytes } from "../domain/event-partitions";
import type { InventoryEvent } from "../domain/events";
import { reservationEvent, updatedEvent } from "./support/event-fixtures";

/** A small deterministic PRNG (mulberry32), so the id sets are the same on every run. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** 10,000 SKU ids of the demo catalogue's scheme: `<VENDOR>-<CATEGORY>-<nnnn>`. */
function demoStyleIds(): string[] {
  const vendors = ["ACME", "NORD", "SUNR", "PEAK", "BLUE"];
  const categories = ["TENT", "BOOT", "JACK", "PACK", "LAMP"];
  const ids: string[] = [];
  for (let n = 1; ids.length < 10_000; n++) for (const v of vendors) for (const c of categories) ids.push(`${v}-${c}-${String(n).padStart(4, "0")}`);
  return ids.slice(0, 10_000);
}

/** 10,000 ids of the benchmark's spread scenario: `SPREAD-00000`… */
const spreadIds = () => Array.from({ length: 10_000 }, (_, i) => `SPREAD-${String(i).padStart(5, "0")}`);

/** 10,000 vendor-style ids: a vendor prefix and 6–12 random upper-case letters and digits. */
function vendorStyleIds(): string[] {
  const rnd = prng(19);
  const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
  return Array.from({ length: 10_000 }, (_, i) => {
    const length = 6 + Math.floor(rnd() * 7);
    let id = `V${String(i % 500).padStart(3, "0")}-`;
    for (let k = 0; k < length; k++) id += alphabet[Math.floor(rnd() * alphabet.length)];
    return id;
  });
}

/** 10,000 GTIN-14-like numeric ids (sequential, the hardest case for a weak hash). */
const gtinIds = () => Array.from({ length: 10_000 }, (_, i) => String(40_000_000_000_000 + i));

describe("partitionOf", () => {
  it("is pinned: the same SKU gives the same partition on every run and release (a change re-partitions everything)", () => {
    expect(fnv1a32("")).toBe(0x811c9dc5);
    expect(fnv1a32("a")).toBe(0xe40c292c);
    expect(fnv1a32("foobar")).toBe(0xbf9cf968);
    const skus = ["ACME-TENT-0001", "SPREAD-00000", "SPREAD-00001", "E2E-1", "ü-umlaut-SKU"];
    expect(skus.map((sku) => partitionOf(sku, 4))).toEqual([3, 3, 2, 1, 0]);
    expect(skus.map((sku) => partitionOf(sku, 4))).toEqual([3, 3, 2, 1, 0]);
  });

  it("is in range, and 1 partition is always 0; a bad count is refused", () => {
    for (const sku of spreadIds().slice(0, 500)) {
      for (const n of [1, 2, 3, 4, 7, 16, 64]) {
        const p = partitionOf(sku, n);
        expect(Number.isInteger(p) && p >= 0 && p < n).toBe(true);
      }
      expect(partitionOf(sku, 1)).toBe(0);
    }
    expect(() => partitionOf("X", 0)).toThrow(RangeError);
    expect(() => partitionOf("X", 2.5)).toThrow(RangeError);
  });

  it("balances 10,000 realistic SKU ids: max/mean ≤ 1.2 per partition for every id scheme, at N = 4 and larger N", () => {
    const report: Record<string, Record<number, number>> = {};
    for (const [scheme, ids] of [
      ["demo", demoStyleIds()],
      ["spread", spreadIds()],
      ["vendor", vendorStyleIds()],
      ["gtin", gtinIds()],
    ] as const) {
      expect(new Set(ids).size).toBe(10_000);
      report[scheme] = {};
      for (const n of [4, 8, 16]) {
        const { counts, maxOverMean } = partitionBalance(ids, n);
        expect(counts.reduce((a, b) => a + b, 0)).toBe(10_000);
        expect(Math.min(...counts)).toBeGreaterThan(0);
        expect(maxOverMean, `${scheme} at N=${n}: ${counts.join(" / ")}`).toBeLessThanOrEqual(1.2);
        report[scheme]![n] = Number(maxOverMean.toFixed(3));
      }
    }
    // At N = 4, 10,000 uniformly spread keys give max/mean ≈ 1.02–1.05: well below the bound.
    for (const scheme of Object.keys(report)) expect(report[scheme]![4], JSON.stringify(report)).toBeLessThan(1.1);
  });

  it("growing N moves only the SKUs that must move: about 1/(N+1), each to the new partition", () => {
    const ids = vendorStyleIds();
    for (const n of [4, 8]) {
      const moved = ids.filter((sku) => partitionOf(sku, n) !== partitionOf(sku, n + 1));
      for (const sku of moved) expect(partitionOf(sku, n + 1)).toBe(n);
      expect(moved.length / ids.length).toBeGreaterThan(1 / (n + 1) - 0.03);
      expect(moved.length / ids.length).toBeLessThan(1 / (n + 1) + 0.03);
    }
  });
});

describe("packEventFlushes", () => {
  const events = (n: number, sku = "PK-1"): InventoryEvent[] => Array.from({ length: n }, (_, i) => updatedEvent(sku, i + 1, `L${i % 3}`, { onHand: i }));

  it("a normal flush is one message: 100 events (the outbox's most per flush) fit, in order", () => {
    const flushes = packEventFlushes("PK-1", events(100));
    expect(flushes).toHaveLength(1);
    expect(flushes[0]).toMatchObject({ kind: "inventory.events", v: 1, sku: "PK-1" });
    expect(flushes[0]!.events.map((e) => e.sequence)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    expect(utf8Bytes(JSON.stringify(flushes[0]))).toBeLessThan(EVENT_FLUSH_MAX_BYTES);
  });

  it("splits a run above the size limit into consecutive runs, each within it, nothing lost or reordered", () => {
    const all = [...events(300), reservationEvent("reservation.created", "PK-1", 301, [{ locationId: "L1", quantity: 2 }])];
    for (const limit of [EVENT_FLUSH_MAX_BYTES, 20_000, 2_000]) {
      const flushes = packEventFlushes("PK-1", all, limit);
      for (const f of flushes) expect(utf8Bytes(JSON.stringify(f))).toBeLessThanOrEqual(limit);
      expect(flushes.flatMap((f) => f.events)).toEqual(all);
      // Greedy: every message but the last is full enough that the next event would not fit.
      for (const [i, f] of flushes.slice(0, -1).entries()) {
        const next = flushes[i + 1]!.events[0]!;
        expect(utf8Bytes(JSON.stringify({ ...f, events: [...f.events, next] }))).toBeGreaterThan(limit);
      }
    }
    expect(packEventFlushes("PK-1", all, 20_000).length).toBeGreaterThan(5);
  });

  it("an event larger than the limit alone goes in a message of its own; no events, no messages", () => {
    const flushes = packEventFlushes("PK-1", events(3), 600);
    expect(flushes.map((f) => f.events.length)).toEqual([1, 1, 1]);
    expect(packEventFlushes("PK-1", [])).toEqual([]);
  });
});
