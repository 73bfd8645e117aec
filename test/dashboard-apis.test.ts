/**
 * The APIs the dashboard lists and acts through (issue 17): the sync job list (filters,
 * keyset pages, a vendor sees its own jobs only), the API key list (metadata only) and
 * revocation (401 at once on this isolate, idempotent, a vendor its own keys only), the vendor
 * list (search, pages) and the dead-letter replay (SYNC chunk and WEBHOOKS delivery reopened
 * and sent again, EVENTS sent again, once: a repeat answers the first result and sends
 * nothing; a failed send undoes the claim). Bad input is a 400, never a 500.
 */
import { createExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { SyncChunkMessage } from "../domain/sync-chunks";
import type { WebhookMessage } from "../domain/webhooks";
import { webhookPartitionOf } from "../domain/webhook-partitions";
import { EVENT_PARTITIONS, REORDER_PARTITIONS, SYNC_PARTITIONS, WEBHOOK_PARTITIONS } from "../queues/queue-names";
import { EVENTS_NAMES, REORDER_NAMES, SYNC_NAMES, WEBHOOKS_NAMES } from "../services/dead-letter-replay";
import { app } from "../workers/app";
import { KEY_CACHE_MS } from "../workers/auth/authenticate";
import {
  capturingQueue,
  capturingWebhookPartitions,
  EVENTS_DLQ,
  EVENTS_QUEUE,
  mockOutboundFetch,
  runAcked,
  tableRows,
  REORDER_PARTITION_QUEUES,
  SYNC_PARTITION_QUEUES,
  syncProducers,
  updatedEvent,
  withEnv,
  WEBHOOKS_PARTITION_DLQS,
  WEBHOOKS_PARTITION_QUEUES,
} from "./support/event-fixtures";
import { api, createSku, seedBasics, type Keys } from "./support/fixtures";
import { expectLogged } from "./support/log-capture";
import { allErrors, createSkus, SYNC_DLQ, SYNC_QUEUE, waitForJob } from "./support/sync-fixtures";

let keys: Keys;

beforeAll(async () => {
  keys = await seedBasics();
  await env.DB.prepare(
    "INSERT OR IGNORE INTO vendors (id, name, status) VALUES ('V3', 'Acme 100% Outdoor', 'active'), ('V4', 'Nordic_Gear', 'suspended')",
  ).run();
});

afterAll(() => {
  vi.restoreAllMocks();
});

/** Calls the app with some bindings replaced (a capturing producer), as `api` does with the real ones. */
async function callWith(overrides: Partial<Env>, method: string, path: string, key: string, body?: unknown) {
  const response = await app.fetch(
    new Request(`http://inventory.test${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
    withEnv(overrides),
    createExecutionContext(),
  );
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}

/** Posts a feed with a capturing SYNC producer: the job exists, its chunks are in our hands. */
async function captureJob(items: { sku: string; locationId: string; quantity: number }[]) {
  const sync = capturingQueue();
  const response = await app.fetch(
    new Request("http://inventory.test/api/v2/inventory/sync", {
      method: "POST",
      headers: { authorization: `Bearer ${keys.vendor}`, "content-type": "application/json", "idempotency-key": crypto.randomUUID() },
      body: JSON.stringify({ items }),
    }),
    withEnv(syncProducers(sync.queue)),
    createExecutionContext(),
  );
  expect(response.status).toBe(202);
  return { jobId: ((await response.json()) as { jobId: string }).jobId, chunks: sync.sent as SyncChunkMessage[] };
}

const replayPath = (queue: string, messageId: string) => `/api/v2/dead-letters/${encodeURIComponent(`${queue}:${messageId}`)}/replay`;

describe("GET /api/v2/sync: the job list", () => {
  let v1Jobs: string[];
  let v2Job: string;

  beforeAll(async () => {
    await createSkus(keys.operator, ["JL-1", "JL-2"], "V1");
    await createSkus(keys.operator, ["JL-9"], "V2");
    v1Jobs = [];
    for (const quantity of [1, 2, 3]) {
      const res = await api("POST", "/api/v2/inventory/sync", {
        key: keys.vendor,
        headers: { "idempotency-key": `jl-${quantity}` },
        body: { items: [{ sku: "JL-1", locationId: "L1", quantity }] },
      });
      expect(res.status).toBe(202);
      v1Jobs.push(res.body.jobId);
      await waitForJob(keys.vendor, res.body.jobId);
    }
    const failing = await api("POST", "/api/v2/inventory/sync", {
      key: keys.vendor,
      headers: { "idempotency-key": "jl-bad" },
      body: { items: [{ sku: "JL-404", locationId: "L1", quantity: 1 }] },
    });
    v1Jobs.push(failing.body.jobId);
    await waitForJob(keys.vendor, failing.body.jobId);
    const other = await api("POST", "/api/v2/inventory/sync", {
      key: keys.otherVendor,
      headers: { "idempotency-key": "jl-v2" },
      body: { items: [{ sku: "JL-9", locationId: "L1", quantity: 4 }] },
    });
    v2Job = other.body.jobId;
    await waitForJob(keys.otherVendor, v2Job);
  });

  it("a vendor sees its own jobs only, newest first, as GET /{jobId} shows them", async () => {
    const res = await api("GET", "/api/v2/sync", { key: keys.vendor });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("private, no-store");
    expect(res.body.nextCursor).toBeNull();
    const ids = res.body.items.map((j: { jobId: string }) => j.jobId);
    expect(ids).toEqual([...v1Jobs].reverse());
    expect(ids).not.toContain(v2Job);
    const one = await api("GET", `/api/v2/sync/${v1Jobs[0]}`, { key: keys.vendor });
    expect(res.body.items.at(-1)).toEqual(one.body);
    // Another vendor's id in the filter is refused, not silently widened or emptied.
    const other = await api("GET", "/api/v2/sync?vendorId=V2", { key: keys.vendor });
    expect(other.status).toBe(403);
    expect(other.body.error).toMatchObject({ code: "forbidden", details: [{ path: ["query", "vendorId"] }] });
    expect((await api("GET", "/api/v2/sync?vendorId=V1", { key: keys.vendor })).body.items).toHaveLength(4);
  });

  it("operators see every vendor's, filter by vendor, status and since, and page with the cursor", async () => {
    const all = await api("GET", "/api/v2/sync", { key: keys.operator });
    expect(all.body.items.map((j: { jobId: string }) => j.jobId)).toEqual([v2Job, ...[...v1Jobs].reverse()]);
    const v2 = await api("GET", "/api/v2/sync?vendorId=V2", { key: keys.operator });
    expect(v2.body.items.map((j: { jobId: string }) => j.jobId)).toEqual([v2Job]);
    const failed = await api("GET", "/api/v2/sync?status=failed", { key: keys.operator });
    expect(failed.body.items.map((j: { jobId: string; status: string }) => [j.jobId, j.status])).toEqual([[v1Jobs[3], "failed"]]);
    const since = Date.parse(all.body.items[1].createdAt);
    const recent = await api("GET", `/api/v2/sync?since=${encodeURIComponent(new Date(since).toISOString())}`, { key: keys.operator });
    expect(recent.body.items.map((j: { jobId: string }) => j.jobId)).toEqual(
      all.body.items.filter((j: { createdAt: string }) => Date.parse(j.createdAt) >= since).map((j: { jobId: string }) => j.jobId),
    );
    expect(recent.body.items.length).toBeGreaterThanOrEqual(2);
    const future = await api("GET", `/api/v2/sync?since=${encodeURIComponent(new Date(Date.now() + 60_000).toISOString())}`, { key: keys.operator });
    expect(future.body).toEqual({ items: [], nextCursor: null });

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: { status: number; body: { items: { jobId: string }[]; nextCursor: string | null } } = await api(
        "GET",
        `/api/v2/sync?limit=2${cursor ? `&cursor=${cursor}` : ""}`,
        { key: keys.operator },
      );
      expect(page.status).toBe(200);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      seen.push(...page.body.items.map((j) => j.jobId));
      cursor = page.body.nextCursor;
      pages += 1;
    } while (cursor !== null);
    expect(pages).toBe(3);
    expect(seen).toEqual(all.body.items.map((j: { jobId: string }) => j.jobId));
  });

  it("bad filters and foreign cursors are 400 at their query path; no key 401, a checkout key 403", async () => {
    const reviewsCursor = Buffer.from(JSON.stringify(["sr1", 1, "srv_000000000000000000000000"])).toString("base64url");
    for (const [query, path] of [
      ["status=done", "status"],
      ["since=yesterday", "since"],
      ["limit=0", "limit"],
      ["limit=501", "limit"],
      ["vendorId=bad%20id", "vendorId"],
      [`cursor=${reviewsCursor}`, "cursor"],
      ["cursor=%%%", "cursor"],
      ["colour=red", ""],
    ] as const) {
      const res = await api("GET", `/api/v2/sync?${query}`, { key: keys.operator });
      expect(res.status, query).toBe(400);
      expect(res.body.error.code, query).toBe("invalid_request");
      if (path !== "") expect(res.body.error.details[0].path, query).toEqual(["query", path]);
    }
    expect((await api("GET", "/api/v2/sync")).status).toBe(401);
    expect((await api("GET", "/api/v2/sync", { key: keys.checkout })).status).toBe(403);
  });
});

describe("API keys: the list and revocation", () => {
  it("operators list every key newest first with metadata only: never the key or its hash", async () => {
    const issued = await api("POST", "/api/v2/api-keys", { key: keys.operator, body: { name: "list me", scope: "vendor", vendorId: "V2" } });
    expect(issued.status).toBe(201);
    const res = await api("GET", "/api/v2/api-keys", { key: keys.operator });
    expect(res.status).toBe(200);
    expect(res.headers.get("cache-control")).toBe("no-store");
    expect(res.body.items[0]).toEqual({
      id: issued.body.id,
      name: "list me",
      scope: "vendor",
      vendorId: "V2",
      channel: null,
      status: "active",
      createdAt: issued.body.createdAt,
      revokedAt: null,
      revokedBy: null,
    });
    expect(res.body.items.map((k: { scope: string }) => k.scope).sort()).toEqual(["checkout", "operator", "vendor", "vendor", "vendor"]);
    const text = JSON.stringify(res.body);
    expect(text).not.toContain("keyHash");
    expect(text).not.toContain("key_hash");
    for (const key of Object.values(keys)) expect(text).not.toContain(key.slice(17));
    const hashes = (await tableRows("api_keys", "id")).map((r) => r.key_hash as string);
    for (const hash of hashes) expect(text).not.toContain(hash);
    // Filters and pages.
    const vendorKeys = await api("GET", "/api/v2/api-keys?scope=vendor&vendorId=V2", { key: keys.operator });
    expect(vendorKeys.body.items.map((k: { vendorId: string }) => k.vendorId)).toEqual(["V2", "V2"]);
    const first = await api("GET", "/api/v2/api-keys?limit=3", { key: keys.operator });
    expect(first.body.items).toHaveLength(3);
    const rest = await api("GET", `/api/v2/api-keys?limit=3&cursor=${first.body.nextCursor}`, { key: keys.operator });
    expect(rest.body.nextCursor).toBeNull();
    expect([...first.body.items, ...rest.body.items]).toEqual(res.body.items);
  });

  it("a vendor key lists its own vendor's keys only; another vendor in the filter is a 403; checkout keys 403", async () => {
    const res = await api("GET", "/api/v2/api-keys", { key: keys.vendor });
    expect(res.status).toBe(200);
    expect(res.body.items.map((k: { vendorId: string }) => k.vendorId)).toEqual(["V1"]);
    expect((await api("GET", "/api/v2/api-keys?vendorId=V2", { key: keys.vendor })).status).toBe(403);
    expect((await api("GET", "/api/v2/api-keys", { key: keys.checkout })).status).toBe(403);
    // Issuing stays an operator's.
    const issue = await api("POST", "/api/v2/api-keys", { key: keys.vendor, body: { name: "mine", scope: "vendor", vendorId: "V1" } });
    expect(issue.status).toBe(403);
  });

  it("a revoked key is refused with 401 on its very next request; a repeat answers the first revocation", async () => {
    const issued = await api("POST", "/api/v2/api-keys", { key: keys.operator, body: { name: "short-lived", scope: "vendor", vendorId: "V1" } });
    // Verified once, so this isolate has it cached.
    expect((await api("GET", "/api/v2/me", { key: issued.body.key })).status).toBe(200);
    const revoked = await api("POST", `/api/v2/api-keys/${issued.body.id}/revoke`, { key: keys.operator });
    expect(revoked.status).toBe(200);
    expect(revoked.body).toMatchObject({
      id: issued.body.id,
      status: "revoked",
      revokedAt: expect.any(String),
      revokedBy: expect.stringMatching(/^operator:key_/),
    });
    const after = await api("GET", "/api/v2/me", { key: issued.body.key });
    expect(after.status).toBe(401);
    expect(after.body.error.code).toBe("unauthorized");
    // Idempotent: the first time and actor stay.
    const again = await api("POST", `/api/v2/api-keys/${issued.body.id}/revoke`, { key: keys.operator });
    expect(again.status).toBe(200);
    expect(again.body).toEqual(revoked.body);
    expect((await api("GET", "/api/v2/api-keys?status=revoked", { key: keys.operator })).body.items.map((k: { id: string }) => k.id)).toEqual([issued.body.id]);
    expect((await api("GET", "/api/v2/api-keys?status=active", { key: keys.operator })).body.items.map((k: { id: string }) => k.id)).not.toContain(
      issued.body.id,
    );
    // The documented bound for other isolates.
    expect(KEY_CACHE_MS).toBe(30_000);
  });

  it("a vendor revokes its own keys (itself included); another vendor's key is a 404, as an unknown one; a bad id a 400", async () => {
    const own = await api("POST", "/api/v2/api-keys", { key: keys.operator, body: { name: "v1 spare", scope: "vendor", vendorId: "V1" } });
    const foreign = await api("POST", "/api/v2/api-keys", { key: keys.operator, body: { name: "v2 spare", scope: "vendor", vendorId: "V2" } });
    const notMine = await api("POST", `/api/v2/api-keys/${foreign.body.id}/revoke`, { key: keys.vendor });
    expect(notMine.status).toBe(404);
    expect(notMine.body.error.code).toBe("api_key_not_found");
    expect((await api("GET", "/api/v2/me", { key: foreign.body.key })).status).toBe(200);
    expect((await api("POST", "/api/v2/api-keys/zzzzzzzzzzzz/revoke", { key: keys.operator })).status).toBe(404);
    const bad = await api("POST", "/api/v2/api-keys/NOT-AN-ID/revoke", { key: keys.operator });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toEqual(["path", "id"]);
    expect((await api("POST", `/api/v2/api-keys/${own.body.id}/revoke`, { key: keys.checkout })).status).toBe(403);

    const res = await api("POST", `/api/v2/api-keys/${own.body.id}/revoke`, { key: keys.vendor });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: "revoked", revokedBy: expect.stringMatching(/^vendor:V1:key_/) });
    expect((await api("GET", "/api/v2/me", { key: own.body.key })).status).toBe(401);

    const self = await api("POST", "/api/v2/api-keys", { key: keys.operator, body: { name: "v1 self", scope: "vendor", vendorId: "V1" } });
    expect((await api("POST", `/api/v2/api-keys/${self.body.id}/revoke`, { key: self.body.key })).status).toBe(200);
    expect((await api("GET", "/api/v2/api-keys", { key: self.body.key })).status).toBe(401);
  });
});

describe("GET /api/v2/vendors: the vendor list", () => {
  it("by id, in pages; q finds a part of the name or id without regard to case, % and _ literally", async () => {
    const all = await api("GET", "/api/v2/vendors", { key: keys.operator });
    expect(all.status).toBe(200);
    expect(all.body.items.map((v: { id: string }) => v.id)).toEqual(["V1", "V2", "V3", "V4"]);
    expect(all.body.items[0]).toEqual({ id: "V1", name: "Vendor One", status: "active", createdAt: expect.any(String), updatedAt: expect.any(String) });
    const page1 = await api("GET", "/api/v2/vendors?limit=3", { key: keys.operator });
    expect(page1.body.items.map((v: { id: string }) => v.id)).toEqual(["V1", "V2", "V3"]);
    const page2 = await api("GET", `/api/v2/vendors?limit=3&cursor=${page1.body.nextCursor}`, { key: keys.operator });
    expect(page2.body).toEqual({ items: [expect.objectContaining({ id: "V4" })], nextCursor: null });

    const names = async (q: string) =>
      (await api("GET", `/api/v2/vendors?q=${encodeURIComponent(q)}`, { key: keys.operator })).body.items.map((v: { id: string }) => v.id);
    expect(await names("vendor t")).toEqual(["V2"]);
    expect(await names("v3")).toEqual(["V3"]);
    expect(await names("100%")).toEqual(["V3"]);
    expect(await names("%")).toEqual(["V3"]);
    // "_" is a letter here, not LIKE's any-character: "o_e" would otherwise find "Vendor One".
    expect(await names("o_e")).toEqual([]);
    expect(await names("C_g")).toEqual(["V4"]);
    expect(await names("_")).toEqual(["V4"]);
    expect((await api("GET", "/api/v2/vendors?status=suspended", { key: keys.operator })).body.items.map((v: { id: string }) => v.id)).toEqual(["V4"]);
  });

  it("operators only; bad input 400", async () => {
    expect((await api("GET", "/api/v2/vendors", { key: keys.vendor })).status).toBe(403);
    expect((await api("GET", "/api/v2/vendors")).status).toBe(401);
    for (const query of ["limit=0", "q=", `q=${"x".repeat(65)}`, "status=gone", "cursor=abc", "name=V1"]) {
      const res = await api("GET", `/api/v2/vendors?${query}`, { key: keys.operator });
      expect(res.status, query).toBe(400);
      expect(res.body.error.code, query).toBe("invalid_request");
    }
  });
});

describe("POST /api/v2/dead-letters/{id}/replay", () => {
  it("SYNC: the failed chunk is reopened and sent again; the job finishes with its items applied; a repeat sends nothing", async () => {
    await createSkus(keys.operator, ["RP-1", "RP-2"], "V1");
    const { jobId, chunks } = await captureJob([
      { sku: "RP-1", locationId: "L1", quantity: 7 },
      { sku: "RP-2", locationId: "L2", quantity: 9 },
    ]);
    expect(chunks).toHaveLength(1);
    // The chunk fails on every attempt and reaches the dead-letter queue.
    await runAcked(SYNC_DLQ, [{ body: chunks[0], id: "rp-sync-1" }]);
    expectLogged({ event: "queue.dead_letter", queue: "edge-inventory-sync", messageId: "rp-sync-1" });
    expect(await waitForJob(keys.vendor, jobId)).toMatchObject({ status: "failed", counts: { errors: 2, applied: 0 } });
    expect((await allErrors(keys.vendor, jobId)).map((e) => e.code)).toEqual(["chunk_failed", "chunk_failed"]);
    const listed = await api("GET", "/api/v2/dead-letters?queue=edge-inventory-sync", { key: keys.operator });
    expect(listed.body.items).toEqual([
      expect.objectContaining({ id: "edge-inventory-sync:rp-sync-1", replayedAt: null, replayedBy: null, replayReopened: null }),
    ]);

    const sync = capturingQueue();
    const first = await callWith(syncProducers(sync.queue), "POST", replayPath("edge-inventory-sync", "rp-sync-1"), keys.operator);
    expect(first.status).toBe(200);
    expect(first.headers.get("idempotent-replayed")).toBeNull();
    expect(first.body).toEqual({
      id: "edge-inventory-sync:rp-sync-1",
      queue: "edge-inventory-sync",
      messageId: "rp-sync-1",
      replayedAt: expect.any(String),
      replayedBy: expect.stringMatching(/^operator:key_/),
      reopened: "sync_chunk",
    });
    expectLogged({ event: "dead_letter.replayed", queue: "edge-inventory-sync", reopened: "sync_chunk" });
    expect(sync.sent).toEqual([chunks[0]]);
    // Reopened: running again, its chunk_failed errors gone.
    expect((await api("GET", `/api/v2/sync/${jobId}`, { key: keys.vendor })).body).toMatchObject({
      status: "running",
      chunks: { done: 0 },
      counts: { errors: 0 },
    });
    expect(await allErrors(keys.vendor, jobId)).toEqual([]);

    await runAcked(SYNC_QUEUE, [{ body: sync.sent[0], id: "rp-sync-1-again" }]);
    expect(await waitForJob(keys.vendor, jobId)).toMatchObject({
      status: "completed",
      counts: { applied: 2, errors: 0, pending: 0 },
      chunks: { total: 1, done: 1 },
    });

    const second = await callWith(syncProducers(sync.queue), "POST", replayPath("edge-inventory-sync", "rp-sync-1"), keys.operator);
    expect(second.status).toBe(200);
    expect(second.headers.get("idempotent-replayed")).toBe("true");
    expect(second.body).toEqual(first.body);
    expect(sync.sent).toHaveLength(1);
    const after = await api("GET", "/api/v2/dead-letters?queue=edge-inventory-sync", { key: keys.operator });
    expect(after.body.items[0]).toMatchObject({ replayedAt: first.body.replayedAt, replayedBy: first.body.replayedBy, replayReopened: "sync_chunk" });
  });

  it("WEBHOOKS: the cancelled delivery is pending again, sent again to its partition and delivered by that partition's consumer", async () => {
    const receiver = mockOutboundFetch(() => 200);
    const created = await api("POST", "/api/v2/webhooks", {
      key: keys.vendor,
      body: { url: "http://127.0.0.1:9/replay-hook", eventTypes: ["inventory.updated"] },
    });
    expect(created.status).toBe(201);
    const webhooks = capturingWebhookPartitions();
    expect((await callWith(webhooks.overrides, "POST", `/api/v2/webhooks/${created.body.id}/test`, keys.vendor)).status).toBe(202);
    const p = webhookPartitionOf(webhooks.partitions.flatMap((c) => c.sent)[0] as WebhookMessage, WEBHOOKS_PARTITION_QUEUES.length);
    const message = webhooks.partitions[p]!.sent[0] as WebhookMessage;
    // It dead-letters on its partition's queue and is recorded under that partition.
    await runAcked(WEBHOOKS_PARTITION_DLQS[p]!, [{ body: message, id: "rp-hook-1" }]);
    expectLogged({ event: "queue.dead_letter", queue: WEBHOOKS_PARTITION_QUEUES[p], messageId: "rp-hook-1" });
    const delivery = async () => (await tableRows("webhook_deliveries", "id")).find((d) => d.id === message.deliveryId)!;
    expect(await delivery()).toMatchObject({ status: "failed", last_failure: "cancelled" });

    const replayed = await callWith(webhooks.overrides, "POST", replayPath(WEBHOOKS_PARTITION_QUEUES[p]!, "rp-hook-1"), keys.operator);
    expect(replayed.status).toBe(200);
    expect(replayed.body.reopened).toBe("webhook_delivery");
    expectLogged({ event: "dead_letter.replayed", reopened: "webhook_delivery" });
    expect(webhooks.partitions.map((c) => c.sent.length)).toEqual(WEBHOOKS_PARTITION_QUEUES.map((_q, i) => (i === p ? 2 : 0)));
    expect(webhooks.partitions[p]!.sent).toEqual([message, message]);
    expect(await delivery()).toMatchObject({ status: "pending", failed_at: null });
    await runAcked(WEBHOOKS_PARTITION_QUEUES[p]!, [webhooks.partitions[p]!.sent[1]]);
    expect(await delivery()).toMatchObject({ status: "delivered" });
    expect(receiver.received.map((r) => r.url)).toEqual(["http://127.0.0.1:9/replay-hook"]);
    vi.restoreAllMocks();
  });

  it("EVENTS: the event is sent again to its partition and applied; a failed send undoes the claim and says 503", async () => {
    await createSku("RP-EV");
    const event = updatedEvent("RP-EV", 1, "L1", { onHand: 12 });
    await runAcked(EVENTS_DLQ, [{ body: event, id: "rp-evt-1" }]);
    expectLogged({ event: "queue.dead_letter", queue: EVENTS_QUEUE, messageId: "rp-evt-1" });
    const events = capturingQueue();
    events.failSends = 1;
    const failed = await callWith({ EVENTS_0: events.queue }, "POST", replayPath(EVENTS_QUEUE, "rp-evt-1"), keys.operator);
    expect(failed.status).toBe(503);
    expect(failed.body.error.code).toBe("retry_later");
    expectLogged({ event: "dead_letter.replay_send_failed", messageId: "rp-evt-1" });
    expectLogged({ status: 503, code: "retry_later" });
    expect((await tableRows("dead_letters", "queue, message_id")).find((r) => r.message_id === "rp-evt-1")).toMatchObject({
      replayed_at: null,
      replayed_by: null,
    });

    const ok = await callWith({ EVENTS_0: events.queue }, "POST", replayPath(EVENTS_QUEUE, "rp-evt-1"), keys.operator);
    expect(ok.status).toBe(200);
    expect(ok.body.reopened).toBe("none");
    expectLogged({ event: "dead_letter.replayed", reopened: "none" });
    expect(events.sent).toEqual([event]);
    await runAcked(EVENTS_QUEUE, [events.sent[0]]);
    const level = (await tableRows("inventory_levels", "sku, location_id")).find((r) => r.sku === "RP-EV" && r.location_id === "L1");
    expect(level).toMatchObject({ on_hand: 12 });
  });

  it("404 for an unknown dead letter, 409 for a body cut at 64 KiB or a queue nobody consumes, 400 for a malformed id, operators only", async () => {
    await env.DB.batch([
      env.DB.prepare("INSERT INTO dead_letters (queue, message_id, dead_letter_queue, body) VALUES (?, ?, ?, ?)").bind(
        EVENTS_QUEUE,
        "rp-cut",
        EVENTS_DLQ,
        '{"id":"evt:X:1","ty',
      ),
      env.DB.prepare("INSERT INTO dead_letters (queue, message_id, dead_letter_queue, body) VALUES (?, ?, ?, ?)").bind(
        "old-queue",
        "rp-old",
        "old-queue-dlq",
        "{}",
      ),
      env.DB.prepare("INSERT INTO dead_letters (queue, message_id, dead_letter_queue, body) VALUES (?, ?, ?, ?)").bind(
        SYNC_QUEUE,
        "rp-bad-sync",
        SYNC_DLQ,
        '{"v":99}',
      ),
    ]);
    const events = capturingQueue();
    for (const [queue, id] of [
      [EVENTS_QUEUE, "rp-cut"],
      ["old-queue", "rp-old"],
      [SYNC_QUEUE, "rp-bad-sync"],
    ] as const) {
      const res = await callWith({ EVENTS_0: events.queue }, "POST", replayPath(queue, id), keys.operator);
      expect(res.status, id).toBe(409);
      expect(res.body.error.code, id).toBe("dead_letter_unreplayable");
    }
    expect(events.sent).toEqual([]);
    expect((await tableRows("dead_letters", "queue, message_id")).filter((r) => r.replayed_at !== null).map((r) => r.message_id)).not.toContain("rp-cut");

    const unknown = await api("POST", replayPath(EVENTS_QUEUE, "nope"), { key: keys.operator });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe("dead_letter_not_found");
    for (const id of ["no-colon", "UPPER:1", `${EVENTS_QUEUE}:`, `${EVENTS_QUEUE}:${"x".repeat(250)}`]) {
      const res = await api("POST", `/api/v2/dead-letters/${encodeURIComponent(id)}/replay`, { key: keys.operator });
      expect(res.status, id).toBe(400);
      expect(res.body.error.details[0].path, id).toEqual(["path", "id"]);
    }
    expect((await api("POST", replayPath(EVENTS_QUEUE, "rp-cut"), { key: keys.vendor })).status).toBe(403);
    expect((await api("POST", replayPath(EVENTS_QUEUE, "rp-cut"))).status).toBe(401);
  });

  it("the replay's queue names are the ones the consumers use", () => {
    expect(EVENTS_NAMES).toEqual(EVENT_PARTITIONS.map((p) => p.name));
    expect(WEBHOOKS_NAMES).toEqual(WEBHOOK_PARTITIONS.map((p) => p.name));
    expect(SYNC_NAMES).toEqual(SYNC_PARTITIONS.map((p) => p.name));
    expect(REORDER_NAMES).toEqual(REORDER_PARTITIONS.map((p) => p.name));
    // …and the test fixtures' names too.
    expect(SYNC_PARTITION_QUEUES).toEqual(SYNC_NAMES);
    expect(REORDER_PARTITION_QUEUES).toEqual(REORDER_NAMES);
  });
});
