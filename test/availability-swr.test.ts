/**
 * The public availability L1 serves stale-while-revalidate within its bound: a stale entry
 * is answered at once (same body, same ETag, an `Age` that says how old) while one refresh
 * per SKU reads the object in the background; past the bound nothing stale is served; a
 * change made through this isolate is never hidden, neither by a stale entry nor by a read
 * or refresh that started before the change.
 *
 * The Worker is called through the app itself with an execution context per request, so a
 * test decides when background work (refreshes, L2 writes) has finished. L1 ages are read
 * from the cache's clock, which the test moves (`setAvailabilityClock`); the Cache API (L2)
 * keeps real time, which is why past-the-bound reads check the tier too. Object reads are
 * counted (and held, where a test needs a refresh in flight) through a wrapper of the
 * SKU_INVENTORY binding; changes that must not invalidate anything (as if made in another
 * location) go to the object directly.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { app } from "../workers/app";
import { L1_FRESHNESS, L2_PURGE_WINDOW_MS, setAvailabilityClock } from "../workers/availability/availability-cache";
import { createSku, seedBasics, setOnHand, type Keys } from "./support/fixtures";
import { waitUntil } from "./support/test-clock";

let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
});

/** The cache's clock, moved by the tests. */
let now = 0;
beforeEach(() => {
  now = Date.now();
  setAvailabilityClock(() => now);
});
afterEach(() => {
  setAvailabilityClock(null);
});

/** A SKU_INVENTORY binding that records each public read of an object and can hold its answer until `release`. */
function watchedObjects() {
  const reads: string[] = [];
  /** Every call to an object, by method: a miss reads `publicLevels`, a refresh `publicView` (one hop). */
  const calls: string[] = [];
  let release: () => void = () => {};
  let held: Promise<void> | null = null;
  const namespace = {
    getByName(name: string) {
      const stub = env.SKU_INVENTORY.getByName(name);
      /** Read first, answer later: what a slow refresh that read before a change returns. */
      const read = async <T>(method: string, answer: Promise<T>): Promise<T> => {
        calls.push(method);
        reads.push(name);
        const value = await answer;
        if (held !== null) await held;
        return value;
      };
      return {
        masterFacts: () => {
          calls.push("masterFacts");
          return stub.masterFacts();
        },
        publicLevels: () => read("publicLevels", stub.publicLevels()),
        publicView: () => read("publicView", stub.publicView()),
      };
    },
  };
  return {
    reads,
    calls,
    env: Object.assign(Object.create(null) as object, env, { SKU_INVENTORY: namespace }) as Env,
    /** Holds every object read's answer from now until `release()`. */
    hold() {
      held = new Promise((resolve) => {
        release = resolve;
      });
    },
    release: () => release(),
  };
}

/** Calls the app; `done` resolves when the request's background work has finished. */
async function call(method: string, path: string, options: { env?: Env; key?: string; body?: unknown; headers?: Record<string, string> } = {}) {
  const ctx = createExecutionContext();
  const headers: Record<string, string> = { ...options.headers };
  if (options.key !== undefined) headers.authorization = `Bearer ${options.key}`;
  if (options.body !== undefined) headers["content-type"] = "application/json";
  const init: RequestInit = { method, headers, ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }) };
  const response = await app.fetch(new Request(`http://inventory.test${path}`, init), options.env ?? env, ctx);
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers, done: waitOnExecutionContext(ctx) };
}

const get = (sku: string, options: { env?: Env; headers?: Record<string, string> } = {}) => call("GET", `/api/v2/availability/${sku}`, options);
const tier = (res: { headers: Headers }) => /cache;desc="([^"]+)"/.exec(res.headers.get("server-timing") ?? "")?.[1];

/** Changes on-hand in the object only, invalidating nothing (as a change made in another location would, for this isolate). */
async function changeElsewhere(sku: string, delta: number, key: string): Promise<void> {
  const res = await env.SKU_INVENTORY.getByName(sku).adjustStock({
    sku,
    actor: "operator:test",
    locationId: "L1",
    delta,
    reason: "correction",
    idempotencyKey: key,
    requestHash: key,
    policy: { allowBackorder: false, softBufferPct: 10, reorderPoint: 0 },
  });
  expect(res.ok).toBe(true);
}

/** A change through the API: it invalidates this isolate's L1 and this location's L2 before it answers. */
async function changeHere(sku: string, delta: number): Promise<void> {
  const res = await call("PATCH", `/api/v2/inventory/${sku}`, { key: keys.operator, body: { locationId: "L1", delta, reason: "correction" } });
  expect(res.status).toBe(200);
  await res.done;
}

describe("stale-while-revalidate in L1", () => {
  it("serves a stale entry within the bound with one refresh in flight, then the refreshed entry", async () => {
    await createSku("SWR-1");
    await setOnHand(keys, "SWR-1", "L1", 10);
    const objects = watchedObjects();
    const first = await get("SWR-1", { env: objects.env });
    expect([first.status, tier(first), first.body.available, first.headers.get("age")]).toEqual([200, "miss", 10, "0"]);
    await first.done;
    const etag = first.headers.get("etag")!;
    await changeElsewhere("SWR-1", -3, "swr-1");

    // Fresh until L1_FRESHNESS.minFreshMs: served as it is, no object read.
    now += L1_FRESHNESS.minFreshMs - 1;
    const fresh = await get("SWR-1", { env: objects.env });
    expect([tier(fresh), fresh.body.available, fresh.headers.get("etag")]).toEqual(["hit-l1", 10, etag]);
    expect(objects.reads).toEqual(["SWR-1"]);

    // Stale: served at once, same body and ETag, its age said; one refresh, however many stale reads.
    now += 2;
    objects.hold();
    const stale = await Promise.all([
      get("SWR-1", { env: objects.env }),
      get("SWR-1", { env: objects.env }),
      get("SWR-1", { env: objects.env, headers: { "if-none-match": etag } }),
    ]);
    expect(stale.map((r) => [r.status, tier(r), r.headers.get("etag"), r.headers.get("age")])).toEqual([
      [200, "stale-l1", etag, String(Math.floor((L1_FRESHNESS.minFreshMs + 1) / 1000))],
      [200, "stale-l1", etag, String(Math.floor((L1_FRESHNESS.minFreshMs + 1) / 1000))],
      [304, "stale-l1", etag, String(Math.floor((L1_FRESHNESS.minFreshMs + 1) / 1000))],
    ]);
    expect(stale[0]!.body).toEqual(first.body);
    objects.release();
    await Promise.all(stale.map((r) => r.done));
    expect(objects.reads).toEqual(["SWR-1", "SWR-1"]);

    // Refreshed: fresh again, the object's numbers, a new ETag (the old one no longer matches).
    const after = await get("SWR-1", { env: objects.env, headers: { "if-none-match": etag } });
    expect([after.status, tier(after), after.body.available, after.headers.get("age")]).toEqual([200, "hit-l1", 7, "0"]);
    expect(after.headers.get("etag")).not.toBe(etag);
    expect((await get("SWR-1", { env: objects.env, headers: { "if-none-match": after.headers.get("etag")! } })).status).toBe(304);
    expect(objects.reads).toEqual(["SWR-1", "SWR-1"]);
  });

  it("serves nothing stale past the bound, from L1 or L2: the read waits for the object", async () => {
    await createSku("SWR-2");
    await setOnHand(keys, "SWR-2", "L1", 5);
    const objects = watchedObjects();
    const first = await get("SWR-2", { env: objects.env });
    expect([tier(first), first.body.available]).toEqual(["miss", 5]);
    await first.done;
    await changeElsewhere("SWR-2", 1, "swr-2");

    // Positive control: just inside the bound the old entry is still served.
    now += L1_FRESHNESS.maxStaleMs - 1;
    objects.hold();
    const inside = await get("SWR-2", { env: objects.env });
    expect([tier(inside), inside.body.available]).toEqual(["stale-l1", 5]);
    // Its refresh is held: nothing has replaced the entry when the bound passes.
    now += 1;
    const pending = get("SWR-2", { env: objects.env });
    await waitUntil(() => objects.reads.length === 3, "the past-the-bound read at the object");
    objects.release();
    const past = await pending;
    expect([past.status, tier(past), past.body.available, past.headers.get("age")]).toEqual([200, "miss", 6, "0"]);
    await Promise.all([inside.done, past.done]);
    const next = await get("SWR-2", { env: objects.env });
    expect([tier(next), next.body.available]).toEqual(["hit-l1", 6]);
    expect(objects.reads).toEqual(["SWR-2", "SWR-2", "SWR-2"]);
  });

  it("the listing serves stale entries and refreshes each once; unknown SKUs stay notFound, and 404 alone", async () => {
    await createSku("SWR-3");
    await createSku("SWR-4");
    await setOnHand(keys, "SWR-3", "L1", 3);
    await setOnHand(keys, "SWR-4", "L2", 4);
    const objects = watchedObjects();
    const path = "/api/v2/availability?skus=SWR-3,NOPE-SWR,SWR-4";
    const first = await call("GET", path, { env: objects.env });
    expect(first.headers.get("server-timing")).toContain("l1=0 l2=0 miss=2");
    await first.done;
    await changeElsewhere("SWR-3", 2, "swr-3");

    now += L1_FRESHNESS.minFreshMs;
    objects.hold();
    const stale = await Promise.all([call("GET", path, { env: objects.env }), call("GET", path, { env: objects.env })]);
    for (const res of stale) {
      expect(res.body).toEqual(first.body);
      expect(res.headers.get("etag")).toBe(first.headers.get("etag"));
      expect(res.headers.get("age")).toBe(String(L1_FRESHNESS.minFreshMs / 1000));
      expect(res.headers.get("server-timing")).toContain("l1=2 l2=0 miss=0");
    }
    objects.release();
    await Promise.all(stale.map((r) => r.done));
    expect(objects.reads.sort()).toEqual(["SWR-3", "SWR-3", "SWR-4", "SWR-4"]);

    const after = await call("GET", path, { env: objects.env });
    expect(after.body.items.map((i: { available: number }) => i.available)).toEqual([5, 4]);
    expect(after.body.notFound).toEqual(["NOPE-SWR"]);
    expect(after.headers.get("etag")).not.toBe(first.headers.get("etag"));
    const unknown = await get("NOPE-SWR", { env: objects.env });
    expect([unknown.status, unknown.body.error.code]).toEqual([404, "sku_not_found"]);
    expect(objects.reads).toHaveLength(4);
  });
});

describe("freshness by how long the SKU had been quiet", () => {
  /** Reads the SKU once (a miss) with the cache's clock `quietMs` past its last change, then finds where the entry turns stale. */
  async function freshFor(sku: string, quietMs: number, freshMs: number) {
    await createSku(sku);
    await setOnHand(keys, sku, "L1", 10);
    const objects = watchedObjects();
    // The cache's clock exactly `quietMs` past the object's last change.
    const { updatedAt } = await env.SKU_INVENTORY.getByName(sku).publicLevels();
    now = updatedAt! + quietMs;
    const first = await get(sku, { env: objects.env });
    expect([tier(first), first.body.available]).toEqual(["miss", 10]);
    await first.done;
    // Changed since, where this isolate cannot see it: a fresh entry still shows 10 without reading the object.
    await changeElsewhere(sku, -2, `${sku}-elsewhere`);
    now += freshMs - 1;
    const fresh = await get(sku, { env: objects.env });
    expect([tier(fresh), fresh.body.available]).toEqual(["hit-l1", 10]);
    expect(objects.reads).toEqual([sku]);
    now += 1;
    const stale = await get(sku, { env: objects.env });
    expect([tier(stale), stale.body.available, stale.headers.get("age")]).toEqual(["stale-l1", 10, String(Math.floor(freshMs / 1000))]);
    await stale.done;
    expect(objects.reads).toEqual([sku, sku]);
    const after = await get(sku, { env: objects.env });
    expect([tier(after), after.body.available]).toEqual(["hit-l1", 8]);
  }

  it("an entry of a SKU unchanged for 100 s is fresh for a tenth of that, 10 s", async () => {
    await freshFor("SWR-10", 100_000, 10_000);
  });

  it("an L2 entry without its read time is taken as stale, however long its SKU had been quiet: served, and refreshed", async () => {
    await createSku("SWR-12");
    await setOnHand(keys, "SWR-12", "L1", 10);
    const objects = watchedObjects();
    // Stored by hand (or an older version): no x-read-at; its SKU quiet for an hour by its updatedAt.
    const body = {
      sku: "SWR-12",
      status: "in_stock",
      available: 99,
      locations: [{ locationId: "L1", available: 99 }],
      updatedAt: new Date(now - 3_600_000).toISOString(),
    };
    await caches.default.put(
      new Request("http://inventory.test/api/v2/availability/SWR-12"),
      new Response(JSON.stringify(body), { headers: { "content-type": "application/json", "cache-control": "public, s-maxage=30" } }),
    );
    const first = await get("SWR-12", { env: objects.env });
    expect([tier(first), first.body.available, first.headers.get("age")]).toEqual(["hit-l2", 99, String(L1_FRESHNESS.maxFreshMs / 1000)]);
    await first.done;
    expect(objects.reads).toEqual(["SWR-12"]);
    const after = await get("SWR-12", { env: objects.env });
    expect([tier(after), after.body.available]).toEqual(["hit-l1", 10]);
  });

  it("an entry of a SKU unchanged for an hour is fresh for 20 s at most, and served no later than the bound", async () => {
    await freshFor("SWR-11", 3_600_000, L1_FRESHNESS.maxFreshMs);
    expect(L1_FRESHNESS.maxFreshMs).toBeLessThan(L1_FRESHNESS.maxStaleMs);
  });
});

describe("what a refresh reads", () => {
  it("the settings the SKU's object holds: a reorder point set since shows with the refresh", async () => {
    await createSku("SWR-7");
    await setOnHand(keys, "SWR-7", "L1", 5);
    const objects = watchedObjects();
    const first = await get("SWR-7", { env: objects.env });
    expect([tier(first), first.body.status]).toEqual(["miss", "in_stock"]);
    await first.done;
    // A master-data write pushes the new facts to the object; it purges no availability entry.
    const put = await call("PUT", "/api/v2/skus/SWR-7", { key: keys.operator, body: { productId: "P-SWR-7", name: "seven", reorderPoint: 5 } });
    expect(put.status).toBe(200);
    await put.done;
    expect((await get("SWR-7", { env: objects.env })).body.status).toBe("in_stock");

    now += L1_FRESHNESS.minFreshMs;
    const stale = await get("SWR-7", { env: objects.env });
    expect([tier(stale), stale.body.status]).toEqual(["stale-l1", "in_stock"]);
    await stale.done;
    const after = await get("SWR-7", { env: objects.env });
    expect([tier(after), after.body.status, after.body.available]).toEqual(["hit-l1", "low_stock", 5]);
    // The miss read the levels (settings from D1); the refresh read levels and facts in one call.
    expect(objects.calls).toEqual(["publicLevels", "publicView"]);
  });

  it("a SKU whose object holds no master facts yet is refreshed with its D1 row, reading the object once", async () => {
    // Created in D1 only: its object has never been told its facts, nor filled them.
    await createSku("SWR-8");
    const objects = watchedObjects();
    const first = await get("SWR-8", { env: objects.env });
    expect([tier(first), first.body.status, first.body.available]).toEqual(["miss", "out_of_stock", 0]);
    await first.done;
    expect(await env.SKU_INVENTORY.getByName("SWR-8").masterFacts()).toBeNull();
    await changeElsewhere("SWR-8", 4, "swr-8");

    now += L1_FRESHNESS.minFreshMs;
    const stale = await get("SWR-8", { env: objects.env });
    expect([tier(stale), stale.body.available]).toEqual(["stale-l1", 0]);
    await stale.done;
    const after = await get("SWR-8", { env: objects.env });
    expect([tier(after), after.body.status, after.body.available]).toEqual(["hit-l1", "in_stock", 4]);
    expect(objects.reads).toEqual(["SWR-8", "SWR-8"]);
    expect(objects.calls).toEqual(["publicLevels", "publicView"]);
  });
});

describe("invalidation under stale-while-revalidate", () => {
  it("a change here is shown at once, and a refresh that read before it stores nothing", async () => {
    await createSku("SWR-5");
    await setOnHand(keys, "SWR-5", "L1", 10);
    const objects = watchedObjects();
    await (await get("SWR-5", { env: objects.env })).done;

    now += L1_FRESHNESS.minFreshMs;
    objects.hold();
    const stale = await get("SWR-5", { env: objects.env });
    expect([tier(stale), stale.body.available]).toEqual(["stale-l1", 10]);
    // The refresh has read 10 from the object and waits; the change lands meanwhile.
    await waitUntil(() => objects.reads.length === 2, "the refresh's object read");
    await changeHere("SWR-5", -4);
    objects.release();
    await stale.done;

    const after = await get("SWR-5", { env: objects.env });
    expect([tier(after), after.body.available]).toEqual(["miss", 6]);
    await after.done;
    const again = await get("SWR-5", { env: objects.env });
    expect([tier(again), again.body.available]).toEqual(["hit-l1", 6]);
  });

  it("a miss that read before a change made here stores nothing", async () => {
    await createSku("SWR-6");
    await setOnHand(keys, "SWR-6", "L1", 8);
    const objects = watchedObjects();
    objects.hold();
    const slow = get("SWR-6", { env: objects.env });
    await waitUntil(() => objects.reads.length === 1, "the miss's object read");
    await changeHere("SWR-6", -5);
    objects.release();
    const answered = await slow;
    // Concurrent with the change: either answer is right; it must not be cached.
    expect(answered.body.available).toBe(8);
    await answered.done;

    const after = await get("SWR-6", { env: objects.env });
    expect([tier(after), after.body.available]).toEqual(["miss", 3]);
  });
});

describe("L2 purges of a SKU changed again and again", () => {
  /** The SKU's L2 entry, as the Worker keys it (its canonical public URL). */
  const l2Entry = (sku: string) => caches.default.match(new Request(`http://inventory.test/api/v2/availability/${sku}`));

  it("the first change deletes the entry at once; one within the window owes one delete at its end, and this isolate skips L2 until then", async () => {
    await createSku("SWR-9");
    await setOnHand(keys, "SWR-9", "L1", 10);
    // Past any purge window an earlier change opened.
    now += L2_PURGE_WINDOW_MS;
    await (await get("SWR-9")).done;
    const stored = await l2Entry("SWR-9");
    expect(stored).toBeDefined();
    const oldBody = await stored!.text();

    await changeHere("SWR-9", -1);
    expect(await l2Entry("SWR-9")).toBeUndefined();

    // Another isolate of the location stores the numbers it read before the next change.
    await caches.default.put(
      new Request("http://inventory.test/api/v2/availability/SWR-9"),
      new Response(oldBody, { headers: { "content-type": "application/json", "cache-control": "public, s-maxage=30", "x-read-at": String(now) } }),
    );
    // A second change within the window: its delete is owed, not made yet…
    const second = await call("PATCH", "/api/v2/inventory/SWR-9", { key: keys.operator, body: { locationId: "L1", delta: -2, reason: "correction" } });
    expect(second.status).toBe(200);
    expect(await l2Entry("SWR-9")).toBeDefined();
    // …and a read here does not take the old entry from L2: it reads the object.
    const read = await get("SWR-9");
    expect([tier(read), read.body.available]).toEqual(["miss", 7]);
    await read.done;
    // The owed delete runs at the window's end, in the change's background work.
    await second.done;
    expect(await l2Entry("SWR-9")).toBeUndefined();
    const after = await get("SWR-9");
    expect([tier(after), after.body.available]).toEqual(["hit-l1", 7]);
  });
});
