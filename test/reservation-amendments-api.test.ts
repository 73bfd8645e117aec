/**
 * `POST /api/v2/reservations/{id}/amend` (issue 13, item 5) over HTTP: each kind end to end
 * with exact counts (a cart grows, shrinks and is refreshed; part of an order is released or
 * shipped; a line moves; a split line shrinks), the answers' statuses (409 with the refusal's
 * reason, 422 for a reused key, 404 for another storefront's reservation as for a lookup),
 * idempotent retries (the first answer, `Idempotent-Replayed`, nothing changed twice), and the
 * public availability cache dropped when a hard reservation shrinks. Invariants and the ledger
 * replay are checked through each object's `verify()`.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { DEMO_ROUTING_LOCATIONS } from "../domain/allocation-demo-locations";
import { api, createSku, expectConsistent, seedBasics, setOnHand, skuObject, type Keys } from "./support/fixtures";

let keys: Keys;
let otherChannel: string;
let n = 0;

beforeAll(async () => {
  keys = await seedBasics();
  const issued = await api("POST", "/api/v2/api-keys", { key: keys.operator, body: { name: "other shop", scope: "checkout", channel: "shop-b" } });
  expect(issued.status).toBe(201);
  otherChannel = issued.body.key;
});

type Item = { sku: string; quantity: number; locationId?: string };

async function reserve(type: "soft" | "hard", items: Item[], extra: Record<string, unknown> = {}) {
  const res = await api("POST", "/api/v2/inventory/reserve", {
    key: keys.checkout,
    idempotencyKey: `amend-api-rsv-${++n}`,
    body: { type, reference: `order-${n}`, items, ...extra },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string; expiresAt: string; lines: { sku: string; locationId: string; quantity: number }[] };
}

const amend = (id: string, body: unknown, idempotencyKey = `amend-api-${++n}`, key: string = keys.checkout) =>
  api("POST", `/api/v2/reservations/${id}/amend`, { key, idempotencyKey, body });

const level = async (sku: string, locationId = "L1") => {
  const l = (await skuObject(sku).snapshot()).locations.find((x) => x.locationId === locationId)!;
  return { onHand: l.onHand, reserved: l.reserved, softHeld: l.softHeld, committed: l.committed, available: l.available };
};
const line = (sku: string, locationId: string, quantity: number) => ({ sku, locationId, quantity });

describe("each kind, end to end", () => {
  it("a cart grows, shrinks and is refreshed: exact counts, one ledger row each, the expiry moved", async () => {
    await createSku("AMH-1");
    await setOnHand(keys, "AMH-1", "L1", 10);
    const cart = await reserve("soft", [{ sku: "AMH-1", quantity: 2, locationId: "L1" }], { ttlSeconds: 600 });
    expect(await level("AMH-1")).toEqual({ onHand: 10, reserved: 0, softHeld: 2, committed: 0, available: 10 });

    const grown = await amend(cart.id, { kind: "change_quantity", lines: [line("AMH-1", "L1", 5)] });
    expect(grown.status, JSON.stringify(grown.body)).toBe(200);
    expect(grown.headers.get("idempotent-replayed")).toBeNull();
    expect(grown.body).toEqual({
      reservation: expect.objectContaining({
        id: cart.id,
        type: "soft",
        status: "active",
        lines: [{ sku: "AMH-1", locationId: "L1", quantity: 5, backordered: 0 }],
      }),
      amendment: {
        id: expect.stringMatching(/^amd_[0-9a-f]{2}[a-z2-7]{26}$/),
        kind: "change_quantity",
        changes: [{ sku: "AMH-1", locationId: "L1", before: 2, after: 5, shipped: 0, backordered: 0 }],
        expiresAt: null,
      },
    });
    expect(await level("AMH-1")).toMatchObject({ softHeld: 5, available: 10 });

    // Past the soft-hold limit (⌊10 × 1.10⌋ = 11): 409 with the shortfall, nothing held.
    const tooMuch = await amend(cart.id, { kind: "change_quantity", lines: [line("AMH-1", "L1", 12)] });
    expect(tooMuch.status).toBe(409);
    expect(tooMuch.body.error).toMatchObject({ code: "insufficient_stock", details: [{ sku: "AMH-1", locationId: "L1", requested: 7, available: 6 }] });
    expect(await level("AMH-1")).toMatchObject({ softHeld: 5 });

    const shrunk = await amend(cart.id, { kind: "change_quantity", lines: [line("AMH-1", "L1", 3)] });
    expect(shrunk.status).toBe(200);
    expect(shrunk.body.amendment.changes).toEqual([{ sku: "AMH-1", locationId: "L1", before: 5, after: 3, shipped: 0, backordered: 0 }]);
    expect(await level("AMH-1")).toEqual({ onHand: 10, reserved: 0, softHeld: 3, committed: 0, available: 10 });

    const before = Date.now();
    const refreshed = await amend(cart.id, { kind: "refresh_expiry", ttlSeconds: 1800 });
    expect(refreshed.status).toBe(200);
    const expiresAt = Date.parse(refreshed.body.reservation.expiresAt);
    expect(refreshed.body.amendment).toMatchObject({ kind: "refresh_expiry", changes: [], expiresAt: refreshed.body.reservation.expiresAt });
    expect(expiresAt).toBeGreaterThanOrEqual(before + 1800_000 - 1000);
    expect(expiresAt).toBeGreaterThan(Date.parse(cart.expiresAt) + 1000 * 1000);
    expect(await skuObject("AMH-1").getReservation(cart.id)).toMatchObject({ reservation: { status: "active", expiresAt } });

    const reasons = (await skuObject("AMH-1").ledger(0, 100)).map((r) => r.reason).filter((r) => r?.startsWith("amend"));
    expect(reasons).toEqual(["amend_increase", "amend_decrease"]);
    const got = await api("GET", `/api/v2/reservations/${cart.id}`, { key: keys.checkout });
    expect(got.body).toMatchObject({ status: "active", expiresAt: refreshed.body.reservation.expiresAt, lines: [{ quantity: 3 }] });
    await expectConsistent("AMH-1");
  });

  it("an order's part is released and part shipped, over two SKUs; the last units end it fulfilled", async () => {
    await createSku("AMP-1");
    await createSku("AMP-2");
    await setOnHand(keys, "AMP-1", "L1", 10);
    await setOnHand(keys, "AMP-2", "L1", 10);
    const order = await reserve("hard", [
      { sku: "AMP-1", quantity: 4, locationId: "L1" },
      { sku: "AMP-2", quantity: 3, locationId: "L1" },
    ]);
    const released = await amend(order.id, { kind: "release_part", lines: [line("AMP-1", "L1", 1), line("AMP-2", "L1", 1)] });
    expect(released.status, JSON.stringify(released.body)).toBe(200);
    expect(released.body.reservation.lines).toEqual([
      { sku: "AMP-1", locationId: "L1", quantity: 3, backordered: 0 },
      { sku: "AMP-2", locationId: "L1", quantity: 2, backordered: 0 },
    ]);
    expect(await level("AMP-1")).toEqual({ onHand: 10, reserved: 3, softHeld: 0, committed: 0, available: 7 });
    expect(await level("AMP-2")).toEqual({ onHand: 10, reserved: 2, softHeld: 0, committed: 0, available: 8 });

    const shipped = await amend(order.id, { kind: "fulfil_part", lines: [line("AMP-1", "L1", 2)] });
    expect(shipped.status).toBe(200);
    expect(shipped.body.amendment.changes).toEqual([{ sku: "AMP-1", locationId: "L1", before: 3, after: 1, shipped: 2, backordered: 0 }]);
    expect(await level("AMP-1")).toEqual({ onHand: 8, reserved: 1, softHeld: 0, committed: 0, available: 7 });

    const rest = await amend(order.id, { kind: "fulfil_part", lines: [line("AMP-1", "L1", 1), line("AMP-2", "L1", 2)] });
    expect(rest.status).toBe(200);
    expect(rest.body.reservation).toMatchObject({ status: "fulfilled", lines: [] });
    expect(await level("AMP-1")).toEqual({ onHand: 7, reserved: 0, softHeld: 0, committed: 0, available: 7 });
    expect(await level("AMP-2")).toEqual({ onHand: 8, reserved: 0, softHeld: 0, committed: 0, available: 8 });

    // Ended: nothing more changes it.
    const late = await amend(order.id, { kind: "release_part", lines: [line("AMP-1", "L1", 1)] });
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({ code: "invalid_state", details: { reason: "fulfilled" } });
    for (const sku of ["AMP-1", "AMP-2"]) await expectConsistent(sku);
  });

  it("a line moves to another location, in part or whole; a move that does not fit is refused whole", async () => {
    await createSku("AMM-1");
    await setOnHand(keys, "AMM-1", "L1", 5);
    await setOnHand(keys, "AMM-1", "L2", 4);
    const order = await reserve("hard", [{ sku: "AMM-1", quantity: 3, locationId: "L1" }]);

    const part = await amend(order.id, { kind: "move_line", sku: "AMM-1", fromLocationId: "L1", toLocationId: "L2", quantity: 1 });
    expect(part.status, JSON.stringify(part.body)).toBe(200);
    expect(part.body.reservation.lines).toEqual([
      { sku: "AMM-1", locationId: "L1", quantity: 2, backordered: 0 },
      { sku: "AMM-1", locationId: "L2", quantity: 1, backordered: 0 },
    ]);
    expect(await level("AMM-1", "L1")).toMatchObject({ reserved: 2, available: 3 });
    expect(await level("AMM-1", "L2")).toMatchObject({ reserved: 1, available: 3 });

    // L2 has 3 left: the 2 at L1 fit there, so the whole line moves (and merges).
    const whole = await amend(order.id, { kind: "move_line", sku: "AMM-1", fromLocationId: "L1", toLocationId: "L2" });
    expect(whole.status).toBe(200);
    expect(whole.body.reservation.lines).toEqual([{ sku: "AMM-1", locationId: "L2", quantity: 3, backordered: 0 }]);
    expect(await level("AMM-1", "L1")).toMatchObject({ reserved: 0, available: 5 });
    expect(await level("AMM-1", "L2")).toMatchObject({ reserved: 3, available: 1 });

    await setOnHand(keys, "AMM-1", "L1", 2);
    const refused = await amend(order.id, { kind: "move_line", sku: "AMM-1", fromLocationId: "L2", toLocationId: "L1" });
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({ code: "insufficient_stock", details: [{ sku: "AMM-1", locationId: "L1", requested: 3, available: 2 }] });
    expect(await level("AMM-1", "L1")).toMatchObject({ reserved: 0, available: 2 });
    expect(await level("AMM-1", "L2")).toMatchObject({ reserved: 3, available: 1 });
    await expectConsistent("AMM-1");
  });

  it("a line split over two centres by an allocation plan shrinks at one of them", async () => {
    for (const { id, ...body } of DEMO_ROUTING_LOCATIONS.filter((l) => l.id === "FC-PAR" || l.id === "FC-LYS")) {
      expect([200, 201]).toContain((await api("PUT", `/api/v2/locations/${id}`, { key: keys.operator, body })).status);
    }
    await createSku("AMS-1");
    await setOnHand(keys, "AMS-1", "FC-PAR", 100);
    await setOnHand(keys, "AMS-1", "FC-LYS", 50);
    const order = await reserve("hard", [{ sku: "AMS-1", quantity: 120 }], {
      allocation: { strategy: "nearest", shipTo: { latitude: 48.8566, longitude: 2.3522 } },
    });
    const split = [...order.lines].sort((a, b) => (a.locationId < b.locationId ? -1 : 1));
    expect(split).toEqual([
      { sku: "AMS-1", locationId: "FC-LYS", quantity: 20, backordered: 0 },
      { sku: "AMS-1", locationId: "FC-PAR", quantity: 100, backordered: 0 },
    ]);
    const res = await amend(order.id, { kind: "change_quantity", lines: [line("AMS-1", "FC-LYS", 5)] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await level("AMS-1", "FC-LYS")).toMatchObject({ reserved: 5, available: 45 });
    expect(await level("AMS-1", "FC-PAR")).toMatchObject({ reserved: 100, available: 0 });
    // It grows back within what Lyon has, up to 50.
    expect((await amend(order.id, { kind: "change_quantity", lines: [line("AMS-1", "FC-LYS", 50)] })).status).toBe(200);
    expect(await level("AMS-1", "FC-LYS")).toMatchObject({ reserved: 50, available: 0 });
    const over = await amend(order.id, { kind: "change_quantity", lines: [line("AMS-1", "FC-LYS", 51)] });
    expect(over.status).toBe(409);
    expect(over.body.error.code).toBe("insufficient_stock");
    await expectConsistent("AMS-1");
  });
});

describe("answers", () => {
  it("refusals are 409 with their reason; a missing reservation is 404", async () => {
    await createSku("AMR-1");
    await setOnHand(keys, "AMR-1", "L1", 20);
    const cart = await reserve("soft", [{ sku: "AMR-1", quantity: 2, locationId: "L1" }]);
    const expectRefusal = async (body: unknown, code: string, reason?: string) => {
      const res = await amend(cart.id, body);
      expect(res.status, JSON.stringify(res.body)).toBe(409);
      expect(res.body.error.code).toBe(code);
      if (reason !== undefined) expect(res.body.error.details.reason).toBe(reason);
    };
    await expectRefusal({ kind: "release_part", lines: [line("AMR-1", "L1", 3)] }, "invalid_state", "more_than_held");
    await expectRefusal({ kind: "release_part", lines: [line("AMR-1", "L2", 1)] }, "invalid_state", "line_not_found");
    await expectRefusal({ kind: "fulfil_part", lines: [line("AMR-1", "L1", 1)] }, "invalid_state", "soft_hold");
    // 2 days is a hard reservation's TTL, not a cart's (24 h at most).
    await expectRefusal({ kind: "refresh_expiry", ttlSeconds: 2 * 24 * 3600 }, "invalid_state", "ttl_out_of_range");
    expect(await level("AMR-1")).toMatchObject({ softHeld: 2 });

    const order = await reserve("hard", [{ sku: "AMR-1", quantity: 2, locationId: "L1" }]);
    expect((await api("POST", "/api/v2/inventory/commit", { key: keys.checkout, body: { reservationId: order.id } })).status).toBe(200);
    const grow = await amend(order.id, { kind: "change_quantity", lines: [line("AMR-1", "L1", 3)] });
    expect(grow.status).toBe(409);
    expect(grow.body.error).toMatchObject({ code: "invalid_state", details: { reason: "committed" } });

    expect((await api("POST", "/api/v2/inventory/release", { key: keys.checkout, body: { reservationId: cart.id } })).status).toBe(200);
    await expectRefusal({ kind: "refresh_expiry", ttlSeconds: 600 }, "reservation_released");

    const missing = await amend(`rsv_00${"a".repeat(26)}`, { kind: "refresh_expiry", ttlSeconds: 600 });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("reservation_not_found");
    await expectConsistent("AMR-1");
  });

  it("another storefront's reservation is a 404, as for a lookup; operators amend any; vendors are refused", async () => {
    await createSku("AMA-1");
    await setOnHand(keys, "AMA-1", "L1", 10);
    const cart = await reserve("soft", [{ sku: "AMA-1", quantity: 2, locationId: "L1" }]);
    const grow = { kind: "change_quantity", lines: [line("AMA-1", "L1", 4)] };

    const other = await amend(cart.id, grow, "authz-1", otherChannel);
    expect(other.status).toBe(404);
    expect(other.body.error.code).toBe("reservation_not_found");
    expect((await api("GET", `/api/v2/reservations/${cart.id}`, { key: otherChannel })).status).toBe(404);
    expect((await amend(cart.id, grow, "authz-2", keys.vendor)).status).toBe(403);
    expect((await amend(cart.id, grow, "authz-3", "")).status).toBe(401);
    expect(await level("AMA-1")).toMatchObject({ softHeld: 2 });

    const byOperator = await amend(cart.id, grow, "authz-4", keys.operator);
    expect(byOperator.status).toBe(200);
    expect(await level("AMA-1")).toMatchObject({ softHeld: 4 });
    await expectConsistent("AMA-1");
  });

  it("a retry with the same key answers the first answer and changes nothing; another body with it is a 422", async () => {
    await createSku("AMI-1");
    await setOnHand(keys, "AMI-1", "L1", 10);
    const order = await reserve("hard", [{ sku: "AMI-1", quantity: 5, locationId: "L1" }]);
    const body = { kind: "release_part", lines: [line("AMI-1", "L1", 2)] };
    const first = await amend(order.id, body, "retry-1");
    expect(first.status).toBe(200);
    const rows = (await skuObject("AMI-1").ledger(0, 100)).length;

    const again = await amend(order.id, body, "retry-1");
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    expect(await level("AMI-1")).toMatchObject({ reserved: 3, available: 7 });
    expect((await skuObject("AMI-1").ledger(0, 100)).length).toBe(rows);

    const conflict = await amend(order.id, { kind: "release_part", lines: [line("AMI-1", "L1", 1)] }, "retry-1");
    expect(conflict.status).toBe(422);
    expect(conflict.body.error.code).toBe("idempotency_conflict");

    // Positive control: a new key releases again.
    expect((await amend(order.id, body, "retry-2")).status).toBe(200);
    expect(await level("AMI-1")).toMatchObject({ reserved: 1, available: 9 });
    // A refusal is the first answer too.
    const refused = await amend(order.id, { kind: "release_part", lines: [line("AMI-1", "L1", 5)] }, "retry-3");
    expect(refused.status).toBe(409);
    await setOnHand(keys, "AMI-1", "L1", 10);
    expect((await amend(order.id, { kind: "release_part", lines: [line("AMI-1", "L1", 5)] }, "retry-3")).body).toEqual(refused.body);
    await expectConsistent("AMI-1");
  });
});

describe("the public availability cache", () => {
  it("a hard reservation that shrinks shows its freed units at once", async () => {
    await createSku("AMC-1");
    await setOnHand(keys, "AMC-1", "L1", 10);
    const order = await reserve("hard", [{ sku: "AMC-1", quantity: 6, locationId: "L1" }]);
    const tier = (res: { headers: Headers }) => /cache;desc="([^"]+)"/.exec(res.headers.get("server-timing") ?? "")?.[1];
    const first = await api("GET", "/api/v2/availability/AMC-1");
    expect(first.body.available).toBe(4);
    // Cached from here on (the control: without a purge, a read is served from the cache).
    expect(["hit-l1", "hit-l2"]).toContain(tier(await api("GET", "/api/v2/availability/AMC-1")));

    const shrink = { kind: "change_quantity", lines: [line("AMC-1", "L1", 1)] };
    expect((await amend(order.id, shrink, "cache-shrink")).status).toBe(200);
    const after = await api("GET", "/api/v2/availability/AMC-1");
    expect(tier(after)).toBe("miss");
    expect(after.body.available).toBe(9);

    // A replay purges nothing (nothing changed): the next read is a hit again.
    expect((await amend(order.id, shrink, "cache-shrink")).headers.get("idempotent-replayed")).toBe("true");
    expect(["hit-l1", "hit-l2"]).toContain(tier(await api("GET", "/api/v2/availability/AMC-1")));
  });
});

describe("the route", () => {
  it("is in the OpenAPI document with its kinds and a required Idempotency-Key", async () => {
    const doc = (await api("GET", "/api/v2/openapi.json")).body;
    const op = doc.paths["/api/v2/reservations/{id}/amend"].post;
    expect(op.parameters).toContainEqual(expect.objectContaining({ name: "Idempotency-Key", in: "header", required: true }));
    const kinds = JSON.stringify(op.requestBody.content["application/json"].schema);
    for (const kind of ["change_quantity", "release_part", "fulfil_part", "refresh_expiry", "move_line"]) expect(kinds).toContain(kind);
  });
});
