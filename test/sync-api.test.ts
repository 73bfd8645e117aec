/**
 * `POST /api/v2/inventory/sync` at the request level and the job endpoints: a feed is
 * answered 202 with its counts and applied by the real local SYNC queue; only
 * request-level faults refuse a request (and record nothing); 10,001 items are a 413; the
 * same Idempotency-Key with another body is a 422; vendors see only their own jobs; the
 * error report pages by cursor and downloads as CSV.
 */
import { listDurableObjectIds } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { api, seedBasics, skuObject, type Keys } from "./support/fixtures";
import { allErrors, createSkus, postCsv, postFeed, waitForJob } from "./support/sync-fixtures";

let keys: Keys;

beforeAll(async () => {
  keys = await seedBasics();
  await createSkus(keys.operator, ["SA-1", "SA-2", "SA-3", "SA-4"], "V1");
  await createSkus(keys.operator, ["SB-1"], "V2");
});

const jobCount = async () => (await env.DB.prepare("SELECT count(*) AS n FROM sync_jobs").first<{ n: number }>())!.n;
const onHand = async (sku: string, locationId: string) => (await skuObject(sku).snapshot()).locations.find((l) => l.locationId === locationId)?.onHand;

describe("a feed through the API and the queue", () => {
  it("a JSON body may say its items came from a CSV file: the job records csv, the items are still read as JSON", async () => {
    const res = await postFeed(keys.vendor, [{ sku: "SA-1", locationId: "L2", quantity: 6, row: 2 }], { extra: { source: "csv" } });
    expect(res.status).toBe(202);
    const job = await waitForJob(keys.vendor, res.body.jobId);
    expect(job).toMatchObject({ source: "csv", status: "completed", counts: { applied: 1, errors: 0 } });
    expect(await onHand("SA-1", "L2")).toBe(6);
  });

  it("202 with the counts; the chunks are applied; the job shows counts and timings", async () => {
    const res = await postFeed(keys.vendor, [
      { sku: "SA-1", locationId: "L1", quantity: 10 },
      { sku: "SA-2", locationId: "L1", quantity: 20 },
      { sku: "SA-2", locationId: "L2", quantity: 0 },
      { sku: "SA-3", locationId: "L1", quantity: -4 },
    ]);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ jobId: expect.stringMatching(/^sync_[0-9a-f]{32}$/), received: 4, accepted: 3, rejected: 1 });
    expect(res.headers.get("location")).toBe(`/api/v2/sync/${res.body.jobId}`);
    const job = await waitForJob(keys.vendor, res.body.jobId);
    expect(job).toMatchObject({
      vendorId: "V1",
      status: "completed_with_errors",
      mode: "absolute",
      source: "json",
      counts: { received: 4, accepted: 3, rejected: 1, applied: 2, unchanged: 1, conflicts: 0, errors: 1, pending: 0 },
      chunks: { total: 1, done: 1 },
    });
    expect(Date.parse(job.createdAt)).toBeLessThanOrEqual(Date.parse(job.startedAt));
    expect(Date.parse(job.startedAt)).toBeLessThanOrEqual(Date.parse(job.completedAt));
    expect(job.durationMs).toBeGreaterThanOrEqual(0);
    expect(await onHand("SA-1", "L1")).toBe(10);
    expect(await onHand("SA-2", "L1")).toBe(20);
    expect(await allErrors(keys.vendor, job.jobId)).toEqual([
      {
        item: 3,
        row: null,
        sku: "SA-3",
        locationId: "L1",
        quantity: "-4",
        code: "out_of_range",
        message: "quantity must be between 0 and 1000000 for absolute feeds",
      },
    ]);
  });

  it("operators name the vendor (query or body); a SKU of another vendor is an item error", async () => {
    const res = await postFeed(
      keys.operator,
      [
        { sku: "SA-4", locationId: "L2", quantity: 3 },
        { sku: "SB-1", locationId: "L2", quantity: 3 },
      ],
      { extra: { vendorId: "V1" } },
    );
    expect(res.status).toBe(202);
    const job = await waitForJob(keys.operator, res.body.jobId);
    expect(job).toMatchObject({ vendorId: "V1", status: "completed_with_errors", counts: { applied: 1, errors: 1 } });
    expect((await allErrors(keys.operator, job.jobId)).map((e) => [e.sku, e.code])).toEqual([["SB-1", "forbidden_sku"]]);
    expect(await onHand("SA-4", "L2")).toBe(3);
    expect((await skuObject("SB-1").snapshot()).locations).toEqual([]);
  });
});

describe("request-level faults refuse the whole request and record nothing", () => {
  it("10,001 items → 413 too_many_items (JSON and CSV); 10,000 is the limit", async () => {
    const before = await jobCount();
    const items = Array.from({ length: 10_001 }, (_, i) => ({ sku: `X-${i}`, locationId: "L1", quantity: 1 }));
    const json = await postFeed(keys.vendor, items);
    expect(json.status).toBe(413);
    expect(json.body.error).toEqual({ code: "too_many_items", message: expect.any(String), details: { maxItems: 10_000, received: 10_001 } });
    const csv = await postCsv(keys.vendor, `sku,location_id,quantity\n${items.map((i) => `${i.sku},L1,1`).join("\n")}\n`);
    expect(csv.status).toBe(413);
    expect(csv.body.error.code).toBe("too_many_items");
    expect(await jobCount()).toBe(before);
  });

  it("401, 403, 415, 400 for malformed input, 413 for a body over 4 MiB", async () => {
    const before = await jobCount();
    const ids = async () => (await listDurableObjectIds(env.SKU_INVENTORY)).length;
    const objectsBefore = await ids();
    const item = { sku: "SA-1", locationId: "L1", quantity: 1 };
    const cases: [Promise<{ status: number; body: any }>, number, string, unknown?][] = [
      [postFeed("", [item]), 401, "unauthorized"],
      [postFeed(keys.checkout, [item]), 403, "forbidden"],
      [postFeed(keys.vendor, [item], { query: "vendorId=V2" }), 403, "forbidden", ["query", "vendorId"]],
      [postFeed(keys.vendor, [item], { extra: { vendorId: "V2" } }), 403, "forbidden", ["body", "vendorId"]],
      [postFeed(keys.operator, [item]), 400, "invalid_request", ["query", "vendorId"]],
      [postFeed(keys.operator, [item], { query: "vendorId=NOPE" }), 400, "invalid_request", ["query", "vendorId"]],
      [postFeed(keys.vendor, [item], { mode: "replace" as "delta" }), 400, "invalid_request", ["body", "mode"]],
      [postFeed(keys.vendor, [item], { extra: { colour: "red" } }), 400, "invalid_request", ["body", "colour"]],
      [postFeed(keys.vendor, []), 400, "invalid_request", ["body", "items"]],
      [api("POST", "/api/v2/inventory/sync", { key: keys.vendor, idempotencyKey: "k1", body: { items: "all" } }), 400, "invalid_request", ["body", "items"]],
      [api("POST", "/api/v2/inventory/sync", { key: keys.vendor, body: { items: [item] } }), 400, "invalid_request", ["headers", "idempotency-key"]],
      [
        api("POST", "/api/v2/inventory/sync", {
          key: keys.vendor,
          idempotencyKey: "k2",
          rawBody: '{"items": [',
          headers: { "content-type": "application/json" },
        }),
        400,
        "malformed_json",
      ],
      [
        api("POST", "/api/v2/inventory/sync", {
          key: keys.vendor,
          idempotencyKey: "k3",
          rawBody: "sku,location_id,quantity",
          headers: { "content-type": "text/plain" },
        }),
        415,
        "unsupported_media_type",
      ],
      [postCsv(keys.vendor, "sku,location,quantity\nSA-1,L1,1\n"), 400, "invalid_csv_header"],
      [postCsv(keys.vendor, 'sku,location_id,quantity\nSA-1,L1,1\n"SA-2,L1,2\n'), 400, "malformed_csv"],
      [postCsv(keys.vendor, "sku,location_id,quantity\n"), 400, "empty_feed"],
      [
        api("POST", "/api/v2/inventory/sync", {
          key: keys.vendor,
          idempotencyKey: "k4",
          rawBody: `{"items":[],"pad":"${"x".repeat(4 * 1024 * 1024)}"}`,
          headers: { "content-type": "application/json" },
        }),
        413,
        "payload_too_large",
      ],
    ];
    for (const [pending, status, code, path] of cases) {
      const res = await pending;
      expect({ status: res.status, code: res.body.error.code }).toEqual({ status, code });
      if (path !== undefined) expect(res.body.error.details[0].path).toEqual(path);
    }
    expect(await jobCount()).toBe(before);
    expect(await ids()).toBe(objectsBefore);
  });

  it("10,000 bad items are 10,000 item errors of a failed job, not a refused request", async () => {
    const items = Array.from({ length: 10_000 }, (_, i) => ({ sku: `BAD SKU ${i} ${"x".repeat(250)}`, locationId: "L1", quantity: i }));
    const res = await postFeed(keys.vendor, items);
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ status: "failed", received: 10_000, accepted: 0, rejected: 10_000 });
    const page = await api("GET", `/api/v2/sync/${res.body.jobId}/errors?limit=1000`, { key: keys.vendor });
    expect(page.body.items).toHaveLength(1000);
    expect(page.body.items[999]).toMatchObject({ item: 999, code: "invalid_sku", sku: expect.stringMatching(/…$/) });
    const csv = await exports.default.fetch(
      new Request(`http://inventory.test/api/v2/sync/${res.body.jobId}/errors?format=csv`, { headers: { authorization: `Bearer ${keys.vendor}` } }),
    );
    expect((await csv.text()).trim().split("\r\n")).toHaveLength(10_001);
  });

  it("the same Idempotency-Key with another body → 422; keys are scoped per principal", async () => {
    const first = await postFeed(keys.vendor, [{ sku: "SA-1", locationId: "L1", quantity: 10 }], { idempotencyKey: "api-same" });
    expect(first.status).toBe(202);
    const other = await postFeed(keys.vendor, [{ sku: "SA-1", locationId: "L1", quantity: 11 }], { idempotencyKey: "api-same" });
    expect(other.status).toBe(422);
    expect(other.body.error).toMatchObject({ code: "idempotency_conflict", details: { jobId: first.body.jobId } });
    const theirs = await postFeed(keys.otherVendor, [{ sku: "SB-1", locationId: "L1", quantity: 1 }], { idempotencyKey: "api-same" });
    expect(theirs.status).toBe(202);
    expect(theirs.body.jobId).not.toBe(first.body.jobId);
    await waitForJob(keys.vendor, first.body.jobId);
    await waitForJob(keys.otherVendor, theirs.body.jobId);
  });
});

describe("job endpoints", () => {
  let jobId: string;

  beforeAll(async () => {
    const items = [
      ...Array.from({ length: 5 }, (_, i) => ({ sku: `NOPE-${i}`, locationId: "L1", quantity: i })),
      { sku: "SA-1", locationId: "L1", quantity: 10 },
      { sku: "SA-2", locationId: "L9", quantity: 1 },
      { sku: "SA-3", locationId: "L1", quantity: 'say "five", please', row: 42 },
    ];
    const res = await postFeed(keys.vendor, items);
    jobId = res.body.jobId;
    await waitForJob(keys.vendor, jobId);
  });

  it("vendors see only their own jobs; operators see all; a malformed id is a 400", async () => {
    expect((await api("GET", `/api/v2/sync/${jobId}`, { key: keys.vendor })).status).toBe(200);
    expect((await api("GET", `/api/v2/sync/${jobId}`, { key: keys.operator })).status).toBe(200);
    const theirs = await api("GET", `/api/v2/sync/${jobId}`, { key: keys.otherVendor });
    expect(theirs.status).toBe(404);
    expect(theirs.body.error.code).toBe("job_not_found");
    expect((await api("GET", `/api/v2/sync/${jobId}/errors`, { key: keys.otherVendor })).status).toBe(404);
    expect((await api("GET", `/api/v2/sync/${jobId}`, { key: keys.checkout })).status).toBe(403);
    expect((await api("GET", "/api/v2/sync/not-a-job", { key: keys.vendor })).body.error.details[0].path).toEqual(["path", "jobId"]);
    expect((await api("GET", `/api/v2/sync/sync_${"0".repeat(32)}`, { key: keys.operator })).status).toBe(404);
  });

  it("errors page by cursor in item order, and download as CSV", async () => {
    const all = await allErrors(keys.vendor, jobId, 100);
    expect(all.map((e) => [e.item, e.code])).toEqual([
      [0, "unknown_sku"],
      [1, "unknown_sku"],
      [2, "unknown_sku"],
      [3, "unknown_sku"],
      [4, "unknown_sku"],
      [6, "unknown_location"],
      [7, "invalid_quantity"],
    ]);
    expect(all[6]).toMatchObject({ row: 42, quantity: 'say "five", please' });
    expect(await allErrors(keys.vendor, jobId, 2)).toEqual(all);
    expect((await api("GET", `/api/v2/sync/${jobId}/errors?cursor=bogus`, { key: keys.vendor })).status).toBe(400);

    const requests: { path: string; headers: Record<string, string> }[] = [
      { path: `/api/v2/sync/${jobId}/errors?format=csv`, headers: {} },
      { path: `/api/v2/sync/${jobId}/errors`, headers: { accept: "text/csv" } },
    ];
    for (const request of requests) {
      const response = await exports.default.fetch(
        new Request(`http://inventory.test${request.path}`, { headers: { authorization: `Bearer ${keys.vendor}`, ...request.headers } }),
      );
      expect(response.status).toBe(200);
      expect(response.headers.get("content-type")).toBe("text/csv; charset=utf-8");
      expect(response.headers.get("content-disposition")).toBe(`attachment; filename="${jobId}-errors.csv"`);
      const lines = (await response.text()).split("\r\n");
      expect(lines[0]).toBe("item,row,sku,location_id,quantity,code,message");
      expect(lines).toHaveLength(all.length + 2);
      expect(lines[7]).toBe(`7,42,SA-3,L1,"say ""five"", please",invalid_quantity,quantity must be an integer`);
    }
  });
});
