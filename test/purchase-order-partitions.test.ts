/**
 * Purchase orders in the partitioned read model (issue 19 item 2): an order's rows live only
 * in its vendor's read database (V1 in READ_1, V2 in READ_2), never in `DB`; the operators'
 * list merges every database by id under one cursor (every order once, in order); a lookup
 * by id finds an order wherever it is. The change (the vendor's read database) and its webhook
 * deliveries (the order's delivery store: the read database its id hashes to) are two writes: a crash between them, or a lost race, converges on a retry, on the
 * sweeper, or on a cancel — each event's deliveries sent exactly once, none for a change that
 * did not happen (services/purchase-orders.ts, module comment).
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { findPurchaseOrder } from "../repositories/purchase-orders";
import { cancelPurchaseOrder, sweepPurchaseOrders, submitPurchaseOrder } from "../services/purchase-orders";
import { deliveryStoreFor } from "../services/webhook-fanout";
import { capturingQueue, webhookProducers, withEnv } from "./support/event-fixtures";
import { api, createSku, seedBasics, type Keys } from "./support/fixtures";
import { allReadDbs, queryAllDeliveryStores, readDbOfVendor } from "./support/read-model";

let keys: Keys;
const made: Record<"V1" | "V2", string[]> = { V1: [], V2: [] };

const create = async (vendorId: "V1" | "V2", key: string) => {
  const res = await api("POST", "/api/v2/purchase-orders", {
    key: keys.operator,
    idempotencyKey: key,
    body: { vendorId, locationId: "L2", lines: [{ sku: vendorId === "V1" ? "PP-1" : "PP-2", quantity: 3 }] },
  });
  expect(res.status).toBe(201);
  made[vendorId].push(res.body.id);
  return res.body.id as string;
};

/** A D1 database whose batches number `failing` (1-based, counted from now) throw, as a crash at that point would leave it. */
function crashingBatches(db: D1Database, failing: readonly number[]): D1Database & { batches: number } {
  const wrapper = {
    batches: 0,
    prepare: (query: string) => db.prepare(query),
    exec: (query: string) => db.exec(query),
    dump: () => db.dump(),
    withSession: (constraint?: string) => db.withSession(constraint),
    async batch<T>(statements: D1PreparedStatement[]): Promise<D1Result<T>[]> {
      wrapper.batches += 1;
      if (failing.includes(wrapper.batches)) throw new Error(`crash at batch ${wrapper.batches} (test)`);
      return db.batch<T>(statements);
    },
  };
  return wrapper as unknown as D1Database & { batches: number };
}

/**
 * The order's delivery store (`READ_<p>`, the read database its id hashes to) with its delivery
 * inserts numbered `failing` (1-based, counted from now) throwing, as a crash at that point
 * would leave it; everything else passes through.
 */
function crashingDeliveryInserts(poId: string, failing: readonly number[]): Partial<Env> {
  const { partition, db } = deliveryStoreFor(env, poId);
  let inserts = 0;
  const wrapped = new Proxy(db, {
    get(target, prop) {
      if (prop === "prepare")
        return (query: string) => {
          if (/^insert into "webhook_deliveries"/i.test(query.trim()) && failing.includes(++inserts))
            throw new Error(`crash at delivery insert ${inserts} (test)`);
          return target.prepare(query);
        };
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { [`READ_${partition}`]: wrapped } as Partial<Env>;
}

/** Delivery rows of one event: how many, and how many never sent. */
async function deliveries(eventId: string): Promise<{ rows: number; unsent: number }> {
  const parts = await queryAllDeliveryStores<{ rows: number; unsent: number | null }>(
    "SELECT count(*) AS rows, sum(enqueued_at IS NULL) AS unsent FROM webhook_deliveries WHERE event_id = ?",
    eventId,
  );
  return { rows: parts.reduce((a, r) => a + r.rows, 0), unsent: parts.reduce((a, r) => a + (r.unsent ?? 0), 0) };
}

/** The WEBHOOKS messages a capturing queue got for one event, as "subscription" strings (each must appear once). */
const sentFor = (sent: unknown[], eventId: string) =>
  (sent as { eventId: string; subscriptionId: string }[])
    .filter((m) => m.eventId === eventId)
    .map((m) => m.subscriptionId)
    .sort();

const v2Order = async (id: string) => (await findPurchaseOrder(await readDbOfVendor("V2"), id))!;

beforeAll(async () => {
  keys = await seedBasics();
  await createSku("PP-1");
  await createSku("PP-2", { vendorId: "V2" });
  for (const [key, path] of [
    [keys.operator, "ops"],
    [keys.otherVendor, "v2"],
  ] as const) {
    const res = await api("POST", "/api/v2/webhooks", {
      key,
      body: { url: `http://127.0.0.1:9/${path}`, eventTypes: ["purchase_order.submitted", "purchase_order.cancelled"] },
    });
    expect(res.status).toBe(201);
  }
});

describe("where orders live", () => {
  it("each vendor's orders and lines are in its read database only, none in DB", async () => {
    for (let i = 0; i < 3; i++) {
      await create("V1", `pp-v1-${i}`);
      await create("V2", `pp-v2-${i}`);
    }
    const dbs = allReadDbs();
    expect(dbs.length).toBeGreaterThanOrEqual(3);
    const where = await Promise.all(
      dbs.map(async (db) => ({
        orders: (await db.prepare("SELECT vendor_id FROM purchase_orders ORDER BY id").all<{ vendor_id: string }>()).results.map((r) => r.vendor_id),
        lines: (await db.prepare("SELECT count(*) AS n FROM purchase_order_lines").first<{ n: number }>())!.n,
      })),
    );
    expect(where[1]).toEqual({ orders: ["V1", "V1", "V1"], lines: 3 });
    expect(where[2]).toEqual({ orders: ["V2", "V2", "V2"], lines: 3 });
    for (const [i, w] of where.entries()) if (i !== 1 && i !== 2) expect(w).toEqual({ orders: [], lines: 0 });
    expect((await env.DB.prepare("SELECT count(*) AS n FROM purchase_orders").first<{ n: number }>())!.n).toBe(0);
    expect((await env.DB.prepare("SELECT count(*) AS n FROM purchase_order_lines").first<{ n: number }>())!.n).toBe(0);
    // Found by id wherever they are (an operator names no vendor); a vendor sees its own only.
    const v2 = made.V2[0]!;
    expect((await api("GET", `/api/v2/purchase-orders/${v2}`, { key: keys.operator })).body).toMatchObject({ id: v2, vendorId: "V2" });
    expect((await api("GET", `/api/v2/purchase-orders/${v2}`, { key: keys.otherVendor })).status).toBe(200);
    expect((await api("GET", `/api/v2/purchase-orders/${v2}`, { key: keys.vendor })).status).toBe(404);
  });

  it("the operators' list merges both databases by id, page by page under one cursor: every order once, in order", async () => {
    const all = [...made.V1, ...made.V2].sort();
    for (const limit of [1, 2, 4, 100]) {
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 20; page++) {
        const res: { status: number; body: { items: { id: string }[]; nextCursor: string | null } } = await api(
          "GET",
          `/api/v2/purchase-orders?limit=${limit}${cursor === null ? "" : `&cursor=${cursor}`}`,
          { key: keys.operator },
        );
        expect(res.status).toBe(200);
        expect(res.body.items.length).toBeLessThanOrEqual(limit);
        seen.push(...res.body.items.map((i) => i.id));
        cursor = res.body.nextCursor;
        if (cursor === null) break;
      }
      expect([limit, seen]).toEqual([limit, all]);
    }
    // A vendor's list (its key, or an operator naming it) reads its database only.
    const v2 = await api("GET", "/api/v2/purchase-orders?limit=100", { key: keys.otherVendor });
    expect(v2.body.items.map((i: { id: string }) => i.id)).toEqual([...made.V2].sort());
    const v1 = await api("GET", "/api/v2/purchase-orders?vendorId=V1&limit=100", { key: keys.operator });
    expect(v1.body.items.map((i: { id: string }) => i.id)).toEqual([...made.V1].sort());
  });
});

describe("a crash between the order's change (read database) and its deliveries (DB)", () => {
  it("after the change committed, before its deliveries were sent: a retry sends each once, the sweeper adds nothing", async () => {
    const id = await create("V2", "pp-crash-after");
    const cap = capturingQueue();
    // Delivery insert 1 is step 1; insert 2 (step 3's, after the change) is where the Worker dies.
    const crashing = withEnv({ ...webhookProducers(cap.queue), ...crashingDeliveryInserts(id, [2]) });
    const submitted = await submitPurchaseOrder(crashing, await v2Order(id));
    expect(submitted.status).toBe("submitted");
    const eventId = `evt:po:${id}:submitted`;
    expect(await deliveries(eventId)).toEqual({ rows: 2, unsent: 2 });
    expect(sentFor(cap.sent, eventId)).toEqual([]);
    // The retry finds the order submitted and sends what was left.
    const calm = withEnv(webhookProducers(cap.queue));
    expect((await submitPurchaseOrder(calm, await v2Order(id))).status).toBe("submitted");
    expect(await deliveries(eventId)).toEqual({ rows: 2, unsent: 0 });
    expect(sentFor(cap.sent, eventId)).toHaveLength(2);
    expect(new Set(sentFor(cap.sent, eventId)).size).toBe(2);
    await sweepPurchaseOrders(calm, Date.now() + 61_000);
    await submitPurchaseOrder(calm, await v2Order(id));
    expect(sentFor(cap.sent, eventId)).toHaveLength(2);
  });

  it("the same crash with no retry: the sweeper sends them after the grace period, once", async () => {
    const id = await create("V2", "pp-crash-swept");
    const cap = capturingQueue();
    await submitPurchaseOrder(withEnv({ ...webhookProducers(cap.queue), ...crashingDeliveryInserts(id, [2]) }), await v2Order(id));
    const eventId = `evt:po:${id}:submitted`;
    expect(await deliveries(eventId)).toEqual({ rows: 2, unsent: 2 });
    const calm = withEnv(webhookProducers(cap.queue));
    await sweepPurchaseOrders(calm, Date.now());
    expect(sentFor(cap.sent, eventId)).toEqual([]); // within the grace the request may still be sending
    await sweepPurchaseOrders(calm, Date.now() + 61_000);
    await sweepPurchaseOrders(calm, Date.now() + 122_000);
    expect(sentFor(cap.sent, eventId)).toHaveLength(2);
    expect(await deliveries(eventId)).toEqual({ rows: 2, unsent: 0 });
  });

  it("before the change committed: the retry commits it and sends each delivery once", async () => {
    const id = await create("V2", "pp-crash-before");
    const cap = capturingQueue();
    // The deliveries are inserted first; the read database's batch (the change) is where the Worker dies.
    const crashing = withEnv({ ...webhookProducers(cap.queue), READ_2: crashingBatches(env.READ_2, [1]) });
    await expect(submitPurchaseOrder(crashing, await v2Order(id))).rejects.toThrow(/crash at batch 1/);
    const eventId = `evt:po:${id}:submitted`;
    expect((await v2Order(id)).status).toBe("draft");
    expect(await deliveries(eventId)).toEqual({ rows: 2, unsent: 2 });
    const calm = withEnv(webhookProducers(cap.queue));
    expect((await submitPurchaseOrder(calm, await v2Order(id))).status).toBe("submitted");
    expect(sentFor(cap.sent, eventId)).toHaveLength(2);
    expect(await deliveries(eventId)).toEqual({ rows: 2, unsent: 0 });
    await sweepPurchaseOrders(calm, Date.now() + 61_000);
    expect(sentFor(cap.sent, eventId)).toHaveLength(2);
  });

  it("before the change committed, no retry: the sweeper drops the deliveries (nothing sent); a later retry inserts and sends them", async () => {
    const id = await create("V2", "pp-crash-dropped");
    const cap = capturingQueue();
    await expect(submitPurchaseOrder(withEnv({ ...webhookProducers(cap.queue), READ_2: crashingBatches(env.READ_2, [1]) }), await v2Order(id))).rejects.toThrow(
      /crash/,
    );
    const eventId = `evt:po:${id}:submitted`;
    const calm = withEnv(webhookProducers(cap.queue));
    await sweepPurchaseOrders(calm, Date.now() + 61_000);
    expect(await deliveries(eventId)).toEqual({ rows: 0, unsent: 0 });
    expect(sentFor(cap.sent, eventId)).toEqual([]);
    expect((await v2Order(id)).status).toBe("draft");
    expect((await submitPurchaseOrder(calm, await v2Order(id))).status).toBe("submitted");
    expect(sentFor(cap.sent, eventId)).toHaveLength(2);
    expect(await deliveries(eventId)).toEqual({ rows: 2, unsent: 0 });
  });

  it("a cancel right after a crash settles the earlier event against the order before it: submitted sent once, then cancelled once", async () => {
    const id = await create("V2", "pp-crash-cancel");
    const cap = capturingQueue();
    await submitPurchaseOrder(withEnv({ ...webhookProducers(cap.queue), ...crashingDeliveryInserts(id, [2]) }), await v2Order(id));
    expect(await deliveries(`evt:po:${id}:submitted`)).toEqual({ rows: 2, unsent: 2 });
    const calm = withEnv(webhookProducers(cap.queue));
    expect((await cancelPurchaseOrder(calm, "test", await v2Order(id))).status).toBe("cancelled");
    expect(sentFor(cap.sent, `evt:po:${id}:submitted`)).toHaveLength(2);
    expect(sentFor(cap.sent, `evt:po:${id}:cancelled`)).toHaveLength(2);
    await sweepPurchaseOrders(calm, Date.now() + 61_000);
    expect(sentFor(cap.sent, `evt:po:${id}:submitted`)).toHaveLength(2);
    expect(await deliveries(`evt:po:${id}:submitted`)).toEqual({ rows: 2, unsent: 0 });
  });

  it("a step that loses its race drops the deliveries it inserted: no event for a change that did not happen", async () => {
    const id = await create("V2", "pp-race");
    const cap = capturingQueue();
    const calm = withEnv(webhookProducers(cap.queue));
    const stale = await v2Order(id); // read while a draft
    await cancelPurchaseOrder(calm, "test", stale);
    // The submit read the draft before the cancel committed: its batch changes nothing, 409.
    await expect(submitPurchaseOrder(calm, stale)).rejects.toMatchObject({ status: 409 });
    expect(await deliveries(`evt:po:${id}:submitted`)).toEqual({ rows: 0, unsent: 0 });
    expect(sentFor(cap.sent, `evt:po:${id}:submitted`)).toEqual([]);
  });
});

describe("while the vendor's rows are being moved", () => {
  it("writes answer 503 retry_later (they could land in the database being left), reads go on; after the move, writes work", async () => {
    const id = await create("V2", "pp-moving");
    const now = Date.now();
    await env.DB.prepare(
      "INSERT INTO read_moves (id, vendor_id, from_partition, to_partition, state, requested_by, state_at, created_at, updated_at) VALUES ('rmv_pp', 'V2', 2, 0, 'draining', 'test', ?1, ?1, ?1)",
    )
      .bind(now)
      .run();
    const submit = await api("POST", `/api/v2/purchase-orders/${id}/submit`, { key: keys.operator });
    expect([submit.status, submit.body.error?.code]).toEqual([503, "retry_later"]);
    const created = await api("POST", "/api/v2/purchase-orders", {
      key: keys.operator,
      idempotencyKey: "pp-moving-2",
      body: { vendorId: "V2", locationId: "L2", lines: [{ sku: "PP-2", quantity: 1 }] },
    });
    expect(created.status).toBe(503);
    expect((await api("GET", `/api/v2/purchase-orders/${id}`, { key: keys.operator })).body.status).toBe("draft");
    expect((await api("GET", "/api/v2/purchase-orders?vendorId=V2&limit=100", { key: keys.operator })).status).toBe(200);
    // Positive control: another vendor's writes are not held up, and V2's go on once the move is over.
    const v1 = await create("V1", "pp-moving-v1");
    expect((await api("POST", `/api/v2/purchase-orders/${v1}/submit`, { key: keys.operator })).status).toBe(200);
    await env.DB.prepare("UPDATE read_moves SET state = 'done' WHERE id = 'rmv_pp'").run();
    expect((await api("POST", `/api/v2/purchase-orders/${id}/submit`, { key: keys.operator })).body.status).toBe("submitted");
  });
});
