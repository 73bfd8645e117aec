/**
 * The webhook management API (`/api/v2/webhooks`) over `exports.default.fetch`: create
 * (secret shown once, URL rules, event types), list/get without secrets, vendor scoping
 * (a vendor sees and changes only its own), delete, secret rotation, the delivery log with
 * pagination, and `POST /{id}/test`, which goes through the real local WEBHOOKS queue and
 * consumer. Outbound calls never leave the test: `globalThis.fetch` is replaced, in this
 * test file only, by a recording receiver (`mockOutboundFetch`); the queue consumer runs in
 * the test's isolate, so it uses the replaced `fetch`.
 */
import { createHmac } from "node:crypto";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { readDbs } from "../repositories/read-partitions";
import { api, seedBasics, type Keys } from "./support/fixtures";
import { eventually, mockOutboundFetch, type Received } from "./support/event-fixtures";

let keys: Keys;
let receiver: { received: Received[] };

beforeAll(async () => {
  keys = await seedBasics();
  receiver = mockOutboundFetch(() => 204);
});
afterAll(() => {
  vi.restoreAllMocks();
});

const create = (key: string, body: unknown) => api("POST", "/api/v2/webhooks", { key, body });
const ALL_TYPES = ["inventory.updated", "inventory.low_stock"];

describe("create, list, get", () => {
  it("a vendor creates a subscription for itself; the secret is in the 201 only, never in list or get", async () => {
    const res = await create(keys.vendor, { url: "https://hooks.v1.example/inv", eventTypes: ALL_TYPES, description: "ERP" });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      id: expect.stringMatching(/^wh_[0-9a-f]{24}$/),
      url: "https://hooks.v1.example/inv",
      eventTypes: ALL_TYPES,
      vendorId: "V1",
      description: "ERP",
      status: "active",
      consecutiveFailures: 0,
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9_-]{43}$/),
    });
    const listed = await api("GET", "/api/v2/webhooks", { key: keys.vendor });
    expect(listed.status).toBe(200);
    expect(listed.headers.get("cache-control")).toBe("private, no-store");
    expect(listed.body.items.map((s: { id: string }) => s.id)).toContain(res.body.id);
    expect(JSON.stringify(listed.body)).not.toContain(res.body.secret);
    const got = await api("GET", `/api/v2/webhooks/${res.body.id}`, { key: keys.vendor });
    expect(got.body).not.toHaveProperty("secret");
    expect(got.body.id).toBe(res.body.id);
  });

  it.each([
    ["http://hooks.example.com/x", ["body", "url"]],
    ["ftp://hooks.example.com/x", ["body", "url"]],
    ["https://user:pw@hooks.example.com/x", ["body", "url"]],
    ["not a url", ["body", "url"]],
  ])("refuses the URL %s", async (url, path) => {
    const res = await create(keys.operator, { url, eventTypes: ALL_TYPES });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe("invalid_request");
    expect(res.body.error.details[0].path).toEqual(path);
  });

  it("allows plain http only to the local machine", async () => {
    expect((await create(keys.operator, { url: "http://localhost:8787/hook", eventTypes: ALL_TYPES })).status).toBe(201);
    expect((await create(keys.operator, { url: "http://127.0.0.1:9000/hook", eventTypes: ALL_TYPES })).status).toBe(201);
  });

  it("refuses empty, unknown or repeated event types, unknown fields, and bad JSON", async () => {
    const url = "https://h.example/x";
    for (const eventTypes of [[], ["inventory.exploded"], ["inventory.updated", "inventory.updated"]]) {
      const res = await create(keys.operator, { url, eventTypes });
      expect(res.status).toBe(400);
      expect(res.body.error.details[0].path.slice(0, 2)).toEqual(["body", "eventTypes"]);
    }
    expect((await create(keys.operator, { url, eventTypes: ALL_TYPES, secret: "mine" })).body.error.details[0].path).toEqual(["body", "secret"]);
    expect((await api("POST", "/api/v2/webhooks", { key: keys.operator, rawBody: "{", headers: { "content-type": "application/json" } })).body.error.code).toBe(
      "malformed_json",
    );
  });

  it("who may create what: operators for any vendor (or operator-wide), vendors only for themselves, checkout never", async () => {
    expect((await create(keys.operator, { url: "https://h.example/v2", eventTypes: ALL_TYPES, vendorId: "V2" })).body.vendorId).toBe("V2");
    expect((await create(keys.operator, { url: "https://h.example/all", eventTypes: ALL_TYPES })).body.vendorId).toBeNull();
    const unknown = await create(keys.operator, { url: "https://h.example/x", eventTypes: ALL_TYPES, vendorId: "NOPE" });
    expect([unknown.status, unknown.body.error.code]).toEqual([400, "invalid_request"]);
    const other = await create(keys.vendor, { url: "https://h.example/x", eventTypes: ALL_TYPES, vendorId: "V2" });
    expect([other.status, other.body.error.code]).toEqual([403, "forbidden"]);
    expect((await create(keys.vendor, { url: "https://h.example/own", eventTypes: ALL_TYPES, vendorId: "V1" })).status).toBe(201);
    expect((await create(keys.checkout, { url: "https://h.example/x", eventTypes: ALL_TYPES })).status).toBe(403);
    expect((await api("GET", "/api/v2/webhooks")).status).toBe(401);
  });

  it("vendors list, get, change and delete only their own; operators see all and can filter by vendor", async () => {
    const theirs = (await create(keys.otherVendor, { url: "https://h.v2.example/x", eventTypes: ALL_TYPES })).body.id;
    const mine = (await api("GET", "/api/v2/webhooks", { key: keys.vendor })).body.items;
    expect(mine.length).toBeGreaterThan(0);
    expect(mine.every((s: { vendorId: string }) => s.vendorId === "V1")).toBe(true);
    for (const [method, suffix] of [
      ["GET", ""],
      ["DELETE", ""],
      ["POST", "/rotate-secret"],
      ["POST", "/test"],
      ["POST", "/enable"],
      ["GET", "/deliveries"],
    ] as const) {
      const res = await api(method, `/api/v2/webhooks/${theirs}${suffix}`, { key: keys.vendor });
      expect([method, suffix, res.status, res.body.error.code]).toEqual([method, suffix, 404, "webhook_not_found"]);
    }
    expect((await api("GET", "/api/v2/webhooks?vendorId=V2", { key: keys.vendor })).status).toBe(403);
    const v2Only = (await api("GET", "/api/v2/webhooks?vendorId=V2", { key: keys.operator })).body.items;
    expect(v2Only.length).toBeGreaterThan(0);
    expect(v2Only.every((s: { vendorId: string }) => s.vendorId === "V2")).toBe(true);
    expect((await api("GET", `/api/v2/webhooks/${theirs}`, { key: keys.operator })).status).toBe(200);
  });

  it("lists page by cursor, every subscription once", async () => {
    const all = (await api("GET", "/api/v2/webhooks?limit=500", { key: keys.operator })).body.items.map((s: { id: string }) => s.id);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { items: { id: string }[]; nextCursor: string | null } } = await api(
        "GET",
        `/api/v2/webhooks?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
        { key: keys.operator },
      );
      seen.push(...page.body.items.map((s) => s.id));
      cursor = page.body.nextCursor;
    } while (cursor !== null);
    expect(seen).toEqual(all);
    expect((await api("GET", "/api/v2/webhooks?cursor=zzz", { key: keys.operator })).body.error.details[0].path).toEqual(["query", "cursor"]);
  });

  it("at most 20 subscriptions per owner", async () => {
    const existing = (await api("GET", "/api/v2/webhooks?vendorId=V2", { key: keys.operator })).body.items.length;
    for (let i = existing; i < 20; i++) expect((await create(keys.otherVendor, { url: `https://h.v2.example/${i}`, eventTypes: ALL_TYPES })).status).toBe(201);
    const over = await create(keys.otherVendor, { url: "https://h.v2.example/21", eventTypes: ALL_TYPES });
    expect([over.status, over.body.error.code]).toEqual([409, "subscription_limit"]);
  });
});

describe("delete, rotate, test, deliveries", () => {
  it("DELETE → 204, then 404 everywhere and gone from the list", async () => {
    const id = (await create(keys.vendor, { url: "https://h.example/del", eventTypes: ALL_TYPES })).body.id;
    const res = await api("DELETE", `/api/v2/webhooks/${id}`, { key: keys.vendor });
    expect(res.status).toBe(204);
    expect((await api("GET", `/api/v2/webhooks/${id}`, { key: keys.vendor })).status).toBe(404);
    expect((await api("DELETE", `/api/v2/webhooks/${id}`, { key: keys.vendor })).status).toBe(404);
    expect((await api("GET", "/api/v2/webhooks", { key: keys.vendor })).body.items.map((s: { id: string }) => s.id)).not.toContain(id);
    expect((await api("GET", "/api/v2/webhooks/not-an-id", { key: keys.vendor })).body.error.details[0].path).toEqual(["path", "id"]);
  });

  it("POST /test delivers a signed webhook.test event through the queue; after rotation, deliveries are signed with the new secret", async () => {
    const created = await create(keys.vendor, { url: "http://127.0.0.1:9/test-hook", eventTypes: ["inventory.updated"] });
    const { id, secret } = created.body;

    const sentTest = await api("POST", `/api/v2/webhooks/${id}/test`, { key: keys.vendor });
    expect(sentTest.status).toBe(202);
    // Its id names the read database its row is in (issue 19); `DB` has no copy.
    expect(sentTest.body).toMatchObject({ deliveryId: expect.stringMatching(/^whd_r[0-3]_[0-9a-f]{24}$/), eventType: "webhook.test" });
    const store = Number(/^whd_r(\d)_/.exec(sentTest.body.deliveryId)![1]);
    expect(await readDbs(env)[store]!.prepare("SELECT event_type FROM webhook_deliveries WHERE id = ?").bind(sentTest.body.deliveryId).first()).toEqual({
      event_type: "webhook.test",
    });
    expect(await env.DB.prepare("SELECT 1 FROM webhook_deliveries WHERE id = ?").bind(sentTest.body.deliveryId).first()).toBeNull();
    const request = await eventually(
      async () => receiver.received.find((r) => r.headers.get("x-edgeinventory-delivery") === sentTest.body.deliveryId),
      "the test delivery",
    );
    expect(request.url).toBe("http://127.0.0.1:9/test-hook");
    expect(request.headers.get("x-edgeinventory-event")).toBe("webhook.test");
    expect(JSON.parse(request.body)).toMatchObject({ id: sentTest.body.eventId, type: "webhook.test", subscriptionId: id, vendorId: "V1" });
    const timestamp = request.headers.get("x-edgeinventory-timestamp")!;
    expect(request.headers.get("x-edgeinventory-signature")).toBe(`v1=${createHmac("sha256", secret).update(`${timestamp}.${request.body}`).digest("hex")}`);

    // The delivery log shows it delivered.
    const log = await eventually(async () => {
      const res = await api("GET", `/api/v2/webhooks/${id}/deliveries`, { key: keys.vendor });
      return res.body.items[0]?.status === "delivered" ? res.body : undefined;
    }, "the delivery log");
    // A vendor's log has no status codes (operators' has): security-webhook-targets.test.ts.
    expect(log.items[0]).toMatchObject({
      id: sentTest.body.deliveryId,
      eventType: "webhook.test",
      status: "delivered",
      attempts: 1,
      lastStatusCode: null,
      lastFailure: null,
    });

    const rotated = await api("POST", `/api/v2/webhooks/${id}/rotate-secret`, { key: keys.vendor });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(secret);
    expect(rotated.body.secretRotatedAt).not.toBeNull();
    const second = await api("POST", `/api/v2/webhooks/${id}/test`, { key: keys.vendor });
    const signedNew = await eventually(
      async () => receiver.received.find((r) => r.headers.get("x-edgeinventory-delivery") === second.body.deliveryId),
      "the second test delivery",
    );
    const ts2 = signedNew.headers.get("x-edgeinventory-timestamp")!;
    expect(signedNew.headers.get("x-edgeinventory-signature")).toBe(
      `v1=${createHmac("sha256", rotated.body.secret).update(`${ts2}.${signedNew.body}`).digest("hex")}`,
    );
  });

  it("POST /test on a disabled subscription → 409", async () => {
    const id = (await create(keys.operator, { url: "https://h.example/off", eventTypes: ALL_TYPES })).body.id;
    await env.DB.prepare("UPDATE webhook_subscriptions SET disabled_at = 1, disabled_reason = 'test' WHERE id = ?").bind(id).run();
    const res = await api("POST", `/api/v2/webhooks/${id}/test`, { key: keys.operator });
    expect([res.status, res.body.error.code]).toEqual([409, "subscription_disabled"]);
  });

  it("the delivery log pages newest first by cursor across every store of deliveries, filters by status, every delivery once", async () => {
    const id = (await create(keys.operator, { url: "https://h.example/log", eventTypes: ALL_TYPES })).body.id;
    // 14 deliveries spread over the five stores: `DB` (ids without a partition, made before
    // deliveries were partitioned) and the four read databases (`whd_r<i>_…`).
    const rows = Array.from({ length: 14 }, (_, i) => {
      const store = i % 5;
      const hex = i.toString(16).padStart(24, "0");
      return {
        id: store === 0 ? `whd_${hex}` : `whd_r${store - 1}_${hex}`,
        db: store === 0 ? env.DB : readDbs(env)[store - 1]!,
        // Pairs share a creation time, each pair across two stores: the id breaks the tie.
        createdAt: 1_000 + Math.floor(i / 2),
        status: i % 3 === 0 ? "failed" : "delivered",
      };
    });
    for (const r of rows) {
      await r.db
        .prepare(
          "INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, status, attempts, created_at, updated_at) VALUES (?, ?, ?, 'inventory.updated', ?, 1, ?, ?)",
        )
        .bind(r.id, id, `evt:LOG:${r.id}`, r.status, r.createdAt, r.createdAt)
        .run();
    }
    const expected = [...rows].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1)).map((r) => r.id);
    const page = async (query: string) => {
      const seen: string[] = [];
      let cursor: string | null = null;
      do {
        const res: { body: { items: { id: string }[]; nextCursor: string | null } } = await api(
          "GET",
          `/api/v2/webhooks/${id}/deliveries?limit=3${query}${cursor ? `&cursor=${cursor}` : ""}`,
          { key: keys.operator },
        );
        seen.push(...res.body.items.map((d) => d.id));
        cursor = res.body.nextCursor;
      } while (cursor !== null);
      return seen;
    };
    expect(await page("")).toEqual(expected);
    expect(await page("&status=failed")).toEqual(expected.filter((d) => rows.find((r) => r.id === d)!.status === "failed"));
    expect((await api("GET", `/api/v2/webhooks/${id}/deliveries?status=lost`, { key: keys.operator })).status).toBe(400);
  });
});
