/**
 * Hot-SKU shards (issue 11, item 4; durable-objects/sku-inventory/shards.ts): a SKU's single-SKU
 * reservations spread over N shard objects, units allotted to them by the SKU's object and moved
 * between them when one runs dry. Exact (never oversold, never refused while the SKU's total
 * available covers the request), audited, crash-safe (pending operations re-run by the alarm).
 */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { reservationIdFor, shardForKey } from "../domain/reservation-ids";
import { shardName } from "../domain/shards";
import { api, createSku, expectConsistent, seedBasics, setOnHand, skuObject, type Keys } from "./support/fixtures";
import { clockNow, resetClock, setClockOffset } from "./support/test-clock";
import { SHARD_OP_RETRY_MS } from "../durable-objects/sku-inventory.store";

let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
  for (const [sku, units] of [
    ["HS-RACE", 100],
    ["HS-MOVE", 10],
    ["HS-SHIP", 20],
    ["HS-ARM", 20],
    ["HS-OFF", 12],
  ] as const) {
    await createSku(sku);
    await setOnHand(keys, sku, "L1", units);
  }
});
afterEach(resetClock);

const setShards = (sku: string, shards: number, key = keys.operator) => api("PUT", `/api/v2/inventory/${sku}/shards`, { key, body: { shards } });
const reserve = (sku: string, idempotencyKey: string, quantity = 1) =>
  api("POST", "/api/v2/inventory/reserve", {
    key: keys.checkout,
    idempotencyKey,
    body: { type: "hard", reference: idempotencyKey, items: [{ sku, quantity, locationId: "L1" }] },
  });
const totals = async (sku: string) => (await api("GET", `/api/v2/inventory/${sku}`, { key: keys.operator })).body.totals;
const audit = async (sku: string) => (await api("GET", `/api/v2/inventory/${sku}/audit`, { key: keys.operator })).body;

/** Two shards for `sku`, then one hard reservation of `quantity` committed and fulfilled; its id and the shard object that holds it. */
async function fulfilledOnShard(sku: string, idempotencyKey: string, quantity: number) {
  expect((await setShards(sku, 2)).status).toBe(200);
  const r = await reserve(sku, idempotencyKey, quantity);
  expect(r.status).toBe(201);
  for (const op of ["commit", "fulfil"]) {
    expect((await api("POST", `/api/v2/inventory/${op}`, { key: keys.checkout, body: { reservationId: r.body.id } })).status).toBe(200);
  }
  const index = Number(/~(\d+)$/.exec(r.body.id)![1]);
  return { id: r.body.id as string, shard: env.SKU_INVENTORY.getByName(shardName(sku, index)) };
}

/** As if the shard died between a fulfilment and its call to the main object: 2 units gone from its pool, their ship pending since `createdAt`. */
function leaveShipPending(shard: DurableObjectStub, reservationId: string, opId: string, createdAt: number) {
  return runInDurableObject(shard, (_i, state) => {
    state.storage.sql.exec("UPDATE stock SET on_hand = on_hand - 2 WHERE location_id = 'L1'");
    state.storage.sql.exec(
      "INSERT INTO shard_ops (id, kind, location_id, units, reservation_id, reference, actor, created_at) VALUES (?, 'ship', 'L1', 2, ?, 'x', 'checkout', ?)",
      opId,
      reservationId,
      createdAt,
    );
  });
}

/** Keys whose reservations go to shard `index` of `shards` (the Worker's routing is by the key). */
async function keysFor(prefix: string, index: number, shards: number, count: number): Promise<string[]> {
  const out: string[] = [];
  for (let i = 0; out.length < count; i++) {
    const key = `${prefix}-${i}`;
    if (shardForKey(await reservationIdFor("checkout", key), shards) === index) out.push(key);
  }
  return out;
}

describe("hot-SKU shards", () => {
  it("150 racing one-unit reserves on 100 units over 4 shards: exactly 100 succeed, spread over the shards; totals, audit and public availability sum them", async () => {
    const set = await setShards("HS-RACE", 4);
    expect([set.status, set.body.shards]).toEqual([200, 4]);
    const results = await Promise.all(Array.from({ length: 150 }, (_, i) => reserve("HS-RACE", `hs-race-${i}`)));
    expect(results.filter((r) => r.status === 201)).toHaveLength(100);
    expect(results.filter((r) => r.status === 409)).toHaveLength(50);
    const shardsUsed = new Set(results.filter((r) => r.status === 201).map((r) => /~(\d+)$/.exec(r.body.id)?.[1]));
    expect(shardsUsed.size).toBeGreaterThan(1);
    expect([...shardsUsed].every((s) => s !== undefined)).toBe(true);
    expect(await totals("HS-RACE")).toMatchObject({ onHand: 100, reserved: 100, available: 0 });
    const report = await audit("HS-RACE");
    expect(report.ok).toBe(true);
    expect(report.shards).toHaveLength(4);
    const pub = await api("GET", "/api/v2/availability/HS-RACE");
    expect(pub.status).toBe(200);
    expect(pub.body.available).toBe(0);
    // One release gives its unit back to its shard's pool: the SKU's totals and the public view see it.
    const first = results.find((r) => r.status === 201)!;
    expect((await api("POST", "/api/v2/inventory/release", { key: keys.checkout, body: { reservationId: first.body.id } })).status).toBe(200);
    expect(await totals("HS-RACE")).toMatchObject({ onHand: 100, reserved: 99, available: 1 });
  });

  it("a shard that runs dry takes units its sibling holds: never refused while the SKU's total covers the request", async () => {
    expect((await setShards("HS-MOVE", 2)).status).toBe(200);
    const zero = await keysFor("hs-move-a", 0, 2, 6);
    const one = await keysFor("hs-move-b", 1, 2, 6);
    // Shard 0 takes 6 units one by one (its refills take the main object's free units), then shard 1 needs 4 more: 2 left in the main object… and shard 0's spare ones.
    for (const key of zero.slice(0, 3)) expect((await reserve("HS-MOVE", key)).status).toBe(201);
    for (const key of one.slice(0, 3)) expect((await reserve("HS-MOVE", key)).status).toBe(201);
    for (const key of zero.slice(3, 6)) expect((await reserve("HS-MOVE", key)).status).toBe(201);
    expect((await reserve("HS-MOVE", one[3]!)).status).toBe(201);
    // 10 of 10 reserved, whichever shard held them; the 11th is refused.
    const eleventh = await reserve("HS-MOVE", one[4]!);
    expect([eleventh.status, eleventh.body.error.code]).toEqual([409, "insufficient_stock"]);
    expect(await totals("HS-MOVE")).toMatchObject({ onHand: 10, reserved: 10, available: 0 });
    expect((await audit("HS-MOVE")).ok).toBe(true);
    await expectConsistent("HS-MOVE");
  });

  it("a fulfilment on a shard ships from the SKU's object too; a ship a crash left pending is finished by the shard's alarm", async () => {
    await setClockOffset(24 * 60 * 60 * 1000);
    const { id, shard } = await fulfilledOnShard("HS-SHIP", "hs-ship-1", 3);
    expect(await totals("HS-SHIP")).toMatchObject({ onHand: 17, reserved: 0, committed: 0 });
    expect((await skuObject("HS-SHIP").snapshot()).totals.onHand).toBe(17);

    // As if the shard died between its fulfilment and the call: a pending ship of 2 units (its pool already shipped them).
    await leaveShipPending(shard, id, "ship:test", Date.now());
    await setClockOffset(24 * 60 * 60 * 1000 + 10_000);
    await runInDurableObject(shard, (_i, state) => state.storage.setAlarm(Date.now()));
    expect(await runDurableObjectAlarm(shard)).toBe(true);
    expect((await shard.shardState()).pendingOps).toBe(0);
    expect((await skuObject("HS-SHIP").snapshot()).totals.onHand).toBe(15);
    expect((await skuObject("HS-SHIP").verify()).ok).toBe(true);
  });

  it("a shard's pending operation not yet due when its alarm runs keeps the alarm armed for its retry", async () => {
    await setClockOffset(24 * 60 * 60 * 1000);
    const { id, shard } = await fulfilledOnShard("HS-ARM", "hs-arm-1", 3);
    // A ship left pending a moment ago (as a crash right after the fulfilment leaves it): not due for SHARD_OP_RETRY_MS.
    const createdAt = await clockNow();
    await leaveShipPending(shard, id, "ship:arm", createdAt);
    // An alarm run before it is due leaves it, and must leave the alarm armed for it (not for the pruning days away).
    await runInDurableObject(shard, (_i, state) => state.storage.setAlarm(Date.now()));
    expect(await runDurableObjectAlarm(shard)).toBe(true);
    expect((await shard.shardState()).pendingOps).toBe(1);
    const alarm = await runInDurableObject(shard, (_i, state) => state.storage.getAlarm());
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeLessThanOrEqual(createdAt + SHARD_OP_RETRY_MS);
    // When it is due, that alarm finishes it.
    await setClockOffset(24 * 60 * 60 * 1000 + SHARD_OP_RETRY_MS + 1_000);
    expect(await runDurableObjectAlarm(shard)).toBe(true);
    expect((await shard.shardState()).pendingOps).toBe(0);
    expect((await skuObject("HS-ARM").verify()).ok).toBe(true);
  });

  it("unsharding: the retired shards give their free units back and still serve the reservations they hold", async () => {
    expect((await setShards("HS-OFF", 3)).status).toBe(200);
    const held = await reserve("HS-OFF", "hs-off-1", 2);
    expect(held.status).toBe(201);
    expect(held.body.id).toMatch(/~\d+$/);
    const off = await setShards("HS-OFF", 1);
    expect([off.status, off.body.shards]).toEqual([200, 1]);
    // The main object holds every unit but the 2 reserved on the retired shard.
    expect((await skuObject("HS-OFF").snapshot()).totals).toMatchObject({ onHand: 12, reserved: 2, available: 10 });
    const next = await reserve("HS-OFF", "hs-off-2", 10);
    expect([next.status, next.body.id.includes("~")]).toEqual([201, false]);
    expect((await api("POST", "/api/v2/inventory/release", { key: keys.checkout, body: { reservationId: held.body.id } })).status).toBe(200);
    // Released on the retired shard: its units go back to the SKU's object at once.
    expect((await skuObject("HS-OFF").snapshot()).totals).toMatchObject({ onHand: 12, reserved: 10, available: 2 });
    expect((await skuObject("HS-OFF").verify()).ok).toBe(true);
  });

  it("bad input is refused before any object: a count out of range 400, an unknown SKU 404, not an operator 403", async () => {
    for (const shards of [0, 17, 2.5]) expect((await setShards("HS-RACE", shards)).status).toBe(400);
    expect((await setShards("HS-NOPE", 2)).status).toBe(404);
    expect((await setShards("HS-RACE", 2, keys.checkout)).status).toBe(403);
    const view = await api("GET", "/api/v2/inventory/HS-RACE/shards", { key: keys.operator });
    expect([view.status, view.body.shards, view.body.pools.length]).toEqual([200, 4, 4]);
  });
});
