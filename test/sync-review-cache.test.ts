/**
 * Accepting a held sync value moves on-hand, so it purges the SKU's public availability
 * cache entries like a PATCH or a release does (issue 18, gap 3: the purge was only tested
 * after those two). The cache is read directly as well as through the API, so the check
 * does not depend on how long the entries would have lived.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { api, createSku, seedBasics, type Keys } from "./support/fixtures";
import { postFeed, waitForJob } from "./support/sync-fixtures";

let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
  await createSku("SRC-1");
});

const tier = (res: { headers: Headers }) => /cache;desc="([^"]+)"/.exec(res.headers.get("server-timing") ?? "")?.[1];
const publicGet = (sku: string) => api("GET", `/api/v2/availability/${sku}`);
/** The shared-cache (L2) entry of a SKU, as the Worker keys it (its canonical public URL). */
const l2Entry = (sku: string) => caches.default.match(new Request(`http://inventory.test/api/v2/availability/${sku}`));

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

    // Warm the cache just before the accept (its entries live about a second or two).
    const first = await publicGet("SRC-1");
    expect([first.status, first.body.available]).toEqual([200, 40]);
    // A miss stores the entry in the background; wait (bounded) until the shared cache holds it.
    for (let i = 0; i < 200 && (await l2Entry("SRC-1")) === undefined; i++) await new Promise((resolve) => setTimeout(resolve, 5));
    expect(await l2Entry("SRC-1")).toBeDefined();
    const cached = await publicGet("SRC-1");
    expect(["hit-l1", "hit-l2"]).toContain(tier(cached));
    expect(cached.body.available).toBe(40);

    const accepted = await api("POST", `/api/v2/sync/reviews/${reviews.body.items[0].id}/accept`, { key: keys.operator });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({ review: { status: "accepted", sku: "SRC-1" }, level: { onHand: 200, available: 200 } });

    // Purged before the accept was answered: no shared entry, and the next read goes to the object.
    expect(await l2Entry("SRC-1")).toBeUndefined();
    const after = await publicGet("SRC-1");
    expect([after.status, tier(after), after.body.available]).toEqual([200, "miss", 200]);
  });
});
