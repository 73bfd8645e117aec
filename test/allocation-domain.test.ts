/**
 * Order routing, the pure part (domain/allocation-*.ts), called directly: distances and
 * country centroids, the shipping time and cost model, each strategy's exact plan for the
 * worked example of docs/allocation.md on the 12 demo centres, split lines, pinned lines
 * served first whatever the line order, maxShipments, requiredBy, pickup, backorders only
 * where the SKU is stocked or expected, ties, hybrid weights, re-planning after a refusal,
 * input validation; and properties (fast-check, fixed seed) over generated orders: never more
 * than available anywhere, every unit accounted for, the same plan for any order of lines,
 * locations and stock, deterministic and leaving its input untouched.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { claimInbound, openInbound } from "../domain/allocation-backorders";
import { DEMO_ROUTING_LOCATIONS } from "../domain/allocation-demo-locations";
import { COUNTRY_CENTROIDS, countryCentroid, greatCircleKm, isValidPoint, roundedDistanceKm } from "../domain/allocation-geo";
import { canShipFrom, locationDataProblems, type RoutingLocation } from "../domain/allocation-locations";
import { identifyLines, planAllocation, resolveShipTo, validateAllocationRequest } from "../domain/allocation-plan";
import {
  ALLOCATION_STRATEGIES,
  type AllocationOptions,
  type AllocationPlan,
  type AllocationRequest,
  type OrderLine,
  type SkuStockLevel,
} from "../domain/allocation-plan.types";
import { measureLocation, rankLocations } from "../domain/allocation-ranking";
import { applyRefusal, replanAfterRefusal, reservationLinesOf } from "../domain/allocation-replan";
import { addDays, daysBetween, parseIsoDate, shipmentCost, shippingTimes, transitDaysFor } from "../domain/allocation-shipping";
import { chooseSources, EXACT_SEARCH_MAX_CANDIDATES, type SourceObjective, type SourceProblem } from "../domain/allocation-sources";

/** Monday 2 March 2026, 09:00 UTC (10:00 in Paris, 09:00 in London). */
const NOW = Date.parse("2026-03-02T09:00:00Z");
const BRUSSELS = { latitude: 50.8503, longitude: 4.3517 };

/** Fresh copies of the demo centres, so a test can change one without touching the constant. */
const demoLocations = (): RoutingLocation[] => DEMO_ROUTING_LOCATIONS.map((l) => ({ ...l, shippingCost: { ...l.shippingCost } }));
const demo = (id: string): RoutingLocation => demoLocations().find((l) => l.id === id)!;

function request(
  lines: OrderLine[],
  stock: SkuStockLevel[],
  options: Partial<AllocationOptions> = {},
  extra: Partial<Omit<AllocationRequest, "lines" | "stock" | "options">> = {},
): AllocationRequest {
  return {
    lines,
    stock,
    locations: extra.locations ?? demoLocations(),
    policies: extra.policies,
    options: { strategy: "nearest", shipTo: BRUSSELS, ...options },
  };
}

/** One string per shipment: location, lines (`lineId:sku×quantity`), cost in cents, reason. */
const brief = (plan: AllocationPlan) =>
  plan.shipments.map((s) => `${s.locationId} ${s.lines.map((l) => `${l.lineId}:${l.sku}×${l.quantity}`).join(" ")} ${s.estimatedCost}c ${s.reason}`);

/**
 * The worked example of docs/allocation.md: an order to Brussels for 120 tents and 4 stoves
 * without a location, plus 3 stoves pinned to FC-PAR.
 */
const EXAMPLE_LINES: OrderLine[] = [
  { lineId: "1", sku: "TENT-2P", quantity: 120 },
  { lineId: "2", sku: "STOVE", quantity: 3, locationId: "FC-PAR" },
  { lineId: "3", sku: "STOVE", quantity: 4 },
];
const EXAMPLE_STOCK: SkuStockLevel[] = [
  { sku: "TENT-2P", locationId: "FC-PAR", available: 100 },
  { sku: "TENT-2P", locationId: "FC-AMS", available: 10 },
  { sku: "TENT-2P", locationId: "FC-FRA", available: 150 },
  { sku: "TENT-2P", locationId: "FC-MIL", available: 200 },
  { sku: "STOVE", locationId: "FC-PAR", available: 5 },
  { sku: "STOVE", locationId: "FC-AMS", available: 3 },
  { sku: "STOVE", locationId: "FC-LYS", available: 20 },
  { sku: "STOVE", locationId: "FC-FRA", available: 2 },
];
const example = (options: Partial<AllocationOptions> = {}) => planAllocation(request(EXAMPLE_LINES, EXAMPLE_STOCK, options), NOW);

describe("geography", () => {
  it("measures great-circle distances (haversine, R = 6371 km), rounded to 0.1 km in plans", () => {
    expect(greatCircleKm(demo("FC-PAR"), demo("FC-LON"))).toBeCloseTo(343.556, 3);
    expect(roundedDistanceKm(BRUSSELS, demo("FC-AMS"))).toBe(173);
    expect(roundedDistanceKm(BRUSSELS, demo("FC-PAR"))).toBe(264);
    expect(roundedDistanceKm(BRUSSELS, demo("FC-FRA"))).toBe(317.2);
    expect(roundedDistanceKm(BRUSSELS, BRUSSELS)).toBe(0);
    // Antipodes: half the circumference, no NaN from rounding past 1 inside asin.
    expect(greatCircleKm({ latitude: 0, longitude: 0 }, { latitude: 0, longitude: 180 })).toBeCloseTo(Math.PI * 6371, 6);
  });

  it("knows a centroid for every EU and EEA country, GB, CH, NO, US and CA", () => {
    const required = [
      ...[
        "AT",
        "BE",
        "BG",
        "CY",
        "CZ",
        "DE",
        "DK",
        "EE",
        "ES",
        "FI",
        "FR",
        "GR",
        "HR",
        "HU",
        "IE",
        "IT",
        "LT",
        "LU",
        "LV",
        "MT",
        "NL",
        "PL",
        "PT",
        "RO",
        "SE",
        "SI",
        "SK",
      ],
      ...["IS", "LI", "NO"],
      ...["GB", "CH", "US", "CA"],
    ];
    expect(required).toHaveLength(34);
    for (const code of required) {
      const point = countryCentroid(code);
      expect(point, code).toBeDefined();
      expect(isValidPoint(point!), code).toBe(true);
    }
    expect(Object.keys(COUNTRY_CENTROIDS).length).toBeGreaterThanOrEqual(34);
  });

  it("resolves country codes case-insensitively and refuses unknown ones, prototype keys included", () => {
    expect(countryCentroid("fr")).toEqual(countryCentroid("FR"));
    expect(countryCentroid("XX")).toBeUndefined();
    expect(countryCentroid("__proto__")).toBeUndefined();
    expect(countryCentroid("constructor")).toBeUndefined();
    expect(resolveShipTo({ countryCode: "be" })).toEqual(COUNTRY_CENTROIDS.BE);
    expect(resolveShipTo(BRUSSELS)).toEqual(BRUSSELS);
    expect(resolveShipTo({ latitude: 91, longitude: 0 })).toBeUndefined();
    expect(resolveShipTo({ latitude: 0, longitude: Number.NaN })).toBeUndefined();
  });

  it("a country's centroid routes to the demo centre one would expect", () => {
    const nearestTo = (countryCode: string) =>
      planAllocation(
        request(
          [{ sku: "X", quantity: 1 }],
          DEMO_ROUTING_LOCATIONS.map((l) => ({ sku: "X", locationId: l.id, available: 1 })),
          { shipTo: { countryCode } },
        ),
        NOW,
      ).shipments[0]!.locationId;
    expect(
      Object.fromEntries(["FR", "DE", "GB", "IE", "ES", "PT", "IT", "NL", "BE", "PL", "SE", "NO", "FI", "CH", "AT"].map((c) => [c, nearestTo(c)])),
    ).toEqual({
      FR: "FC-LYS",
      DE: "FC-FRA",
      GB: "FC-MAN",
      IE: "FC-MAN",
      ES: "FC-MAD",
      PT: "FC-MAD",
      IT: "FC-MIL",
      NL: "FC-AMS",
      BE: "FC-AMS",
      PL: "FC-WAW",
      SE: "FC-STO",
      NO: "FC-STO",
      FI: "FC-STO",
      CH: "FC-MIL",
      AT: "FC-MIL",
    });
  });
});

describe("shipping time and cost model", () => {
  it("transit takes one day per started 500 km, at least one", () => {
    expect([0, 1, 500, 500.1, 1000, 1000.1, 2600].map(transitDaysFor)).toEqual([1, 1, 1, 2, 2, 3, 6]);
  });

  it("ships at the first local cut-off after handling; later orders leave the next day", () => {
    const paris = demo("FC-PAR"); // 4 h handling, cut-off 17:00, UTC+1
    const at = (iso: string) => shippingTimes(paris, 264, "ship", Date.parse(iso), Date.parse(iso));
    // Ready 13:00 UTC = 14:00 Paris, before the 17:00 cut-off: leaves 16:00 UTC the same day.
    expect(at("2026-03-02T09:00:00Z")).toEqual({
      shipAt: Date.parse("2026-03-02T16:00:00Z"),
      shipDate: "2026-03-02",
      transitDays: 1,
      deliveryDate: "2026-03-03",
      deliveryDays: 1,
    });
    // Ready exactly at the cut-off still makes it.
    expect(at("2026-03-02T12:00:00Z").shipAt).toBe(Date.parse("2026-03-02T16:00:00Z"));
    // One minute later misses it: next day's cut-off, one more day to delivery.
    expect(at("2026-03-02T12:01:00Z")).toEqual({
      shipAt: Date.parse("2026-03-03T16:00:00Z"),
      shipDate: "2026-03-03",
      transitDays: 1,
      deliveryDate: "2026-03-04",
      deliveryDays: 2,
    });
  });

  it("reads the cut-off in the location's own UTC offset", () => {
    const london = demo("FC-LON"); // 5 h handling, cut-off 16:00, UTC+0
    const manchester = { ...london, utcOffsetMinutes: 60 };
    const from = Date.parse("2026-03-02T10:30:00Z");
    // Ready 15:30 UTC: before 16:00 London time, after 16:00 at UTC+1.
    expect(shippingTimes(london, 0, "ship", from, from).shipAt).toBe(Date.parse("2026-03-02T16:00:00Z"));
    expect(shippingTimes(manchester, 0, "ship", from, from).shipAt).toBe(Date.parse("2026-03-03T15:00:00Z"));
  });

  it("a pickup order is ready when packed, with no transit", () => {
    const from = Date.parse("2026-03-02T21:00:00Z");
    expect(shippingTimes(demo("FC-PAR"), 0, "pickup", from, from)).toEqual({
      shipAt: Date.parse("2026-03-03T01:00:00Z"),
      shipDate: "2026-03-03",
      transitDays: 0,
      deliveryDate: "2026-03-03",
      deliveryDays: 1,
    });
  });

  it("a shipment costs base + round(perKm × km) + perUnit × units, in cents", () => {
    expect(shipmentCost({ base: 450, perKm: 0.55, perUnit: 60 }, 264, 104)).toBe(450 + 145 + 6240);
    expect(shipmentCost({ base: 430, perKm: 0.48, perUnit: 52 }, 317.2, 10)).toBe(430 + 152 + 520);
    expect(shipmentCost({ base: 0, perKm: 0, perUnit: 0 }, 1000, 1000)).toBe(0);
  });

  it("dates are strict YYYY-MM-DD UTC calendar dates", () => {
    expect(parseIsoDate("2026-03-02")).toBe(Date.parse("2026-03-02T00:00:00Z"));
    for (const bad of ["2026-02-30", "2026-2-3", "2026-03-02T00:00:00Z", "", "tomorrow"]) expect(parseIsoDate(bad), bad).toBeUndefined();
    expect(addDays("2026-02-27", 2)).toBe("2026-03-01");
    expect(daysBetween("2026-03-02", "2026-03-09")).toBe(7);
    expect(daysBetween("2026-03-02", "2026-03-01")).toBe(-1);
  });

  it("the demo centres' data is valid and matches the seed script's ids, order and priorities", () => {
    expect(DEMO_ROUTING_LOCATIONS.map((l) => `${l.id}:${l.priority}`)).toEqual([
      "FC-PAR:10",
      "FC-LYS:20",
      "FC-BER:30",
      "FC-FRA:40",
      "FC-LON:50",
      "FC-MAN:60",
      "FC-MAD:70",
      "FC-BCN:80",
      "FC-MIL:90",
      "FC-AMS:100",
      "FC-WAW:110",
      "FC-STO:120",
    ]);
    for (const l of DEMO_ROUTING_LOCATIONS) {
      expect(locationDataProblems(l), l.id).toEqual([]);
      expect(canShipFrom(l), l.id).toBe(true);
    }
    expect(
      locationDataProblems({ ...demo("FC-PAR"), onTimeRate: 1.2, cutoffHour: 0, utcOffsetMinutes: 30.5, shippingCost: { base: -1, perKm: 0, perUnit: 0 } }).map(
        (p) => p.field,
      ),
    ).toEqual(["shippingCost.base", "cutoffHour", "utcOffsetMinutes", "onTimeRate"]);
  });
});

describe("ranking and ties", () => {
  const measured = (l: RoutingLocation) => ({ location: l, metrics: measureLocation(l, BRUSSELS, "ship", 10, NOW, NOW) });

  it("equal scores go to the lower priority number, then the smaller id, and say so", () => {
    const twin = { ...demo("FC-PAR"), id: "FC-PAR-2" };
    const ranking = rankLocations([measured(twin), measured(demo("FC-AMS")), measured(demo("FC-PAR"))], "nearest", { delivery: 1, cost: 1, performance: 1 });
    expect(ranking.map((r) => [r.locationId, r.rank, r.score, r.tieBreak])).toEqual([
      ["FC-AMS", 1, 173, null],
      ["FC-PAR", 2, 264, "id"],
      ["FC-PAR-2", 3, 264, "id"],
    ]);
    const preferred = { ...twin, priority: 5 };
    expect(
      rankLocations([measured(demo("FC-PAR")), measured(preferred)], "nearest", { delivery: 1, cost: 1, performance: 1 }).map((r) => [
        r.locationId,
        r.tieBreak,
      ]),
    ).toEqual([
      ["FC-PAR-2", "priority"],
      ["FC-PAR", "priority"],
    ]);
  });

  it("a tie in the plan goes to the better priority whatever the input order", () => {
    const twin = { ...demo("FC-PAR"), id: "FC-AAA", priority: 15 };
    const stock = [
      { sku: "X", locationId: "FC-AAA", available: 5 },
      { sku: "X", locationId: "FC-PAR", available: 5 },
    ];
    for (const locations of [
      [demo("FC-PAR"), twin],
      [twin, demo("FC-PAR")],
    ]) {
      const plan = planAllocation(request([{ sku: "X", quantity: 3 }], stock, {}, { locations }), NOW);
      expect(brief(plan)).toEqual(["FC-PAR X|*|3:X×3 775c ranked"]);
    }
  });

  it("each strategy ranks by its own metric", () => {
    const candidates = ["FC-PAR", "FC-AMS", "FC-FRA", "FC-LYS", "FC-MIL"].map((id) => measured(demo(id)));
    const order = (strategy: (typeof ALLOCATION_STRATEGIES)[number]) =>
      rankLocations(candidates, strategy, { delivery: 40, cost: 30, performance: 30 }).map((r) => `${r.locationId}=${r.score}`);
    expect(order("nearest")).toEqual(["FC-AMS=173", "FC-PAR=264", "FC-FRA=317.2", "FC-LYS=566.7", "FC-MIL=697.9"]);
    expect(order("single_shipment")).toEqual(order("nearest"));
    expect(order("lowest_cost")).toEqual(["FC-FRA=1102", "FC-AMS=1110", "FC-PAR=1195", "FC-LYS=1233", "FC-MIL=1279"]);
    expect(order("fastest")).toEqual(["FC-PAR=1", "FC-FRA=1", "FC-AMS=1", "FC-LYS=2", "FC-MIL=2"]);
    expect(order("balanced")).toEqual(["FC-LYS=0.4013", "FC-FRA=0.5009", "FC-MIL=0.5013", "FC-AMS=0.651", "FC-PAR=0.7508"]);
    expect(order("performance")).toEqual(["FC-FRA=0.989", "FC-AMS=0.983", "FC-PAR=0.9775", "FC-LYS=0.966", "FC-MIL=0.962"]);
  });

  it("hybrid scores are the weighted mean of min-max normalised delivery, cost and performance", () => {
    const candidates = ["FC-FRA", "FC-AMS", "FC-MIL"].map((id) => measured(demo(id)));
    const [fra, ams, mil] = ["FC-FRA", "FC-AMS", "FC-MIL"].map(
      (id) => rankLocations(candidates, "hybrid", { delivery: 40, cost: 30, performance: 30 }).find((r) => r.locationId === id)!,
    );
    // Costs 1102 / 1110 / 1279, delivery days 1 / 1 / 2, performance 0.989 / 0.983 / 0.962.
    expect(fra!.components).toEqual({ delivery: 1, cost: 1, performance: 1 });
    expect(ams!.components).toEqual({ delivery: 1, cost: 0.9548, performance: 0.7778 });
    expect(mil!.components).toEqual({ delivery: 0, cost: 0, performance: 0 });
    expect(ams!.score).toBe(Math.round(((40 * 1 + 30 * ((1279 - 1110) / (1279 - 1102)) + 30 * ((0.983 - 0.962) / (0.989 - 0.962))) / 100) * 10_000) / 10_000);
    expect([fra!.score, ams!.score, mil!.score]).toEqual([1, 0.9198, 0]);
  });
});

describe("the worked example (docs/allocation.md), one plan per strategy", () => {
  it("measures the five candidates as the table in the docs says", () => {
    const plan = example({ strategy: "hybrid" });
    const table = Object.fromEntries(
      plan.ranking.map((r) => [
        r.locationId,
        [
          r.metrics.distanceKm,
          new Date(r.metrics.shipAt).toISOString().slice(11, 16),
          r.metrics.deliveryDate,
          r.metrics.estimatedCost,
          r.metrics.loadRatio,
          r.metrics.performance,
          r.score,
        ],
      ]),
    );
    expect(table).toEqual({
      "FC-AMS": [173, "18:00", "2026-03-03", 7722, 0.6624, 0.983, 0.7268],
      "FC-PAR": [264, "16:00", "2026-03-03", 8035, 0.7603, 0.9775, 0.5722],
      "FC-FRA": [317.2, "17:00", "2026-03-03", 7030, 0.5113, 0.989, 1],
      "FC-LYS": [566.7, "15:00", "2026-03-04", 7503, 0.4155, 0.966, 0.2033],
      "FC-MIL": [697.9, "15:00", "2026-03-04", 7207, 0.5155, 0.962, 0.2472],
    });
    // Berlin and the others hold none of the order's SKUs, so they are not candidates.
    expect(plan.ranking).toHaveLength(5);
  });

  it("nearest: Amsterdam, Paris, then Frankfurt; the tent line is split three ways", () => {
    const plan = example({ strategy: "nearest" });
    expect(brief(plan)).toEqual([
      "FC-AMS 3:STOVE×3 1:TENT-2P×10 1284c ranked",
      "FC-PAR 2:STOVE×3 3:STOVE×1 1:TENT-2P×100 6835c ranked",
      "FC-FRA 1:TENT-2P×10 1102c ranked",
    ]);
    expect(plan.shipments[0]).toEqual({
      locationId: "FC-AMS",
      mode: "ship",
      lines: [
        { lineId: "3", sku: "STOVE", quantity: 3, pinned: false },
        { lineId: "1", sku: "TENT-2P", quantity: 10, pinned: false },
      ],
      units: 13,
      distanceKm: 173,
      transitDays: 1,
      shipAt: Date.parse("2026-03-02T18:00:00Z"),
      shipDate: "2026-03-02",
      estimatedDeliveryDate: "2026-03-03",
      estimatedCost: 1284,
      reason: "ranked",
      rank: 1,
      score: 173,
    });
    expect(plan.shipments[1]!.lines).toContainEqual({ lineId: "2", sku: "STOVE", quantity: 3, pinned: true });
    expect(plan.totals).toEqual({
      requested: 127,
      allocated: 127,
      backordered: 0,
      unallocated: 0,
      shipments: 3,
      shippingCost: 9221,
      extraShipmentsCost: 500,
      totalCost: 9721,
    });
    expect(plan.status).toBe("complete");
    expect(plan.estimatedShipDate).toBe("2026-03-02");
    expect(plan.estimatedDeliveryDate).toBe("2026-03-03");
    expect(plan.selection).toEqual({ method: "greedy", candidates: 5, setsEvaluated: 1 });
    expect(plan.lines).toEqual([
      { lineId: "1", sku: "TENT-2P", locationId: null, requested: 120, allocated: 120, backordered: 0, unallocated: 0 },
      { lineId: "2", sku: "STOVE", locationId: "FC-PAR", requested: 3, allocated: 3, backordered: 0, unallocated: 0 },
      { lineId: "3", sku: "STOVE", locationId: null, requested: 4, allocated: 4, backordered: 0, unallocated: 0 },
    ]);
  });

  it("lowest_cost: everything unpinned from Frankfurt, the rest of the stoves ride with the pinned Paris parcel", () => {
    const plan = example({ strategy: "lowest_cost" });
    expect(brief(plan)).toEqual(["FC-FRA 3:STOVE×2 1:TENT-2P×120 6926c lowest_total_cost", "FC-PAR 2:STOVE×3 3:STOVE×2 895c lowest_total_cost"]);
    expect(plan.totals.totalCost).toBe(8071);
    expect(plan.selection).toEqual({ method: "exact", candidates: 5, setsEvaluated: 33 });
  });

  it("fastest: Paris, Frankfurt and Amsterdam all deliver tomorrow, so priority decides", () => {
    const plan = example({ strategy: "fastest" });
    expect(plan.ranking.map((r) => `${r.locationId}:${r.score}:${r.tieBreak}`)).toEqual([
      "FC-PAR:1:priority",
      "FC-FRA:1:priority",
      "FC-AMS:1:priority",
      "FC-LYS:2:priority",
      "FC-MIL:2:priority",
    ]);
    expect(brief(plan)).toEqual(["FC-PAR 2:STOVE×3 3:STOVE×2 1:TENT-2P×100 6895c ranked", "FC-FRA 3:STOVE×2 1:TENT-2P×20 1726c ranked"]);
    expect(plan.totals.totalCost).toBe(8871);
  });

  it("single_shipment: no one centre has it all, so the fewest shipments (Paris, which ships anyway, plus Frankfurt)", () => {
    const plan = example({ strategy: "single_shipment" });
    expect(brief(plan)).toEqual(["FC-PAR 2:STOVE×3 3:STOVE×2 1:TENT-2P×100 6895c fewest_shipments", "FC-FRA 3:STOVE×2 1:TENT-2P×20 1726c fewest_shipments"]);
    expect(plan.totals.shipments).toBe(2);
  });

  it("balanced: the least loaded centres first (Lyon 41.6%, Frankfurt 51.1%)", () => {
    const plan = example({ strategy: "balanced" });
    expect(plan.ranking.map((r) => `${r.locationId}:${r.score}`)).toEqual([
      "FC-LYS:0.4155",
      "FC-FRA:0.5113",
      "FC-MIL:0.5155",
      "FC-AMS:0.6624",
      "FC-PAR:0.7603",
    ]);
    expect(brief(plan)).toEqual(["FC-LYS 3:STOVE×4 903c ranked", "FC-FRA 1:TENT-2P×120 6822c ranked", "FC-PAR 2:STOVE×3 775c pinned"]);
    expect(plan.shipments[2]).toMatchObject({ rank: null, score: null });
    expect(plan.totals.totalCost).toBe(9000);
  });

  it("performance: Frankfurt (98.9%) then Amsterdam (98.3%)", () => {
    const plan = example({ strategy: "performance" });
    expect(brief(plan)).toEqual(["FC-FRA 3:STOVE×2 1:TENT-2P×120 6926c ranked", "FC-AMS 3:STOVE×2 646c ranked", "FC-PAR 2:STOVE×3 775c pinned"]);
    expect(plan.totals.totalCost).toBe(8847);
  });

  it("hybrid 40/30/30: Frankfurt is best on all three; Amsterdam next", () => {
    const plan = example({ strategy: "hybrid" });
    expect(plan.ranking.map((r) => `${r.locationId}:${r.score}`)).toEqual(["FC-FRA:1", "FC-AMS:0.7268", "FC-PAR:0.5722", "FC-MIL:0.2472", "FC-LYS:0.2033"]);
    expect(plan.ranking[1]!.components).toEqual({ delivery: 1, cost: 0.3114, performance: 0.7778 });
    expect(brief(plan)).toEqual(["FC-FRA 3:STOVE×2 1:TENT-2P×120 6926c ranked", "FC-AMS 3:STOVE×2 646c ranked", "FC-PAR 2:STOVE×3 775c pinned"]);
  });

  it("hybrid weights change the ranking: cost only puts Milan second and sends the stoves to Lyon", () => {
    const plan = example({ strategy: "hybrid", weights: { delivery: 0, cost: 100, performance: 0 } });
    expect(plan.ranking.map((r) => r.locationId)).toEqual(["FC-FRA", "FC-MIL", "FC-LYS", "FC-AMS", "FC-PAR"]);
    expect(brief(plan)).toEqual(["FC-FRA 3:STOVE×2 1:TENT-2P×120 6926c ranked", "FC-LYS 3:STOVE×2 793c ranked", "FC-PAR 2:STOVE×3 775c pinned"]);
    expect(plan.totals.totalCost).toBe(8994);
    const deliveryOnly = example({ strategy: "hybrid", weights: { delivery: 1, cost: 0, performance: 0 } });
    expect(deliveryOnly.ranking.map((r) => r.locationId)).toEqual(example({ strategy: "fastest" }).ranking.map((r) => r.locationId));
  });
});

describe("splits and pinned lines", () => {
  it("a 120-unit line against 100 + 50 in two centres succeeds as a split", () => {
    const plan = planAllocation(
      request(
        [{ lineId: "tents", sku: "TENT-2P", quantity: 120 }],
        [
          { sku: "TENT-2P", locationId: "FC-PAR", available: 100 },
          { sku: "TENT-2P", locationId: "FC-AMS", available: 50 },
        ],
      ),
      NOW,
    );
    expect(plan.status).toBe("complete");
    expect(brief(plan)).toEqual(["FC-AMS tents:TENT-2P×50 3430c ranked", "FC-PAR tents:TENT-2P×70 4795c ranked"]);
    expect(plan.lines).toEqual([{ lineId: "tents", sku: "TENT-2P", locationId: null, requested: 120, allocated: 120, backordered: 0, unallocated: 0 }]);
  });

  it("issue 13: {A:3 anywhere} + {A:3 at FC-PAR} with FC-PAR = 4, FC-LYS = 3 succeeds in both orders with the same plan", () => {
    const stock = [
      { sku: "A", locationId: "FC-PAR", available: 4 },
      { sku: "A", locationId: "FC-LYS", available: 3 },
    ];
    const unpinnedFirst = planAllocation(
      request(
        [
          { sku: "A", quantity: 3 },
          { sku: "A", quantity: 3, locationId: "FC-PAR" },
        ],
        stock,
        { shipTo: { countryCode: "FR" } },
      ),
      NOW,
    );
    const pinnedFirst = planAllocation(
      request(
        [
          { sku: "A", quantity: 3, locationId: "FC-PAR" },
          { sku: "A", quantity: 3 },
        ],
        stock,
        { shipTo: { countryCode: "FR" } },
      ),
      NOW,
    );
    expect(unpinnedFirst).toEqual(pinnedFirst);
    expect(unpinnedFirst.status).toBe("complete");
    // The pinned line keeps Paris; the other takes Lyon's 3 (nearest to the French centroid).
    expect(brief(unpinnedFirst)).toEqual(["FC-LYS A|*|3:A×3 670c ranked", "FC-PAR A|FC-PAR|3:A×3 791c pinned"]);
  });

  it("the same order is served the same way under every strategy whatever the line order", () => {
    const stock = [
      { sku: "A", locationId: "FC-PAR", available: 4 },
      { sku: "A", locationId: "FC-LYS", available: 3 },
    ];
    for (const strategy of ALLOCATION_STRATEGIES) {
      const a = planAllocation(
        request(
          [
            { sku: "A", quantity: 3 },
            { sku: "A", quantity: 3, locationId: "FC-PAR" },
          ],
          stock,
          { strategy },
        ),
        NOW,
      );
      const b = planAllocation(
        request(
          [
            { sku: "A", quantity: 3, locationId: "FC-PAR" },
            { sku: "A", quantity: 3 },
          ],
          stock,
          { strategy },
        ),
        NOW,
      );
      expect(a, strategy).toEqual(b);
      expect(a.status, strategy).toBe("complete");
    }
  });

  it("a pinned line takes only its own location; the shortfall is reported, not moved elsewhere", () => {
    const plan = planAllocation(
      request(
        [{ lineId: "p", sku: "A", quantity: 5, locationId: "FC-PAR" }],
        [
          { sku: "A", locationId: "FC-PAR", available: 2 },
          { sku: "A", locationId: "FC-AMS", available: 50 },
        ],
      ),
      NOW,
    );
    expect(brief(plan)).toEqual(["FC-PAR p:A×2 715c pinned"]);
    expect(plan.unallocated).toEqual([{ lineId: "p", sku: "A", locationId: "FC-PAR", quantity: 3, reason: "insufficient_stock" }]);
    expect(plan.status).toBe("short");
  });

  it("pinned to an inactive location, or one that cannot ship: location_unavailable; unpinned lines never go there", () => {
    const locations = demoLocations().map((l) => (l.id === "FC-AMS" ? { ...l, active: false } : l.id === "FC-PAR" ? { ...l, canShip: false } : l));
    const stock = [
      { sku: "A", locationId: "FC-AMS", available: 10 },
      { sku: "A", locationId: "FC-PAR", available: 10 },
      { sku: "A", locationId: "FC-FRA", available: 10 },
    ];
    const plan = planAllocation(
      request(
        [
          { lineId: "x", sku: "A", quantity: 1, locationId: "FC-AMS" },
          { lineId: "y", sku: "A", quantity: 1, locationId: "FC-PAR" },
          { lineId: "z", sku: "A", quantity: 10 },
        ],
        stock,
        {},
        { locations },
      ),
      NOW,
    );
    expect(plan.unallocated.map((u) => `${u.lineId}:${u.reason}`)).toEqual(["x:location_unavailable", "y:location_unavailable"]);
    expect(brief(plan)).toEqual(["FC-FRA z:A×10 1102c ranked"]);
  });

  it("lines get content-derived ids when the caller gives none; identical lines are numbered", () => {
    expect(
      identifyLines([
        { sku: "A", quantity: 2 },
        { sku: "A", quantity: 2 },
        { sku: "A", quantity: 2, locationId: "L" },
        { lineId: "mine", sku: "B", quantity: 1 },
      ]).map((l) => l.lineId),
    ).toEqual(["A|*|2", "A|*|2|2", "A|L|2", "mine"]);
  });
});

describe("maxShipments", () => {
  it("limits the plan to the best-ranked set that still serves everything", () => {
    const plan = example({ strategy: "nearest", maxShipments: 2 });
    expect(brief(plan)).toEqual(["FC-PAR 2:STOVE×3 3:STOVE×2 1:TENT-2P×100 6895c max_shipments", "FC-FRA 3:STOVE×2 1:TENT-2P×20 1726c max_shipments"]);
    expect(plan.status).toBe("complete");
    expect(plan.selection.method).toBe("exact");
  });

  it("keeps pinned shipments even past the limit; what needs another shipment is short with reason max_shipments", () => {
    const plan = example({ strategy: "nearest", maxShipments: 1 });
    expect(brief(plan)).toEqual(["FC-PAR 2:STOVE×3 3:STOVE×2 1:TENT-2P×100 6895c max_shipments"]);
    expect(plan.unallocated).toEqual([
      { lineId: "1", sku: "TENT-2P", locationId: null, quantity: 20, reason: "max_shipments" },
      { lineId: "3", sku: "STOVE", locationId: null, quantity: 2, reason: "max_shipments" },
    ]);
  });

  it("with room for one shipment it takes the location that covers the most, not the nearest", () => {
    const stock = [
      { sku: "A", locationId: "FC-AMS", available: 5 },
      { sku: "A", locationId: "FC-MIL", available: 10 },
    ];
    const plan = planAllocation(request([{ lineId: "a", sku: "A", quantity: 10 }], stock, { maxShipments: 1 }), NOW);
    expect(brief(plan)).toEqual(["FC-MIL a:A×10 1279c max_shipments"]);
    const unlimited = planAllocation(request([{ lineId: "a", sku: "A", quantity: 10 }], stock), NOW);
    expect(brief(unlimited)).toEqual(["FC-AMS a:A×5 820c ranked", "FC-MIL a:A×5 1019c ranked"]);
  });

  it("single_shipment picks one centre that covers the whole order over a nearer split", () => {
    const stock = [
      { sku: "TENT-2P", locationId: "FC-AMS", available: 60 },
      { sku: "STOVE", locationId: "FC-AMS", available: 10 },
      { sku: "TENT-2P", locationId: "FC-PAR", available: 200 },
      { sku: "STOVE", locationId: "FC-PAR", available: 10 },
    ];
    const lines = [
      { lineId: "t", sku: "TENT-2P", quantity: 120 },
      { lineId: "s", sku: "STOVE", quantity: 4 },
    ];
    expect(brief(planAllocation(request(lines, stock, { strategy: "nearest" }), NOW))).toEqual([
      "FC-AMS s:STOVE×4 t:TENT-2P×60 4242c ranked",
      "FC-PAR t:TENT-2P×60 4195c ranked",
    ]);
    const single = planAllocation(request(lines, stock, { strategy: "single_shipment" }), NOW);
    expect(brief(single)).toEqual(["FC-PAR s:STOVE×4 t:TENT-2P×120 8035c fewest_shipments"]);
    expect(single.shipments[0]).toMatchObject({ rank: 2, score: 264 });
  });
});

describe("lowest_cost and the cost of extra shipments", () => {
  const stock = [
    { sku: "A", locationId: "FC-FRA", available: 100 },
    { sku: "B", locationId: "FC-AMS", available: 100 },
    { sku: "A", locationId: "FC-PAR", available: 100 },
    { sku: "B", locationId: "FC-PAR", available: 100 },
  ];
  const lines = [
    { lineId: "a", sku: "A", quantity: 100 },
    { lineId: "b", sku: "B", quantity: 100 },
  ];

  it("splits when two cheaper parcels plus the extra-shipment cost beat one dearer parcel", () => {
    // Frankfurt 5,782 + Amsterdam 6,330 + 250 = 12,362 < Paris 12,595.
    const plan = planAllocation(request(lines, stock, { strategy: "lowest_cost" }), NOW);
    expect(brief(plan)).toEqual(["FC-FRA a:A×100 5782c lowest_total_cost", "FC-AMS b:B×100 6330c lowest_total_cost"]);
    expect(plan.totals).toMatchObject({ shippingCost: 12_112, extraShipmentsCost: 250, totalCost: 12_362 });
  });

  it("consolidates when each extra shipment costs more than the split saves", () => {
    const plan = planAllocation(request(lines, stock, { strategy: "lowest_cost", extraShipmentCost: 1000 }), NOW);
    expect(brief(plan)).toEqual(["FC-PAR a:A×100 b:B×100 12595c lowest_total_cost"]);
    expect(plan.totals.totalCost).toBe(12_595);
  });
});

describe("requiredBy", () => {
  const stock = [
    { sku: "A", locationId: "FC-PAR", available: 5 },
    { sku: "A", locationId: "FC-MIL", available: 100 },
  ];

  it("leaves out locations that cannot deliver by the date and says why the rest is short", () => {
    const open = planAllocation(request([{ lineId: "a", sku: "A", quantity: 20 }], stock), NOW);
    expect(brief(open)).toEqual(["FC-PAR a:A×5 895c ranked", "FC-MIL a:A×15 1539c ranked"]);
    expect(open.estimatedDeliveryDate).toBe("2026-03-04");
    const byTomorrow = planAllocation(request([{ lineId: "a", sku: "A", quantity: 20 }], stock, { requiredBy: "2026-03-03" }), NOW);
    expect(brief(byTomorrow)).toEqual(["FC-PAR a:A×5 895c ranked"]);
    expect(byTomorrow.unallocated).toEqual([{ lineId: "a", sku: "A", locationId: null, quantity: 15, reason: "misses_required_by" }]);
    expect(byTomorrow.ranking.map((r) => r.locationId)).toEqual(["FC-PAR"]);
  });

  it("a line pinned to a location that would deliver too late is short, not shipped late", () => {
    const plan = planAllocation(request([{ lineId: "m", sku: "A", quantity: 1, locationId: "FC-MIL" }], stock, { requiredBy: "2026-03-03" }), NOW);
    expect(plan.shipments).toEqual([]);
    expect(plan.unallocated).toEqual([{ lineId: "m", sku: "A", locationId: "FC-MIL", quantity: 1, reason: "misses_required_by" }]);
    expect(plan.estimatedShipDate).toBeNull();
  });

  it("an order placed after the cut-off needs one more day", () => {
    const evening = Date.parse("2026-03-02T16:00:00Z");
    const plan = planAllocation(request([{ lineId: "a", sku: "A", quantity: 5 }], stock, { requiredBy: "2026-03-03" }), evening);
    expect(plan.unallocated.map((u) => u.reason)).toEqual(["misses_required_by"]);
    const dayLater = planAllocation(request([{ lineId: "a", sku: "A", quantity: 5 }], stock, { requiredBy: "2026-03-04" }), evening);
    expect(dayLater.shipments.map((s) => [s.locationId, s.shipDate, s.estimatedDeliveryDate])).toEqual([["FC-PAR", "2026-03-03", "2026-03-04"]]);
  });
});

describe("pickup", () => {
  const store: RoutingLocation = { ...demo("FC-PAR"), id: "ST-PAR-OPERA", priority: 200, canShip: false, canPickup: true, handlingHours: 2 };
  const locations = [...demoLocations(), store];

  it("serves the whole order at the pickup location, ready when packed, at no shipping cost", () => {
    const stock = [
      { sku: "A", locationId: "ST-PAR-OPERA", available: 5 },
      { sku: "A", locationId: "FC-PAR", available: 50 },
    ];
    const plan = planAllocation(
      request([{ lineId: "a", sku: "A", quantity: 3 }], stock, { pickupLocationId: "ST-PAR-OPERA", shipTo: undefined }, { locations }),
      NOW,
    );
    expect(plan.mode).toBe("pickup");
    expect(plan.shipTo).toBeNull();
    expect(plan.shipments).toEqual([
      {
        locationId: "ST-PAR-OPERA",
        mode: "pickup",
        lines: [{ lineId: "a", sku: "A", quantity: 3, pinned: false }],
        units: 3,
        distanceKm: 0,
        transitDays: 0,
        shipAt: Date.parse("2026-03-02T11:00:00Z"),
        shipDate: "2026-03-02",
        estimatedDeliveryDate: "2026-03-02",
        estimatedCost: 0,
        reason: "pickup",
        rank: 1,
        score: 0,
      },
    ]);
  });

  it("does not top up from elsewhere; lines pinned to another location are refused", () => {
    const stock = [
      { sku: "A", locationId: "ST-PAR-OPERA", available: 2 },
      { sku: "A", locationId: "FC-PAR", available: 50 },
    ];
    const plan = planAllocation(
      request(
        [
          { lineId: "a", sku: "A", quantity: 3 },
          { lineId: "b", sku: "A", quantity: 1, locationId: "FC-PAR" },
        ],
        stock,
        { pickupLocationId: "ST-PAR-OPERA" },
        { locations },
      ),
      NOW,
    );
    expect(brief(plan)).toEqual(["ST-PAR-OPERA a:A×2 0c pickup"]);
    expect(plan.unallocated.map((u) => `${u.lineId}:${u.quantity}:${u.reason}`)).toEqual(["a:1:insufficient_stock", "b:1:not_at_pickup_location"]);
  });

  it("a backorder for a pickup order waits at the pickup location", () => {
    const plan = planAllocation(
      request(
        [{ lineId: "a", sku: "A", quantity: 3 }],
        [{ sku: "A", locationId: "FC-PAR", available: 50 }],
        { pickupLocationId: "ST-PAR-OPERA" },
        { locations, policies: [{ sku: "A", allowBackorder: true, leadTimeDays: 4 }] },
      ),
      NOW,
    );
    expect(plan.shipments).toEqual([]);
    expect(plan.backorders).toEqual([
      {
        lineId: "a",
        sku: "A",
        locationId: "ST-PAR-OPERA",
        quantity: 3,
        pinned: false,
        expectedDate: "2026-03-06",
        basis: "lead_time",
        estimatedDeliveryDate: "2026-03-06",
      },
    ]);
    expect(plan.status).toBe("with_backorders");
  });

  it("a location that does not offer pickup serves nothing", () => {
    const plan = planAllocation(
      request(
        [
          { lineId: "a", sku: "A", quantity: 1 },
          { lineId: "b", sku: "A", quantity: 1, locationId: "FC-PAR" },
        ],
        [{ sku: "A", locationId: "FC-PAR", available: 5 }],
        { pickupLocationId: "FC-PAR" },
      ),
      NOW,
    );
    expect(plan.shipments).toEqual([]);
    expect(plan.unallocated.map((u) => `${u.lineId}:${u.reason}`)).toEqual(["a:insufficient_stock", "b:location_unavailable"]);
  });
});

describe("backorders", () => {
  const kayak = (allowBackorder = true) => [{ sku: "KAYAK", allowBackorder, leadTimeDays: 10 }];
  const kayakStock: SkuStockLevel[] = [
    // Milan expects 20 on 9 March; Berlin has stocked kayaks before but expects none.
    { sku: "KAYAK", locationId: "FC-MIL", available: 0, inbound: [{ quantity: 20, expectedDate: "2026-03-09" }] },
    { sku: "KAYAK", locationId: "FC-BER", available: 0 },
  ];

  it("issue 13: a backorder without a location goes where the SKU is stocked or expected, never to a nearer centre that never had it", () => {
    const plan = planAllocation(request([{ lineId: "k", sku: "KAYAK", quantity: 5 }], kayakStock, {}, { policies: kayak() }), NOW);
    expect(plan.shipments).toEqual([]);
    expect(plan.backorders).toEqual([
      {
        lineId: "k",
        sku: "KAYAK",
        locationId: "FC-MIL",
        quantity: 5,
        pinned: false,
        expectedDate: "2026-03-09",
        basis: "inbound",
        estimatedDeliveryDate: "2026-03-11",
      },
    ]);
    expect(plan.lines[0]).toMatchObject({ allocated: 0, backordered: 5, unallocated: 0 });
  });

  it("inbound units are claimed line by line; beyond them the SKU's lead time applies and the strategy picks among equal dates", () => {
    const plan = planAllocation(
      request(
        [
          { lineId: "a", sku: "KAYAK", quantity: 15 },
          { lineId: "b", sku: "KAYAK", quantity: 10 },
        ],
        kayakStock,
        {},
        { policies: kayak() },
      ),
      NOW,
    );
    expect(plan.backorders.map((b) => `${b.lineId}:${b.locationId}:${b.quantity}:${b.expectedDate}:${b.basis}`)).toEqual([
      "a:FC-MIL:15:2026-03-09:inbound",
      // 5 left in Milan's arrival is not enough; both centres get more on 12 March (10 days' lead
      // time), and Berlin (650.6 km) is nearer to Brussels than Milan (697.9 km).
      "b:FC-BER:10:2026-03-12:lead_time",
    ]);
  });

  it("backorders the location already accepted claim its arrivals first", () => {
    const stock = [
      {
        sku: "KAYAK",
        locationId: "FC-MIL",
        available: -18,
        inbound: [
          { quantity: 20, expectedDate: "2026-03-09" },
          { quantity: 20, expectedDate: "2026-03-20" },
        ],
      },
    ];
    const plan = planAllocation(request([{ lineId: "k", sku: "KAYAK", quantity: 5 }], stock, {}, { policies: kayak() }), NOW);
    expect(plan.backorders.map((b) => `${b.locationId}:${b.expectedDate}:${b.basis}`)).toEqual(["FC-MIL:2026-03-20:inbound"]);
    expect(openInbound(stock[0])).toEqual([
      { expectedDate: "2026-03-09", quantity: 2 },
      { expectedDate: "2026-03-20", quantity: 20 },
    ]);
    expect(claimInbound(openInbound(stock[0]), 30, "2026-03-02", 10)).toEqual({ expectedDate: "2026-03-20", basis: "lead_time", rest: [] });
    expect(claimInbound([{ expectedDate: "2026-02-20", quantity: 5 }], 3, "2026-03-02", 10)).toEqual({
      expectedDate: "2026-03-02",
      basis: "inbound",
      rest: [{ expectedDate: "2026-02-20", quantity: 2 }],
    });
  });

  it("part from stock, the rest backordered where it arrives first", () => {
    const stock = [...kayakStock, { sku: "KAYAK", locationId: "FC-PAR", available: 3 }];
    const plan = planAllocation(request([{ lineId: "k", sku: "KAYAK", quantity: 5 }], stock, {}, { policies: kayak() }), NOW);
    expect(brief(plan)).toEqual(["FC-PAR k:KAYAK×3 775c ranked"]);
    expect(plan.backorders.map((b) => `${b.locationId}:${b.quantity}:${b.expectedDate}`)).toEqual(["FC-MIL:2:2026-03-09"]);
    expect(plan.lines[0]).toMatchObject({ requested: 5, allocated: 3, backordered: 2, unallocated: 0 });
    expect(plan.status).toBe("with_backorders");
  });

  it("a pinned line's backorder stays at its location, stocked there or not", () => {
    const plan = planAllocation(request([{ lineId: "k", sku: "KAYAK", quantity: 2, locationId: "FC-AMS" }], kayakStock, {}, { policies: kayak() }), NOW);
    expect(plan.backorders).toEqual([
      {
        lineId: "k",
        sku: "KAYAK",
        locationId: "FC-AMS",
        quantity: 2,
        pinned: true,
        expectedDate: "2026-03-12",
        basis: "lead_time",
        estimatedDeliveryDate: "2026-03-13",
      },
    ]);
  });

  it("no backorder when the SKU does not allow it, nor where nothing stocks or expects it", () => {
    const refused = planAllocation(request([{ lineId: "k", sku: "KAYAK", quantity: 5 }], kayakStock, {}, { policies: kayak(false) }), NOW);
    expect(refused.unallocated).toEqual([{ lineId: "k", sku: "KAYAK", locationId: null, quantity: 5, reason: "insufficient_stock" }]);
    const nowhere = planAllocation(request([{ lineId: "k", sku: "KAYAK", quantity: 5 }], [], {}, { policies: kayak() }), NOW);
    expect(nowhere.unallocated).toEqual([{ lineId: "k", sku: "KAYAK", locationId: null, quantity: 5, reason: "no_backorder_location" }]);
    const defaults = planAllocation(request([{ lineId: "k", sku: "KAYAK", quantity: 5 }], kayakStock), NOW);
    expect(defaults.unallocated.map((u) => u.reason)).toEqual(["insufficient_stock"]);
  });

  it("a backorder that would arrive after requiredBy is short instead", () => {
    const plan = planAllocation(request([{ lineId: "k", sku: "KAYAK", quantity: 5 }], kayakStock, { requiredBy: "2026-03-10" }, { policies: kayak() }), NOW);
    expect(plan.backorders).toEqual([]);
    expect(plan.unallocated.map((u) => u.reason)).toEqual(["misses_required_by"]);
  });
});

describe("searching sets of locations", () => {
  /** n locations in a row east of Brussels, 1 unit each. */
  const row = (n: number) => {
    const locations = Array.from({ length: n }, (_, i) => ({
      ...demo("FC-AMS"),
      id: `L${String(i).padStart(2, "0")}`,
      latitude: 50.85,
      longitude: 4.5 + i * 0.5,
      priority: 10,
    }));
    const stock = locations.map((l) => ({ sku: "A", locationId: l.id, available: 1 }));
    return { locations, stock };
  };

  it(`compares every subset up to ${EXACT_SEARCH_MAX_CANDIDATES} candidates`, () => {
    const { locations, stock } = row(EXACT_SEARCH_MAX_CANDIDATES);
    const plan = planAllocation(request([{ lineId: "a", sku: "A", quantity: 5 }], stock, { strategy: "single_shipment" }, { locations }), NOW);
    // All candidates, the empty set, then every set of at most 5 locations (12 + 66 + 220 +
    // 495 + 792): once 5 locations serve everything, larger sets cannot have fewer shipments.
    expect(plan.selection).toEqual({ method: "exact", candidates: 12, setsEvaluated: 2 + 1585 });
    expect(plan.shipments.map((s) => s.locationId)).toEqual(["L00", "L01", "L02", "L03", "L04"]);
    const cheapest = planAllocation(request([{ lineId: "a", sku: "A", quantity: 5 }], stock, { strategy: "lowest_cost" }, { locations }), NOW);
    expect(cheapest.selection).toEqual({ method: "exact", candidates: 12, setsEvaluated: 1 + 4096 });
    expect(cheapest.shipments.map((s) => s.locationId)).toEqual(["L00", "L01", "L02", "L03", "L04"]);
  });

  it("beyond that grows the set greedily, still within maxShipments and never over stock", () => {
    const { locations, stock } = row(15);
    const capped = planAllocation(request([{ lineId: "a", sku: "A", quantity: 10 }], stock, { maxShipments: 4 }, { locations }), NOW);
    expect(capped.selection.method).toBe("greedy_fallback");
    expect(capped.shipments.map((s) => `${s.locationId}:${s.units}`)).toEqual(["L00:1", "L01:1", "L02:1", "L03:1"]);
    expect(capped.unallocated).toEqual([{ lineId: "a", sku: "A", locationId: null, quantity: 6, reason: "max_shipments" }]);
    const cover = planAllocation(request([{ lineId: "a", sku: "A", quantity: 3 }], stock, { strategy: "single_shipment" }, { locations }), NOW);
    expect(cover.selection.method).toBe("greedy_fallback");
    expect(cover.shipments.map((s) => s.locationId)).toEqual(["L00", "L01", "L02"]);
    const cheap = planAllocation(request([{ lineId: "a", sku: "A", quantity: 3 }], stock, { strategy: "lowest_cost" }, { locations }), NOW);
    expect(cheap.selection.method).toBe("greedy_fallback");
    expect(cheap.totals.allocated).toBe(3);
  });
});

describe("re-planning after a refusal", () => {
  it("takes the refused location's availability as reported and plans again", () => {
    const req = request(EXAMPLE_LINES, EXAMPLE_STOCK);
    const first = planAllocation(req, NOW);
    expect(reservationLinesOf(first)).toEqual([
      { sku: "STOVE", locationId: "FC-AMS", quantity: 3, backordered: 0 },
      { sku: "STOVE", locationId: "FC-PAR", quantity: 4, backordered: 0 },
      { sku: "TENT-2P", locationId: "FC-AMS", quantity: 10, backordered: 0 },
      { sku: "TENT-2P", locationId: "FC-FRA", quantity: 10, backordered: 0 },
      { sku: "TENT-2P", locationId: "FC-PAR", quantity: 100, backordered: 0 },
    ]);
    // Another order took 6 tents in Amsterdam between planning and reserving.
    const refusal = [{ sku: "TENT-2P", locationId: "FC-AMS", requested: 10, available: 4 }];
    const next = replanAfterRefusal(req, first, refusal, NOW);
    expect(next.changed).toBe(true);
    expect(next.samePlan).toBe(false);
    expect(brief(next.plan)).toEqual([
      "FC-AMS 3:STOVE×3 1:TENT-2P×4 1284c ranked".replace("1284c", `${440 + 90 + 58 * 7}c`),
      "FC-PAR 2:STOVE×3 3:STOVE×1 1:TENT-2P×100 6835c ranked",
      "FC-FRA 1:TENT-2P×16 1414c ranked",
    ]);
    expect(next.request.stock.find((s) => s.sku === "TENT-2P" && s.locationId === "FC-AMS")!.available).toBe(4);
    expect(req.stock.find((s) => s.sku === "TENT-2P" && s.locationId === "FC-AMS")!.available).toBe(10);
    // The same refusal again changes nothing: the caller should stop retrying.
    const again = replanAfterRefusal(next.request, next.plan, refusal, NOW);
    expect(again.changed).toBe(false);
    expect(again.samePlan).toBe(true);
  });

  it("a refusal at a location the request had no stock for adds it; lines without a location are skipped", () => {
    const { request: updated, changed } = applyRefusal(request([{ sku: "A", quantity: 1 }], []), [
      { sku: "A", locationId: "FC-PAR", requested: 1, available: 0 },
      { sku: "A", locationId: null, requested: 1, available: 0 },
    ]);
    expect(changed).toBe(true);
    expect(updated.stock).toEqual([{ sku: "A", locationId: "FC-PAR", available: 0 }]);
  });

  it("reservation lines merge a plan's takes and backorders per SKU and location", () => {
    const plan = planAllocation(
      request(
        [
          { lineId: "a", sku: "K", quantity: 5, locationId: "FC-PAR" },
          { lineId: "b", sku: "K", quantity: 2, locationId: "FC-PAR" },
        ],
        [{ sku: "K", locationId: "FC-PAR", available: 4 }],
        {},
        { policies: [{ sku: "K", allowBackorder: true, leadTimeDays: 3 }] },
      ),
      NOW,
    );
    expect(reservationLinesOf(plan)).toEqual([{ sku: "K", locationId: "FC-PAR", quantity: 7, backordered: 3 }]);
  });
});

describe("validation", () => {
  it("names every problem with its path; planAllocation refuses such a request", () => {
    const bad: AllocationRequest = {
      lines: [
        { lineId: "x", sku: "A", quantity: 0 },
        { lineId: "x", sku: "", quantity: 1.5, locationId: "NOPE" },
      ],
      locations: [demo("FC-PAR"), { ...demo("FC-PAR"), latitude: 100 }],
      stock: [
        { sku: "A", locationId: "FC-PAR", available: 1, inbound: [{ quantity: 0, expectedDate: "2026-13-01" }] },
        { sku: "A", locationId: "FC-PAR", available: 0.5 },
      ],
      policies: [{ sku: "A", allowBackorder: true, leadTimeDays: -1 }],
      options: {
        strategy: "cheapest" as never,
        maxShipments: 0,
        requiredBy: "soon",
        extraShipmentCost: -1,
        weights: { delivery: 0, cost: 0, performance: 0 },
      },
    };
    expect(validateAllocationRequest(bad, NOW).map((p) => `${p.path.join(".")}:${p.code}`)).toEqual([
      "locations.1.id:duplicate_location",
      "locations.1.latitude:invalid_location_data",
      "lines.0.quantity:invalid_quantity",
      "lines.1.lineId:duplicate_line_id",
      "lines.1.sku:invalid_sku",
      "lines.1.quantity:invalid_quantity",
      "lines.1.locationId:unknown_location",
      "stock.0.inbound.0.quantity:invalid_quantity",
      "stock.0.inbound.0.expectedDate:invalid_date",
      "stock.1:duplicate_stock",
      "stock.1.available:invalid_quantity",
      "policies.0.leadTimeDays:invalid_lead_time",
      "options.strategy:unknown_strategy",
      "options.shipTo:missing_ship_to",
      "options.maxShipments:invalid_max_shipments",
      "options.requiredBy:invalid_date",
      "options.extraShipmentCost:invalid_cost",
      "options.weights:invalid_weights",
    ]);
    expect(() => planAllocation(bad, NOW)).toThrow(RangeError);
  });

  it("refuses an empty order, an unknown country, an unknown pickup location and a non-finite now", () => {
    const codes = (r: AllocationRequest, now = NOW) => validateAllocationRequest(r, now).map((p) => p.code);
    expect(codes(request([], []))).toEqual(["no_lines"]);
    expect(codes(request([{ sku: "A", quantity: 1 }], [], { shipTo: { countryCode: "XX" } }))).toEqual(["invalid_ship_to"]);
    expect(codes(request([{ sku: "A", quantity: 1 }], [], { pickupLocationId: "NOPE", shipTo: undefined }))).toEqual(["unknown_location"]);
    expect(codes(request([{ sku: "A", quantity: 1 }], []), Number.NaN)).toEqual(["invalid_time"]);
    expect(codes(request([{ sku: "A", quantity: 1 }], []))).toEqual([]);
  });
});

// ---------------------------------------------------------------------------------------
// Properties over generated orders
// ---------------------------------------------------------------------------------------

const SKUS = ["A", "B", "C"] as const;
const DATES = ["2026-03-02", "2026-03-04", "2026-03-09", "2026-03-20"] as const;

/** `arb`'s value `yes` times in `yes + no`, otherwise undefined. */
const sometimes = <T>(arb: fc.Arbitrary<T>, yes: number, no: number): fc.Arbitrary<T | undefined> =>
  fc.oneof({ arbitrary: arb, weight: yes }, { arbitrary: fc.constant(undefined), weight: no });

const arbLocations = fc.subarray([...DEMO_ROUTING_LOCATIONS], { minLength: 1, maxLength: 6 }).chain((chosen) =>
  fc.tuple(
    ...chosen.map((base) =>
      fc
        .record({
          active: fc.integer({ min: 0, max: 9 }).map((x) => x > 0),
          canShip: fc.integer({ min: 0, max: 9 }).map((x) => x > 0),
          canPickup: fc.boolean(),
          // Few priorities, so ties on priority happen and the id has to decide.
          priority: fc.constantFrom(10, 20, 30),
          currentLoad: fc.integer({ min: 0, max: 12_000 }),
        })
        .map((over): RoutingLocation => ({ ...base, shippingCost: { ...base.shippingCost }, ...over })),
    ),
  ),
);

const arbRequest: fc.Arbitrary<AllocationRequest> = arbLocations.chain((locations) => {
  const ids = locations.map((l) => l.id);
  const level = (sku: string, locationId: string) =>
    sometimes(
      fc.record({
        sku: fc.constant(sku),
        locationId: fc.constant(locationId),
        available: fc.integer({ min: -5, max: 40 }),
        inbound: fc.array(fc.record({ quantity: fc.integer({ min: 1, max: 20 }), expectedDate: fc.constantFrom(...DATES) }), { maxLength: 2 }),
      }),
      2,
      1,
    );
  return fc.record({
    locations: fc.constant(locations),
    stock: fc.tuple(...SKUS.flatMap((sku) => ids.map((id) => level(sku, id)))).map((levels) => levels.filter((l) => l !== undefined)),
    lines: fc.array(
      fc.record({ sku: fc.constantFrom(...SKUS), quantity: fc.integer({ min: 1, max: 15 }), locationId: sometimes(fc.constantFrom(...ids), 1, 2) }).map((l) => {
        const line: OrderLine = { sku: l.sku, quantity: l.quantity };
        if (l.locationId !== undefined) line.locationId = l.locationId;
        return line;
      }),
      { minLength: 1, maxLength: 6 },
    ),
    policies: fc.tuple(...SKUS.map((sku) => fc.record({ sku: fc.constant(sku), allowBackorder: fc.boolean(), leadTimeDays: fc.integer({ min: 0, max: 14 }) }))),
    options: fc
      .record({
        strategy: fc.constantFrom(...ALLOCATION_STRATEGIES),
        shipTo: fc.oneof(
          fc.record({ countryCode: fc.constantFrom("BE", "FR", "DE", "PL", "GB", "ES", "SE", "it") }),
          fc.record({ latitude: fc.double({ min: 36, max: 60, noNaN: true }), longitude: fc.double({ min: -9, max: 25, noNaN: true }) }),
        ),
        maxShipments: sometimes(fc.integer({ min: 1, max: 3 }), 1, 2),
        requiredBy: sometimes(fc.constantFrom("2026-03-03", "2026-03-04", "2026-03-06"), 1, 3),
        pickupLocationId: sometimes(fc.constantFrom(...ids), 1, 5),
        weights: sometimes(
          fc.record({ delivery: fc.integer({ min: 0, max: 5 }), cost: fc.integer({ min: 0, max: 5 }), performance: fc.integer({ min: 1, max: 5 }) }),
          1,
          1,
        ),
      })
      .map((o) => {
        const options: AllocationOptions = { strategy: o.strategy, shipTo: o.shipTo };
        if (o.maxShipments !== undefined) options.maxShipments = o.maxShipments;
        if (o.requiredBy !== undefined) options.requiredBy = o.requiredBy;
        if (o.pickupLocationId !== undefined) options.pickupLocationId = o.pickupLocationId;
        if (o.weights !== undefined) options.weights = o.weights;
        return options;
      }),
  });
});

const arbNow = fc.constantFrom("2026-03-02T06:00:00Z", "2026-03-02T09:00:00Z", "2026-03-02T15:30:00Z", "2026-03-02T22:45:00Z").map(Date.parse);
const permutation = <T>(xs: readonly T[]) => fc.shuffledSubarray([...xs], { minLength: xs.length, maxLength: xs.length });
const PROPERTY_RUNS = { seed: 20_260_302, numRuns: 400 } as const;

describe("properties (fast-check, fixed seed)", () => {
  it("never allocates more than is available at any location, and accounts for every unit", () => {
    fc.assert(
      fc.property(arbRequest, arbNow, (req, now) => {
        const plan = planAllocation(req, now);
        const available = new Map(req.stock.map((s) => [`${s.sku}@${s.locationId}`, Math.max(0, s.available)]));
        const taken = new Map<string, number>();
        for (const s of plan.shipments)
          for (const l of s.lines) taken.set(`${l.sku}@${s.locationId}`, (taken.get(`${l.sku}@${s.locationId}`) ?? 0) + l.quantity);
        for (const [key, units] of taken) expect(units, key).toBeLessThanOrEqual(available.get(key) ?? 0);

        const locations = new Map(req.locations.map((l) => [l.id, l]));
        for (const s of plan.shipments) {
          const l = locations.get(s.locationId)!;
          expect(l.active).toBe(true);
          expect(req.options.pickupLocationId === undefined ? l.canShip : l.canPickup && l.id === req.options.pickupLocationId).toBe(true);
          if (req.options.requiredBy !== undefined) expect(s.estimatedDeliveryDate <= req.options.requiredBy).toBe(true);
          expect(s.units).toBe(s.lines.reduce((sum, line) => sum + line.quantity, 0));
        }
        for (const line of plan.lines) expect(line.allocated + line.backordered + line.unallocated, line.lineId).toBe(line.requested);
        expect(plan.totals.allocated + plan.totals.backordered + plan.totals.unallocated).toBe(plan.totals.requested);

        // Backorders of lines without a location only where the SKU is stocked or expected (or the pickup location).
        const stocked = new Set(req.stock.map((s) => `${s.sku}@${s.locationId}`));
        for (const b of plan.backorders) {
          expect(req.policies!.find((p) => p.sku === b.sku)!.allowBackorder).toBe(true);
          if (!b.pinned && req.options.pickupLocationId === undefined) expect(stocked.has(`${b.sku}@${b.locationId}`), `${b.sku}@${b.locationId}`).toBe(true);
        }

        // Pinned lines stay at their location; maxShipments holds beyond the pinned shipments.
        const pinnedAt = new Map(
          identifyLines(req.lines)
            .filter((l) => l.locationId !== undefined)
            .map((l) => [l.lineId, l.locationId!]),
        );
        for (const s of plan.shipments) for (const l of s.lines) if (l.pinned) expect(pinnedAt.get(l.lineId)).toBe(s.locationId);
        const pinnedShipments = plan.shipments.filter((s) => s.lines.some((l) => l.pinned)).length;
        if (req.options.maxShipments !== undefined) expect(plan.shipments.length).toBeLessThanOrEqual(Math.max(req.options.maxShipments, pinnedShipments));
        expect(plan.status === "short").toBe(plan.unallocated.length > 0);
      }),
      PROPERTY_RUNS,
    );
  });

  it("does not depend on the order of lines, locations or stock entries", () => {
    fc.assert(
      fc.property(
        arbRequest.chain((req) => fc.tuple(fc.constant(req), permutation(req.lines), permutation(req.locations), permutation(req.stock))),
        arbNow,
        fc.boolean(),
        ([req, lines, locations, stock], now, explicitIds) => {
          // With the caller's ids (line numbers in the original order) or with derived ones.
          const withIds = (ls: OrderLine[]) => (explicitIds ? ls.map((l) => ({ ...l, lineId: `line-${req.lines.indexOf(l)}` })) : ls);
          const original = planAllocation({ ...req, lines: withIds(req.lines) }, now);
          const shuffled = planAllocation({ ...req, lines: withIds(lines), locations, stock }, now);
          expect(shuffled).toEqual(original);
        },
      ),
      PROPERTY_RUNS,
    );
  });

  it("pinned lines get the same whether or not lines without a location are in the order", () => {
    fc.assert(
      fc.property(arbRequest, arbNow, (req, now) => {
        const pinnedOnly = req.lines.filter((l) => l.locationId !== undefined);
        fc.pre(pinnedOnly.length > 0);
        const full = planAllocation(req, now);
        const alone = planAllocation({ ...req, lines: pinnedOnly }, now);
        expect(full.lines.filter((l) => l.locationId !== null)).toEqual(alone.lines);
        expect(full.backorders.filter((b) => b.pinned)).toEqual(alone.backorders);
        expect(full.unallocated.filter((u) => u.locationId !== null)).toEqual(alone.unallocated);
      }),
      PROPERTY_RUNS,
    );
  });

  it("the exact set search, pruned, finds what comparing every subset naively finds", () => {
    const arbProblem = fc
      .record({
        n: fc.integer({ min: 1, max: 7 }),
        skus: fc.integer({ min: 1, max: 3 }),
        objective: fc.constantFrom<SourceObjective>("ranked", "fewest_shipments", "lowest_total_cost"),
        maxShipments: sometimes(fc.integer({ min: 1, max: 4 }), 1, 1),
        extraShipmentCost: fc.integer({ min: 0, max: 500 }),
      })
      .chain((shape) =>
        fc.record({
          shape: fc.constant(shape),
          remaining: fc.array(fc.integer({ min: 0, max: 6 }), { minLength: shape.n * shape.skus, maxLength: shape.n * shape.skus }),
          demand: fc.array(fc.integer({ min: 1, max: 12 }), { minLength: shape.skus, maxLength: shape.skus }),
          pinned: fc.array(fc.integer({ min: 0, max: 5 }), { minLength: shape.n + 1, maxLength: shape.n + 1 }),
          costs: fc.array(fc.record({ fixed: fc.integer({ min: 0, max: 900 }), perUnit: fc.integer({ min: 0, max: 90 }) }), {
            minLength: shape.n + 1,
            maxLength: shape.n + 1,
          }),
          fillOrder: fc.shuffledSubarray([...Array(shape.n).keys()], { minLength: shape.n, maxLength: shape.n }),
        }),
      );
    fc.assert(
      fc.property(arbProblem, ({ shape, remaining, demand, pinned, costs, fillOrder }) => {
        const ids = [...Array(shape.n + 1).keys()].map((k) => `L${k}`); // the last one is pinned only, not a candidate
        const skus = [...Array(shape.skus).keys()].map((s) => `S${s}`);
        const problem: SourceProblem = {
          ranked: ids.slice(0, shape.n),
          fillOrder,
          demand: new Map(skus.map((sku, s) => [sku, demand[s]!])),
          remaining: new Map(skus.map((sku, s) => [sku, new Map(ids.slice(0, shape.n).map((id, k) => [id, remaining[s * shape.n + k]!]))])),
          pinnedUnits: new Map(ids.flatMap((id, k) => (pinned[k]! > 0 ? [[id, pinned[k]!] as const] : []))),
          maxShipments: shape.maxShipments,
          objective: shape.objective,
          costModel: (id) => costs[ids.indexOf(id)]!,
          extraShipmentCost: shape.extraShipmentCost,
        };
        // Naive reference: every subset, its fill, its shipments, cost and sorted rank positions.
        const cap = problem.maxShipments === undefined ? Infinity : Math.max(problem.maxShipments, problem.pinnedUnits.size);
        let best: { served: number; shipments: number; cost: number; key: number[]; takes: string } | undefined;
        for (let mask = 0; mask < 1 << shape.n; mask++) {
          const units = new Map<string, number>(problem.pinnedUnits);
          const used = new Set<number>();
          let served = 0;
          const takes: string[] = [];
          skus.forEach((sku) => {
            let left = problem.demand.get(sku)!;
            for (const k of fillOrder) {
              const a = problem.remaining.get(sku)!.get(ids[k]!)!;
              if ((mask & (1 << k)) === 0 || a === 0 || left === 0) continue;
              const q = Math.min(a, left);
              left -= q;
              served += q;
              used.add(k);
              units.set(ids[k]!, (units.get(ids[k]!) ?? 0) + q);
              takes.push(`${sku}@${ids[k]}:${q}`);
            }
          });
          if (units.size > cap) continue;
          const cost =
            [...units].reduce((c, [id, u]) => c + problem.costModel(id).fixed + problem.costModel(id).perUnit * u, 0) +
            problem.extraShipmentCost * Math.max(0, units.size - 1);
          const candidate = { served, shipments: units.size, cost, key: [...used].sort((x, y) => x - y), takes: takes.sort().join(" ") };
          const lexLess = (a: number[], b: number[]) => {
            for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! < b[i]!;
            return a.length < b.length;
          };
          const wins =
            best === undefined ||
            (candidate.served !== best.served
              ? candidate.served > best.served
              : shape.objective === "fewest_shipments" && candidate.shipments !== best.shipments
                ? candidate.shipments < best.shipments
                : shape.objective === "lowest_total_cost" && candidate.cost !== best.cost
                  ? candidate.cost < best.cost
                  : lexLess(candidate.key, best.key));
          if (wins) best = candidate;
        }
        const choice = chooseSources(problem);
        const got = [...choice.takes]
          .flatMap(([sku, list]) => list.map((t) => `${sku}@${t.locationId}:${t.quantity}`))
          .sort()
          .join(" ");
        expect(choice.served).toBe(best!.served);
        if (choice.searched || shape.objective !== "ranked") expect(got).toBe(best!.takes);
      }),
      PROPERTY_RUNS,
    );
  });

  it("is deterministic and leaves its input untouched", () => {
    fc.assert(
      fc.property(arbRequest, arbNow, (req, now) => {
        const before = structuredClone(req);
        const first = planAllocation(req, now);
        expect(req).toEqual(before);
        expect(planAllocation(structuredClone(req), now)).toEqual(first);
        expect(JSON.parse(JSON.stringify(first))).toEqual(first);
      }),
      PROPERTY_RUNS,
    );
  });
});
