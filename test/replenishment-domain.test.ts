/**
 * The pure replenishment math (issue 15), called directly: stock position, z values for
 * service levels, safety stock with and without lead-time variability, the seed's worked
 * example (ROP 50/day × 10 days + 100 = 600; EOQ √(2 × 18,250 × 50 / 2) = 955), rounding to
 * MOQ, packs and max stock, per-SKU overrides and the urgency buckets.
 */
import { describe, expect, it } from "vitest";
import { inverseNormalCdf } from "../domain/normal-distribution";
import {
  economicOrderQuantity,
  leadTimeDemandSd,
  planReplenishment,
  reorderPoint,
  roundOrderQuantity,
  safetyStock,
  serviceLevelZ,
  stockPosition,
  urgencyOf,
  type ReplenishmentPolicy,
  type StockPositionInput,
} from "../domain/replenishment";

const stock = (over: Partial<StockPositionInput> = {}): StockPositionInput => ({
  onHand: 0,
  inTransit: 0,
  onOrder: 0,
  reserved: 0,
  committed: 0,
  backorders: 0,
  ...over,
});

/** The seed's wireless mouse: €50 per order, €2 per unit per year to hold, 10-day lead time. */
const MOUSE: ReplenishmentPolicy = {
  serviceLevel: 0.95,
  leadTimeDays: 10,
  leadTimeSdDays: 0,
  orderingCost: 50,
  unitCost: 8,
  holdingRate: 0.25,
  packSize: 1,
  minimumOrderQuantity: 0,
  maxStock: null,
};

describe("stock position", () => {
  it("is onHand + inTransit + onOrder − reserved − committed − backorders (− unsellable)", () => {
    expect(stockPosition(stock({ onHand: 100, inTransit: 40, onOrder: 60, reserved: 25, committed: 10, backorders: 5 }))).toBe(160);
    expect(stockPosition(stock({ onHand: 100, unsellable: 7 }))).toBe(93);
    expect(stockPosition(stock({ onHand: 3, reserved: 5, backorders: 4 }))).toBe(-6);
  });
});

describe("z for a service level (inverse normal)", () => {
  it("matches the standard normal table", () => {
    const table: [number, number][] = [
      [0.5, 0],
      [0.8, 0.8416212335729143],
      [0.9, 1.2815515655446004],
      [0.95, 1.6448536269514722],
      [0.975, 1.959963984540054],
      [0.99, 2.3263478740408408],
      [0.995, 2.5758293035489004],
      [0.999, 3.090232306167813],
      [0.9999, 3.719016485455709],
    ];
    for (const [p, z] of table) {
      expect(serviceLevelZ(p)).toBeCloseTo(z, 12);
      expect(inverseNormalCdf(1 - p)).toBeCloseTo(-z, 12);
    }
    expect(inverseNormalCdf(1e-10)).toBeCloseTo(-6.361340902404056, 10);
  });

  it("has no finite answer at 0 or 100 %", () => {
    expect(() => serviceLevelZ(1)).toThrow(RangeError);
    expect(() => serviceLevelZ(0)).toThrow(RangeError);
    expect(() => serviceLevelZ(Number.NaN)).toThrow(RangeError);
  });
});

describe("safety stock and reorder point", () => {
  it("σ of lead-time demand is σd·√L, or √(L·σd² + d²·σL²) with a variable lead time", () => {
    expect(leadTimeDemandSd({ leadTimeDays: 10, meanDailyDemand: 50, dailyDemandSd: 10 })).toBeCloseTo(Math.sqrt(1000), 12);
    expect(leadTimeDemandSd({ leadTimeDays: 10, meanDailyDemand: 50, dailyDemandSd: 10, leadTimeSdDays: 2 })).toBeCloseTo(Math.sqrt(11_000), 12);
  });

  it("safety stock is z × σ, never negative", () => {
    expect(safetyStock(0.95, Math.sqrt(11_000))).toBeCloseTo(1.6448536269514722 * Math.sqrt(11_000), 9); // ≈ 172.5
    expect(safetyStock(0.3, 100)).toBe(0);
  });

  it("the seed's worked example: 50/day × 10 days + 100 safety stock = 600", () => {
    expect(reorderPoint(50 * 10, 100)).toBe(600);
    const plan = planReplenishment({
      stock: stock({ onHand: 590 }),
      demand: { meanDailyDemand: 50, dailyDemandSd: 10, daysUntilStockout: 11 },
      policy: MOUSE,
      overrides: { safetyStock: 100 },
    });
    expect(plan.leadTimeDemand).toBe(500);
    expect(plan.safetyStock).toBe(100);
    expect(plan.reorderPoint).toBe(600);
    expect(plan.overridden).toEqual(["safetyStock"]);
  });
});

describe("economic order quantity", () => {
  it("the seed's worked example: √(2 × 18,250 × 50 / 2) = √912,500 = 955", () => {
    const eoq = economicOrderQuantity({ annualDemand: 18_250, orderingCost: 50, unitCost: 8, holdingRate: 0.25 });
    expect(eoq).toBeCloseTo(Math.sqrt(912_500), 9);
    expect(Math.round(eoq)).toBe(955);
  });

  it("no demand, no order; free holding has no finite EOQ", () => {
    expect(economicOrderQuantity({ annualDemand: 0, orderingCost: 50, unitCost: 8, holdingRate: 0.25 })).toBe(0);
    expect(() => economicOrderQuantity({ annualDemand: 100, orderingCost: 50, unitCost: 0, holdingRate: 0.25 })).toThrow(RangeError);
  });

  it("a plan below the reorder point orders the EOQ (955 units of the mouse)", () => {
    const plan = planReplenishment({
      stock: stock({ onHand: 590 }),
      demand: { meanDailyDemand: 50, dailyDemandSd: 10, daysUntilStockout: 11 },
      policy: MOUSE,
      overrides: { safetyStock: 100 },
    });
    expect(plan.shouldReorder).toBe(true);
    expect(plan.orderQuantity).toBe(955);
    expect(plan.adjustments).toEqual([]);
    expect(plan.urgency).toBe("medium"); // stockout in 11 days
  });

  it("orders enough to get back to the reorder point when that is more than the EOQ", () => {
    const plan = planReplenishment({
      stock: stock({ onHand: 10, backorders: 500 }),
      demand: { meanDailyDemand: 50, dailyDemandSd: 10, daysUntilStockout: 0 },
      policy: MOUSE,
      overrides: { safetyStock: 100 },
    });
    expect(plan.stockPosition).toBe(-490);
    expect(plan.orderQuantity).toBe(1090);
    expect(plan.urgency).toBe("critical");
  });

  it("above the reorder point nothing is ordered", () => {
    const plan = planReplenishment({
      stock: stock({ onHand: 601 }),
      demand: { meanDailyDemand: 50, dailyDemandSd: 10, daysUntilStockout: 12 },
      policy: MOUSE,
      overrides: { safetyStock: 100 },
    });
    expect(plan.shouldReorder).toBe(false);
    expect(plan.orderQuantity).toBe(0);
  });

  it("the safety stock comes from the service level and lead-time variability when not overridden", () => {
    const plan = planReplenishment({
      stock: stock({ onHand: 100 }),
      demand: { meanDailyDemand: 50, dailyDemandSd: 10, daysUntilStockout: 2 },
      policy: { ...MOUSE, leadTimeSdDays: 2 },
    });
    expect(plan.leadTimeDemandSd).toBeCloseTo(Math.sqrt(11_000), 9);
    expect(plan.safetyStock).toBeCloseTo(1.6448536269514722 * Math.sqrt(11_000), 9);
    expect(plan.reorderPoint).toBeCloseTo(500 + 1.6448536269514722 * Math.sqrt(11_000), 9);
    // A forecast's own lead-time demand (mean and σ) replaces d·L and σd·√L.
    const fromForecast = planReplenishment({
      stock: stock({ onHand: 100 }),
      demand: { meanDailyDemand: 50, dailyDemandSd: 10, leadTimeDemand: { mean: 480, sd: 40 }, daysUntilStockout: 2 },
      policy: MOUSE,
    });
    expect(fromForecast.reorderPoint).toBeCloseTo(480 + 1.6448536269514722 * 40, 9);
  });
});

describe("rounding to MOQ, packs and max stock", () => {
  const rules = { packSize: 12, minimumOrderQuantity: 100, maxStock: null };

  it("raises to the MOQ, then rounds up to whole packs", () => {
    expect(roundOrderQuantity(955, 0, rules)).toEqual({ quantity: 960, adjustments: ["rounded_to_pack"] });
    expect(roundOrderQuantity(30, 0, rules)).toEqual({ quantity: 108, adjustments: ["raised_to_moq", "rounded_to_pack"] });
    expect(roundOrderQuantity(120, 0, rules)).toEqual({ quantity: 120, adjustments: [] });
    expect(roundOrderQuantity(0, 0, rules)).toEqual({ quantity: 0, adjustments: [] });
  });

  it("caps by max stock in whole packs, and refuses when the room is under the MOQ", () => {
    expect(roundOrderQuantity(955, 500, { ...rules, maxStock: 1_000 })).toEqual({
      quantity: 492,
      adjustments: ["rounded_to_pack", "capped_by_max_stock"],
    });
    expect(roundOrderQuantity(955, 950, { ...rules, maxStock: 1_000 })).toEqual({
      quantity: 0,
      adjustments: ["rounded_to_pack", "blocked_by_max_stock"],
    });
  });

  it("per-SKU overrides replace policy fields and computed values", () => {
    const plan = planReplenishment({
      stock: stock({ onHand: 590 }),
      demand: { meanDailyDemand: 50, dailyDemandSd: 10, daysUntilStockout: 5 },
      policy: MOUSE,
      overrides: { safetyStock: 100, packSize: 24, minimumOrderQuantity: 1_000, maxStock: 3_000 },
    });
    expect(plan.orderQuantity).toBe(1_008);
    expect(plan.adjustments).toEqual(["raised_to_moq", "rounded_to_pack"]);
    expect(plan.urgency).toBe("high");
    const fixed = planReplenishment({
      stock: stock({ onHand: 10 }),
      demand: { meanDailyDemand: 50, dailyDemandSd: 10, daysUntilStockout: 1 },
      policy: MOUSE,
      overrides: { reorderPoint: 200, orderQuantity: 300 },
    });
    expect(fixed.reorderPoint).toBe(200);
    expect(fixed.orderQuantity).toBe(300);
  });
});

describe("urgency buckets", () => {
  it("critical < 3 days, high 3–7, medium 7–14, low later, none without a stockout", () => {
    expect(urgencyOf(0)).toBe("critical");
    expect(urgencyOf(2.9)).toBe("critical");
    expect(urgencyOf(3)).toBe("high");
    expect(urgencyOf(6)).toBe("high");
    expect(urgencyOf(7)).toBe("medium");
    expect(urgencyOf(13)).toBe("medium");
    expect(urgencyOf(14)).toBe("low");
    expect(urgencyOf(200)).toBe("low");
    expect(urgencyOf(null)).toBe("none");
  });
});
