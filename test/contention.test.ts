/**
 * Contention on one SKU: 1,200 concurrent 1-unit hard reservations race for 1,000 units at
 * one location through the real HTTP path (Worker → coordinator → SKU object).
 */
import { describe, expect, it } from "vitest";
import { api, createSku, expectConsistent, seedBasics, setOnHand, skuObject } from "./support/fixtures";

describe("contention", () => {
  it("exactly 1,000 of 1,200 succeed, 200 get 409, and the counts end exact", async () => {
    const keys = await seedBasics();
    await createSku("HOT-1");
    await setOnHand(keys, "HOT-1", "L1", 1000);

    const results = await Promise.all(
      Array.from({ length: 1200 }, (_, i) =>
        api("POST", "/api/v2/inventory/reserve", {
          key: keys.checkout,
          idempotencyKey: `hot-${i}`,
          body: { type: "hard", reference: `order-${i}`, items: [{ sku: "HOT-1", quantity: 1, locationId: "L1" }] },
        }),
      ),
    );
    const byStatus = new Map<number, number>();
    for (const r of results) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
    expect(Object.fromEntries(byStatus)).toEqual({ 201: 1000, 409: 200 });
    for (const r of results.filter((r) => r.status === 409)) expect(r.body.error.code).toBe("insufficient_stock");
    expect(new Set(results.filter((r) => r.status === 201).map((r) => r.body.id)).size).toBe(1000);

    const snap = await skuObject("HOT-1").snapshot();
    expect(snap.totals).toMatchObject({ onHand: 1000, reserved: 1000, available: 0, softHeld: 0 });
    expect(snap.reservations.activeHard).toEqual({ count: 1000, units: 1000 });
    await expectConsistent("HOT-1");
  });
});
