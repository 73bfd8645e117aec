/**
 * Accepting a held sync value moves on-hand, so it purges the SKU's public availability
 * cache entries like a PATCH or a release does (issue 18, gap 3: the purge was only tested
 * after those two). The cache is read directly as well as through the API. The Worker's
 * entries live two seconds of real time (the Cache API's own clock, which no test moves), so
 * once the Worker has stored one the test stores the same entry again for an hour: what
 * removes it then is the purge, not age, however slow the machine. Positive control: another
 * SKU's entry, pinned the same way, is still there when this one is found gone.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { api, createSku, seedBasics, setOnHand, type Keys } from "./support/fixtures";
import { postFeed, waitForJob } from "./support/sync-fixtures";
import { waitUntil } from "./support/test-clock";

let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
  await createSku("SRC-1");
  await createSku("SRC-2");
  await setOnHand(keys, "SRC-2", "L1", 7);
});

const tier = (res: { headers: Headers }) => /cache;desc="([^"]+)"/.exec(res.headers.get("server-timing") ?? "")?.[1];
const publicGet = (sku: string) => api("GET", `/api/v2/availability/${sku}`);
/** The shared-cache (L2) entry of a SKU, as the Worker keys it (its canonical public URL). */
const l2Entry = (sku: string) => caches.default.match(new Request(`http://inventory.test/api/v2/availability/${sku}`));

/** Waits (bounded) until the Worker's background write has put the SKU's entry in the shared cache, then stores that entry again to live an hour. */
async function pinL2Entry(sku: string): Promise<void> {
  const stored = await waitUntil(() => l2Entry(sku), `${sku}'s shared cache entry`);
  const headers = { "content-type": "application/json", "cache-control": "public, s-maxage=3600" };
  await caches.default.put(new Request(`http://inventory.test/api/v2/availability/${sku}`), new Response(await stored.text(), { headers }));
}

async function feed(sku: string, quantity: number) {
  const res = await postFeed(keys.vendor, [{ sku, locationId: "L1", quantity }]);
  expect(res.status).toBe(202);
  return waitForJob(keys.vendor, res.body.jobId);
}

describe("sync review and the availability cache", () => {
  it("accepting a held value purges the SKU's cached availability, so the next public read shows it", async () => {
    expect(await feed("SRC-1", 40)).toMatchObject({ status: "completed", counts: { applied: 1 } });
    // A large disagreement is held for review: nothing public changes.
    const held = await feed("SRC-1", 200);
    expect(held).toMatchObject({ status: "completed", counts: { conflicts: 1 } });
    const reviews = await api("GET", `/api/v2/sync/reviews?status=open&jobId=${held.jobId}`, { key: keys.operator });
    expect(reviews.body.items).toHaveLength(1);

    // Warm the cache just before the accept.
    const first = await publicGet("SRC-1");
    expect([first.status, first.body.available]).toEqual([200, 40]);
    // A miss stores the entry in the background; wait (bounded) until the shared cache holds it.
    await pinL2Entry("SRC-1");
    expect(await l2Entry("SRC-1")).toBeDefined();
    const cached = await publicGet("SRC-1");
    expect(["hit-l1", "hit-l2"]).toContain(tier(cached));
    expect(cached.body.available).toBe(40);
    // The control: SRC-2's entry, pinned the same way, which the accept does not touch.
    expect((await publicGet("SRC-2")).body.available).toBe(7);
    await pinL2Entry("SRC-2");

    const accepted = await api("POST", `/api/v2/sync/reviews/${reviews.body.items[0].id}/accept`, { key: keys.operator });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ review: { status: "accepted", sku: "SRC-1" }, level: { onHand: 200, available: 200 } });

    // Purged before the accept was answered: no shared entry (while the control's is still
    // there), and the next read goes to the object.
    expect(await l2Entry("SRC-1")).toBeUndefined();
    expect(await l2Entry("SRC-2")).toBeDefined();
    const after = await publicGet("SRC-1");
    expect([after.status, tier(after), after.body.available]).toEqual([200, "miss", 200]);
  });
});
