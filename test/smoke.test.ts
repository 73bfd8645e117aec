import { describe, expect, it } from "vitest";
import { api, createSku, seedBasics, setOnHand } from "./support/fixtures";

describe("smoke", () => {
  it("reserves", async () => {
    const keys = await seedBasics();
    await createSku("S1");
    await setOnHand(keys, "S1", "L1", 10);
    const r = await api("POST", "/api/v2/inventory/reserve", { key: keys.checkout, idempotencyKey: "k1", body: { type: "hard", reference: "o1", items: [{ sku: "S1", quantity: 3 }] } });
    expect(r.status, JSON.stringify(r.body)).toBe(201);
    const g = await api("GET", "/api/v2/inventory/S1", { key: keys.operator });
    expect(g.body.totals.available).toBe(7);
  });
});
