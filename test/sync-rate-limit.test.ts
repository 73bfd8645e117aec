/**
 * The rate limit of `POST /api/v2/inventory/sync`: 100 requests per minute per vendor
 * (the Workers rate-limiting binding, enforced by the local runtime too). The 101st
 * request in the minute is a 429 with `Retry-After` and the error envelope, and records
 * nothing; the budget is the vendor's (an operator posting for it shares it), not the
 * key's or another vendor's.
 * The 101 requests are made inside one window of the local limiter (support/rate-window.ts).
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { api, seedBasics, type Keys } from "./support/fixtures";
import { windowOf, windowWithAtLeast } from "./support/rate-window";
import { postFeed } from "./support/sync-fixtures";

let keys: Keys;
let limited: string;

beforeAll(async () => {
  keys = await seedBasics();
  // A vendor of its own, so that no other test spends its budget.
  expect((await api("POST", "/api/v2/vendors", { key: keys.operator, body: { id: "V-RATE", name: "Rate limited" } })).status).toBe(201);
  limited = (await api("POST", "/api/v2/api-keys", { key: keys.operator, body: { name: "rate", scope: "vendor", vendorId: "V-RATE" } })).body.key;
});

// Every item names an unknown location: each job is recorded and finished at once, nothing is queued.
const item = { sku: "RL-1", locationId: "NOWHERE", quantity: 1 };

describe("100 sync requests per minute per vendor", () => {
  it("the 101st is a 429 with Retry-After; other vendors are unaffected", { timeout: 120_000 }, async () => {
    const window = await windowWithAtLeast(45_000);
    for (let i = 0; i < 100; i++) {
      const res = await postFeed(limited, [item], { idempotencyKey: `rl-${i}` });
      expect(res.status, `request ${i + 1}`).toBe(202);
    }
    const jobs = async () => (await env.DB.prepare("SELECT count(*) AS n FROM sync_jobs WHERE vendor_id = 'V-RATE'").first<{ n: number }>())!.n;
    expect(await jobs()).toBe(100);

    const over = await postFeed(limited, [item], { idempotencyKey: "rl-100" });
    expect(windowOf(), "all 101 requests in one limiter window").toBe(window);
    expect(over.status).toBe(429);
    expect(over.headers.get("retry-after")).toBe("60");
    expect(over.body).toEqual({
      error: {
        code: "rate_limited",
        message: expect.stringContaining("100 sync requests per 60 s"),
        details: { limit: 100, periodSeconds: 60, vendorId: "V-RATE" },
      },
    });
    // Also for an operator posting for the same vendor, and also for a retry of an earlier request.
    expect((await postFeed(keys.operator, [item], { query: "vendorId=V-RATE" })).status).toBe(429);
    expect((await postFeed(limited, [item], { idempotencyKey: "rl-0" })).status).toBe(429);
    expect(await jobs()).toBe(100);

    // Another vendor's budget is its own.
    expect((await postFeed(keys.vendor, [item])).status).toBe(202);
  });
});
