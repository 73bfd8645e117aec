/**
 * Soft (cart) holds: the oversell buffer stops them at exactly ⌊available × 1.10⌋, and the
 * SKU object's one alarm expires due holds, releasing exactly what they held, once.
 *
 * Expiry tests move the objects' clock (support/test-clock.ts) instead of sleeping: it is set a
 * day ahead before the SKU's first change, so every alarm the object sets lies in the real
 * future and runs only when the test runs it (`runDurableObjectAlarm`).
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { api, createSku, expectConsistent, seedBasics, setOnHand, skuObject, type Keys } from "./support/fixtures";
import { clockNow, resetClock, setClockOffset } from "./support/test-clock";

const DAY = 24 * 60 * 60 * 1000;

let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
});
afterEach(resetClock);

const policy = { allowBackorder: false, softBufferPct: 10, reorderPoint: 0 };

describe("soft-hold buffer", () => {
  it("1-unit holds on 100 available stop at exactly 110", async () => {
    await createSku("SB-1");
    await setOnHand(keys, "SB-1", "L1", 100);
    const results = await Promise.all(
      Array.from({ length: 130 }, (_, i) =>
        api("POST", "/api/v2/inventory/reserve", {
          key: keys.checkout,
          idempotencyKey: `sb1-${i}`,
          body: { type: "soft", reference: `cart-${i}`, items: [{ sku: "SB-1", quantity: 1, locationId: "L1" }] },
        }),
      ),
    );
    expect(results.filter((r) => r.status === 201)).toHaveLength(110);
    expect(results.filter((r) => r.status === 409)).toHaveLength(20);
    expect((await skuObject("SB-1").snapshot()).totals).toMatchObject({ onHand: 100, softHeld: 110, available: 100 });
    await expectConsistent("SB-1");
  });

  it("a hold that would pass the limit is refused whole, with the room left in details", async () => {
    await createSku("SB-2");
    await setOnHand(keys, "SB-2", "L1", 15); // limit ⌊15 × 1.1⌋ = 16
    const first = await api("POST", "/api/v2/inventory/reserve", {
      key: keys.checkout,
      idempotencyKey: "sb2-a",
      body: { type: "soft", reference: "cart-a", items: [{ sku: "SB-2", quantity: 10, locationId: "L1" }] },
    });
    expect(first.status).toBe(201);
    const second = await api("POST", "/api/v2/inventory/reserve", {
      key: keys.checkout,
      idempotencyKey: "sb2-b",
      body: { type: "soft", reference: "cart-b", items: [{ sku: "SB-2", quantity: 7, locationId: "L1" }] },
    });
    expect(second.status).toBe(409);
    expect(second.body.error.details).toEqual([{ sku: "SB-2", locationId: "L1", requested: 7, available: 6 }]);
    const third = await api("POST", "/api/v2/inventory/reserve", {
      key: keys.checkout,
      idempotencyKey: "sb2-c",
      body: { type: "soft", reference: "cart-c", items: [{ sku: "SB-2", quantity: 6, locationId: "L1" }] },
    });
    expect(third.status).toBe(201);
    expect((await skuObject("SB-2").snapshot()).totals.softHeld).toBe(16);
  });

  it("hard reservations shrink the room for holds", async () => {
    await createSku("SB-3");
    await setOnHand(keys, "SB-3", "L1", 20);
    const hard = await api("POST", "/api/v2/inventory/reserve", {
      key: keys.checkout,
      idempotencyKey: "sb3-hard",
      body: { type: "hard", reference: "o", items: [{ sku: "SB-3", quantity: 10, locationId: "L1" }] },
    });
    expect(hard.status).toBe(201);
    const hold = await api("POST", "/api/v2/inventory/reserve", {
      key: keys.checkout,
      idempotencyKey: "sb3-soft",
      body: { type: "soft", reference: "c", items: [{ sku: "SB-3", quantity: 12, locationId: "L1" }] },
    });
    expect(hold.status).toBe(409);
    expect(hold.body.error.details[0].available).toBe(11);
  });
});

describe("expiry by alarm", () => {
  it("releases exactly what the expired holds held; a second alarm run changes nothing", async () => {
    await setClockOffset(DAY);
    await createSku("EX-1");
    await setOnHand(keys, "EX-1", "L1", 50);
    const stub = skuObject("EX-1");
    const now = await clockNow();
    // Two holds due almost at once and one that is not due for 30 s, placed on the
    // object directly so their expiry times can be chosen.
    for (const [id, quantity, expiresAt, type] of [
      ["exp-a", 3, now + 50, "soft"],
      ["exp-b", 4, now + 50, "hard"],
      ["exp-c", 5, now + 30_000, "soft"],
    ] as const) {
      const res = await stub.applyReservation({
        sku: "EX-1",
        actor: "test",
        reservationId: id,
        attempt: 1,
        type,
        lines: [{ locationId: "L1", quantity }],
        expiresAt,
        reference: id,
        policy,
      });
      expect(res.ok).toBe(true);
    }
    expect((await stub.snapshot()).totals).toMatchObject({ softHeld: 8, reserved: 4, available: 46 });

    // The first two holds fall due (not the third); the test runs the alarm once.
    await setClockOffset(DAY + 1_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    const after = await stub.snapshot();
    expect(after.totals).toMatchObject({ softHeld: 5, reserved: 0, available: 50, onHand: 50 });
    const ledger = await stub.ledger(0, 100);
    const expiries = ledger.filter((r) => r.op === "expire");
    expect(expiries.map((r) => [r.reservationId, r.delta.softHeld, r.delta.reserved]).sort()).toEqual([
      ["exp-a", -3, 0],
      ["exp-b", 0, -4],
    ]);
    expect((await stub.getReservation("exp-a")) as { reservation: { status: string } }).toMatchObject({ reservation: { status: "expired" } });

    // The alarm is re-armed for the remaining hold; running it again early expires nothing.
    await runDurableObjectAlarm(stub);
    expect(await stub.snapshot()).toEqual(after);
    expect(await stub.ledger(0, 100)).toHaveLength(ledger.length);
    // Positive control: once the third hold is due, the same alarm run expires it, and only it.
    // (Not a minute on: the sent events' delivery check would fall due and resend them.)
    await setClockOffset(DAY + 31_000);
    expect(await runDurableObjectAlarm(stub)).toBe(true);
    expect((await stub.snapshot()).totals).toMatchObject({ softHeld: 0, reserved: 0, available: 50, onHand: 50 });
    const later = (await stub.ledger(0, 100)).slice(ledger.length);
    expect(later.map((r) => [r.op, r.reservationId, r.delta.softHeld])).toEqual([["expire", "exp-c", -5]]);
    await expectConsistent("EX-1");
  });

  it("an expired reservation cannot be committed or promoted, and its coordinator reports it expired", async () => {
    await setClockOffset(DAY);
    await createSku("EX-2");
    await setOnHand(keys, "EX-2", "L1", 10);
    const stub = skuObject("EX-2");
    await stub.applyReservation({
      sku: "EX-2",
      actor: "test",
      reservationId: "exp-d",
      attempt: 1,
      type: "soft",
      lines: [{ locationId: "L1", quantity: 2 }],
      expiresAt: (await clockNow()) + 20,
      reference: "exp-d",
      policy,
    });
    // The hold falls due; no alarm has run, so the promote itself finds it expired.
    await setClockOffset(DAY + 1_000);
    const promoted = await stub.promote({ sku: "EX-2", actor: "test", reservationId: "exp-d", attempt: 1, expiresAt: (await clockNow()) + 60_000, policy });
    expect(promoted).toMatchObject({ ok: false, code: "reservation_expired" });
    expect((await stub.snapshot()).totals).toMatchObject({ softHeld: 0, reserved: 0 });
    await expectConsistent("EX-2");
  });
});
