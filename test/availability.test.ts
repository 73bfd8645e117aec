/**
 * Public availability: statuses, the cache tiers (miss, then hit; 304 on If-None-Match; a
 * change here shows at once), the listing endpoint, the live WebSocket feed, and that
 * nothing operator-only is ever public.
 */
import { evictDurableObject } from "cloudflare:test";
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { LIVE_DEBOUNCE_MS } from "../durable-objects/live-feed";
import { api, createSku, seedBasics, setOnHand, skuObject, type Keys } from "./support/fixtures";
import { waitUntil } from "./support/test-clock";

let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
});

const publicGet = (path: string, headers: Record<string, string> = {}) => api("GET", path, { headers });
const tier = (res: { headers: Headers }) => /cache;desc="([^"]+)"/.exec(res.headers.get("server-timing") ?? "")?.[1];

/** Bounded poll for WebSocket messages (they arrive asynchronously, after the feed's debounce). */
const waitFor = (predicate: () => boolean, what: string) => waitUntil(predicate, what);

describe("statuses", () => {
  it("in stock, low stock at the threshold, out of stock, backorder", async () => {
    await createSku("AV-IN");
    await createSku("AV-LOW");
    await createSku("AV-OUT");
    await createSku("AV-BO", { allowBackorder: true });
    await api("PUT", "/api/v2/skus/AV-LOW", { key: keys.operator, body: { productId: "P-AV-LOW", name: "low", reorderPoint: 5 } });
    await setOnHand(keys, "AV-IN", "L1", 12);
    await setOnHand(keys, "AV-LOW", "L1", 5);
    await setOnHand(keys, "AV-OUT", "L1", 0);
    const statuses = await Promise.all(["AV-IN", "AV-LOW", "AV-OUT", "AV-BO"].map((sku) => publicGet(`/api/v2/availability/${sku}`)));
    expect(statuses.map((r) => [r.status, r.body.status, r.body.available])).toEqual([
      [200, "in_stock", 12],
      [200, "low_stock", 5],
      [200, "out_of_stock", 0],
      [200, "backorder", 0],
    ]);
    await setOnHand(keys, "AV-LOW", "L1", 6);
    expect((await publicGet("/api/v2/availability/AV-LOW")).body.status).toBe("in_stock");
  });

  it("counts only active locations that sell, and shows per-location detail only when asked", async () => {
    await createSku("AV-LOC");
    await setOnHand(keys, "AV-LOC", "L1", 3);
    await setOnHand(keys, "AV-LOC", "L2", 4);
    await setOnHand(keys, "AV-LOC", "L3", 100); // inactive
    const plain = await publicGet("/api/v2/availability/AV-LOC");
    expect(plain.body).toEqual({ sku: "AV-LOC", status: "in_stock", available: 7, updatedAt: expect.any(String) });
    const detailed = await publicGet("/api/v2/availability/AV-LOC?locations=1");
    expect(detailed.body.locations).toEqual([
      { locationId: "L1", available: 3 },
      { locationId: "L2", available: 4 },
    ]);
  });

  it("unknown SKU → 404 and malformed SKU → 400, in the error envelope", async () => {
    const unknown = await publicGet("/api/v2/availability/NOPE-1");
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("sku_not_found");
    const malformed = await publicGet("/api/v2/availability/bad%20sku");
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.details[0].path).toEqual(["path", "sku"]);
    expect((await publicGet("/api/v2/availability/AV-IN?locations=yes")).status).toBe(400);
  });
});

describe("edge cache", () => {
  it("first read misses, second hits; If-None-Match gets 304; a hard reservation shows at once", async () => {
    await createSku("AV-C1");
    await setOnHand(keys, "AV-C1", "L1", 10);
    const first = await publicGet("/api/v2/availability/AV-C1");
    expect(tier(first)).toBe("miss");
    expect(first.headers.get("cache-control")).toBe("public, max-age=5, s-maxage=2, stale-while-revalidate=30, stale-if-error=300");
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[0-9a-f]{32}"$/);
    const second = await publicGet("/api/v2/availability/AV-C1");
    expect(["hit-l1", "hit-l2"]).toContain(tier(second));
    expect(second.body).toEqual(first.body);

    const notModified = await api("GET", "/api/v2/availability/AV-C1", { headers: { "if-none-match": etag } });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get("etag")).toBe(etag);

    const reserved = await api("POST", "/api/v2/inventory/reserve", {
      key: keys.checkout,
      idempotencyKey: "av-c1",
      body: { type: "hard", reference: "o", items: [{ sku: "AV-C1", quantity: 4, locationId: "L1" }] },
    });
    expect(reserved.status).toBe(201);
    const after = await api("GET", "/api/v2/availability/AV-C1", { headers: { "if-none-match": etag } });
    expect(after.status).toBe(200);
    expect(tier(after)).toBe("miss");
    expect(after.body.available).toBe(6);
    expect(after.headers.get("etag")).not.toBe(etag);

    await api("POST", "/api/v2/inventory/release", { key: keys.checkout, body: { reservationId: reserved.body.id } });
    expect((await publicGet("/api/v2/availability/AV-C1")).body.available).toBe(10);
    await api("PATCH", "/api/v2/inventory/AV-C1", { key: keys.operator, body: { locationId: "L1", delta: -3, reason: "damage" } });
    expect((await publicGet("/api/v2/availability/AV-C1")).body.available).toBe(7);
  });

  it("the authenticated detail endpoint is never cached in a shared cache", async () => {
    const res = await api("GET", "/api/v2/inventory/AV-C1", { key: keys.operator });
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect((await publicGet("/api/v2/inventory/AV-C1")).status).toBe(401);
  });
});

describe("listing endpoint", () => {
  it("answers mixed known and unknown SKUs once each, and warms the single-SKU entries", async () => {
    await createSku("AV-B1");
    await createSku("AV-B2");
    await setOnHand(keys, "AV-B1", "L1", 2);
    await setOnHand(keys, "AV-B2", "L2", 9);
    const res = await publicGet("/api/v2/availability?skus=AV-B1,NOPE-2,AV-B2,AV-B1");
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      items: [
        { sku: "AV-B1", status: "in_stock", available: 2, updatedAt: expect.any(String) },
        { sku: "AV-B2", status: "in_stock", available: 9, updatedAt: expect.any(String) },
      ],
      notFound: ["NOPE-2"],
    });
    expect(res.headers.get("server-timing")).toContain("l1=0 l2=0 miss=2");
    const single = await publicGet("/api/v2/availability/AV-B2");
    expect(["hit-l1", "hit-l2"]).toContain(tier(single));
    const again = await publicGet("/api/v2/availability?skus=AV-B2,AV-B1&locations=1");
    expect(again.headers.get("server-timing")).toContain("miss=0");
    expect(again.body.items[0].locations).toEqual([{ locationId: "L2", available: 9 }]);
  });

  it("takes 100 SKUs and refuses 101", async () => {
    const hundred = Array.from({ length: 100 }, (_, i) => `MISSING-${i}`);
    const ok = await publicGet(`/api/v2/availability?skus=${hundred.join(",")}`);
    expect(ok.status).toBe(200);
    expect(ok.body.notFound).toHaveLength(100);
    const tooMany = await publicGet(`/api/v2/availability?skus=${[...hundred, "ONE-MORE"].join(",")}`);
    expect(tooMany.status).toBe(400);
    expect(tooMany.body.error.details[0].path).toEqual(["query", "skus"]);
    const malformed = await publicGet("/api/v2/availability?skus=AV-B1,bad!sku");
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.details[0].path).toEqual(["query", "skus", 1]);
    expect((await publicGet("/api/v2/availability")).status).toBe(400);
  });
});

describe("public bodies", () => {
  it("never carry operator-only fields", async () => {
    const bodies = [
      (await publicGet("/api/v2/availability/AV-C1?locations=1")).body,
      ...(await publicGet("/api/v2/availability?skus=AV-C1,AV-LOC&locations=1")).body.items,
    ];
    for (const body of bodies) {
      expect(Object.keys(body).sort()).toEqual(["available", "locations", "sku", "status", "updatedAt"]);
      for (const location of body.locations) expect(Object.keys(location).sort()).toEqual(["available", "locationId"]);
      expect(JSON.stringify(body)).not.toMatch(/reserved|softHeld|committed|onHand|vendor|reservation/i);
    }
  });
});

describe("live feed", () => {
  async function connect(sku: string) {
    const res = await exports.default.fetch(new Request(`http://inventory.test/api/v2/availability/${sku}/live`, { headers: { Upgrade: "websocket" } }));
    expect(res.status).toBe(101);
    const ws = res.webSocket!;
    const messages: any[] = [];
    ws.addEventListener("message", (event) => {
      // A block body: an event handler that returns a value (push's length) draws a runtime warning.
      messages.push(event.data === "pong" ? "pong" : JSON.parse(event.data as string));
    });
    ws.accept();
    return { ws, messages };
  }

  it("sends the snapshot, one message after a reservation, none after a change nobody can see (with a positive control)", async () => {
    await createSku("AV-L1");
    await setOnHand(keys, "AV-L1", "L1", 10);
    const { ws, messages } = await connect("AV-L1");
    await waitFor(() => messages.length === 1, "the snapshot");
    expect(messages[0]).toMatchObject({ type: "snapshot", sku: "AV-L1", status: "in_stock", available: 10 });

    await api("POST", "/api/v2/inventory/reserve", {
      key: keys.checkout,
      idempotencyKey: "av-l1-hard",
      body: { type: "hard", reference: "o", items: [{ sku: "AV-L1", quantity: 3, locationId: "L1" }] },
    });
    await waitFor(() => messages.length === 2, "the update");
    expect(messages[1]).toMatchObject({ type: "update", sku: "AV-L1", available: 7, locations: [{ locationId: "L1", available: 7 }] });

    // A soft hold changes no public number: no message.
    await api("POST", "/api/v2/inventory/reserve", {
      key: keys.checkout,
      idempotencyKey: "av-l1-soft",
      body: { type: "soft", reference: "c", items: [{ sku: "AV-L1", quantity: 2, locationId: "L1" }] },
    });
    // The feed's debounce is a real timer in the object, which no test clock moves. Its timer
    // was set before the hold was answered; this isolate (objects and test share it) fires
    // timers in deadline order, so after this one the hold's window has closed: a message it
    // (wrongly) caused would already be on the socket, ahead of the control's below.
    await new Promise((resolve) => setTimeout(resolve, 2 * LIVE_DEBOUNCE_MS));
    // Positive control: a hard reservation right after produces exactly one update, the next message.
    await api("POST", "/api/v2/inventory/reserve", {
      key: keys.checkout,
      idempotencyKey: "av-l1-hard-2",
      body: { type: "hard", reference: "o2", items: [{ sku: "AV-L1", quantity: 1, locationId: "L1" }] },
    });
    await waitFor(() => messages.length >= 3, "the control's update");
    expect(messages[2]).toMatchObject({ type: "update", sku: "AV-L1", available: 6 });

    // The pong follows everything sent before it on the socket: still no other message.
    ws.send("ping");
    await waitFor(() => messages.length >= 4, "the pong");
    expect(messages[3]).toBe("pong");
    expect(messages).toHaveLength(4);
    ws.close(1000, "done");
  });

  it("a hibernated object still delivers", async () => {
    await createSku("AV-L2");
    await setOnHand(keys, "AV-L2", "L1", 5);
    const { ws, messages } = await connect("AV-L2");
    await waitFor(() => messages.length === 1, "the snapshot");
    await evictDurableObject(skuObject("AV-L2"), { webSockets: "hibernate" });
    await api("PATCH", "/api/v2/inventory/AV-L2", { key: keys.operator, body: { locationId: "L1", delta: 4, reason: "restock" } });
    await waitFor(() => messages.length === 2, "the update after hibernation");
    expect(messages[1]).toMatchObject({ type: "update", available: 9 });
    ws.close(1000, "done");
  });

  it("refuses a plain GET and an unknown SKU", async () => {
    expect((await publicGet("/api/v2/availability/AV-L2/live")).status).toBe(426);
    const res = await exports.default.fetch(new Request("http://inventory.test/api/v2/availability/NOPE-9/live", { headers: { Upgrade: "websocket" } }));
    expect(res.status).toBe(404);
  });
});
