/**
 * A location's load for the `balanced` strategy follows its fulfilments (issue 13, item 4:
 * "the rates also updated from fulfilment events where the data exists"): the EVENTS
 * consumer adds each fulfilment's shipped units to `location_daily_load` once per event, and
 * routing adds today's units to the configured `currentLoad`. On-time and accuracy rates stay
 * master data: nothing in the system records deliveries (docs/allocation.md).
 */
import { env } from "cloudflare:workers";
import { drizzle } from "drizzle-orm/d1";
import { and, eq, inArray } from "drizzle-orm";
import { beforeAll, describe, expect, it } from "vitest";
import { locationDailyLoad, locations } from "../d1/schema";
import { forgetLocationCaches } from "../repositories/locations";
import { EVENTS_QUEUE, reservationEvent, runAcked } from "./support/event-fixtures";
import { api, createSku, seedBasics, setOnHand, type Keys } from "./support/fixtures";
import { allReadDbs } from "./support/read-model";
import { waitUntil } from "./support/test-clock";

let keys: Keys;
const today = () => new Date().toISOString().slice(0, 10);

/** The location's units shipped today: its rows in every read database (each holds its vendors' shipments), summed; undefined without any. */
async function shippedToday(locationId: string): Promise<number | undefined> {
  const rows = (
    await Promise.all(
      allReadDbs().map((db) =>
        drizzle(db)
          .select({ units: locationDailyLoad.units })
          .from(locationDailyLoad)
          .where(and(eq(locationDailyLoad.locationId, locationId), eq(locationDailyLoad.day, today())))
          .all(),
      ),
    )
  ).flat();
  return rows.length === 0 ? undefined : rows.reduce((sum, r) => sum + r.units, 0);
}

async function balancedChoice(sku: string): Promise<string> {
  forgetLocationCaches();
  const res = await api("POST", "/api/v2/allocations/plan", {
    key: keys.checkout,
    body: { items: [{ sku, quantity: 1 }], allocation: { strategy: "balanced", shipTo: { latitude: 50.85, longitude: 4.35 } } },
  });
  expect(res.status).toBe(200);
  expect(res.body.shipments).toHaveLength(1);
  return res.body.shipments[0].locationId;
}

beforeAll(async () => {
  keys = await seedBasics();
  // Two centres alike for `balanced`: the same capacity, no configured load.
  await drizzle(env.DB)
    .update(locations)
    .set({ dailyCapacity: 100, currentLoad: 0 })
    .where(inArray(locations.id, ["L1", "L2"]));
  forgetLocationCaches();
});

describe("location load from fulfilments", () => {
  it("a fulfilment at L1 adds its units to L1's load today, and balanced routing turns to L2", async () => {
    await createSku("LOAD-1");
    await setOnHand(keys, "LOAD-1", "L1", 100);
    await setOnHand(keys, "LOAD-1", "L2", 100);
    // Equal load: the tie goes to the better priority, L1 (10 before 20).
    expect(await balancedChoice("LOAD-1")).toBe("L1");

    const reserved = await api("POST", "/api/v2/inventory/reserve", {
      key: keys.checkout,
      idempotencyKey: "load-1",
      body: { type: "hard", reference: "o-load", items: [{ sku: "LOAD-1", quantity: 30, locationId: "L1" }] },
    });
    expect(reserved.status).toBe(201);
    for (const op of ["commit", "fulfil"]) {
      expect((await api("POST", `/api/v2/inventory/${op}`, { key: keys.checkout, body: { reservationId: reserved.body.id } })).status).toBe(200);
    }
    // The fulfilment event reaches the consumer through the real local queue.
    await waitUntil(async () => (await shippedToday("L1")) === 30, "L1's load to show the 30 shipped units");
    expect(await shippedToday("L2")).toBeUndefined();
    expect(await balancedChoice("LOAD-1")).toBe("L2");
  });

  it("a redelivered fulfilment event counts once; another event adds", async () => {
    await createSku("LOAD-2");
    const event = reservationEvent("reservation.fulfilled", "LOAD-2", 7, [{ locationId: "L4", quantity: 5 }], new Date().toISOString());
    await runAcked(EVENTS_QUEUE, [event]);
    await runAcked(EVENTS_QUEUE, [event]);
    expect(await shippedToday("L4")).toBe(5);
    await runAcked(EVENTS_QUEUE, [reservationEvent("reservation.fulfilled", "LOAD-2", 8, [{ locationId: "L4", quantity: 2 }], new Date().toISOString())]);
    expect(await shippedToday("L4")).toBe(7);
  });
});
