/**
 * The reservation coordinator's own alarm expires what is due (issue 18, gap 1).
 *
 * Nothing else may do it for the coordinator in this test: reading a reservation
 * (`get()`) expires it on the way, and each SKU object's own alarm frees its stock, so a
 * coordinator alarm that skipped expiries went unnoticed, left the row `active` and
 * re-armed itself at the same past `expires_at` (a hot loop). Here the coordinator's row
 * is moved into the past while the SKU objects still hold their lines for an hour, so only
 * the coordinator's alarm can expire the reservation and free the stock, and the row is
 * read straight from the coordinator's storage, never through `get()`. The second test is
 * the other half: before any alarm runs, reading or releasing a due reservation expires it
 * on the spot.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { reservationIdFor } from "../domain/reservation-ids";
import { RECOVERY_DELAY_MS } from "../durable-objects/reservation-coordinator.store";
import { nextDueAt } from "../durable-objects/reservation-coordinator/due-work";
import { coordinatorFor } from "../repositories/objects";
import { api, createSku, expectConsistent, seedBasics, setOnHand, skuObject, type Keys } from "./support/fixtures";

let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
  for (const sku of ["CE-1", "CE-2", "CE-3", "CE-4", "CE-5", "CE-6"]) {
    await createSku(sku);
    await setOnHand(keys, sku, "L1", 10);
  }
});

type StoredRow = { id: string; status: string; pending_op: string | null; expires_at: number | null };

/** Reserves 3 of each SKU for an hour through the API; returns the reservation id. */
async function reserveBoth(idempotencyKey: string, skus: [string, string] = ["CE-1", "CE-2"]): Promise<string> {
  const res = await api("POST", "/api/v2/inventory/reserve", {
    key: keys.checkout,
    idempotencyKey,
    body: {
      type: "hard",
      reference: idempotencyKey,
      ttlSeconds: 3600,
      items: [
        { sku: skus[0], quantity: 3, locationId: "L1" },
        { sku: skus[1], quantity: 3, locationId: "L1" },
      ],
    },
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

/** The coordinator shard of a reservation id (the two hex digits after its prefix). */
const shardOf = (id: string) => id.slice(4, 6);

/** The first Idempotency-Key `<prefix>-<i>` whose reservation's coordinator shard passes `wanted`. */
async function keyWhereShard(prefix: string, wanted: (shard: string) => boolean): Promise<string> {
  for (let i = 0; i < 10_000; i++) {
    const key = `${prefix}-${i}`;
    if (wanted(shardOf(await reservationIdFor("checkout", key)))) return key;
  }
  throw new Error(`no key ${prefix}-<i> on a wanted shard`);
}

/** An Idempotency-Key whose reservation lands on the same coordinator shard as `id`. */
const keyOnShardOf = (id: string, prefix: string) => keyWhereShard(prefix, (shard) => shard === shardOf(id));

/** Moves a reservation's expiry into the past in its coordinator only (the SKU objects keep theirs, an hour away). */
function backdate(id: string) {
  return runInDurableObject(coordinatorFor(env, id), (_instance, state) => {
    state.storage.sql.exec("UPDATE reservations SET expires_at = ? WHERE id = ?", Date.now() - 1_000, id);
  });
}

/** The coordinator's stored rows and alarm, read from its storage (not through `get()`, which expires). */
function storedState(stub: ReturnType<typeof coordinatorFor>) {
  return runInDurableObject(stub, async (_instance, state) => ({
    rows: state.storage.sql.exec<StoredRow>("SELECT id, status, pending_op, expires_at FROM reservations ORDER BY id").toArray(),
    alarm: await state.storage.getAlarm(),
  }));
}

describe("coordinator alarm", () => {
  it("expires a due reservation on every SKU by itself, leaves the one not due, and re-arms in the future", async () => {
    const due = await reserveBoth("ce-due");
    // A second reservation on the same coordinator object, not due: the alarm must leave it.
    const later = await reserveBoth(await keyOnShardOf(due, "ce-later"));
    const stub = coordinatorFor(env, due);
    expect(coordinatorFor(env, later).id.equals(stub.id)).toBe(true);
    for (const sku of ["CE-1", "CE-2"]) expect((await skuObject(sku).snapshot()).totals).toMatchObject({ reserved: 6, available: 4 });

    // Time passes for the first reservation only, and only in the coordinator: the SKU
    // objects' copies still expire in an hour, so their own alarms cannot free the stock.
    const past = Date.now() - 1_000;
    await runInDurableObject(stub, (_instance, state) => {
      state.storage.sql.exec("UPDATE reservations SET expires_at = ? WHERE id = ?", past, due);
    });

    expect(await runDurableObjectAlarm(stub)).toBe(true);

    const { rows, alarm } = await storedState(stub);
    expect(rows.find((r) => r.id === due)).toMatchObject({ status: "expired", pending_op: null });
    expect(rows.find((r) => r.id === later)).toMatchObject({ status: "active", pending_op: null });
    // The next alarm is for real future work (the other reservation's expiry, or pruning),
    // not the past expiry again: re-arming there would fire the alarm over and over.
    expect(alarm).not.toBeNull();
    expect(alarm!).toBeGreaterThan(Date.now());

    // Each SKU object released exactly the expired reservation's 3 units, as an expiry.
    for (const sku of ["CE-1", "CE-2"]) {
      expect((await skuObject(sku).snapshot()).totals).toMatchObject({ reserved: 3, available: 7 });
      const expiries = (await skuObject(sku).ledger(0, 100)).filter((r) => r.op === "expire");
      expect(expiries.map((r) => [r.reservationId, r.delta.reserved, r.actor])).toEqual([[due, -3, "system:expiry"]]);
      await expectConsistent(sku);
    }

    // A second run changes nothing.
    await runDurableObjectAlarm(stub);
    for (const sku of ["CE-1", "CE-2"]) expect((await skuObject(sku).snapshot()).totals).toMatchObject({ reserved: 3 });
    expect((await api("GET", `/api/v2/reservations/${due}`, { key: keys.checkout })).body).toMatchObject({ status: "expired" });
    expect((await api("GET", `/api/v2/reservations/${later}`, { key: keys.checkout })).body).toMatchObject({ status: "active" });
  });

  it("a due reservation read or released before the alarm runs is expired on the spot, on every SKU", async () => {
    const read = await reserveBoth("ce-read", ["CE-3", "CE-4"]);
    const released = await reserveBoth("ce-release", ["CE-3", "CE-4"]);
    for (const sku of ["CE-3", "CE-4"]) expect((await skuObject(sku).snapshot()).totals).toMatchObject({ reserved: 6, available: 4 });
    await backdate(read);
    await backdate(released);

    // No alarm has run: reading the reservation expires it.
    expect((await api("GET", `/api/v2/reservations/${read}`, { key: keys.checkout })).body).toMatchObject({ status: "expired", expiresAt: null });
    for (const sku of ["CE-3", "CE-4"]) expect((await skuObject(sku).snapshot()).totals).toMatchObject({ reserved: 3, available: 7 });

    // Releasing a due reservation expires it (the answer says so) rather than releasing it.
    const answer = await api("POST", "/api/v2/inventory/release", { key: keys.checkout, body: { reservationId: released } });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ id: released, status: "expired" });
    for (const sku of ["CE-3", "CE-4"]) {
      expect((await skuObject(sku).snapshot()).totals).toMatchObject({ reserved: 0, available: 10 });
      const ends = (await skuObject(sku).ledger(0, 100)).filter((r) => r.op === "expire" || r.op === "release");
      expect(ends.map((r) => [r.reservationId, r.op])).toEqual([
        [read, "expire"],
        [released, "expire"],
      ]);
      await expectConsistent(sku);
    }
  });

  it("an order and its release on an idle coordinator leave the alarm at its next due work, not at a finished step's recovery", async () => {
    // A coordinator no other test here uses, so its only due work is this order's.
    const used = new Set<string>();
    for (const key of ["ce-due", "ce-read", "ce-release"]) used.add(shardOf(await reservationIdFor("checkout", key)));
    const key = await keyWhereShard("ce-idle", (shard) => !used.has(shard));
    const alarmAndDue = (stub: ReturnType<typeof coordinatorFor>) =>
      runInDurableObject(stub, async (_instance, state) => ({
        alarm: await state.storage.getAlarm(),
        due: nextDueAt(state.storage.sql, RECOVERY_DELAY_MS),
      }));

    // The order's steps arm the alarm for their recovery (RECOVERY_DELAY_MS on); once it is
    // done and nothing else is in flight, the alarm moves to the real next work (its expiry,
    // an hour on), so an object used once is not started again in 15 s to find nothing due.
    const id = await reserveBoth(key, ["CE-5", "CE-6"]);
    const stub = coordinatorFor(env, id);
    const reserved = await alarmAndDue(stub);
    const row = (await storedState(stub)).rows.find((r) => r.id === id)!;
    expect(row).toMatchObject({ status: "active", pending_op: null });
    expect(reserved.due).toBe(row.expires_at);
    expect(reserved.due!).toBeGreaterThan(Date.now() + RECOVERY_DELAY_MS);
    expect(reserved.alarm).toBe(reserved.due);

    // Released: the release's steps armed the alarm for their recovery again; once done, it
    // moves on to what is due now (the pruning of the finished order and of its key's claim,
    // days away), neither 15 s on nor at the expiry that no longer applies.
    const released = await api("POST", "/api/v2/inventory/release", { key: keys.checkout, body: { reservationId: id } });
    expect([released.status, released.body.status]).toEqual([200, "released"]);
    const after = await alarmAndDue(stub);
    expect(after.due!).toBeGreaterThan(row.expires_at!);
    expect(after.alarm).toBe(after.due);
  });
});
