/**
 * Stock states (issue 14): units move between sellable, damaged and on-hold and back, or are
 * written off, through `POST /api/v2/inventory/{sku}/states` — atomic in the SKU object,
 * ledgered with the reason, an `inventory.updated` event naming the move, `available`
 * following, invariants and ledger replay clean; idempotent retries; bad input a 4xx that
 * touches nothing; vendors only on their own SKUs.
 */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import type { InventoryEvent } from "../domain/events";
import { api, createSku, expectConsistent, seedBasics, setOnHand, skuObject, type Keys } from "./support/fixtures";

let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
  for (const sku of ["SS-1", "SS-2", "SS-3", "SS-4", "SS-5"]) await createSku(sku);
  await createSku("SS-V2", { vendorId: "V2" });
});

let n = 0;
const move = (sku: string, body: unknown, options: { key?: string; idempotencyKey?: string } = {}) =>
  api("POST", `/api/v2/inventory/${sku}/states`, { key: options.key ?? keys.operator, body, idempotencyKey: options.idempotencyKey ?? `ss-${++n}` });
const level = async (sku: string, locationId = "L1") => (await skuObject(sku).snapshot()).locations.find((l) => l.locationId === locationId)!;

describe("moves between states", () => {
  it("sellable → damaged → on_hold → sellable, and write-offs from each state, with exact counts and ledger rows", async () => {
    await setOnHand(keys, "SS-1", "L1", 20);
    const damaged = await move("SS-1", { locationId: "L1", from: "sellable", to: "damaged", quantity: 2, reason: "forklift", reference: "INC-7" });
    expect(damaged.status).toBe(200);
    expect(damaged.body.level).toMatchObject({ onHand: 20, damaged: 2, onHold: 0, available: 18 });

    expect((await move("SS-1", { locationId: "L1", from: "damaged", to: "on_hold", quantity: 1, reason: "qa_review" })).body.level).toMatchObject({
      damaged: 1,
      onHold: 1,
      available: 18,
    });
    expect((await move("SS-1", { locationId: "L1", from: "sellable", to: "on_hold", quantity: 5, reason: "quarantine" })).body.level).toMatchObject({
      onHold: 6,
      available: 13,
    });
    expect((await move("SS-1", { locationId: "L1", from: "on_hold", to: "sellable", quantity: 4, reason: "qa_passed" })).body.level).toMatchObject({
      onHold: 2,
      available: 17,
    });
    expect((await move("SS-1", { locationId: "L1", from: "damaged", to: "written_off", quantity: 1, reason: "disposal" })).body.level).toMatchObject({
      onHand: 19,
      damaged: 0,
      available: 17,
    });
    expect((await move("SS-1", { locationId: "L1", from: "on_hold", to: "written_off", quantity: 2, reason: "expired" })).body.level).toMatchObject({
      onHand: 17,
      onHold: 0,
      available: 17,
    });
    expect((await move("SS-1", { locationId: "L1", from: "sellable", to: "written_off", quantity: 7, reason: "recall" })).body.level).toMatchObject({
      onHand: 10,
      available: 10,
    });

    const ledger = await skuObject("SS-1").ledger(0, 100);
    expect(ledger.map((e) => `${e.op}:${e.reason}:${JSON.stringify(Object.fromEntries(Object.entries(e.delta).filter(([, v]) => v !== 0)))}`)).toEqual([
      'set:initial:{"onHand":20}',
      'mark_damaged:forklift:{"damaged":2}',
      'place_on_hold:qa_review:{"damaged":-1,"onHold":1}',
      'place_on_hold:quarantine:{"onHold":5}',
      'release_hold:qa_passed:{"onHold":-4}',
      'write_off:disposal:{"onHand":-1,"damaged":-1}',
      'write_off:expired:{"onHand":-2,"onHold":-2}',
      'write_off:recall:{"onHand":-7}',
    ]);
    expect(ledger[1]).toMatchObject({ reference: "INC-7" });
    await expectConsistent("SS-1");
  });

  it("cannot move more than the source state holds: 409, nothing changes; reserved units are not sellable", async () => {
    await setOnHand(keys, "SS-2", "L1", 5);
    const reserve = await api("POST", "/api/v2/inventory/reserve", {
      key: keys.checkout,
      idempotencyKey: "ss2-order",
      body: { type: "hard", reference: "o-ss2", items: [{ sku: "SS-2", quantity: 3, locationId: "L1" }] },
    });
    expect(reserve.status).toBe(201);
    const before = await skuObject("SS-2").snapshot();
    const tooMany = await move("SS-2", { locationId: "L1", from: "sellable", to: "damaged", quantity: 3, reason: "crushed" });
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.error).toMatchObject({ code: "insufficient_stock", details: [{ sku: "SS-2", locationId: "L1", requested: 3, available: 2 }] });
    const noDamaged = await move("SS-2", { locationId: "L1", from: "damaged", to: "sellable", quantity: 1, reason: "mistake" });
    expect(noDamaged.status).toBe(409);
    expect(await skuObject("SS-2").snapshot()).toEqual(before);
    await expectConsistent("SS-2");
  });

  it("a retry with the same Idempotency-Key replays the first answer; another body under it is 422", async () => {
    await setOnHand(keys, "SS-3", "L1", 10);
    const body = { locationId: "L1", from: "sellable", to: "damaged", quantity: 4, reason: "water" };
    const first = await move("SS-3", body, { idempotencyKey: "ss3-k" });
    const again = await move("SS-3", body, { idempotencyKey: "ss3-k" });
    expect(again.status).toBe(200);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body).toEqual({ ...first.body, replayed: true });
    expect((await level("SS-3")).damaged).toBe(4);
    const other = await move("SS-3", { ...body, quantity: 5 }, { idempotencyKey: "ss3-k" });
    expect(other.status).toBe(422);
    expect((await skuObject("SS-3").ledger(0, 100)).length).toBe(2);
  });

  it("bad input is a 4xx with field paths and never reaches the object", async () => {
    const cases: [unknown, number][] = [
      [{ locationId: "L1", from: "sellable", to: "sellable", quantity: 1, reason: "x" }, 400],
      [{ locationId: "L1", from: "written_off", to: "sellable", quantity: 1, reason: "x" }, 400],
      [{ locationId: "L1", from: "sellable", to: "damaged", quantity: 0, reason: "x" }, 400],
      [{ locationId: "L1", from: "sellable", to: "damaged", quantity: 1.5, reason: "x" }, 400],
      [{ locationId: "L1", from: "sellable", to: "damaged", quantity: 1 }, 400],
      [{ locationId: "L1", from: "sellable", to: "damaged", quantity: 1, reason: "x", extra: true }, 400],
      [{ locationId: "NOPE", from: "sellable", to: "damaged", quantity: 1, reason: "x" }, 400],
    ];
    for (const [body, status] of cases) {
      const res = await move("SS-4", body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.body.error.code).toBeTypeOf("string");
    }
    const noKey = await api("POST", "/api/v2/inventory/SS-4/states", {
      key: keys.operator,
      body: { locationId: "L1", from: "sellable", to: "damaged", quantity: 1, reason: "x" },
    });
    expect(noKey.status).toBe(400);
    expect((await move("NO-SUCH-SKU", { locationId: "L1", from: "sellable", to: "damaged", quantity: 1, reason: "x" })).status).toBe(404);
    expect(
      (
        await api("POST", "/api/v2/inventory/SS-4/states", {
          key: keys.operator,
          rawBody: "{",
          headers: { "content-type": "application/json" },
          idempotencyKey: "raw",
        })
      ).status,
    ).toBe(400);
    expect(await skuObject("SS-4").ledger(0, 10)).toEqual([]);
  });

  it("vendors move states on their own SKUs only; checkout keys cannot", async () => {
    await setOnHand(keys, "SS-5", "L1", 3);
    const body = { locationId: "L1", from: "sellable", to: "on_hold", quantity: 1, reason: "qa" };
    expect((await move("SS-5", body, { key: keys.vendor })).status).toBe(200);
    expect((await move("SS-5", body, { key: keys.otherVendor })).status).toBe(403);
    expect((await move("SS-5", body, { key: keys.checkout })).status).toBe(403);
    expect((await move("SS-V2", body, { key: keys.vendor })).status).toBe(403);
    expect((await level("SS-5")).onHold).toBe(1);
  });
});

describe("events", () => {
  const object = (sku: string) => env.RECORDING_SKU.getByName(sku);
  const policy = { allowBackorder: false, softBufferPct: 10, reorderPoint: 0 };

  it("each move emits inventory.updated whose cause names the move, its reason and reference; a write-off to zero is out_of_stock", async () => {
    await object("SE-1").adjustStock({
      sku: "SE-1",
      actor: "operator:t",
      locationId: "L1",
      onHand: 3,
      reason: "initial",
      idempotencyKey: "a",
      requestHash: "a",
      policy,
    });
    const base = { sku: "SE-1", actor: "operator:t", locationId: "L1", policy };
    expect(
      (
        await object("SE-1").moveStockState({
          ...base,
          from: "sellable",
          to: "damaged",
          quantity: 1,
          reason: "dent",
          reference: "R-1",
          idempotencyKey: "m1",
          requestHash: "m1",
        })
      ).ok,
    ).toBe(true);
    expect(
      (
        await object("SE-1").moveStockState({
          ...base,
          from: "sellable",
          to: "written_off",
          quantity: 2,
          reason: "recall",
          idempotencyKey: "m2",
          requestHash: "m2",
        })
      ).ok,
    ).toBe(true);
    for (let i = 0; i < 5 && (await object("SE-1").outboxSize()) > 0; i++) await runDurableObjectAlarm(object("SE-1"));
    const events: InventoryEvent[] = (await object("SE-1").takeRecordedEvents()).filter((e) => e.sku === "SE-1");
    expect(events.map((e) => `${e.type}:${e.cause.op}:${e.cause.reason ?? ""}`)).toEqual([
      "inventory.updated:set:initial",
      "inventory.back_in_stock:set:initial",
      "inventory.updated:mark_damaged:dent",
      "inventory.updated:write_off:recall",
      "inventory.out_of_stock:write_off:recall",
    ]);
    expect(events[2]).toMatchObject({
      locationId: "L1",
      cause: { reference: "R-1" },
      before: { damaged: 0, available: 3 },
      after: { damaged: 1, available: 2 },
    });
    expect(events[3]).toMatchObject({ after: { onHand: 1, damaged: 1, available: 0 } });
    expect((await object("SE-1").verify()).ok).toBe(true);
  });
});
