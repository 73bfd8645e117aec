/**
 * The load counters (services/load-counters.ts) through `GET /api/v2/diagnostics/load`
 * (operators only):
 *
 * - real EVENTS batches on all four partitions, each carrying flushes of SKUs of three vendors
 *   whose rows live in READ_0, READ_1 and READ_2, move the counters by exactly what was sent:
 *   per partition one batch and its messages; per read database one D1 batch per consumer
 *   batch, its events, those applied the first time (a redelivered batch: 0), and as many
 *   statements as the database's `batch()` really received (counted by a stand-in around each
 *   read database); nothing is written in `DB` (webhook deliveries are in the read databases
 *   now, and these events have no subscriber: no delivery insert anywhere, counted by the
 *   stand-ins too); READ_3 and every other queue stay at zero;
 * - a dead-letter queue's batch is counted under its own name (`other`);
 * - the answer says whose counts they are (this isolate's, since when) and is not cached;
 * - a vendor or checkout key gets 403, no key 401.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { partitionOf } from "../domain/event-partitions";
import { vendorReadPartition } from "../repositories/read-partitions";
import type { LoadSnapshot } from "../services/load-counters";
import { EVENTS_PARTITION_DLQS, EVENTS_PARTITION_QUEUES, flushBody, runAcked, updatedEvent } from "./support/event-fixtures";
import { api, createSku, seedBasics, type Keys } from "./support/fixtures";
import { expectLogged } from "./support/log-capture";

const N = EVENTS_PARTITION_QUEUES.length;
/** V4's home is READ_0, V1's READ_1 (fixtures), V2 is pinned to READ_2 (fixtures). */
const VENDORS = ["V4", "V1", "V2"] as const;

let keys: Keys;

/** For each vendor, one SKU per EVENTS partition: `skus[v][p]` lands on partition p. */
const skus: string[][] = VENDORS.map((v) => {
  const found: string[] = [];
  for (let i = 0; found.filter(Boolean).length < N; i++) {
    const sku = `LC-${v}-${i}`;
    found[partitionOf(sku, N)] ??= sku;
  }
  return found;
});

beforeAll(async () => {
  keys = await seedBasics();
  expect((await api("POST", "/api/v2/vendors", { key: keys.operator, body: { id: "V4", name: "Vendor V4" } })).status).toBe(201);
  for (const [v, vendor] of VENDORS.entries()) for (const sku of skus[v]!) await createSku(sku, { vendorId: vendor });
});

async function snapshot(): Promise<LoadSnapshot> {
  const res = await api<LoadSnapshot>("GET", "/api/v2/diagnostics/load", { key: keys.operator });
  expect(res.status).toBe(200);
  expect(res.headers.get("cache-control")).toBe("private, no-store");
  return res.body;
}

/** Every counter of a snapshot, flat: `events[2].messages`, `READ_1.statements`, … */
function flat(s: LoadSnapshot): Map<string, number> {
  const out = new Map<string, number>();
  for (const [kind, list] of Object.entries(s.queues)) {
    for (const q of list as { queue: string; batches: number; messages: number }[]) {
      out.set(`${kind}:${q.queue}.batches`, q.batches);
      out.set(`${kind}:${q.queue}.messages`, q.messages);
    }
  }
  for (const d of s.databases) for (const k of ["batches", "statements", "events", "applied"] as const) out.set(`${d.binding}.${k}`, d[k]);
  return out;
}

/** What changed between two snapshots (only the non-zero differences). */
function delta(before: LoadSnapshot, after: LoadSnapshot): Record<string, number> {
  const b = flat(before);
  const out: Record<string, number> = {};
  for (const [k, v] of flat(after)) if (v !== (b.get(k) ?? 0)) out[k] = v - (b.get(k) ?? 0);
  return out;
}

/**
 * Stand-ins for `DB` and the read databases that forward everything and count what the
 * EVENTS projection writes: per read database its `batch()` calls and their statements, in
 * every database the webhook-delivery inserts run.
 */
function countingDatabases() {
  const read = [0, 1, 2, 3].map(() => ({ batches: 0, statements: 0 }));
  const db = { deliveryInserts: 0 };
  const isDeliveryInsert = (query: string) => /^insert into "webhook_deliveries"/i.test(query.trim());
  const overrides: Record<string, D1Database> = {};
  for (const [i, counts] of read.entries()) {
    const real = (env as unknown as Record<string, D1Database>)[`READ_${i}`]!;
    overrides[`READ_${i}`] = new Proxy(real, {
      get(target, prop) {
        if (prop === "batch")
          return (statements: D1PreparedStatement[]) => {
            counts.batches += 1;
            counts.statements += statements.length;
            return target.batch(statements);
          };
        if (prop === "prepare")
          return (query: string) => {
            if (isDeliveryInsert(query)) db.deliveryInserts += 1;
            return target.prepare(query);
          };
        const value = Reflect.get(target, prop, target);
        return typeof value === "function" ? value.bind(target) : value;
      },
    });
  }
  overrides.DB = new Proxy(env.DB, {
    get(target, prop) {
      if (prop === "prepare")
        return (query: string) => {
          if (isDeliveryInsert(query)) db.deliveryInserts += 1;
          return target.prepare(query);
        };
      const value = Reflect.get(target, prop, target);
      return typeof value === "function" ? value.bind(target) : value;
    },
  });
  return { overrides: overrides as Partial<Env>, read, db };
}

describe("GET /api/v2/diagnostics/load", () => {
  it("the test's vendors live in READ_0, READ_1 and READ_2, and its SKUs cover every EVENTS partition", async () => {
    expect(await Promise.all(VENDORS.map((v) => vendorReadPartition(env, v)))).toEqual([0, 1, 2]);
    for (const list of skus) expect(list.map((sku) => partitionOf(sku, N))).toEqual([0, 1, 2, 3]);
  });

  it("EVENTS batches on all four partitions move the counters by exactly the messages, events and statements sent", async () => {
    const counted = countingDatabases();
    const before = await snapshot();
    // Per partition: one batch of 3 flushes (one SKU of each vendor), 2 events each.
    const batchOf = (p: number) =>
      VENDORS.map((_v, v) => flushBody(skus[v]![p]!, [updatedEvent(skus[v]![p]!, 1, "L1", { onHand: 5 }), updatedEvent(skus[v]![p]!, 2, "L2", { onHand: 7 })]));
    for (let p = 0; p < N; p++) await runAcked(EVENTS_PARTITION_QUEUES[p]!, batchOf(p), counted.overrides);
    // Partition 0's batch redelivered: its events are carried and written again, none applied.
    await runAcked(EVENTS_PARTITION_QUEUES[0], batchOf(0), counted.overrides);
    const after = await snapshot();

    // Positive control: the projection really wrote there.
    const level = await env.READ_2.prepare("SELECT on_hand FROM inventory_levels WHERE sku = ? AND location_id = 'L2'")
      .bind(skus[2]![3])
      .first<{ on_hand: number }>();
    expect(level?.on_hand).toBe(7);
    // What the databases received, counted around them: 5 consumer batches, each one D1 batch
    // in each of the three vendors' databases; none in READ_3; no delivery insert anywhere (no
    // subscriber) and nothing written in DB.
    expect(counted.read.map((r) => r.batches)).toEqual([5, 5, 5, 0]);
    expect(counted.db.deliveryInserts).toBe(0);
    const statements = counted.read.map((r) => r.statements);
    // Each batch: its levels, two alert resolves, the alert cursor, the dedupe rows (the facts
    // are a view over the master rows there: nothing to write).
    expect(statements).toEqual([25, 25, 25, 0]);

    const [q0, q1, q2, q3] = EVENTS_PARTITION_QUEUES;
    expect(delta(before, after)).toEqual({
      [`events:${q0}.batches`]: 2,
      [`events:${q0}.messages`]: 6,
      [`events:${q1}.batches`]: 1,
      [`events:${q1}.messages`]: 3,
      [`events:${q2}.batches`]: 1,
      [`events:${q2}.messages`]: 3,
      [`events:${q3}.batches`]: 1,
      [`events:${q3}.messages`]: 3,
      // 5 consumer batches × 2 events of this vendor; applied: the 4 first deliveries only.
      "READ_0.batches": 5,
      "READ_0.statements": statements[0],
      "READ_0.events": 10,
      "READ_0.applied": 8,
      "READ_1.batches": 5,
      "READ_1.statements": statements[1],
      "READ_1.events": 10,
      "READ_1.applied": 8,
      "READ_2.batches": 5,
      "READ_2.statements": statements[2],
      "READ_2.events": 10,
      "READ_2.applied": 8,
    });
  });

  it("a dead-letter queue's batch is counted under its own name", async () => {
    const before = await snapshot();
    const body = flushBody(skus[1]![1]!, [updatedEvent(skus[1]![1]!, 9, "L1", { onHand: 1 })]);
    await runAcked(EVENTS_PARTITION_DLQS[1]!, [body, body]);
    const after = await snapshot();
    expectLogged({ event: "queue.dead_letter", queue: EVENTS_PARTITION_QUEUES[1] }, { count: 2, exactly: true });
    expect(delta(before, after)).toEqual({ [`other:${EVENTS_PARTITION_DLQS[1]}.batches`]: 1, [`other:${EVENTS_PARTITION_DLQS[1]}.messages`]: 2 });
  });

  it("says whose counts they are: this isolate's, since when; every partition and database listed", async () => {
    const a = await snapshot();
    const b = await snapshot();
    expect(a.scope).toBe("isolate");
    expect(a.note).toContain("this isolate's counts");
    expect(b.isolate).toEqual(a.isolate);
    expect(Date.parse(a.isolate.countingSince)).toBeLessThanOrEqual(Date.parse(a.at));
    expect(a.queues.events.map((q) => [q.partition, q.queue])).toEqual(EVENTS_PARTITION_QUEUES.map((q, i) => [i, q]));
    for (const kind of ["webhooks", "sync", "reorder"] as const) expect(a.queues[kind].map((q) => q.partition)).toEqual([0, 1, 2, 3]);
    expect(a.databases.map((d) => d.binding)).toEqual(["DB", "READ_0", "READ_1", "READ_2", "READ_3"]);
  });

  it("is for operators: a vendor or checkout key gets 403, no key 401", async () => {
    for (const key of [keys.vendor, keys.checkout]) {
      const res = await api("GET", "/api/v2/diagnostics/load", { key });
      expect(res.status).toBe(403);
      expect(res.body.error.code).toBe("forbidden");
    }
    expect((await api("GET", "/api/v2/diagnostics/load")).status).toBe(401);
  });
});
