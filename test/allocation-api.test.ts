/**
 * Order routing in the API: the locations' routing master data (PUT/GET, defaults equal to
 * D1's column defaults, validation) and `POST /api/v2/allocations/plan` against the SKU
 * objects' current availability — docs/allocation.md's worked example through HTTP, the
 * plan equal to the domain's for the same input, nothing held, bad input refused with field
 * paths before any object is reached.
 */
import { listDurableObjectIds } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { DEMO_ROUTING_LOCATIONS } from "../domain/allocation-demo-locations";
import { planAllocation } from "../domain/allocation-plan";
import type { AllocationRequest } from "../domain/allocation-plan.types";
import { routingLocationOf } from "../repositories/locations";
import { api, createSku, seedBasics, setOnHand, skuObject, type Keys } from "./support/fixtures";

let keys: Keys;
const BRUSSELS = { latitude: 50.8503, longitude: 4.3517 };

/** The demo centres through the API, as the seed sends them. */
async function putDemoLocations(): Promise<void> {
  for (const { id, ...body } of DEMO_ROUTING_LOCATIONS) {
    const res = await api("PUT", `/api/v2/locations/${id}`, { key: keys.operator, body });
    expect([200, 201]).toContain(res.status);
  }
}

const plan = (body: unknown, key = keys.checkout) => api("POST", "/api/v2/allocations/plan", { key, body });

beforeAll(async () => {
  keys = await seedBasics();
  await putDemoLocations();
  // docs/allocation.md, "Worked example".
  await createSku("TENT-2P");
  await createSku("STOVE");
  for (const [loc, n] of [
    ["FC-PAR", 100],
    ["FC-AMS", 10],
    ["FC-FRA", 150],
    ["FC-MIL", 200],
  ] as const)
    await setOnHand(keys, "TENT-2P", loc, n);
  for (const [loc, n] of [
    ["FC-PAR", 5],
    ["FC-AMS", 3],
    ["FC-LYS", 20],
    ["FC-FRA", 2],
  ] as const)
    await setOnHand(keys, "STOVE", loc, n);
});

const EXAMPLE_ITEMS = [
  { sku: "TENT-2P", quantity: 120 },
  { sku: "STOVE", quantity: 3, locationId: "FC-PAR" },
  { sku: "STOVE", quantity: 4 },
];

/** `LOC item:SKU×n …` per shipment, item = the request item's index. */
function shipmentsOf(body: any): string[] {
  const itemOf = new Map<string, number>(body.lines.map((l: any) => [l.lineId, l.item]));
  return body.shipments.map((s: any) => `${s.locationId} ${s.lines.map((l: any) => `${itemOf.get(l.lineId)}:${l.sku}×${l.quantity}`).join(" ")}`);
}

describe("locations: routing master data", () => {
  it("PUT takes the routing fields and GET shows them", async () => {
    const paris = DEMO_ROUTING_LOCATIONS[0]!;
    const res = await api("GET", "/api/v2/locations", { key: keys.checkout });
    expect(res.status).toBe(200);
    const row = res.body.items.find((l: any) => l.id === "FC-PAR");
    expect(row).toMatchObject({
      shippingCost: { base: 450, perKm: 0.55, perUnit: 60 },
      handlingHours: 4,
      cutoffHour: 17,
      utcOffsetMinutes: 60,
      dailyCapacity: 12_000,
      currentLoad: 9_000,
      onTimeRate: 0.96,
      accuracyRate: 0.995,
      priority: paris.priority,
    });
    expect(row).not.toHaveProperty("shippingBase");
  });

  it("a PUT without them gets the defaults, the same as D1's column defaults for an older row", async () => {
    const body = { name: "Ghent FC", type: "warehouse", countryCode: "BE", city: "Ghent", latitude: 51.05, longitude: 3.72 };
    expect((await api("PUT", "/api/v2/locations/DEF-1", { key: keys.operator, body })).status).toBe(201);
    await env.DB.prepare(
      "INSERT INTO locations (id, name, type, country_code, city, latitude, longitude) VALUES ('DEF-2', 'Old', 'warehouse', 'BE', 'Ghent', 51.05, 3.72)",
    ).run();
    // Let the isolate's 5 s location cache go: a PUT clears it, so one more PUT does.
    await api("PUT", "/api/v2/locations/DEF-3", { key: keys.operator, body });
    const items = (await api("GET", "/api/v2/locations", { key: keys.operator })).body.items;
    const routing = (id: string) => {
      const { shippingCost, handlingHours, cutoffHour, utcOffsetMinutes, dailyCapacity, currentLoad, onTimeRate, accuracyRate } = items.find(
        (l: any) => l.id === id,
      );
      return { shippingCost, handlingHours, cutoffHour, utcOffsetMinutes, dailyCapacity, currentLoad, onTimeRate, accuracyRate };
    };
    expect(routing("DEF-1")).toEqual({
      shippingCost: { base: 450, perKm: 0.5, perUnit: 50 },
      handlingHours: 4,
      cutoffHour: 17,
      utcOffsetMinutes: 0,
      dailyCapacity: 10_000,
      currentLoad: 0,
      onTimeRate: 0.95,
      accuracyRate: 0.99,
    });
    expect(routing("DEF-2")).toEqual(routing("DEF-1"));
    await env.DB.prepare("DELETE FROM locations WHERE id IN ('DEF-1', 'DEF-2', 'DEF-3')").run();
    await api("PUT", "/api/v2/locations/FC-PAR", { key: keys.operator, body: (({ id: _, ...b }) => b)(DEMO_ROUTING_LOCATIONS[0]!) });
  });

  it("out-of-range routing values are refused with their paths", async () => {
    const body = {
      name: "Bad FC",
      type: "warehouse",
      countryCode: "BE",
      city: "Ghent",
      latitude: 51.05,
      longitude: 3.72,
      cutoffHour: 0,
      onTimeRate: 1.5,
      utcOffsetMinutes: 900,
      shippingCost: { base: 100, perKm: -1, perUnit: 5 },
    };
    const res = await api("PUT", "/api/v2/locations/BAD-LOC", { key: keys.operator, body });
    expect(res.status).toBe(400);
    const paths = res.body.error.details.map((d: any) => d.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["body.cutoffHour", "body.onTimeRate", "body.utcOffsetMinutes", "body.shippingCost.perKm"]));
  });
});

describe("POST /api/v2/allocations/plan", () => {
  it("the worked example, nearest: Paris serves the pinned line and most tents, split three ways (docs/allocation.md)", async () => {
    const res = await plan({ items: EXAMPLE_ITEMS, allocation: { strategy: "nearest", shipTo: BRUSSELS } });
    expect(res.status).toBe(200);
    expect(shipmentsOf(res.body)).toEqual(["FC-AMS 2:STOVE×3 0:TENT-2P×10", "FC-PAR 2:STOVE×1 1:STOVE×3 0:TENT-2P×100", "FC-FRA 0:TENT-2P×10"]);
    expect(res.body.shipments.map((s: any) => s.estimatedCost)).toEqual([1284, 6835, 1102]);
    expect(res.body.totals).toMatchObject({ requested: 127, allocated: 127, shipments: 3, shippingCost: 9221, extraShipmentsCost: 500, totalCost: 9721 });
    expect(res.body.status).toBe("complete");
    expect(res.body.reservationLines).toEqual([
      { sku: "STOVE", locationId: "FC-AMS", quantity: 3, backordered: 0 },
      { sku: "STOVE", locationId: "FC-PAR", quantity: 4, backordered: 0 },
      { sku: "TENT-2P", locationId: "FC-AMS", quantity: 10, backordered: 0 },
      { sku: "TENT-2P", locationId: "FC-FRA", quantity: 10, backordered: 0 },
      { sku: "TENT-2P", locationId: "FC-PAR", quantity: 100, backordered: 0 },
    ]);
    expect(typeof res.body.shipments[0].shipAt).toBe("string");
    expect(res.headers.get("cache-control")).toBe("private, no-store");
  });

  it("lowest_cost: Frankfurt takes every tent, the rest of the stoves ride with the pinned Paris parcel (8,071)", async () => {
    const res = await plan({ items: EXAMPLE_ITEMS, allocation: { strategy: "lowest_cost", shipTo: BRUSSELS } });
    expect(res.status).toBe(200);
    expect(shipmentsOf(res.body)).toEqual(["FC-FRA 2:STOVE×2 0:TENT-2P×120", "FC-PAR 2:STOVE×2 1:STOVE×3"]);
    expect(res.body.totals.totalCost).toBe(8071);
    expect(res.body.selection.method).toBe("exact");
  });

  it("every strategy answers the domain's plan for the same input at the same time", async () => {
    const { rows } = { rows: (await api("GET", "/api/v2/locations", { key: keys.operator })).body.items };
    expect(rows.length).toBeGreaterThan(12);
    for (const strategy of ["nearest", "lowest_cost", "fastest", "single_shipment", "balanced", "performance", "hybrid"] as const) {
      const res = await plan({ items: EXAMPLE_ITEMS, allocation: { strategy, shipTo: BRUSSELS, maxShipments: 2 } });
      expect(res.status).toBe(200);
      const locations = (await env.DB.prepare("SELECT * FROM locations").all()).results;
      expect(locations.length).toBe(rows.length);
      const request: AllocationRequest = {
        lines: EXAMPLE_ITEMS,
        locations: await allRoutingLocations(),
        stock: await stockOf(["STOVE", "TENT-2P"]),
        policies: [
          { sku: "STOVE", allowBackorder: false, leadTimeDays: 7 },
          { sku: "TENT-2P", allowBackorder: false, leadTimeDays: 7 },
        ],
        options: { strategy, shipTo: BRUSSELS, maxShipments: 2 },
      };
      const expected = planAllocation(request, Date.parse(res.body.plannedAt));
      expect(res.body.shipments.map((s: any) => ({ ...s, shipAt: Date.parse(s.shipAt) }))).toEqual(expected.shipments);
      expect(res.body.totals).toEqual(expected.totals);
      expect(res.body.unallocated.map(({ item: _, ...u }: any) => u)).toEqual(expected.unallocated);
    }
  });

  it("holds nothing: the objects' counts and ledgers are as before", async () => {
    const before = await Promise.all(["TENT-2P", "STOVE"].map((s) => skuObject(s).snapshot()));
    const res = await plan({ type: "soft", items: EXAMPLE_ITEMS, allocation: { strategy: "fastest", shipTo: { countryCode: "be" } } });
    expect(res.status).toBe(200);
    const after = await Promise.all(["TENT-2P", "STOVE"].map((s) => skuObject(s).snapshot()));
    expect(after).toEqual(before);
  });

  it("what no location has is reported per item with its reason; a pickup order comes from the pickup location only", async () => {
    const short = await plan({ items: [{ sku: "STOVE", quantity: 40 }], allocation: { strategy: "nearest", shipTo: BRUSSELS } });
    expect(short.status).toBe(200);
    expect(short.body.status).toBe("short");
    expect(short.body.unallocated).toEqual([{ item: 0, lineId: "STOVE|*|40", sku: "STOVE", locationId: null, quantity: 10, reason: "insufficient_stock" }]);
  });
});

describe("plan: bad input is a 400 with paths, before any object is reached", () => {
  it.each([
    ["no shipTo and no pickup", { strategy: "nearest" }, "body.allocation.shipTo", "missing_ship_to"],
    ["unknown country", { strategy: "nearest", shipTo: { countryCode: "XX" } }, "body.allocation.shipTo", "invalid_ship_to"],
    ["unknown pickup location", { strategy: "nearest", pickupLocationId: "NOPE" }, "body.allocation.pickupLocationId", "unknown_location"],
    [
      "weights all zero",
      { strategy: "hybrid", shipTo: BRUSSELS, weights: { delivery: 0, cost: 0, performance: 0 } },
      "body.allocation.weights",
      "invalid_weights",
    ],
  ])("%s", async (_name, allocation, path, code) => {
    const ids = async () => (await listDurableObjectIds(env.SKU_INVENTORY)).length;
    const before = await ids();
    const res = await plan({ items: [{ sku: "NEVER-TOUCHED", quantity: 1 }], allocation });
    // An unknown SKU would be a 404: this SKU exists (below) but its object was never used.
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
    expect(res.body.error.details).toEqual(expect.arrayContaining([expect.objectContaining({ path: path.split("."), code })]));
    expect(await ids()).toBe(before);
  });

  it("shape errors: zod paths (strategy, quantity, requiredBy, unknown field)", async () => {
    const res = await plan({
      items: [{ sku: "STOVE", quantity: 0 }],
      allocation: { strategy: "cheapest", shipTo: BRUSSELS, requiredBy: "2026-13-01", colour: "red" },
    });
    expect(res.status).toBe(400);
    const paths = res.body.error.details.map((d: any) => d.path.join("."));
    expect(paths).toEqual(expect.arrayContaining(["body.items.0.quantity", "body.allocation.strategy", "body.allocation.requiredBy"]));
  });

  it("an unknown SKU is a 404, an inactive pinned location a 400, a vendor key a 403", async () => {
    const allocation = { strategy: "nearest", shipTo: BRUSSELS };
    expect((await plan({ items: [{ sku: "NO-SUCH", quantity: 1 }], allocation })).status).toBe(404);
    const inactive = await plan({ items: [{ sku: "STOVE", quantity: 1, locationId: "L3" }], allocation });
    expect(inactive.status).toBe(400);
    expect(inactive.body.error.details[0].path).toEqual(["body", "items", 0, "locationId"]);
    expect((await plan({ items: [{ sku: "STOVE", quantity: 1 }], allocation }, keys.vendor)).status).toBe(403);
  });
});

beforeAll(async () => {
  await createSku("NEVER-TOUCHED");
});

async function allRoutingLocations() {
  const { drizzle } = await import("drizzle-orm/d1");
  const { locations } = await import("../d1/schema");
  return (await drizzle(env.DB).select().from(locations).all()).map((row) => routingLocationOf(row));
}

async function stockOf(skus: string[]) {
  const out: AllocationRequest["stock"] = [];
  for (const sku of skus) for (const l of (await skuObject(sku).snapshot()).locations) out.push({ sku, locationId: l.locationId, available: l.available });
  return out;
}
