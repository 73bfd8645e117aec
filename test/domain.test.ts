/**
 * Pure domain rules, called directly: quantity arithmetic, invariants, the soft-hold limit,
 * location choice.
 */
import { describe, expect, it } from "vitest";
import { pickMostAvailable } from "../domain/allocation";
import { freshnessOf, heuristicPolicy } from "../domain/cache-freshness";
import { applyDelta, availableOf, checkInvariants, softHoldLimit, ZERO_QUANTITIES } from "../domain/quantities";
import { TTL_SECONDS, ttlFor } from "../domain/reservation-rules";

const q = (over: Partial<typeof ZERO_QUANTITIES>) => ({ ...ZERO_QUANTITIES, ...over });
const lines = (over: Partial<{ activeHard: number; activeSoft: number; committed: number; backordered: number }> = {}) => ({
  activeHard: 0,
  activeSoft: 0,
  committed: 0,
  backordered: 0,
  ...over,
});

describe("quantities", () => {
  it("available ignores soft holds and in-transit, subtracts everything unsellable", () => {
    expect(availableOf(q({ onHand: 100, reserved: 10, softHeld: 50, committed: 5, inTransit: 40, damaged: 3, onHold: 2 }))).toBe(80);
  });

  it("applies a delta to the named buckets only", () => {
    expect(applyDelta(q({ onHand: 5, reserved: 2 }), { reserved: -2, committed: 2 })).toEqual(q({ onHand: 5, committed: 2 }));
  });

  it("the soft-hold limit is floor(available × (1 + buffer)) and never negative", () => {
    expect(softHoldLimit(1000, 10)).toBe(1100);
    expect(softHoldLimit(15, 10)).toBe(16);
    expect(softHoldLimit(9, 10)).toBe(9);
    expect(softHoldLimit(7, 0)).toBe(7);
    expect(softHoldLimit(0, 10)).toBe(0);
    expect(softHoldLimit(-5, 10)).toBe(0);
  });
});

describe("invariants", () => {
  it("hold for consistent counts", () => {
    expect(checkInvariants(q({ onHand: 10, reserved: 3, softHeld: 4, committed: 2 }), lines({ activeHard: 3, activeSoft: 4, committed: 2 }))).toEqual([]);
  });

  it("name every breach", () => {
    const breaches = checkInvariants(q({ onHand: 1, reserved: 3, softHeld: -1 }), lines({ activeHard: 2 }));
    expect(breaches.map((b) => b.invariant).sort()).toEqual(["available_non_negative", "non_negative", "reserved_matches_lines", "soft_held_matches_lines"]);
  });

  it("allow negative available only up to the units accepted as backorders", () => {
    expect(checkInvariants(q({ onHand: 1, reserved: 3 }), lines({ activeHard: 3, backordered: 2 }))).toEqual([]);
    expect(checkInvariants(q({ onHand: 1, reserved: 3 }), lines({ activeHard: 3, backordered: 1 }))).toHaveLength(1);
  });
});

describe("allocation", () => {
  it("picks the most available; the first (best priority) wins a tie", () => {
    expect(
      pickMostAvailable([
        { locationId: "A", available: 3 },
        { locationId: "B", available: 9 },
      ])?.locationId,
    ).toBe("B");
    expect(
      pickMostAvailable([
        { locationId: "A", available: 5 },
        { locationId: "B", available: 5 },
      ])?.locationId,
    ).toBe("A");
    expect(pickMostAvailable([])).toBeUndefined();
  });
});

describe("reservation rules", () => {
  it("default TTLs are 30 minutes (soft) and 48 hours (hard)", () => {
    expect(ttlFor("soft", undefined)).toBe(1800);
    expect(ttlFor("hard", undefined)).toBe(172_800);
    expect(ttlFor("soft", 600)).toBe(600);
    expect(TTL_SECONDS.soft.min).toBe(60);
  });
});

describe("cache freshness", () => {
  const h = { minFreshMs: 5_000, maxFreshMs: 20_000, fraction: 0.1, maxStaleMs: 30_000 };

  it("a copy is fresh for a tenth of its source's quiet time, between the minimum and the maximum", () => {
    const readAt = 1_000_000_000;
    expect(heuristicPolicy(readAt, readAt - 10_000, h)).toEqual({ freshMs: 5_000, maxStaleMs: 30_000 });
    expect(heuristicPolicy(readAt, readAt - 120_000, h).freshMs).toBe(12_000);
    expect(heuristicPolicy(readAt, readAt - 86_400_000, h).freshMs).toBe(20_000);
  });

  it("an unknown change time, or one after the read (clocks apart), gives the minimum", () => {
    expect(heuristicPolicy(1_000, null, h).freshMs).toBe(5_000);
    expect(heuristicPolicy(1_000, Number.NaN, h).freshMs).toBe(5_000);
    expect(heuristicPolicy(1_000, 900_000, h).freshMs).toBe(5_000);
  });

  it("fresh, then stale while refreshed, then never served", () => {
    const policy = heuristicPolicy(200_000, 0, h);
    expect([19_999, 20_000, 29_999, 30_000].map((age) => freshnessOf(age, policy))).toEqual(["fresh", "stale", "stale", "expired"]);
  });
});
