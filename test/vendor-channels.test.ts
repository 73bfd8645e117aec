/**
 * Vendor channels (issue 16) through the Worker, with the real local SYNC queue:
 * - per-vendor sync settings (`/api/v2/vendors/{id}/sync-settings`): who may read and
 *   change them, validation with paths, the pull's secret stored and shown only masked, a
 *   pull URL to a private address refused;
 * - every file format at `POST /api/v2/inventory/sync` becomes a job with exact results and
 *   the detected `source`: Shopify's three generations, a generic mapped CSV, an X12 846
 *   (and one whose failed sets give per-segment errors and apply nothing); files that cannot
 *   be read are refused whole with no job;
 * - sync health: per method, `sync.failed` deliveries once per streak after N failures, the
 *   recovery, and the stale flag after the configured silence;
 * - scheduled pulls: ETag/If-Modified-Since and the auth header sent, a 304 and the same
 *   content make no job, a fetch failure is recorded and retried at the next due time.
 *
 * There is no external server inside workerd, so outbound `fetch` is replaced by a
 * recording receiver (`vi.spyOn(globalThis, "fetch")`, the pattern of
 * `test/support/event-fixtures.ts` `mockOutboundFetch`, here with bodies and headers of our
 * choosing): nothing leaves the process.
 */
import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { sweepPulls } from "../services/sync-pull";
import { CRONS, handleScheduled } from "../workers/scheduled";
import { GENERIC_SEMICOLON, SHOPIFY_CURRENT, SHOPIFY_LONG_LEGACY, SHOPIFY_MALFORMED_QUOTE, SHOPIFY_WIDE_LEGACY } from "./fixtures/vendor-formats/csv-samples";
import { X12_846, X12_846_MALFORMED_NEXT_TO_GOOD } from "./fixtures/vendor-formats/x12-samples";
import { api, expectConsistent, seedBasics, setOnHand, skuObject, type Keys } from "./support/fixtures";
import { allErrors, createSkus, postCsv, waitForJob } from "./support/sync-fixtures";
import { queryAllDeliveryStores } from "./support/read-model";

let keys: Keys;
const SKUS = ["ACME-TENT-0001", "ACME-TENT-0002", "ACME-STOVE-01", "ACME-MAT-01", "ACME-MAT-02"];
const NAMES = {
  "Paris Warehouse": "FC-PAR",
  "Berlin Warehouse": "FC-BER",
  "Lager Paris": "FC-PAR",
  "Lager Berlin": "FC-BER",
  "WH-PAR": "FC-PAR",
  "WH-BER": "FC-BER",
};
const MAPPING = { sku: "Artikelnummer", location: "Lager", quantity: "Bestand", quantityKind: "available", delimiter: ";" };

/** The sample with its SKUs renamed (`ACME-` → `prefix-`), so each test starts from empty locations. */
const renamed = (text: string, prefix: string) => text.replaceAll("ACME-", `${prefix}-`);
const skusOf = (prefix: string) => SKUS.map((s) => s.replace("ACME", prefix));
const onHand = async (sku: string, locationId: string) => (await skuObject(sku).snapshot()).locations.find((l) => l.locationId === locationId)?.onHand ?? 0;

function postFile(key: string, body: string, options: { query?: string; contentType?: string; idempotencyKey?: string } = {}) {
  return api("POST", `/api/v2/inventory/sync${options.query ? `?${options.query}` : ""}`, {
    key,
    rawBody: body,
    headers: { "content-type": options.contentType ?? "text/csv" },
    idempotencyKey: options.idempotencyKey ?? crypto.randomUUID(),
  });
}

const putSettings = (key: string, vendorId: string, body: unknown) => api("PUT", `/api/v2/vendors/${vendorId}/sync-settings`, { key, body });
const jobCount = async () => (await env.DB.prepare("SELECT count(*) AS n FROM sync_jobs").first<{ n: number }>())!.n;

beforeAll(async () => {
  keys = await seedBasics();
  await env.DB.batch([
    env.DB.prepare("INSERT INTO vendors (id, name) VALUES ('V3', 'Pulled vendor')"),
    env.DB.prepare(
      `INSERT INTO locations (id, name, type, country_code, city, latitude, longitude, can_ship, priority, active) VALUES
       ('FC-PAR', 'Paris', 'fulfillment_center', 'FR', 'Paris', 48.85, 2.35, 1, 10, 1),
       ('FC-BER', 'Berlin', 'fulfillment_center', 'DE', 'Berlin', 52.52, 13.40, 1, 20, 1),
       ('FC-LYS', 'Lyon', 'fulfillment_center', 'FR', 'Lyon', 45.76, 4.83, 1, 30, 1)`,
    ),
  ]);
  for (const prefix of ["SC", "SL", "SW", "GN", "XA", "XB", "CS", "HU"]) await createSkus(keys.operator, skusOf(prefix), "V1");
  await createSkus(keys.operator, skusOf("PL"), "V3");
});

afterEach(() => {
  vi.restoreAllMocks();
});

describe("sync settings", () => {
  it("a vendor saves its own settings; the pull secret is stored and only ever shown masked", async () => {
    expect((await api("GET", "/api/v2/vendors/V2/sync-settings", { key: keys.otherVendor })).body.error.code).toBe("sync_settings_not_found");
    const body = {
      enabled: true,
      method: "pull_url",
      tier: "critical",
      format: "auto",
      pullUrl: "https://feeds.acme.example/v2/stock.csv",
      locationNames: NAMES,
      pullAuth: { header: "Authorization", value: "Bearer s3cret-token-9f2c" },
    };
    const created = await putSettings(keys.otherVendor, "V2", body);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      vendorId: "V2",
      pullAuth: { header: "Authorization", hint: "••••9f2c" },
      intervalMinutes: 5,
      staleAfterMinutes: 15,
      version: 1,
    });
    expect(created.body.settings).toMatchObject({ method: "pull_url", tier: "critical", pullUrl: body.pullUrl, shopifyColumn: "on_hand_new" });
    expect(JSON.stringify(created.body)).not.toContain("s3cret");
    const read = await api("GET", "/api/v2/vendors/V2/sync-settings", { key: keys.operator });
    expect(read.status).toBe(200);
    expect(JSON.stringify(read.body)).not.toContain("s3cret");
    expect((await env.DB.prepare("SELECT pull_auth_secret FROM vendor_sync_settings WHERE vendor_id = 'V2'").first())!.pull_auth_secret).toBe(
      "Bearer s3cret-token-9f2c",
    );

    // Absent keeps the secret, null removes it.
    const { pullAuth: _, ...withoutAuth } = body;
    const kept = await putSettings(keys.otherVendor, "V2", { ...withoutAuth, tier: "standard" });
    expect(kept.status).toBe(200);
    expect(kept.body).toMatchObject({ pullAuth: { hint: "••••9f2c" }, intervalMinutes: 30, version: 2 });
    const removed = await putSettings(keys.otherVendor, "V2", { ...withoutAuth, pullAuth: null });
    expect(removed.body.pullAuth).toBeNull();
    // Not a pull vendor any more: no pull state, no next pull.
    const push = await putSettings(keys.otherVendor, "V2", {
      enabled: true,
      method: "push_csv",
      failureAlertAfter: undefined,
      health: { failureAlertAfter: 2 },
    });
    expect(push.status).toBe(200);
    expect(push.body.pull).toBeNull();
  });

  it("refuses other vendors, unknown vendors and invalid settings, each problem at its path", async () => {
    expect((await api("GET", "/api/v2/vendors/V2/sync-settings", { key: keys.vendor })).status).toBe(403);
    expect((await putSettings(keys.vendor, "V2", { enabled: true, method: "push_csv" })).status).toBe(403);
    expect((await api("GET", "/api/v2/vendors/NOPE/sync-settings", { key: keys.operator })).status).toBe(404);
    expect((await api("GET", "/api/v2/vendors/V1/sync-settings", { key: keys.checkout })).status).toBe(403);
    const cases: [unknown, (string | number)[]][] = [
      [{ enabled: true, method: "push_csv", format: "generic" }, ["body", "mapping"]],
      [{ enabled: true, method: "pull_url", pullUrl: "http://feeds.acme.example/x.csv" }, ["body", "pullUrl"]],
      [{ enabled: true, method: "pull_url", pullUrl: "https://10.0.0.5/x.csv" }, ["body", "pullUrl"]],
      [{ enabled: true, method: "edi", format: "shopify" }, ["body", "format"]],
      [{ enabled: true, method: "push_csv", tier: "custom", intervalMinutes: 2 }, ["body", "intervalMinutes"]],
      [{ enabled: true, method: "push_csv", pullAuth: { header: "Authorization", value: "x" } }, ["body", "pullAuth"]],
      [{ enabled: true, method: "pull_url", pullUrl: "https://a.example/x", pullAuth: { header: "Host", value: "x" } }, ["body", "pullAuth", "header"]],
      [{ enabled: true, method: "push_csv", colour: "red" }, ["body", "colour"]],
    ];
    for (const [body, path] of cases) {
      const res = await putSettings(keys.vendor, "V1", body);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(
        res.body.error.details.map((d: { path: unknown }) => d.path),
        JSON.stringify(body),
      ).toContainEqual(path);
    }
    expect((await api("GET", "/api/v2/vendors/V1/sync-settings", { key: keys.vendor })).status).toBe(404);
  });
});

describe("every format becomes a job with exact results", () => {
  beforeAll(async () => {
    const res = await putSettings(keys.vendor, "V1", {
      enabled: true,
      method: "push_csv",
      format: "auto",
      mapping: MAPPING,
      locationNames: NAMES,
      x12: { unitsPerPack: { CA: 4 } },
    });
    expect(res.status).toBe(201);
  });

  it("Shopify, current export: On hand (new) applied, a blank cell unchanged, a negative on-hand refused at its line", async () => {
    const res = await postFile(keys.vendor, renamed(SHOPIFY_CURRENT, "SC"));
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({ source: "shopify_current", received: 3, accepted: 2, rejected: 1 });
    const job = await waitForJob(keys.vendor, res.body.jobId);
    expect(job).toMatchObject({ source: "shopify_current", status: "completed_with_errors", counts: { received: 3, applied: 2, unchanged: 0, errors: 1 } });
    expect((await allErrors(keys.vendor, job.jobId)).map((e) => [e.item, e.row, e.sku, e.locationId, e.code])).toEqual([
      [1, 4, "SC-TENT-0002", "FC-PAR", "out_of_range"],
    ]);
    expect(await onHand("SC-TENT-0001", "FC-PAR")).toBe(42);
    expect(await onHand("SC-TENT-0001", "FC-BER")).toBe(0);
    expect(await onHand("SC-STOVE-01", "FC-BER")).toBe(15);
  });

  it("Shopify, 17-column export: location names matched loosely, an unknown one refused at its line, a blank On hand unchanged", async () => {
    const res = await postFile(keys.vendor, renamed(SHOPIFY_LONG_LEGACY, "SL"));
    expect(res.body).toMatchObject({ source: "shopify_long_legacy", received: 3, accepted: 2, rejected: 1 });
    const job = await waitForJob(keys.vendor, res.body.jobId);
    expect(job).toMatchObject({ status: "completed_with_errors", counts: { applied: 2, errors: 1 } });
    expect((await allErrors(keys.vendor, job.jobId)).map((e) => [e.item, e.row, e.locationId, e.code])).toEqual([[1, 3, "Lyon Store", "unknown_location"]]);
    expect([await onHand("SL-TENT-0001", "FC-PAR"), await onHand("SL-MAT-01", "FC-BER"), await onHand("SL-MAT-02", "FC-BER")]).toEqual([40, 9, 0]);
  });

  it("Shopify, legacy wide export: available values per location column; a row without SKU and an unmapped column reported", async () => {
    const res = await postFile(keys.vendor, renamed(SHOPIFY_WIDE_LEGACY, "SW"));
    expect(res.body).toMatchObject({ source: "shopify_wide_legacy", received: 6, accepted: 4, rejected: 2 });
    const job = await waitForJob(keys.vendor, res.body.jobId);
    // −3 available at an empty location is on-hand 0: unchanged.
    expect(job.counts).toMatchObject({ applied: 3, unchanged: 1, conflicts: 0, errors: 2 });
    expect((await allErrors(keys.vendor, job.jobId)).map((e) => [e.item, e.row, e.code, e.message.split(":")[0]])).toEqual([
      [3, 4, "invalid_item", "the row has no SKU (blank or -); its quantities cannot be synced"],
      [5, 1, "invalid_item", 'unmapped_location_column (column "Lyon Store")'],
    ]);
    expect([await onHand("SW-TENT-0001", "FC-PAR"), await onHand("SW-TENT-0001", "FC-BER"), await onHand("SW-MAT-01", "FC-BER")]).toEqual([38, 12, 9]);
  });

  it("a generic file through the vendor's saved column map (semicolons, available)", async () => {
    const res = await postFile(keys.vendor, renamed(GENERIC_SEMICOLON, "GN"));
    expect(res.body).toMatchObject({ source: "generic", received: 4, accepted: 2, rejected: 2 });
    const job = await waitForJob(keys.vendor, res.body.jobId);
    expect(job.counts).toMatchObject({ applied: 1, unchanged: 1, errors: 2 });
    expect((await allErrors(keys.vendor, job.jobId)).map((e) => [e.row, e.code])).toEqual([
      [4, "invalid_item"],
      [5, "unknown_location"],
    ]);
    expect(await onHand("GN-TENT-0001", "FC-PAR")).toBe(40);
  });

  it("an available value counts the units held here: on-hand = available + reserved, converted in the SKU's object", async () => {
    await setOnHand(keys, "HU-TENT-0001", "FC-PAR", 40);
    const reserve = await api("POST", "/api/v2/inventory/reserve", {
      key: keys.checkout,
      idempotencyKey: "hu-hold-1",
      body: { type: "hard", reference: "hu-hold-1", items: [{ sku: "HU-TENT-0001", quantity: 5, locationId: "FC-PAR" }] },
    });
    expect(reserve.status).toBe(201);
    // The vendor says it can still sell 38: it holds 38 + our 5 reserved = 43.
    const res = await postFile(keys.vendor, "Artikelnummer;Lager;Bestand\nHU-TENT-0001;Lager Paris;38\n");
    expect(res.body).toMatchObject({ source: "generic", accepted: 1 });
    expect(await waitForJob(keys.vendor, res.body.jobId)).toMatchObject({ counts: { applied: 1 } });
    const level = (await skuObject("HU-TENT-0001").snapshot()).locations.find((l) => l.locationId === "FC-PAR")!;
    expect({ onHand: level.onHand, reserved: level.reserved, available: level.available }).toEqual({ onHand: 43, reserved: 5, available: 38 });
    await expectConsistent("HU-TENT-0001");
  });

  it("an X12 846: every LIN × location applied, cases turned into units, the job says x12_846", async () => {
    const res = await postFile(keys.vendor, renamed(X12_846, "XA"), { contentType: "application/edi-x12" });
    expect(res.status).toBe(202);
    expect(res.body).toMatchObject({
      source: "x12_846",
      received: 4,
      accepted: 4,
      rejected: 0,
      sets: [{ transactionSetId: "846", setControlNumber: "0001", ok: true, items: 4, errors: 0 }],
    });
    expect(await waitForJob(keys.vendor, res.body.jobId)).toMatchObject({ status: "completed", counts: { applied: 4 } });
    expect([
      await onHand("XA-TENT-0001", "FC-PAR"),
      await onHand("XA-TENT-0002", "FC-PAR"),
      await onHand("XA-STOVE-01", "FC-BER"),
      await onHand("XA-STOVE-01", "FC-LYS"),
    ]).toEqual([40, 24, 7, 3]);
  });

  it("an X12 file whose sets fail next to a good one: the good set applied, the failed ones nothing, each problem at its segment", async () => {
    const res = await postFile(keys.vendor, renamed(X12_846_MALFORMED_NEXT_TO_GOOD, "XB"), { query: "format=x12" });
    expect(res.status).toBe(202);
    expect(res.body.sets.map((s: { setControlNumber: string; ok: boolean; items: number }) => [s.setControlNumber, s.ok, s.items])).toEqual([
      ["0001", true, 1],
      ["0002", false, 0],
      ["0003", false, 0],
    ]);
    const job = await waitForJob(keys.vendor, res.body.jobId);
    expect(job.counts).toMatchObject({ applied: 1, errors: job.counts.received - 1 });
    const errors = await allErrors(keys.vendor, job.jobId);
    expect(errors.map((e) => [e.row, e.message.match(/^X12 (\w+)/)?.[1], e.message.match(/set 846 (\d+)/)?.[1]])).toEqual([
      [13, "malformed_segment", "0002"],
      [17, expect.any(String), "0003"],
      [19, expect.any(String), "0003"],
    ]);
    expect(errors.every((e) => e.message.includes("nothing in this set was applied"))).toBe(true);
    expect(await onHand("XB-TENT-0001", "FC-PAR")).toBe(40);
    // Nothing of the failed sets reached their SKUs' objects.
    expect((await skuObject("XB-TENT-0002").snapshot()).version).toBe(0);
    expect((await skuObject("XB-STOVE-01").snapshot()).version).toBe(0);
  });

  it("our own CSV still reads as before (source csv), and the same key replays the same job", async () => {
    const csv = "sku,location_id,quantity\nCS-TENT-0001,FC-PAR,5\n";
    const first = await postFile(keys.vendor, csv, { idempotencyKey: "ours-1" });
    expect(first.body).toMatchObject({ source: "csv", received: 1, accepted: 1 });
    const again = await postFile(keys.vendor, csv, { idempotencyKey: "ours-1" });
    expect(again.body.jobId).toBe(first.body.jobId);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
  });

  it("files that cannot be read are refused whole, with their position, and make no job", async () => {
    const before = await jobCount();
    const cases: [Promise<{ status: number; body: any }>, number, string][] = [
      [postFile(keys.vendor, renamed(SHOPIFY_MALFORMED_QUOTE, "SC")), 400, "malformed_csv"],
      [postFile(keys.vendor, "sku,location_id,quantity\nX,FC-PAR,1\n", { query: "format=x12" }), 400, "malformed_x12"],
      [postFile(keys.vendor, "a,b,c\n1,2,3\n", { query: "format=shopify" }), 400, "unknown_format"],
      [postFile(keys.vendor, "a,b,c\n1,2,3\n"), 400, "invalid_csv_header"],
      [postFile(keys.vendor, renamed(SHOPIFY_CURRENT, "SC"), { query: "mode=delta" }), 400, "invalid_request"],
      [
        api("POST", "/api/v2/inventory/sync?format=shopify", {
          key: keys.vendor,
          idempotencyKey: "j1",
          body: { items: [{ sku: "CS-TENT-0001", locationId: "FC-PAR", quantity: 1 }] },
        }),
        400,
        "invalid_request",
      ],
      [postFile(keys.vendor, "x", { query: "format=edifact" }), 400, "invalid_request"],
    ];
    for (const [pending, status, code] of cases) {
      const res = await pending;
      expect({ status: res.status, code: res.body.error.code }).toEqual({ status, code });
    }
    const malformed = await postFile(keys.vendor, renamed(SHOPIFY_MALFORMED_QUOTE, "SC"));
    expect(malformed.body.error.message).toContain("line 2");
    expect(await jobCount()).toBe(before);
  });
});

describe("sync health", () => {
  it("sync.failed once per streak after the vendor's N failures in a row, to its webhook subscribers; a success recovers", async () => {
    const sub = await api("POST", "/api/v2/webhooks", {
      key: keys.otherVendor,
      body: { url: "https://hooks.vendor-two.example/sync", eventTypes: ["sync.failed"] },
    });
    expect(sub.status).toBe(201);
    const received = mockFetch(() => new Response("ok"));
    const deliveries = async () =>
      queryAllDeliveryStores("SELECT event_id FROM webhook_deliveries WHERE event_type = 'sync.failed' AND subscription_id = ?", sub.body.id);
    // V2's settings (first test) say failureAlertAfter 2.
    for (let i = 0; i < 3; i++) expect((await postFile(keys.otherVendor, "a,b,c\n1,2,3\n")).status).toBe(400);
    const health = await api("GET", "/api/v2/vendors/V2/sync-health", { key: keys.otherVendor });
    expect(health.status).toBe(200);
    expect(health.body).toMatchObject({ vendorId: "V2", failing: true, failureAlertAfter: 2, lastSuccessAt: null });
    expect(health.body.methods).toEqual([
      expect.objectContaining({
        method: "push_csv",
        consecutiveFailures: 3,
        failing: true,
        alerted: true,
        lastError: expect.stringContaining("invalid_csv_header"),
      }),
    ]);
    expect(await deliveries()).toHaveLength(1);
    await vi.waitFor(() => expect(received.some((r) => r.url === "https://hooks.vendor-two.example/sync")).toBe(true), { timeout: 10_000 });
    const sent = received.find((r) => r.url === "https://hooks.vendor-two.example/sync")!;
    expect(JSON.parse(sent.body)).toMatchObject({ type: "sync.failed", vendorId: "V2", method: "push_csv", consecutiveFailures: 2 });

    // A file that gets through ends the streak.
    await createSkus(keys.operator, ["HV-1"], "V2");
    expect((await postFile(keys.otherVendor, "sku,location_id,quantity\nHV-1,L1,3\n")).status).toBe(202);
    const after = await api("GET", "/api/v2/vendors/V2/sync-health", { key: keys.operator });
    expect(after.body.failing).toBe(false);
    expect(after.body.methods.find((m: { method: string }) => m.method === "push_csv")).toMatchObject({
      consecutiveFailures: 0,
      alerted: false,
      lastError: expect.any(String),
    });
    expect(after.body.lastSuccessAt).not.toBeNull();
    expect(after.body.stale).toBe(false);
    // Silence longer than the configured one: stale. (Positive control: just inside it, not stale.)
    await env.DB.prepare("UPDATE vendor_sync_health SET last_success_at = ? WHERE vendor_id = 'V2'")
      .bind(Date.now() - 89 * 60_000)
      .run();
    expect((await api("GET", "/api/v2/vendors/V2/sync-health", { key: keys.operator })).body.stale).toBe(false);
    await env.DB.prepare("UPDATE vendor_sync_health SET last_success_at = ? WHERE vendor_id = 'V2'")
      .bind(Date.now() - 91 * 60_000)
      .run();
    expect((await api("GET", "/api/v2/vendors/V2/sync-health", { key: keys.operator })).body).toMatchObject({ stale: true, staleAfterMinutes: 90 });
    expect((await api("GET", "/api/v2/vendors/V2/sync-health", { key: keys.vendor })).status).toBe(403);
  });
});

interface Received {
  url: string;
  headers: Headers;
  body: string;
}

/** Replaces outbound fetch with a recording receiver answering `respond` (a thrown error is a network failure). */
function mockFetch(respond: (request: Received) => Response | Promise<Response>): Received[] {
  const received: Received[] = [];
  vi.spyOn(globalThis, "fetch").mockImplementation(async (input: RequestInfo | URL, init?: RequestInit) => {
    const request = new Request(input, init);
    const entry = { url: request.url, headers: request.headers, body: await request.text() };
    received.push(entry);
    return respond(entry);
  });
  return received;
}

describe("scheduled pulls", () => {
  const FEED = "https://feeds.acme.example/v3/stock.csv";
  const pulls = (received: Received[]) => received.filter((r) => r.url === FEED);
  const row = async () => (await env.DB.prepare("SELECT * FROM vendor_sync_settings WHERE vendor_id = 'V3'").first<Record<string, any>>())!;

  it("fetches when due with the auth header, ingests the body as a job; 304 and the same content make none; failures retried when next due", async () => {
    const res = await putSettings(keys.operator, "V3", {
      enabled: true,
      method: "pull_url",
      tier: "critical",
      pullUrl: FEED,
      locationNames: NAMES,
      shopifyColumn: "on_hand_current",
      pullAuth: { header: "X-Api-Key", value: "pull-secret-0001" },
    });
    expect(res.status).toBe(201);
    const t0 = (await row()).next_pull_at as number;
    const feed = renamed(SHOPIFY_CURRENT, "PL");
    let answer: () => Response = () => new Response(feed, { headers: { etag: '"v1"', "last-modified": "Sun, 22 Nov 2026 09:30:00 GMT" } });
    const received = mockFetch(() => answer());

    // Through the cron entry: due at once.
    await handleScheduled(createScheduledController({ cron: CRONS.sweep, scheduledTime: t0 }), env, createExecutionContext());
    expect(pulls(received)).toHaveLength(1);
    expect(pulls(received)[0]!.headers.get("x-api-key")).toBe("pull-secret-0001");
    expect(pulls(received)[0]!.headers.get("if-none-match")).toBeNull();
    const first = await row();
    expect(first).toMatchObject({ last_pull_outcome: "ingested", pull_etag: '"v1"', next_pull_at: t0 + 5 * 60_000 });
    const job = await waitForJob(keys.operator, first.pull_job_id);
    // On hand (current): 40, 12, −2 (refused), 7.
    expect(job).toMatchObject({ vendorId: "V3", source: "shopify_current", counts: { received: 4, applied: 3, errors: 1 } });
    expect(await onHand("PL-TENT-0001", "FC-BER")).toBe(12);

    // Not due yet: nothing fetched.
    expect(await sweepPulls(env, t0 + 60_000)).toMatchObject({ due: 0 });
    expect(pulls(received)).toHaveLength(1);

    // Due: a 304 costs nothing and is a successful check.
    answer = () => new Response(null, { status: 304 });
    expect(await sweepPulls(env, t0 + 5 * 60_000)).toMatchObject({ due: 1, unchanged: 1 });
    expect(pulls(received)[1]!.headers.get("if-none-match")).toBe('"v1"');
    expect(pulls(received)[1]!.headers.get("if-modified-since")).toBe("Sun, 22 Nov 2026 09:30:00 GMT");
    const jobs = await jobCount();

    // The same bytes again (a server without validators): no second job.
    answer = () => new Response(feed);
    expect(await sweepPulls(env, t0 + 10 * 60_000)).toMatchObject({ due: 1, unchanged: 1 });
    expect(await jobCount()).toBe(jobs);
    expect((await row()).last_pull_outcome).toBe("same_content");

    // A failure is recorded and retried at the next due time, not before.
    answer = () => new Response("down", { status: 503 });
    expect(await sweepPulls(env, t0 + 15 * 60_000)).toMatchObject({ failed: 1 });
    expect(await row()).toMatchObject({ last_pull_outcome: "failed", last_pull_status: 503, last_pull_error: "HTTP 503", next_pull_at: t0 + 20 * 60_000 });
    expect(await sweepPulls(env, t0 + 16 * 60_000)).toMatchObject({ due: 0 });
    answer = () => {
      throw new TypeError("connection refused");
    };
    expect(await sweepPulls(env, t0 + 20 * 60_000)).toMatchObject({ failed: 1 });

    // New content: a new job.
    answer = () => new Response(feed.replace(",40,42\r\n", ",41,42\r\n"));
    expect(await sweepPulls(env, t0 + 25 * 60_000)).toMatchObject({ ingested: 1 });
    expect(await jobCount()).toBe(jobs + 1);

    const health = await api("GET", "/api/v2/vendors/V3/sync-health", { key: keys.operator });
    expect(health.body.methods).toEqual([
      expect.objectContaining({ method: "pull_url", consecutiveFailures: 0, lastError: "the fetch failed: connection refused" }),
    ]);
    expect(health.body.pull).toMatchObject({ enabled: true, lastOutcome: "ingested" });
  });

  it("a pull URL to a private address is refused when saved; redirects are not followed", async () => {
    const bad = await putSettings(keys.operator, "V3", { enabled: true, method: "pull_url", pullUrl: "https://169.254.169.254/latest/meta-data" });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0]).toMatchObject({ path: ["body", "pullUrl"], code: "invalid_pull_url" });
    const moved = await putSettings(keys.operator, "V3", { enabled: true, method: "pull_url", pullUrl: "https://feeds.acme.example/moved.csv" });
    const due = (await row()).next_pull_at as number;
    expect(moved.status).toBe(200);
    const received = mockFetch(() => new Response(null, { status: 302, headers: { location: "http://10.0.0.5/stock.csv" } }));
    expect(await sweepPulls(env, due)).toMatchObject({ failed: 1 });
    expect(received.map((r) => r.url)).toEqual(["https://feeds.acme.example/moved.csv"]);
    expect((await row()).last_pull_error).toContain("redirects are not followed");
  });
});
