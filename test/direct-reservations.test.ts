/**
 * The single-SKU fast path (issue 11, item 1): an order of one SKU is taken by that SKU's
 * object alone (sku-inventory/direct.ts), and every later step of it goes there too; the key's
 * coordinator shard only keeps the key's claim. Exact under contention, idempotent, owned,
 * expired by the SKU's own alarm, amendable — the guarantees of the coordinated path.
 */
import { env } from "cloudflare:workers";
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { reservationIdFor } from "../domain/reservation-ids";
import { COORDINATOR_MIGRATIONS } from "../durable-objects/reservation-coordinator.schema";
import { migrateSchema } from "../durable-objects/sql-migrations";
import { coordinatorFor } from "../repositories/objects";
import { api, createSku, expectConsistent, seedBasics, setOnHand, skuObject, type Keys } from "./support/fixtures";
import { resetClock, setClockOffset } from "./support/test-clock";

const DAY = 24 * 60 * 60 * 1000;
let keys: Keys;

beforeAll(async () => {
  keys = await seedBasics();
  for (const sku of ["DR-RACE", "DR-KEY-A", "DR-KEY-B", "DR-OWN", "DR-AMEND", "DR-MIX-A", "DR-MIX-B"]) await createSku(sku);
  await setOnHand(keys, "DR-RACE", "L1", 20);
  for (const sku of ["DR-KEY-A", "DR-KEY-B", "DR-OWN", "DR-AMEND", "DR-MIX-A", "DR-MIX-B"]) await setOnHand(keys, sku, "L1", 10);
});
afterEach(resetClock);

const reserve = (key: string, idempotencyKey: string, items: { sku: string; quantity: number; locationId?: string }[], type = "hard") =>
  api("POST", "/api/v2/inventory/reserve", { key, idempotencyKey, body: { type, reference: `ref-${idempotencyKey}`, items } });

/** Reservation rows the key's coordinator shard holds for this key (the coordinated path writes one). */
async function coordinatorRows(idempotencyKey: string): Promise<{ reservations: number; claims: number }> {
  const id = await reservationIdFor("checkout", idempotencyKey);
  return runInDurableObject(coordinatorFor(env, id), (_i, state) => ({
    reservations: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM reservations WHERE id = ?", id).one().n,
    claims: state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM key_claims WHERE id = ?", id).one().n,
  }));
}

describe("single-SKU reservations go to the SKU's object alone", () => {
  it("the SKU's object holds the reservation; the coordinator only claims the key; a 2-SKU order keeps the coordinator", async () => {
    const one = await reserve(keys.checkout, "dr-one", [{ sku: "DR-MIX-A", quantity: 1, locationId: "L1" }]);
    expect(one.status).toBe(201);
    expect(one.body.id).toBe(`${await reservationIdFor("checkout", "dr-one")}_DR-MIX-A`);
    expect(await coordinatorRows("dr-one")).toEqual({ reservations: 0, claims: 1 });

    const two = await reserve(keys.checkout, "dr-two", [
      { sku: "DR-MIX-A", quantity: 1, locationId: "L1" },
      { sku: "DR-MIX-B", quantity: 1, locationId: "L1" },
    ]);
    expect(two.status).toBe(201);
    expect(two.body.id).toBe(await reservationIdFor("checkout", "dr-two"));
    expect(await coordinatorRows("dr-two")).toEqual({ reservations: 1, claims: 0 });

    // Every step of the direct one answers like the coordinated one.
    for (const op of ["commit", "fulfil"]) {
      const direct = await api("POST", `/api/v2/inventory/${op}`, { key: keys.checkout, body: { reservationId: one.body.id } });
      const coordinated = await api("POST", `/api/v2/inventory/${op}`, { key: keys.checkout, body: { reservationId: two.body.id } });
      expect([direct.status, coordinated.status]).toEqual([200, 200]);
      expect(direct.body.status).toBe(coordinated.body.status);
    }
    expect((await skuObject("DR-MIX-A").snapshot()).totals).toMatchObject({ onHand: 8, reserved: 0, committed: 0 });
    // Still none: the steps of a direct reservation never reach the coordinator.
    expect(await coordinatorRows("dr-one")).toEqual({ reservations: 0, claims: 1 });
    await expectConsistent("DR-MIX-A");
  });

  it("60 racing one-unit reserves on 20 units: exactly 20 succeed, 40 get 409, nothing oversold", async () => {
    const results = await Promise.all(
      Array.from({ length: 60 }, (_, i) => reserve(keys.checkout, `dr-race-${i}`, [{ sku: "DR-RACE", quantity: 1, locationId: "L1" }])),
    );
    const statuses = results.map((r) => r.status);
    expect(statuses.filter((s) => s === 201)).toHaveLength(20);
    expect(statuses.filter((s) => s === 409)).toHaveLength(40);
    expect(new Set(results.filter((r) => r.status === 201).map((r) => r.body.id)).size).toBe(20);
    expect((await skuObject("DR-RACE").snapshot()).totals).toMatchObject({ onHand: 20, reserved: 20, available: 0 });
    await expectConsistent("DR-RACE");
  });

  it("a key is bound to its first request across paths: another SKU, or a 2-SKU order, is 422 and holds nothing", async () => {
    const first = await reserve(keys.checkout, "dr-key-1", [{ sku: "DR-KEY-A", quantity: 2, locationId: "L1" }]);
    expect(first.status).toBe(201);
    const otherSku = await reserve(keys.checkout, "dr-key-1", [{ sku: "DR-KEY-B", quantity: 2, locationId: "L1" }]);
    expect([otherSku.status, otherSku.body.error?.code]).toEqual([422, "idempotency_conflict"]);
    const twoSkus = await reserve(keys.checkout, "dr-key-1", [
      { sku: "DR-KEY-A", quantity: 1, locationId: "L1" },
      { sku: "DR-KEY-B", quantity: 1, locationId: "L1" },
    ]);
    expect([twoSkus.status, twoSkus.body.error?.code]).toEqual([422, "idempotency_conflict"]);
    // The other way round: a key first used for a 2-SKU order, then for one SKU.
    const coordinated = await reserve(keys.checkout, "dr-key-2", [
      { sku: "DR-KEY-A", quantity: 1, locationId: "L1" },
      { sku: "DR-KEY-B", quantity: 1, locationId: "L1" },
    ]);
    expect(coordinated.status).toBe(201);
    const single = await reserve(keys.checkout, "dr-key-2", [{ sku: "DR-KEY-B", quantity: 3, locationId: "L1" }]);
    expect([single.status, single.body.error?.code]).toEqual([422, "idempotency_conflict"]);
    // What the refused requests' objects took was given back: only the two accepted orders hold units.
    expect((await skuObject("DR-KEY-A").snapshot()).totals).toMatchObject({ reserved: 3 });
    expect((await skuObject("DR-KEY-B").snapshot()).totals).toMatchObject({ reserved: 1 });
    // And the first request still replays its first answer.
    const retry = await reserve(keys.checkout, "dr-key-1", [{ sku: "DR-KEY-A", quantity: 2, locationId: "L1" }]);
    expect([retry.status, retry.headers.get("idempotent-replayed")]).toEqual([201, "true"]);
    expect(retry.body).toEqual(first.body);
    await expectConsistent("DR-KEY-A");
    await expectConsistent("DR-KEY-B");
  });

  it("only its owner (and operators) can see or move it; a forged id for another SKU finds nothing", async () => {
    const mine = await reserve(keys.checkout, "dr-own-1", [{ sku: "DR-OWN", quantity: 1, locationId: "L1" }]);
    expect(mine.status).toBe(201);
    const theirs = await reserve(keys.operator, "dr-own-2", [{ sku: "DR-OWN", quantity: 1, locationId: "L1" }]);
    expect(theirs.status).toBe(201);
    const seen = await api("GET", `/api/v2/reservations/${theirs.body.id}`, { key: keys.checkout });
    expect(seen.status).toBe(404);
    const released = await api("POST", "/api/v2/inventory/release", { key: keys.checkout, body: { reservationId: theirs.body.id } });
    expect(released.status).toBe(404);
    const byOperator = await api("GET", `/api/v2/reservations/${mine.body.id}`, { key: keys.operator });
    expect([byOperator.status, byOperator.body.id]).toEqual([200, mine.body.id]);
    const forged = mine.body.id.replace(/_DR-OWN$/, "_DR-RACE");
    expect((await api("GET", `/api/v2/reservations/${forged}`, { key: keys.checkout })).status).toBe(404);
    expect((await api("GET", "/api/v2/reservations/rsv_00aaaaaaaaaaaaaaaaaaaaaaaaaa_bad!sku", { key: keys.checkout })).status).toBe(400);
  });

  it("the SKU's own alarm expires a direct hold; later steps answer expired; the units are back", async () => {
    await setClockOffset(DAY);
    const hold = await api("POST", "/api/v2/inventory/reserve", {
      key: keys.checkout,
      idempotencyKey: "dr-exp-1",
      body: { type: "soft", reference: "cart", ttlSeconds: 60, items: [{ sku: "DR-OWN", quantity: 2, locationId: "L1" }] },
    });
    expect(hold.status).toBe(201);
    expect((await skuObject("DR-OWN").snapshot()).totals.softHeld).toBe(2);
    await setClockOffset(DAY + 61_000);
    expect(await runDurableObjectAlarm(skuObject("DR-OWN"))).toBe(true);
    expect((await skuObject("DR-OWN").snapshot()).totals.softHeld).toBe(0);
    const got = await api("GET", `/api/v2/reservations/${hold.body.id}`, { key: keys.checkout });
    expect([got.status, got.body.status, got.body.expiresAt]).toEqual([200, "expired", null]);
    const promote = await api("POST", "/api/v2/inventory/promote", { key: keys.checkout, body: { reservationId: hold.body.id } });
    expect([promote.status, promote.body.error.code]).toEqual([409, "reservation_expired"]);
  });

  it("amendments of a direct reservation: applied in its object, replayed by key; another SKU is refused", async () => {
    const r = await reserve(keys.checkout, "dr-amend-1", [{ sku: "DR-AMEND", quantity: 2, locationId: "L1" }]);
    expect(r.status).toBe(201);
    const amend = (idempotencyKey: string, body: unknown) =>
      api("POST", `/api/v2/reservations/${r.body.id}/amend`, { key: keys.checkout, idempotencyKey, body });
    const more = { kind: "change_quantity", lines: [{ sku: "DR-AMEND", locationId: "L1", quantity: 5 }] };
    const changed = await amend("dr-amd-1", more);
    expect(changed.status).toBe(200);
    expect(changed.body.reservation.lines).toEqual([{ sku: "DR-AMEND", locationId: "L1", quantity: 5, backordered: 0 }]);
    expect((await skuObject("DR-AMEND").snapshot()).totals.reserved).toBe(5);
    const again = await amend("dr-amd-1", more);
    expect([again.status, again.headers.get("idempotent-replayed")]).toEqual([200, "true"]);
    expect((await skuObject("DR-AMEND").snapshot()).totals.reserved).toBe(5);
    const conflict = await amend("dr-amd-1", { kind: "change_quantity", lines: [{ sku: "DR-AMEND", locationId: "L1", quantity: 4 }] });
    expect(conflict.status).toBe(422);
    const other = await amend("dr-amd-2", { kind: "change_quantity", lines: [{ sku: "DR-RACE", locationId: "L1", quantity: 1 }] });
    expect([other.status, other.body.error.code, other.body.error.details?.reason]).toEqual([409, "invalid_state", "other_sku"]);
    await expectConsistent("DR-AMEND");
  });

  it("schema v6 rebuilds a v5 shard's claims without rowids: the claims it held still bind their keys", async () => {
    const first = await reserve(keys.checkout, "dr-v5-claim", [{ sku: "DR-KEY-A", quantity: 1, locationId: "L1" }]);
    expect(first.status).toBe(201);
    const id = await reservationIdFor("checkout", "dr-v5-claim");
    const stub = coordinatorFor(env, id);
    const rebuilt = await runInDurableObject(stub, (_i, state) => {
      const sql = state.storage.sql;
      const claim = sql.exec("SELECT id, request_hash, target, created_at FROM key_claims WHERE id = ?", id).one();
      const all = sql.exec("SELECT id, request_hash, target, created_at FROM key_claims ORDER BY id").toArray();
      // Back to v5 as it shipped (a rowid table), holding the same claims.
      sql.exec("DROP TABLE key_claims");
      sql.exec(COORDINATOR_MIGRATIONS.find((m) => m.version === 5)!.statements[0]!);
      sql.exec("CREATE INDEX key_claims_created ON key_claims (created_at)");
      for (const c of all)
        sql.exec("INSERT INTO key_claims (id, request_hash, target, created_at) VALUES (?, ?, ?, ?)", c.id, c.request_hash, c.target, c.created_at);
      sql.exec("UPDATE _schema_version SET version = 5");
      expect(sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM key_claims WHERE rowid > 0").one().n).toBe(all.length);
      const version = migrateSchema(state.storage, COORDINATOR_MIGRATIONS);
      const ddl = sql.exec<{ sql: string }>("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'key_claims'").one().sql;
      return {
        version,
        withoutRowid: /WITHOUT ROWID\s*$/.test(ddl),
        claim: sql.exec("SELECT id, request_hash, target, created_at FROM key_claims WHERE id = ?", id).one(),
        count: sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM key_claims").one().n,
        indexed: sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'index' AND name = 'key_claims_created'").one().n,
        original: claim,
        before: all.length,
      };
    });
    expect(rebuilt.version).toBe(COORDINATOR_MIGRATIONS.at(-1)!.version);
    expect(rebuilt.withoutRowid).toBe(true);
    expect(rebuilt.claim).toEqual(rebuilt.original);
    expect([rebuilt.count, rebuilt.indexed]).toEqual([rebuilt.before, 1]);
    // The migrated claim still refuses the key for another SKU, and the first request still replays.
    const otherSku = await reserve(keys.checkout, "dr-v5-claim", [{ sku: "DR-KEY-B", quantity: 1, locationId: "L1" }]);
    expect([otherSku.status, otherSku.body.error?.code]).toEqual([422, "idempotency_conflict"]);
    const retry = await reserve(keys.checkout, "dr-v5-claim", [{ sku: "DR-KEY-A", quantity: 1, locationId: "L1" }]);
    expect([retry.status, retry.headers.get("idempotent-replayed")]).toEqual([201, "true"]);
    await expectConsistent("DR-KEY-B");
  });
});
