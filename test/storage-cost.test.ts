/**
 * What one operation costs in storage rows: the SQLite rows the SKU object and the
 * coordinator read and write (`SqlStorageCursor.rowsRead/rowsWritten`, what Durable Objects
 * bill), and the D1 statements and rows written the EVENTS consumer spends per event (the
 * projection database's load). SCALE.md multiplies these by the spec's traffic; a change to
 * the write path that adds rows fails here, so the arithmetic there stays true.
 *
 * Counting only: the storage's `exec` is wrapped in the running object (through
 * `runInDurableObject`), and D1 is wrapped for the consumer through its `env`. Nothing is
 * timed. Each SKU object's clock is set a day ahead first, so its outbox alarm runs only
 * when this test runs it, and the flush is counted on its own.
 */
import { runDurableObjectAlarm, runInDurableObject } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it } from "vitest";
import { reservationIdFor } from "../domain/reservation-ids";
import { coordinatorFor } from "../repositories/objects";
import { readDbs, vendorReadPartition } from "../repositories/read-partitions";
import { EVENTS_QUEUE, reservationEvent, runAcked, updatedEvent } from "./support/event-fixtures";
import { api, createSku, seedBasics, setOnHand, skuObject, type Keys } from "./support/fixtures";
import { readDbOfSku } from "./support/read-model";
import { resetClock, setClockOffset, waitUntil } from "./support/test-clock";

const DAY = 24 * 60 * 60 * 1000;

interface Rows {
  read: number;
  written: number;
  statements: number;
}

/** Per-object counters, keyed by the object's id, filled by the wrapped `exec`. */
const meters = new Map<string, Rows>();

type AnyStub = ReturnType<typeof skuObject> | ReturnType<typeof coordinatorFor>;

/** Wraps the object's SQL `exec` so every statement's rows are added to its meter (once per object). */
async function meter(stub: AnyStub): Promise<Rows> {
  const id = stub.id.toString();
  const existing = meters.get(id);
  if (existing) return existing;
  const rows: Rows = { read: 0, written: 0, statements: 0 };
  meters.set(id, rows);
  await runInDurableObject(stub, (_instance, state) => {
    const sql = state.storage.sql;
    const exec = sql.exec.bind(sql);
    // Rows are counted when the statement has run to completion: at the end of the op we read
    // every cursor of it (`settle`), so a cursor read lazily is still counted in full.
    const open: SqlStorageCursor<Record<string, SqlStorageValue>>[] = [];
    (sql as { exec: typeof sql.exec }).exec = ((query: string, ...bindings: unknown[]) => {
      const cursor = exec(query, ...bindings);
      open.push(cursor);
      rows.statements += 1;
      return cursor;
    }) as typeof sql.exec;
    (rows as Rows & { settle?: () => void }).settle = () => {
      for (const cursor of open.splice(0)) {
        rows.read += cursor.rowsRead;
        rows.written += cursor.rowsWritten;
      }
    };
  });
  return rows;
}

/** Runs `op`, then answers the rows each metered object spent on it. */
async function cost(objects: AnyStub[], op: () => Promise<void>): Promise<Rows[]> {
  const ms = await Promise.all(objects.map(meter));
  const before = ms.map((m) => {
    (m as Rows & { settle: () => void }).settle();
    return { ...m };
  });
  await op();
  return ms.map((m, i) => {
    (m as Rows & { settle: () => void }).settle();
    return { read: m.read - before[i]!.read, written: m.written - before[i]!.written, statements: m.statements - before[i]!.statements };
  });
}

let keys: Keys;
let n = 0;

beforeAll(async () => {
  keys = await seedBasics();
});
afterEach(resetClock);

async function freshSku(prefix: string) {
  const sku = `${prefix}-${++n}`;
  await createSku(sku);
  // A day ahead before the object's first change: its outbox alarm then lies a day away.
  await setClockOffset(DAY);
  await setOnHand(keys, sku, "L1", 100);
  return { sku, stub: skuObject(sku) };
}

async function reserve(sku: string, type: "soft" | "hard", key: string) {
  const res = await api("POST", "/api/v2/inventory/reserve", {
    key: keys.checkout,
    idempotencyKey: key,
    body: { type, reference: key, items: [{ sku, quantity: 1, locationId: "L1" }] },
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

async function transition(op: "release" | "commit" | "fulfil", reservationId: string) {
  const res = await api("POST", `/api/v2/inventory/${op}`, { key: keys.checkout, body: { reservationId } });
  expect(res.status).toBe(200);
}

describe("storage rows per operation (Durable Objects)", () => {
  it("the meter counts: a positive control writes a known number of rows", async () => {
    const { stub } = await freshSku("COST-CTRL");
    const [rows] = await cost([stub], () =>
      runInDurableObject(stub, (_i, state) => {
        state.storage.sql.exec("CREATE TABLE IF NOT EXISTS cost_probe (k INTEGER PRIMARY KEY, v TEXT)");
        state.storage.sql.exec("INSERT INTO cost_probe (k, v) VALUES (1, 'a'), (2, 'b'), (3, 'c')");
      }),
    );
    expect(rows!.statements).toBe(2);
    expect(rows!.written).toBeGreaterThanOrEqual(3);
  });

  it("a stock adjustment, each reservation step and the outbox flush, per object", async () => {
    const { sku, stub } = await freshSku("COST");
    // One flush first, so the flush below carries only the op's own events.
    await runDurableObjectAlarm(stub);

    const results: Record<string, Rows | undefined> = {};
    const [adjust] = await cost([stub], async () => {
      const res = await api("PATCH", `/api/v2/inventory/${sku}`, { key: keys.operator, body: { locationId: "L1", delta: 5, reason: "restock" } });
      expect(res.status).toBe(200);
    });
    results.adjust = adjust;
    [results.adjustFlush] = await cost([stub], async () => {
      expect(await runDurableObjectAlarm(stub)).toBe(true);
    });

    const softKey = `cost-soft-${n}`;
    const softCoordinator = coordinatorFor(env, await reservationIdFor("checkout", softKey));
    let softId = "";
    [results.softReserveSku, results.softReserveCoordinator] = await cost([stub, softCoordinator], async () => {
      softId = await reserve(sku, "soft", softKey);
    });
    [results.softReleaseSku, results.softReleaseCoordinator] = await cost([stub, softCoordinator], () => transition("release", softId));

    const hardKey = `cost-hard-${n}`;
    const hardCoordinator = coordinatorFor(env, await reservationIdFor("checkout", hardKey));
    let hardId = "";
    [results.hardReserveSku, results.hardReserveCoordinator] = await cost([stub, hardCoordinator], async () => {
      hardId = await reserve(sku, "hard", hardKey);
    });
    [results.commitSku, results.commitCoordinator] = await cost([stub, hardCoordinator], () => transition("commit", hardId));
    [results.fulfilSku, results.fulfilCoordinator] = await cost([stub, hardCoordinator], () => transition("fulfil", hardId));
    [results.flushAfterReservations] = await cost([stub], async () => {
      expect(await runDurableObjectAlarm(stub)).toBe(true);
    });

    // The confirmation (its first check 5 s after the send): once the EVENTS consumer applied
    // every sent event, one alarm deletes their outbox rows and records the highest applied
    // sequence (the sends above went to the real local queue).
    const awaiting = (await stub.health()).eventsAwaitingConfirmation;
    expect(awaiting).toBeGreaterThan(0);
    await waitUntil(async () => {
      const row = await (await readDbOfSku(sku))
        .prepare("SELECT COUNT(*) AS n FROM processed_events WHERE event_id LIKE ?")
        .bind(`evt:${sku}:%`)
        .first<{ n: number }>();
      return (row?.n ?? 0) >= awaiting;
    }, "the consumer to apply the sent events");
    await setClockOffset(DAY + 61_000);
    [results.confirm] = await cost([stub], async () => {
      expect(await runDurableObjectAlarm(stub)).toBe(true);
    });
    expect((await stub.health()).eventsAwaitingConfirmation).toBe(0);
    results.confirm = { ...results.confirm!, events: awaiting } as Rows;

    // Every op wrote something to its SKU object (the count change, its ledger row, its outbox row).
    for (const name of ["adjust", "hardReserveSku", "commitSku", "fulfilSku"]) expect(results[name]!.written, name).toBeGreaterThan(0);
    expect(results.hardReserveCoordinator!.written).toBeGreaterThan(0); // the key's claim
    // The figures SCALE.md uses (rows written, rows read, statements), exactly as measured.
    const table = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, [v?.written, v?.read, v?.statements]]));
    // [rows written, rows read, statements]. When the write path changes, update these and
    // the per-operation figures in SCALE.md together.
    expect(table).toEqual({
      adjust: [8, 10, 9],
      adjustFlush: [2, 14, 4],
      // One SKU: the fast path (sku-inventory/direct.ts). The SKU object takes the reservation with
      // its owner and first answer (one row more than a coordinated part: the answer); the key's
      // coordinator shard only claims the key (2 rows: the claim, clustered on its key since v6,
      // and its created_at entry), in one statement, and arms the alarm for its pruning with
      // nothing read.
      softReserveSku: [17, 19, 10],
      softReserveCoordinator: [2, 2, 1],
      // Every later step goes to the SKU object alone: the coordinator is not called at all.
      softReleaseSku: [11, 24, 17],
      softReleaseCoordinator: [0, 0, 0],
      hardReserveSku: [15, 14, 9],
      hardReserveCoordinator: [2, 2, 1],
      commitSku: [9, 32, 14],
      commitCoordinator: [0, 0, 0],
      fulfilSku: [10, 28, 17],
      fulfilCoordinator: [0, 0, 0],
      flushAfterReservations: [18, 63, 4],
      confirm: [14, 99, 8],
    });
  });
});

describe("storage rows of a coordinated order (Durable Objects)", () => {
  it("a two-SKU order, and one refused by a SKU and undone on the other: its coordinator and each SKU object", async () => {
    const a = await freshSku("COST-ORD-A");
    const b = await freshSku("COST-ORD-B");
    for (const stub of [a.stub, b.stub]) await runDurableObjectAlarm(stub);
    const order = async (key: string, quantityOfB: number, status: number) => {
      const res = await api("POST", "/api/v2/inventory/reserve", {
        key: keys.checkout,
        idempotencyKey: key,
        body: {
          type: "hard",
          reference: key,
          items: [
            { sku: a.sku, quantity: 1, locationId: "L1" },
            { sku: b.sku, quantity: quantityOfB, locationId: "L1" },
          ],
        },
      });
      expect(res.status).toBe(status);
    };
    const measure = async (key: string, quantityOfB: number, status: number) => {
      // A coordinator of its own (a fresh shard object): its constructor's schema check is not counted.
      const coordinator = coordinatorFor(env, await reservationIdFor("checkout", key));
      const [c, ra, rb] = await cost([coordinator, a.stub, b.stub], () => order(key, quantityOfB, status));
      return { coordinator: [c!.written, c!.read, c!.statements], a: [ra!.written, ra!.read, ra!.statements], b: [rb!.written, rb!.read, rb!.statements] };
    };
    const held = await measure(`cost-order-${n}`, 1, 201);
    // B has 99 left: it refuses 500 and rolls back; A's line, taken meanwhile, is released (compensation).
    const refused = await measure(`cost-refused-${n}`, 500, 409);
    expect((await a.stub.snapshot()).totals).toMatchObject({ reserved: 1 });
    expect((await b.stub.snapshot()).totals).toMatchObject({ reserved: 1 });
    // [rows written, rows read, statements]. The coordinator: its row written (RETURNING, not
    // read back), the alarm armed for the step's recovery with nothing read, the answer
    // stored, and the one read of its next due work once the order is done.
    // (Before session 12: 7 and 10 statements, reading 17 and 26 rows.) A SKU: its part as a
    // one-SKU order's, without the owner and first answer; a refusal reads and rolls back; a
    // compensation is a release. (Before session 13 each transaction that wrote events also
    // wrote the last event sequence, and a new reservation an index entry more (v12 dropped
    // the index): a 18 19 10 held, 28 35 23 refused.)
    expect({ held, refused }).toEqual({
      held: { coordinator: [7, 12, 5], a: [16, 18, 9], b: [16, 18, 9] },
      refused: { coordinator: [10, 15, 6], a: [25, 33, 21], b: [0, 8, 4] },
    });
  });
});

describe("storage rows of a synced value (Durable Objects)", () => {
  it("a vendor sync's change, its events handed to the SYNC consumer (no send of the object's own)", async () => {
    const { sku, stub } = await freshSku("COST-SYNC");
    await runDurableObjectAlarm(stub);
    const input = (jobId: string, quantity: number, locations = ["L1"]) => ({
      sku,
      jobId,
      chunkIndex: 0,
      mode: "absolute" as const,
      items: locations.map((locationId, itemIndex) => ({ itemIndex, locationId, quantity })),
      actor: "vendor:V1:key_test",
      policy: { allowBackorder: false, softBufferPct: 10, reorderPoint: 0 },
      idempotencyKey: `sync:${jobId}:0:${sku}`,
      requestHash: `cost-${quantity}-${locations.length}`,
      handOffEvents: true,
    });
    const ten = Array.from({ length: 10 }, (_, i) => `LX${i}`);
    // The first feed value of a location records its sync state; measure later ones.
    expect(await stub.applySync(input("cost-sync-1", 104))).toMatchObject({ ok: true, outcomes: [{ outcome: "applied" }] });
    expect(await stub.applySync(input("cost-sync-2", 5, ten))).toMatchObject({ ok: true });
    const [apply] = await cost([stub], async () => {
      expect(await stub.applySync(input("cost-sync-3", 107))).toMatchObject({
        ok: true,
        outcomes: [{ outcome: "applied" }],
        events: [{ type: "inventory.updated" }],
      });
    });
    // A chunk's usual shape for a SKU: all its locations in one call.
    const [applyTen] = await cost([stub], async () => {
      expect(await stub.applySync(input("cost-sync-4", 6, ten))).toMatchObject({ ok: true, outcomes: ten.map(() => ({ outcome: "applied" })) });
    });
    // Its alarm (due a day on, with the pruning) has nothing to send.
    const [alarm] = await cost([stub], async () => {
      expect(await runDurableObjectAlarm(stub)).toBe(true);
    });
    expect(await stub.outboxSize()).toBe(0);
    // [rows written, rows read, statements]; SCALE.md uses these. A PATCH writes 8 and its
    // flush 2 more (marking its event sent); a synced value's event is written as sent.
    const figures = (r: Rows | undefined) => [r!.written, r!.read, r!.statements];
    expect({ apply: figures(apply), applyTen: figures(applyTen), alarm: figures(alarm) }).toEqual({
      apply: [9, 16, 12],
      applyTen: [63, 106, 66],
      alarm: [0, 30, 3],
    });
  });
});

describe("storage kept per SKU (Durable Objects)", () => {
  it("what 200 stock changes leave behind once their events are confirmed: the ledger", async () => {
    const { sku, stub } = await freshSku("COST-SIZE");
    const size = () => runInDurableObject(stub, (_i, state) => state.storage.sql.databaseSize);
    const ledgerRows = () => runInDurableObject(stub, (_i, state) => state.storage.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM ledger").one().n);
    const before = { bytes: await size(), rows: await ledgerRows() };
    for (let i = 0; i < 200; i++) {
      const res = await api("PATCH", `/api/v2/inventory/${sku}`, { key: keys.operator, body: { locationId: "L1", delta: 1, reason: "restock" } });
      expect(res.status).toBe(200);
    }
    // Send and confirm every event, so only what is kept for good remains.
    for (let i = 0; i < 10 && (await stub.outboxSize()) > 0; i++) await runDurableObjectAlarm(stub);
    const awaiting = (await stub.health()).eventsAwaitingConfirmation;
    await waitUntil(async () => {
      const row = await (await readDbOfSku(sku))
        .prepare("SELECT COUNT(*) AS n FROM processed_events WHERE event_id LIKE ?")
        .bind(`evt:${sku}:%`)
        .first<{ n: number }>();
      return (row?.n ?? 0) >= awaiting;
    }, "the consumer to apply the sent events");
    await setClockOffset(DAY + 61_000);
    for (let i = 0; i < 10 && (await stub.health()).eventsAwaitingConfirmation > 0; i++) await runDurableObjectAlarm(stub);
    const after = { bytes: await size(), rows: await ledgerRows() };
    expect(after.rows - before.rows).toBe(200);
    // Measured: 778 bytes per change (SQLite pages, so a few percent either way); SCALE.md uses 0.8 KB.
    const bytesPerChange = (after.bytes - before.bytes) / 200;
    expect(bytesPerChange).toBeGreaterThan(500);
    expect(bytesPerChange).toBeLessThan(1_000);
  });
});

/** A D1 stand-in that forwards to the real database and counts statements and rows written. */
function countingD1(db: D1Database): { db: D1Database; rows: Rows } {
  const rows: Rows = { read: 0, written: 0, statements: 0 };
  const add = (meta: D1Meta | undefined) => {
    rows.read += meta?.rows_read ?? 0;
    rows.written += meta?.rows_written ?? 0;
  };
  const unwrap = new WeakMap<object, D1PreparedStatement>();
  const wrapStatement = (statement: D1PreparedStatement): D1PreparedStatement => {
    const proxy = new Proxy(statement, {
      get(target, prop) {
        if (prop === "bind") return (...values: unknown[]) => wrapStatement(target.bind(...values));
        if (prop === "run" || prop === "all" || prop === "first" || prop === "raw") {
          return async (...args: unknown[]) => {
            rows.statements += 1;
            if (prop === "run" || prop === "all") {
              const result = await (target[prop] as (...a: unknown[]) => Promise<D1Result>)(...args);
              add(result.meta);
              return result;
            }
            return (target[prop] as (...a: unknown[]) => Promise<unknown>)(...args);
          };
        }
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
    unwrap.set(proxy, statement);
    return proxy;
  };
  const wrapped = new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare") return (query: string) => wrapStatement(target.prepare(query));
      if (prop === "batch")
        return async (statements: D1PreparedStatement[]) => {
          rows.statements += statements.length;
          // The real batch needs the real statements (bound values travel with them).
          const results = await target.batch(statements.map((s) => unwrap.get(s) ?? s));
          for (const result of results) add(result.meta);
          return results;
        };
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { db: wrapped, rows };
}

/** Counting stand-ins for `DB` and every read database (`READ_<i>`), and the env overrides that install them. */
function countingDatabases(): { overrides: Partial<Env>; db: Rows; read: Rows[] } {
  const db = countingD1(env.DB);
  const read = readDbs(env).map((r) => countingD1(r));
  return {
    overrides: { DB: db.db, ...Object.fromEntries(read.map((r, i) => [`READ_${i}`, r.db])) },
    db: db.rows,
    read: read.map((r) => r.rows),
  };
}

/**
 * The consumer's figures: statements in `DB`, and rows written and statements in the vendor's
 * read database (`home`); every other read database must be untouched but for the random
 * prune of `processed_events` (one statement, nothing written: no dedupe row is that old
 * here). `DB` rows are not counted: its statements all return rows, which drizzle reads with
 * `raw()`, whose answer carries no counts (and none writes here: no webhook subscriptions).
 */
function figures(counted: { db: Rows; read: Rows[] }, home: number): { dbStatements: number; written: number; statements: number } {
  for (const [i, rows] of counted.read.entries()) {
    if (i === home) continue;
    expect(rows.written, `READ_${i}`).toBe(0);
    expect(rows.statements, `READ_${i}`).toBeLessThanOrEqual(1);
  }
  return { dbStatements: counted.db.statements, written: counted.read[home]!.written, statements: counted.read[home]!.statements };
}

describe("D1 statements per event (EVENTS consumer)", () => {
  it("a batch of 100 stock updates, and of 100 reservation events, on 100 SKUs", async () => {
    const skus = Array.from({ length: 100 }, (_, i) => `COST-EV-${i}`);
    for (const sku of skus) await createSku(sku);
    // All of V1's SKUs are projected in its read database.
    const home = await vendorReadPartition(env, "V1");

    const updates = countingDatabases();
    await runAcked(
      EVENTS_QUEUE,
      skus.map((sku) => updatedEvent(sku, 1, "L1", { onHand: 10, available: 10 })),
      updates.overrides,
    );
    const reservations = countingDatabases();
    await runAcked(
      EVENTS_QUEUE,
      skus.map((sku) => reservationEvent("reservation.created", sku, 2, [{ locationId: "L1", quantity: 1 }])),
      reservations.overrides,
    );
    // Positive control: the consumer did write through the counted read database.
    expect(updates.read[home]!.written).toBeGreaterThan(0);
    const level = await (await readDbOfSku(skus[0]!))
      .prepare("SELECT on_hand FROM inventory_levels WHERE sku = ? AND location_id = 'L1'")
      .bind(skus[0])
      .first<{ on_hand: number }>();
    expect(level?.on_hand).toBe(10);
    // Per 100 events; update SCALE.md with these. Statements are per batch, not per event.
    // DB, 2: the SKUs' owners and placement (one read of the directory) and the webhook
    // deliveries (one insert). The still unsent deliveries are read only for events this call
    // did not apply (a redelivery): none here.
    // The read database: one read of the SKUs' facts (their master rows live there, issue 19
    // item 3, so `read_sku_facts` is a view and nothing copies them), then one batch: for updates
    // the levels (5 each: row and 4 index entries), two alert resolves, the alert cursors (2
    // each) and the dedupe rows (3 each), one multi-row statement each: 6 statements, 500 + 200
    // + 300 rows (reservation events: the facts read and the dedupe rows, 2 statements, 300 rows).
    // One batch in PRUNE_EVERY also prunes processed_events in every read database (random, so
    // at most one more statement there and no more rows written here).
    const u = figures(updates, home);
    const r = figures(reservations, home);
    expect({ updates: [u.dbStatements, u.written], reservations: [r.dbStatements, r.written] }).toEqual({ updates: [2, 1000], reservations: [2, 300] });
    expect(u.statements - 6).toBeGreaterThanOrEqual(0);
    expect(u.statements - 6).toBeLessThanOrEqual(1);
    expect(r.statements - 2).toBeGreaterThanOrEqual(0);
    expect(r.statements - 2).toBeLessThanOrEqual(1);
  });

  it("100 updates of one SKU at one location in one batch write its level row once", async () => {
    const sku = "COST-EV-HOT";
    await createSku(sku);
    const home = await vendorReadPartition(env, "V1");
    const hot = countingDatabases();
    await runAcked(
      EVENTS_QUEUE,
      Array.from({ length: 100 }, (_, i) => updatedEvent(sku, i + 1, "L1", { onHand: 10 + i, available: 10 + i })),
      hot.overrides,
    );
    const level = await (await readDbOfSku(sku))
      .prepare("SELECT on_hand, last_sequence FROM inventory_levels WHERE sku = ? AND location_id = 'L1'")
      .bind(sku)
      .first<{ on_hand: number; last_sequence: number }>();
    expect(level).toEqual({ on_hand: 109, last_sequence: 100 });
    // In the read database: the newest event's level (row + 4 index entries) and the SKU's
    // alert cursor (row + key) once; each event's dedupe row (row, key, age index): 5 + 2 + 100 × 3.
    expect(figures(hot, home).written).toBe(307);
  });
});
