/**
 * The pure analytics (issue 15), called directly: ABC on a small exact catalogue (and with
 * other thresholds), turnover and days of inventory, the stock health score on exact inputs,
 * overstock and slow-moving classification as of a given day, and rebalancing transfers with
 * a cost function.
 */
import { describe, expect, it } from "vitest";
import { abcClassify, classifyStockMovement, inventoryTurnover, stockHealthScore, suggestTransfers } from "../domain/analytics";

describe("ABC by revenue", () => {
  const catalogue = [
    { sku: "E", revenue: 30 },
    { sku: "A", revenue: 500 },
    { sku: "C", revenue: 100 },
    { sku: "F", revenue: 20 },
    { sku: "B", revenue: 300 },
    { sku: "D", revenue: 50 },
    { sku: "Z", revenue: 0 },
  ];

  it("A while the revenue ranked above is under 80 %, B under 95 %, C the rest", () => {
    const rows = abcClassify(catalogue);
    expect(rows.map((r) => `${r.sku}:${r.class}`)).toEqual(["A:A", "B:A", "C:B", "D:B", "E:C", "F:C", "Z:C"]);
    expect(rows.map((r) => r.cumulativeShare)).toEqual([0.5, 0.8, 0.9, 0.95, 0.98, 1, 1]);
    expect(rows[0]!.share).toBe(0.5);
  });

  it("thresholds are configurable; ties rank by SKU id", () => {
    // A below 50 %, B below 90 %: D has exactly 90 % ranked above it, so it is C.
    const rows = abcClassify(catalogue, { aShare: 0.5, bShare: 0.4 });
    expect(rows.map((r) => r.class).join("")).toBe("ABBCCCC");
    expect(
      abcClassify([
        { sku: "y", revenue: 5 },
        { sku: "x", revenue: 5 },
      ]).map((r) => r.sku),
    ).toEqual(["x", "y"]);
    expect(abcClassify([{ sku: "x", revenue: 0 }])[0]!.class).toBe("C");
  });
});

describe("turnover and days of inventory", () => {
  it("annualises COGS / average inventory; days of inventory = 365 / turnover", () => {
    // A quarter (91.25 days): COGS 250,000 on average inventory 80,000 → 12.5× a year, 29.2 days.
    const t = inventoryTurnover({ costOfGoodsSold: 250_000, averageInventoryValue: 80_000, periodDays: 91.25 });
    expect(t.turnover).toBeCloseTo(12.5, 12);
    expect(t.daysOfInventory).toBeCloseTo(29.2, 12);
    expect(inventoryTurnover({ costOfGoodsSold: 0, averageInventoryValue: 100, periodDays: 365 })).toEqual({ turnover: 0, daysOfInventory: null });
    expect(inventoryTurnover({ costOfGoodsSold: 10, averageInventoryValue: 0, periodDays: 365 }).turnover).toBeNull();
  });
});

describe("stock health score", () => {
  it("five components of 20 points, linear between their thresholds", () => {
    const health = stockHealthScore({
      activeSkus: 1_000,
      inStockSkus: 920, // 92 %: (0.92 − 0.75) / 0.20 × 20 = 17
      skuDays: 30_000,
      stockoutSkuDays: 900, // 3 %: (0.10 − 0.03) / 0.08 × 20 = 17.5
      overstockSkus: 200, // 20 %: (0.30 − 0.20) / 0.20 × 20 = 10
      turnover: 6, // (6 − 2) / 8 × 20 = 10
      forecastWape: 0.3, // accuracy 70 %: (0.70 − 0.50) / 0.35 × 20 = 11.43
    });
    const points = Object.fromEntries(health.components.map((c) => [c.name, c.points]));
    expect(points.in_stock).toBeCloseTo(17, 10);
    expect(points.stockout).toBeCloseTo(17.5, 10);
    expect(points.overstock).toBeCloseTo(10, 10);
    expect(points.turnover).toBeCloseTo(10, 10);
    expect(points.forecast_accuracy).toBeCloseTo(80 / 7, 10);
    expect(health.score).toBe(65.9); // 17 + 17.5 + 10 + 10 + 11.43
    expect(health.grade).toBe("fair");
  });

  it("clamps at 0 and 20, and leaves unmeasured components out", () => {
    const best = stockHealthScore({
      activeSkus: 10,
      inStockSkus: 10,
      skuDays: 300,
      stockoutSkuDays: 0,
      overstockSkus: 0,
      turnover: 25,
      forecastWape: 0.05,
    });
    expect(best.score).toBe(100);
    expect(best.grade).toBe("excellent");
    const partial = stockHealthScore({
      activeSkus: 10,
      inStockSkus: 5, // 50 % → 0
      skuDays: 0,
      stockoutSkuDays: 0,
      overstockSkus: 0, // → 20
      turnover: null,
      forecastWape: null,
    });
    expect(partial.components.filter((c) => c.points === null).map((c) => c.name)).toEqual(["stockout", "turnover", "forecast_accuracy"]);
    expect(partial.score).toBe(50); // (0 + 20) of 40, scaled to 100
  });
});

describe("overstock and slow-moving stock", () => {
  const asOf = "2026-11-20";

  it("overstock: no sale in 90 days or stock 90 days old; slow-moving: no sale in 60 days", () => {
    expect(classifyStockMovement({ onHand: 5, lastSaleDay: "2026-08-22", oldestStockDay: "2026-10-01" }, asOf)).toEqual({
      class: "overstock",
      daysSinceLastSale: 90,
      stockAgeDays: 50,
    });
    expect(classifyStockMovement({ onHand: 5, lastSaleDay: "2026-11-19", oldestStockDay: "2026-08-22" }, asOf).class).toBe("overstock");
    expect(classifyStockMovement({ onHand: 5, lastSaleDay: "2026-09-21", oldestStockDay: "2026-10-01" }, asOf).class).toBe("slow_moving");
    expect(classifyStockMovement({ onHand: 5, lastSaleDay: "2026-09-22", oldestStockDay: "2026-10-01" }, asOf).class).toBe("moving");
    expect(classifyStockMovement({ onHand: 0, lastSaleDay: null, oldestStockDay: null }, asOf).class).toBe("empty");
  });

  it("a SKU that never sold counts from when it was first stocked; N is configurable", () => {
    expect(classifyStockMovement({ onHand: 5, lastSaleDay: null, oldestStockDay: null, firstStockedDay: "2026-09-01" }, asOf).class).toBe("slow_moving");
    expect(classifyStockMovement({ onHand: 5, lastSaleDay: null, oldestStockDay: null }, asOf).class).toBe("moving");
    expect(classifyStockMovement({ onHand: 5, lastSaleDay: "2026-11-19", oldestStockDay: "2026-06-01" }, asOf, { overstockAgeDays: 180 }).class).toBe("moving");
  });
});

describe("rebalancing", () => {
  // Cost per unit: 1 within a country, 3 across a border, no route to Stockholm.
  const country: Record<string, string> = { "FC-PAR": "FR", "FC-LYS": "FR", "FC-BER": "DE", "FC-STO": "SE" };
  const transferCost = (from: string, to: string, quantity: number) =>
    from === "FC-STO" || to === "FC-STO" ? Infinity : quantity * (country[from] === country[to] ? 1 : 3);

  it("a location short against forecast takes from the cheapest donor's excess", () => {
    const moves = suggestTransfers(
      [
        { locationId: "FC-PAR", available: 5, forecastDemand: 60, safetyStock: 10 }, // short 65
        { locationId: "FC-LYS", available: 100, forecastDemand: 20 }, // excess 100 − 24 = 76
        { locationId: "FC-BER", available: 500, forecastDemand: 50 }, // excess 440
        { locationId: "FC-STO", available: 900, forecastDemand: 10 },
      ],
      { transferCost },
    );
    expect(moves).toEqual([{ fromLocationId: "FC-LYS", toLocationId: "FC-PAR", quantity: 65, cost: 65, shortage: 65, excess: 76 }]);
  });

  it("splits over donors when the cheapest cannot cover, and respects the cost limit", () => {
    const locations = [
      { locationId: "FC-PAR", available: 0, forecastDemand: 100 },
      { locationId: "FC-LYS", available: 30, forecastDemand: 10 }, // excess 18
      { locationId: "FC-BER", available: 200, forecastDemand: 50 }, // excess 140
    ];
    expect(suggestTransfers(locations, { transferCost })).toEqual([
      { fromLocationId: "FC-LYS", toLocationId: "FC-PAR", quantity: 18, cost: 18, shortage: 100, excess: 18 },
      { fromLocationId: "FC-BER", toLocationId: "FC-PAR", quantity: 82, cost: 246, shortage: 82, excess: 140 },
    ]);
    expect(suggestTransfers(locations, { transferCost, maxCostPerUnit: 2 })).toEqual([
      { fromLocationId: "FC-LYS", toLocationId: "FC-PAR", quantity: 18, cost: 18, shortage: 100, excess: 18 },
    ]);
  });

  it("nothing moves when no location is short, or no donor has excess beyond its buffer", () => {
    expect(
      suggestTransfers(
        [
          { locationId: "FC-PAR", available: 50, forecastDemand: 40 },
          { locationId: "FC-BER", available: 500, forecastDemand: 10 },
        ],
        { transferCost },
      ),
    ).toEqual([]);
    expect(
      suggestTransfers(
        [
          { locationId: "FC-PAR", available: 0, forecastDemand: 40 },
          { locationId: "FC-BER", available: 60, forecastDemand: 50 },
        ],
        { transferCost },
      ),
    ).toEqual([]);
  });
});
