/**
 * Each reservation operation on its own and the invariants after each: soft hold, hard
 * reserve, promote, commit, fulfil, release, backorders, automatic location choice.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { api, createSku, expectConsistent, seedBasics, setOnHand, skuObject, type Keys } from "./support/fixtures";

let keys: Keys;
let n = 0;
beforeAll(async () => {
  keys = await seedBasics();
});

const reserve = (body: unknown, key = keys.checkout) => api("POST", "/api/v2/inventory/reserve", { key, idempotencyKey: `life-${++n}`, body });
const act = (op: string, reservationId: string, extra: object = {}) =>
  api("POST", `/api/v2/inventory/${op}`, { key: keys.checkout, body: { reservationId, ...extra } });
const totals = async (sku: string) => (await skuObject(sku)).snapshot().then((s) => s.totals);

describe("lifecycle", () => {
  it("soft hold: softHeld rises, available does not", async () => {
    await createSku("LC-1");
    await setOnHand(keys, "LC-1", "L1", 10);
    const res = await reserve({ type: "soft", reference: "cart-1", items: [{ sku: "LC-1", quantity: 4, locationId: "L1" }] });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      type: "soft",
      status: "active",
      reference: "cart-1",
      lines: [{ sku: "LC-1", locationId: "L1", quantity: 4, backordered: 0 }],
    });
    // One SKU: a direct reservation, its id carries the SKU (domain/reservation-ids.ts).
    expect(res.body.id).toMatch(/^rsv_[0-9a-f]{2}[a-z2-7]{26}_LC-1$/);
    const ttl = Date.parse(res.body.expiresAt) - Date.parse(res.body.createdAt);
    expect(ttl).toBe(30 * 60 * 1000);
    expect(await totals("LC-1")).toMatchObject({ onHand: 10, softHeld: 4, reserved: 0, available: 10 });
    await expectConsistent("LC-1");
  });

  it("hold → promote → commit → fulfil moves units bucket to bucket and ships them", async () => {
    await createSku("LC-2");
    await setOnHand(keys, "LC-2", "L1", 10);
    const hold = await reserve({ type: "soft", reference: "cart-2", items: [{ sku: "LC-2", quantity: 3 }] });
    const id = hold.body.id as string;

    const promoted = await act("promote", id);
    expect(promoted.status).toBe(200);
    expect(promoted.body).toMatchObject({ id, type: "hard", status: "active" });
    expect(Date.parse(promoted.body.expiresAt) - Date.now()).toBeGreaterThan(47 * 3600 * 1000);
    expect(await totals("LC-2")).toMatchObject({ softHeld: 0, reserved: 3, available: 7 });
    await expectConsistent("LC-2");

    const committed = await act("commit", id);
    expect(committed.body).toMatchObject({ status: "committed", expiresAt: null });
    expect(await totals("LC-2")).toMatchObject({ reserved: 0, committed: 3, onHand: 10, available: 7 });
    await expectConsistent("LC-2");

    const fulfilled = await act("fulfil", id);
    expect(fulfilled.body.status).toBe("fulfilled");
    expect(await totals("LC-2")).toMatchObject({ committed: 0, onHand: 7, available: 7, reserved: 0, softHeld: 0 });
    await expectConsistent("LC-2");

    const got = await api("GET", `/api/v2/reservations/${id}`, { key: keys.checkout });
    expect(got.body.status).toBe("fulfilled");
    // Repeating a finished step changes nothing.
    expect((await act("fulfil", id)).body.status).toBe("fulfilled");
    expect(await totals("LC-2")).toMatchObject({ onHand: 7 });
    expect((await act("release", id)).status).toBe(409);
  });

  it("release gives units back from active and from committed, once", async () => {
    await createSku("LC-3");
    await setOnHand(keys, "LC-3", "L1", 10);
    const a = await reserve({ type: "hard", reference: "o-a", items: [{ sku: "LC-3", quantity: 2 }] });
    const b = await reserve({ type: "hard", reference: "o-b", items: [{ sku: "LC-3", quantity: 5 }] });
    expect(await totals("LC-3")).toMatchObject({ reserved: 7, available: 3 });
    await act("commit", b.body.id);
    expect((await act("release", a.body.id)).body.status).toBe("released");
    expect((await act("release", b.body.id)).body.status).toBe("released");
    expect((await act("release", b.body.id)).body.status).toBe("released");
    expect(await totals("LC-3")).toMatchObject({ onHand: 10, reserved: 0, committed: 0, available: 10 });
    expect((await act("commit", a.body.id)).body.error.code).toBe("reservation_released");
    await expectConsistent("LC-3");
  });

  it("a soft hold cannot be committed before it is promoted", async () => {
    await createSku("LC-4");
    await setOnHand(keys, "LC-4", "L1", 5);
    const hold = await reserve({ type: "soft", reference: "cart-4", items: [{ sku: "LC-4", quantity: 1 }] });
    const res = await act("commit", hold.body.id);
    expect(res.status).toBe(409);
    expect(res.body.error.code).toBe("invalid_state");
  });

  it("hard reservations fail with 409 when short, with the shortfall in details", async () => {
    await createSku("LC-5");
    await setOnHand(keys, "LC-5", "L1", 2);
    const res = await reserve({ type: "hard", reference: "o-5", items: [{ sku: "LC-5", quantity: 3, locationId: "L1" }] });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: "insufficient_stock",
      details: [{ sku: "LC-5", locationId: "L1", requested: 3, available: 2 }],
    });
    expect(await totals("LC-5")).toMatchObject({ reserved: 0, available: 2 });
    await expectConsistent("LC-5");
  });

  it("a SKU that allows backorders takes hard reservations beyond stock; commit waits for the stock", async () => {
    await createSku("LC-6", { allowBackorder: true });
    await setOnHand(keys, "LC-6", "L1", 2);
    const res = await reserve({ type: "hard", reference: "o-6", items: [{ sku: "LC-6", quantity: 5, locationId: "L1" }] });
    expect(res.status).toBe(201);
    expect(res.body.lines).toEqual([{ sku: "LC-6", locationId: "L1", quantity: 5, backordered: 3 }]);
    expect(await totals("LC-6")).toMatchObject({ reserved: 5, available: -3 });
    await expectConsistent("LC-6");

    const early = await act("commit", res.body.id);
    expect(early.status).toBe(409);
    expect(early.body.error.code).toBe("insufficient_stock");
    await api("PATCH", "/api/v2/inventory/LC-6", { key: keys.operator, body: { locationId: "L1", delta: 3, reason: "received" } });
    const later = await act("commit", res.body.id);
    expect(later.body.status).toBe("committed");
    expect(await totals("LC-6")).toMatchObject({ onHand: 5, reserved: 0, committed: 5, available: 0 });
    await expectConsistent("LC-6");
  });

  // Lines without a location are routed by an allocation plan (issue 13; default: fewest
  // shipments, then nearest the best-priority centre) instead of "most available": L1 and L2
  // each cover the line in one shipment, so L1 (priority 10) serves it.
  it("without a location, an active location that can ship is chosen by the default routing (one shipment, best priority)", async () => {
    await createSku("LC-7");
    await setOnHand(keys, "LC-7", "L1", 4);
    await setOnHand(keys, "LC-7", "L2", 9);
    await setOnHand(keys, "LC-7", "L3", 50); // inactive
    await setOnHand(keys, "LC-7", "L4", 60); // cannot ship
    const res = await reserve({ type: "hard", reference: "o-7", items: [{ sku: "LC-7", quantity: 2 }] });
    expect(res.body.lines).toEqual([{ sku: "LC-7", locationId: "L1", quantity: 2, backordered: 0 }]);
    const snap = await skuObject("LC-7").snapshot();
    expect(snap.locations.find((l) => l.locationId === "L1")).toMatchObject({ reserved: 2, available: 2 });
    expect(snap.locations.find((l) => l.locationId === "L3")).toMatchObject({ reserved: 0 });
    await expectConsistent("LC-7");
  });

  it("GET /inventory/{sku} reports totals, locations and active reservation counts, never cached", async () => {
    const res = await api("GET", "/api/v2/inventory/LC-3", { key: keys.operator });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect(res.body).toMatchObject({
      sku: "LC-3",
      vendorId: "V1",
      totals: { onHand: 10, reserved: 0, available: 10 },
      locations: [expect.objectContaining({ locationId: "L1", onHand: 10 })],
      reservations: { activeSoft: { count: 0, units: 0 }, activeHard: { count: 0, units: 0 }, committed: { count: 0, units: 0 } },
    });
    const res1 = await api("GET", "/api/v2/inventory/LC-1", { key: keys.operator });
    expect(res1.body.reservations.activeSoft).toEqual({ count: 1, units: 4 });
  });
});
