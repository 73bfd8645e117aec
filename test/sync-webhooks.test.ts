/**
 * `sync.completed`: when a job finishes, its vendor's subscriptions to the event (and
 * operator-wide ones) get one signed delivery each through the real WEBHOOKS queue, with
 * the job summary as payload; other vendors' subscriptions and subscriptions to other
 * event types get nothing. Also for a job whose every item was rejected up front (it
 * finishes at once, without the SYNC queue). Outbound calls go to a recording receiver
 * (`mockOutboundFetch`), never off the machine. "Nothing more arrives" is checked after a
 * positive control: another vendor's job, sent later through the same queues, is seen arriving
 * through the same receiver first.
 */
import { createHmac } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { api, seedBasics, type Keys } from "./support/fixtures";
import { eventually, mockOutboundFetch, type Received } from "./support/event-fixtures";
import { createSkus, postFeed, waitForJob } from "./support/sync-fixtures";

let keys: Keys;
let receiver: { received: Received[] };
const secrets = new Map<string, string>();

beforeAll(async () => {
  keys = await seedBasics();
  receiver = mockOutboundFetch(() => 204);
  await createSkus(keys.operator, ["WH-1"], "V1");
  await createSkus(keys.operator, ["WH-2"], "V2");
  const subscribe = async (key: string, path: string, eventTypes: string[], vendorId?: string) => {
    const res = await api("POST", "/api/v2/webhooks", { key, body: { url: `http://127.0.0.1:9/${path}`, eventTypes, ...(vendorId ? { vendorId } : {}) } });
    expect(res.status).toBe(201);
    secrets.set(path, res.body.secret);
  };
  await subscribe(keys.vendor, "v1-sync", ["sync.completed"]);
  await subscribe(keys.vendor, "v1-updates", ["inventory.updated"]);
  await subscribe(keys.otherVendor, "v2-sync", ["sync.completed"]);
  await subscribe(keys.operator, "ops-sync", ["sync.completed", "sync.conflict"]);
});
afterAll(() => {
  vi.restoreAllMocks();
});

const hooksFor = (jobId: string) =>
  receiver.received.filter((r) => r.headers.get("x-edgeinventory-event") === "sync.completed" && JSON.parse(r.body).job.jobId === jobId);

describe("sync.completed", () => {
  it("the vendor's and operator-wide subscriptions get one signed delivery with the job summary", async () => {
    const res = await postFeed(keys.vendor, [
      { sku: "WH-1", locationId: "L1", quantity: 3 },
      { sku: "WH-NOPE", locationId: "L1", quantity: 3 },
    ]);
    const job = await waitForJob(keys.vendor, res.body.jobId);
    const hooks = await eventually(async () => (hooksFor(job.jobId).length >= 2 ? hooksFor(job.jobId) : undefined), "the sync.completed deliveries");
    expect(hooks.map((h) => new URL(h.url).pathname).sort()).toEqual(["/ops-sync", "/v1-sync"]);
    for (const hook of hooks) {
      const path = new URL(hook.url).pathname.slice(1);
      const ts = hook.headers.get("x-edgeinventory-timestamp")!;
      expect(hook.headers.get("x-edgeinventory-signature")).toBe(`v1=${createHmac("sha256", secrets.get(path)!).update(`${ts}.${hook.body}`).digest("hex")}`);
      expect(JSON.parse(hook.body)).toEqual({
        id: `evt:sync:${job.jobId}:completed`,
        type: "sync.completed",
        occurredAt: job.completedAt,
        vendorId: "V1",
        job,
      });
    }
    // Positive control: the other vendor's job, posted now through the same SYNC and WEBHOOKS
    // queues, reaches its own and the operator-wide subscription through the same receiver.
    const control = await postFeed(keys.otherVendor, [{ sku: "WH-2", locationId: "L1", quantity: 5 }]);
    const controlJob = await waitForJob(keys.otherVendor, control.body.jobId);
    const controlHooks = await eventually(
      async () => (hooksFor(controlJob.jobId).length >= 2 ? hooksFor(controlJob.jobId) : undefined),
      "the control job's deliveries",
    );
    expect(controlHooks.map((h) => new URL(h.url).pathname).sort()).toEqual(["/ops-sync", "/v2-sync"]);
    // Nothing more arrived for the first job (its deliveries were queued before the control's):
    // one delivery per subscription, and none to the other vendor's.
    expect(hooksFor(job.jobId)).toHaveLength(2);
    expect(receiver.received.filter((r) => r.url.endsWith("/v2-sync")).map((r) => JSON.parse(r.body).job.jobId)).toEqual([controlJob.jobId]);
  });

  it("a job whose every item was rejected up front finishes at once and is announced too", async () => {
    const res = await postFeed(keys.vendor, [{ sku: "WH-1", locationId: "L1", quantity: -1 }]);
    expect(res.body).toMatchObject({ status: "failed", accepted: 0, rejected: 1 });
    const hooks = await eventually(async () => (hooksFor(res.body.jobId).length >= 2 ? hooksFor(res.body.jobId) : undefined), "the deliveries");
    expect(JSON.parse(hooks[0]!.body).job).toMatchObject({ status: "failed", counts: { errors: 1 } });
  });
});
