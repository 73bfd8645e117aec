/**
 * Stock changes on one SKU: adjust by a delta with a reason, set with compare-and-set, the
 * ledger row each change leaves, and invariants checked before a change commits.
 */
import { runInDurableObject } from "cloudflare:test";
import { beforeAll, describe, expect, it } from "vitest";
import { api, createSku, expectConsistent, seedBasics, skuObject, type Keys } from "./support/fixtures";
import { expectLogged } from "./support/log-capture";

let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
  for (const sku of ["ST-1", "ST-2", "ST-3", "ST-4", "ST-5"]) await createSku(sku);
});

const patch = (sku: string, body: unknown, idempotencyKey?: string) =>
  api("PATCH", `/api/v2/inventory/${sku}`, { key: keys.operator, body, ...(idempotencyKey ? { idempotencyKey } : {}) });

describe("adjust and set", () => {
  it("adjusts by a delta and writes a ledger row with reason, actor, reference, before and after", async () => {
    const res = await patch("ST-1", { locationId: "L1", delta: 25, reason: "restock", reference: "PO-1" });
    expect(res.status).toBe(200);
    expect(res.body.level).toMatchObject({ locationId: "L1", onHand: 25, available: 25, reserved: 0 });
    const ledger = await skuObject("ST-1").ledger(0, 100);
    expect(ledger).toHaveLength(1);
    expect(ledger[0]).toMatchObject({
      op: "adjust",
      reason: "restock",
      reference: "PO-1",
      locationId: "L1",
      delta: expect.objectContaining({ onHand: 25, reserved: 0 }),
      before: expect.objectContaining({ onHand: 0 }),
      after: expect.objectContaining({ onHand: 25 }),
    });
    expect(ledger[0]!.actor).toMatch(/^operator:key_[a-z0-9]{12}$/);
    expect(res.body.ledgerSeq).toBe(ledger[0]!.seq);

    const down = await patch("ST-1", { locationId: "L1", delta: -5, reason: "damage" });
    expect(down.status).toBe(200);
    expect(down.body.level.onHand).toBe(20);
    await expectConsistent("ST-1");
  });

  it("sets on-hand; with a matching expectedOnHand it applies, with a stale one it is 409 and nothing changes", async () => {
    expect((await patch("ST-2", { locationId: "L1", onHand: 40, reason: "cycle_count" })).body.level.onHand).toBe(40);
    const ok = await patch("ST-2", { locationId: "L1", onHand: 38, expectedOnHand: 40, reason: "cycle_count" });
    expect(ok.status).toBe(200);
    expect(ok.body.level.onHand).toBe(38);

    const before = await skuObject("ST-2").snapshot();
    const stale = await patch("ST-2", { locationId: "L1", onHand: 10, expectedOnHand: 40, reason: "cycle_count" });
    expect(stale.status).toBe(409);
    expect(stale.body.error).toMatchObject({ code: "stale_expected_on_hand", details: { expectedOnHand: 40, onHand: 38 } });
    expect(await skuObject("ST-2").snapshot()).toEqual(before);
    expect(await skuObject("ST-2").ledger(0, 100)).toHaveLength(2);
  });

  it("refuses to take on-hand below zero, or below what is reserved", async () => {
    await patch("ST-3", { locationId: "L1", onHand: 5, reason: "initial" });
    const negative = await patch("ST-3", { locationId: "L1", delta: -6, reason: "theft" });
    expect(negative.status).toBe(409);
    expect(negative.body.error.code).toBe("would_go_negative");

    const hold = await api("POST", "/api/v2/inventory/reserve", {
      key: keys.checkout,
      idempotencyKey: "st3-order",
      body: { type: "hard", reference: "o-st3", items: [{ sku: "ST-3", quantity: 4, locationId: "L1" }] },
    });
    expect(hold.status).toBe(201);
    const belowReserved = await patch("ST-3", { locationId: "L1", onHand: 3, reason: "cycle_count" });
    expect(belowReserved.status).toBe(409);
    expect(belowReserved.body.error.code).toBe("would_go_negative");
    const snap = await skuObject("ST-3").snapshot();
    expect(snap.totals).toMatchObject({ onHand: 5, reserved: 4, available: 1 });
    await expectConsistent("ST-3");
  });

  it("replaying the ledger from zero reproduces every count", async () => {
    await patch("ST-4", { locationId: "L1", onHand: 12, reason: "initial" });
    await patch("ST-4", { locationId: "L2", delta: 7, reason: "received" });
    await patch("ST-4", { locationId: "L1", delta: -2, reason: "loss" });
    const ledger = await skuObject("ST-4").ledger(0, 1000);
    const replayed = new Map<string, number>();
    for (const row of ledger) replayed.set(row.locationId, (replayed.get(row.locationId) ?? 0) + row.delta.onHand);
    const snap = await skuObject("ST-4").snapshot();
    expect(Object.fromEntries(replayed)).toEqual(Object.fromEntries(snap.locations.map((l) => [l.locationId, l.onHand])));
    expect(snap.totals.onHand).toBe(17);
  });

  it("checks invariants before committing: a change on top of corrupted counts is rolled back", async () => {
    await patch("ST-5", { locationId: "L1", onHand: 10, reason: "initial" });
    // Corrupt the counts behind the object's back: `reserved` without any reservation line.
    await runInDurableObject(skuObject("ST-5"), (_instance, state) => {
      state.storage.sql.exec("UPDATE stock SET reserved = 3 WHERE location_id = 'L1'");
    });
    const res = await patch("ST-5", { locationId: "L1", delta: 1, reason: "restock" });
    expect(res.status).toBe(500);
    // The client gets a generic 500 (test/security-errors.test.ts); the breaches are in the log.
    expect(res.body.error.code).toBe("internal_error");
    const [logged] = expectLogged({ code: "invariant_violation" });
    expect(logged!.details).toEqual(expect.arrayContaining([expect.objectContaining({ invariant: "reserved_matches_lines" })]));
    const snap = await skuObject("ST-5").snapshot();
    expect(snap.totals.onHand).toBe(10);
    expect(await skuObject("ST-5").ledger(0, 100)).toHaveLength(1);
  });

  it("a retried adjustment with the same Idempotency-Key applies once and returns the first answer", async () => {
    const first = await patch("ST-4", { locationId: "L2", delta: 3, reason: "return" }, "ret-1");
    const again = await patch("ST-4", { locationId: "L2", delta: 3, reason: "return" }, "ret-1");
    expect(again.status).toBe(200);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.level).toEqual(first.body.level);
    expect((await skuObject("ST-4").snapshot()).locations.find((l) => l.locationId === "L2")!.onHand).toBe(10);
    const other = await patch("ST-4", { locationId: "L2", delta: 4, reason: "return" }, "ret-1");
    expect(other.status).toBe(422);
    expect(other.body.error.code).toBe("idempotency_conflict");
  });
});

describe("ledger and audit endpoints", () => {
  it("pages the ledger and audits the counts", async () => {
    const page = await api("GET", "/api/v2/inventory/ST-4/ledger?limit=2", { key: keys.operator });
    expect(page.status).toBe(200);
    expect(page.body.items).toHaveLength(2);
    expect(page.body.items[0]).toMatchObject({ op: "set", reason: "initial", locationId: "L1" });
    const rest = await api("GET", `/api/v2/inventory/ST-4/ledger?after=${page.body.next}`, { key: keys.operator });
    expect(rest.body.items[0].seq).toBe(page.body.next + 1);
    expect(rest.body.next).toBeNull();
    expect((await api("GET", "/api/v2/inventory/ST-4/ledger?limit=0", { key: keys.operator })).status).toBe(400);

    const audit = await api("GET", "/api/v2/inventory/ST-4/audit", { key: keys.operator });
    expect(audit.body).toMatchObject({ sku: "ST-4", ok: true, breaches: [], ledgerRows: page.body.items.length + rest.body.items.length });
    const corrupted = await api("GET", "/api/v2/inventory/ST-5/audit", { key: keys.operator });
    expect(corrupted.body.ok).toBe(false);
    expect(corrupted.body.breaches.map((b: { invariant: string }) => b.invariant)).toEqual(expect.arrayContaining(["ledger_replay", "reserved_matches_lines"]));
    expect((await api("GET", "/api/v2/inventory/ST-4/audit", { key: keys.vendor })).status).toBe(403);
  });
});
