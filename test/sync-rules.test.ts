/**
 * The edges of the sync conflict rule (domain/sync.ts), found by `npm run mutate`: a
 * change is "large" (held for review) only above BOTH thresholds, each strictly (more than
 * 10 units AND more than 25% of on-hand); and only a location's FIRST feed value on an empty
 * location skips the rule, not any empty location. The last case also through the SKU
 * object, which tells the rule whether a location was ever synced.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { decideSync, isLargeChange, SYNC_REVIEW_THRESHOLD } from "../domain/sync";
import type { SyncApplyInput } from "../durable-objects/sku-sync.types";

const at = (onHand: number, firstSync = false) => ({ onHand, offset: 0, floor: 0, firstSync });

describe("large change: both thresholds, each strictly", () => {
  it("the thresholds are 10 units and 25%", () => {
    expect(SYNC_REVIEW_THRESHOLD).toEqual({ units: 10, ratio: 0.25 });
  });

  it("more units than 10 but not more than 25% of on-hand is applied (either way)", () => {
    expect(isLargeChange(20, 100)).toBe(false);
    expect(decideSync("absolute", 120, at(100))).toEqual({ action: "apply", proposed: 120 });
    expect(decideSync("absolute", 80, at(100))).toEqual({ action: "apply", proposed: 80 });
  });

  it("more than 25% but not more than 10 units is applied", () => {
    expect(isLargeChange(5, 4)).toBe(false);
    expect(decideSync("absolute", 9, at(4))).toEqual({ action: "apply", proposed: 9 });
  });

  it("exactly 10 units, or exactly 25%, is not large; one more of each is", () => {
    expect(decideSync("absolute", 30, at(20))).toEqual({ action: "apply", proposed: 30 }); // 10 units, 50%
    expect(decideSync("absolute", 31, at(20))).toEqual({ action: "review", proposed: 31, reason: "large_change" });
    expect(decideSync("absolute", 125, at(100))).toEqual({ action: "apply", proposed: 125 }); // 25 units, 25%
    expect(decideSync("absolute", 126, at(100))).toEqual({ action: "review", proposed: 126, reason: "large_change" });
  });
});

describe("only an empty location's first feed value skips the rule", () => {
  it("decides: first value on an empty location applies; on an emptied one, or on stock set before any sync, it is reviewed", () => {
    expect(decideSync("absolute", 5000, at(0, true))).toEqual({ action: "apply", proposed: 5000 });
    expect(decideSync("absolute", 5000, at(0, false))).toEqual({ action: "review", proposed: 5000, reason: "large_change" });
    expect(decideSync("absolute", 5000, at(8, true))).toEqual({ action: "review", proposed: 5000, reason: "large_change" });
  });

  it("the SKU object: after its first sync, a location emptied here does not take any value unreviewed", async () => {
    const policy = { allowBackorder: false, softBufferPct: 10, reorderPoint: 0 };
    const object = env.SKU_INVENTORY.getByName("SR-1");
    const feed = (jobId: string, quantity: number): SyncApplyInput => ({
      sku: "SR-1",
      jobId,
      chunkIndex: 0,
      mode: "absolute",
      items: [{ itemIndex: 0, locationId: "L1", quantity }],
      actor: "vendor:V1:key_test",
      policy,
      idempotencyKey: `sync:${jobId}:0:SR-1`,
      requestHash: jobId,
    });
    // The first value on an empty location is applied, however large (positive control).
    expect(await object.applySync(feed("sr-1", 40))).toMatchObject({ ok: true, outcomes: [{ outcome: "applied", before: 0, after: 40 }] });
    // Everything is written off here; the vendor's next, much larger value is held.
    const written = await object.adjustStock({
      sku: "SR-1",
      actor: "operator:t",
      locationId: "L1",
      onHand: 0,
      reason: "cycle_count",
      idempotencyKey: "sr-1-count",
      requestHash: "c",
      policy,
    });
    expect(written.ok).toBe(true);
    const held = await object.applySync(feed("sr-2", 5000));
    // 5000 − the 40 written off here since the vendor's last value (the offset rule) = 4960.
    expect(held).toMatchObject({ ok: true, outcomes: [{ outcome: "conflict", reason: "large_change", onHand: 0, vendorQuantity: 5000, proposed: 4960 }] });
    expect((await object.snapshot()).totals.onHand).toBe(0);
  });
});
