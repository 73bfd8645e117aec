/**
 * A full-size feed end to end inside workerd: 1,000 SKUs × 10 locations created through the
 * batch API, a 10,000-item feed posted once, applied by the real local SYNC queue and
 * consumer; the job completes with every item applied and every SKU's object holds each
 * location's value, one ledger row per applied item. The same request again (same
 * Idempotency-Key) returns the same job, queues nothing and changes no object: checked after
 * a positive control, a new one-item feed posted after it and so queued behind anything it
 * (wrongly) queued, whose one change is seen through the same reads. (1,000
 * objects rather than 10,000: every item still goes through the same path, and a cold object
 * costs ~10 ms of the one local thread, which would make this one test take minutes.)
 */
import { evictAllDurableObjects } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { seedBasics, skuObject, type Keys } from "./support/fixtures";
import { createSkus, postFeed, waitForJob } from "./support/sync-fixtures";

const N = 10_000;
const LOCATIONS = ["L1", "L2", ...Array.from({ length: 8 }, (_, i) => `LB${i}`)];
let keys: Keys;
const skus = Array.from({ length: N / LOCATIONS.length }, (_, i) => `BULK-${String(i).padStart(5, "0")}`);
/** Item i: SKU i ÷ 10 at location i mod 10. */
const itemAt = (i: number) => ({ sku: skus[Math.floor(i / LOCATIONS.length)]!, locationId: LOCATIONS[i % LOCATIONS.length]!, quantity: (i * 7919) % 1000 });

beforeAll(async () => {
  keys = await seedBasics();
  await env.DB.batch(
    LOCATIONS.filter((l) => l.startsWith("LB")).map((id, i) =>
      env.DB.prepare(
        "INSERT OR IGNORE INTO locations (id, name, type, country_code, city, latitude, longitude, can_ship, priority, active) VALUES (?, ?, 'warehouse', 'FR', 'Lille', 50.6, 3.06, 1, ?, 1)",
      ).bind(id, `Bulk ${i}`, 100 + i),
    ),
  );
  await createSkus(keys.operator, skus, "V1");
}, 120_000);

/**
 * Each SKU's (of `indexes`) on-hand at L1 and its version (last ledger sequence), read from
 * the objects 200 at a time. Every 1,000 objects read are evicted again: a local object keeps its
 * SQLite files open while it is in memory, and 10,000 at once would exceed the process's
 * file limit (the runtime evicts idle objects by itself, but not as fast as this reads).
 */
async function objectStates(indexes: readonly number[]): Promise<{ levels: Record<string, number>; version: number }[]> {
  const out: { levels: Record<string, number>; version: number }[] = [];
  for (let i = 0; i < indexes.length; i += 200) {
    if (i > 0 && i % 1000 === 0) await evictAllDurableObjects();
    const part = await Promise.all(
      indexes.slice(i, i + 200).map(async (k) => {
        const snapshot = await skuObject(skus[k]!).snapshot();
        return { levels: Object.fromEntries(snapshot.locations.map((l) => [l.locationId, l.onHand])), version: snapshot.version };
      }),
    );
    out.push(...part);
  }
  return out;
}

describe("a 10,000-item feed", () => {
  it("completes, every object holds its value, and the same Idempotency-Key applies nothing twice", async () => {
    const items = Array.from({ length: N }, (_, i) => itemAt(i));
    const res = await postFeed(keys.vendor, items, { idempotencyKey: "bulk-1" });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: "queued", received: N, accepted: N, rejected: 0 });

    const job = await waitForJob(keys.vendor, res.body.jobId, 240_000);
    // Every value is the first one for its empty location, so nothing is held for review;
    // the values that are 0 leave on-hand as it was.
    const zeros = items.filter((i) => i.quantity === 0).length;
    expect(job).toMatchObject({
      status: "completed",
      counts: { received: N, accepted: N, rejected: 0, applied: N - zeros, unchanged: zeros, conflicts: 0, errors: 0, pending: 0 },
    });
    expect(job.chunks.done).toBe(job.chunks.total);

    const all = skus.map((_, i) => i);
    const states = await objectStates(all);
    const wrong: unknown[] = [];
    states.forEach((state, k) => {
      const mine = items.slice(k * LOCATIONS.length, (k + 1) * LOCATIONS.length);
      const applied = mine.filter((i) => i.quantity > 0);
      for (const item of mine) if ((state.levels[item.locationId] ?? 0) !== item.quantity) wrong.push({ ...item, got: state.levels[item.locationId] });
      if (state.version !== applied.length) wrong.push({ sku: skus[k], version: state.version, want: applied.length });
    });
    expect(wrong.slice(0, 5)).toEqual([]);

    const again = await postFeed(keys.vendor, items, { idempotencyKey: "bulk-1" });
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toMatchObject({ jobId: res.body.jobId, status: "completed", accepted: N });
    // Positive control, instead of a sleep: a new feed of one small change (SKU 1 at L1, not in
    // the sample below) goes through the same SYNC queue behind anything the replay (wrongly)
    // queued, and its change is seen through the same reads once its job completes.
    const changed = { ...itemAt(LOCATIONS.length), quantity: itemAt(LOCATIONS.length).quantity + 1 };
    const control = await postFeed(keys.vendor, [changed], { idempotencyKey: "bulk-control" });
    expect(control.status).toBe(202);
    expect(await waitForJob(keys.vendor, control.body.jobId)).toMatchObject({ status: "completed", counts: { applied: 1 } });
    const [controlState] = await objectStates([1]);
    expect(controlState).toEqual({ levels: { ...states[1]!.levels, [changed.locationId]: changed.quantity }, version: states[1]!.version + 1 });
    // Then look again: the job is as it was, and so are the objects (every 10th, spread over all chunks).
    expect(await waitForJob(keys.vendor, res.body.jobId)).toEqual(job);
    const sample = all.filter((i) => i % 10 === 0);
    expect(await objectStates(sample)).toEqual(sample.map((i) => states[i]));
  }, 300_000);
});
