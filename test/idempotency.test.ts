/**
 * Idempotency of reservations: the same Idempotency-Key and body returns the first answer
 * and changes nothing; the same key with another body is 422; keys are scoped per caller.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { generateApiKey } from "../domain/api-keys";
import { sha256Hex } from "../domain/hashing";
import { api, createSku, expectConsistent, seedBasics, setOnHand, skuObject, type Keys } from "./support/fixtures";

let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
  await createSku("ID-1");
  await createSku("ID-2");
  await setOnHand(keys, "ID-1", "L1", 10);
  await setOnHand(keys, "ID-2", "L1", 10);
});

const body = { type: "hard", reference: "order-77", items: [{ sku: "ID-1", quantity: 2, locationId: "L1" }] };

describe("idempotency", () => {
  it("a retry with the same key and body returns the first answer and changes nothing", async () => {
    const first = await api("POST", "/api/v2/inventory/reserve", { key: keys.checkout, idempotencyKey: "idem-1", body });
    expect(first.status).toBe(201);
    const before = await skuObject("ID-1").snapshot();
    const retries = await Promise.all(
      Array.from({ length: 5 }, () => api("POST", "/api/v2/inventory/reserve", { key: keys.checkout, idempotencyKey: "idem-1", body })),
    );
    for (const retry of retries) {
      expect(retry.status).toBe(201);
      expect(retry.body).toEqual(first.body);
      expect(retry.headers.get("idempotent-replayed")).toBe("true");
    }
    expect(await skuObject("ID-1").snapshot()).toEqual(before);
    expect(before.totals).toMatchObject({ reserved: 2, available: 8 });
  });

  it("the first answer is replayed even after the reservation moved on", async () => {
    const first = await api("POST", "/api/v2/inventory/reserve", { key: keys.checkout, idempotencyKey: "idem-2", body });
    await api("POST", "/api/v2/inventory/release", { key: keys.checkout, body: { reservationId: first.body.id } });
    const retry = await api("POST", "/api/v2/inventory/reserve", { key: keys.checkout, idempotencyKey: "idem-2", body });
    expect(retry.status).toBe(201);
    expect(retry.body).toEqual(first.body);
    expect((await skuObject("ID-1").snapshot()).totals.reserved).toBe(2);
  });

  it("a 409 is the first answer too: a retry gets the same 409 even if stock arrived", async () => {
    const big = { ...body, items: [{ sku: "ID-2", quantity: 11, locationId: "L1" }] };
    const first = await api("POST", "/api/v2/inventory/reserve", { key: keys.checkout, idempotencyKey: "idem-3", body: big });
    expect(first.status).toBe(409);
    await api("PATCH", "/api/v2/inventory/ID-2", { key: keys.operator, body: { locationId: "L1", delta: 5, reason: "restock" } });
    const retry = await api("POST", "/api/v2/inventory/reserve", { key: keys.checkout, idempotencyKey: "idem-3", body: big });
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(retry.status).toBe(409);
    expect(retry.body).toEqual(first.body);
    expect(retry.headers.get("idempotent-replayed")).toBe("true");
    expect((await skuObject("ID-2").snapshot()).totals.reserved).toBe(0);
  });

  it("the same key with another body is 422 and changes nothing", async () => {
    const before = await skuObject("ID-1").snapshot();
    const other = await api("POST", "/api/v2/inventory/reserve", {
      key: keys.checkout,
      idempotencyKey: "idem-1",
      body: { ...body, items: [{ sku: "ID-1", quantity: 3, locationId: "L1" }] },
    });
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe("idempotency_conflict");
    const otherSku = await api("POST", "/api/v2/inventory/reserve", {
      key: keys.checkout,
      idempotencyKey: "idem-1",
      body: { ...body, items: [{ sku: "ID-2", quantity: 2, locationId: "L1" }] },
    });
    expect(otherSku.status).toBe(422);
    expect(await skuObject("ID-1").snapshot()).toEqual(before);
    expect((await skuObject("ID-2").snapshot()).totals.reserved).toBe(0);
    await expectConsistent("ID-1");
    await expectConsistent("ID-2");
  });

  it("keys are scoped per principal: an operator's key 'idem-1' is a new request", async () => {
    const res = await api("POST", "/api/v2/inventory/reserve", { key: keys.operator, idempotencyKey: "idem-1", body });
    expect(res.status).toBe(201);
    expect((await skuObject("ID-1").snapshot()).totals.reserved).toBe(4);
  });

  it("every checkout key shares the checkout principal, so a rotated key can retry", async () => {
    const { id, key } = generateApiKey();
    await env.DB.prepare("INSERT INTO api_keys (id, name, scope, key_hash) VALUES (?, 'rotated', 'checkout', ?)")
      .bind(id, await sha256Hex(key))
      .run();
    const first = await api("POST", "/api/v2/inventory/reserve", { key: keys.checkout, idempotencyKey: "idem-9", body });
    const retry = await api("POST", "/api/v2/inventory/reserve", { key, idempotencyKey: "idem-9", body });
    expect(retry.body).toEqual(first.body);
  });
});
