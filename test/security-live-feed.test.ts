/**
 * Live-feed limits per client address (issue 12, finding E), besides the per-SKU cap: one
 * address (`CF-Connecting-IP`) holds at most 20 open connections to one SKU's feed (the 21st
 * is a 429, another address still gets in), and opens at most 60 connections a minute across
 * all SKUs (the Worker's rate-limiting binding; the 61st attempt is a 429 with Retry-After,
 * before any object or D1 read; the 61 attempts are made inside one window of the local
 * limiter, support/rate-window.ts).
 */
import { exports } from "cloudflare:workers";
import { listDurableObjectIds } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MAX_LIVE_CONNECTIONS_PER_CLIENT } from "../durable-objects/live-feed";
import { createSku, seedBasics, setOnHand } from "./support/fixtures";
import { windowOf, windowWithAtLeast } from "./support/rate-window";

const open: WebSocket[] = [];

beforeAll(async () => {
  const keys = await seedBasics();
  await createSku("LIVE-1");
  await setOnHand(keys, "LIVE-1", "L1", 5);
});
afterAll(() => {
  for (const ws of open) ws.close(1000, "done");
});

async function connect(sku: string, address: string) {
  const res = await exports.default.fetch(
    new Request(`http://inventory.test/api/v2/availability/${sku}/live`, { headers: { Upgrade: "websocket", "CF-Connecting-IP": address } }),
  );
  if (res.status === 101) {
    res.webSocket!.accept();
    open.push(res.webSocket!);
    return { status: 101, body: null as any, headers: res.headers };
  }
  return { status: res.status, body: (await res.json()) as any, headers: res.headers };
}

describe("per client address", () => {
  it(`one address holds at most ${MAX_LIVE_CONNECTIONS_PER_CLIENT} connections to a SKU's feed; another address still connects`, async () => {
    expect(MAX_LIVE_CONNECTIONS_PER_CLIENT).toBe(20);
    for (let i = 0; i < MAX_LIVE_CONNECTIONS_PER_CLIENT; i++) expect((await connect("LIVE-1", "203.0.113.7")).status, `connection ${i + 1}`).toBe(101);
    const over = await connect("LIVE-1", "203.0.113.7");
    expect(over.status).toBe(429);
    expect(over.body.error.code).toBe("too_many_connections");
    expect(over.headers.get("retry-after")).toMatch(/^\d+$/);
    // Positive control: the SKU's feed is not full, only this address's share of it.
    expect((await connect("LIVE-1", "198.51.100.9")).status).toBe(101);
  });

  it("one address opens at most 60 connections a minute across SKUs; the 61st attempt is refused before any lookup", { timeout: 120_000 }, async () => {
    const address = "192.0.2.61";
    const window = await windowWithAtLeast(45_000);
    for (let i = 0; i < 60; i++) {
      // Unknown SKUs: each attempt counts, and none creates an object.
      expect((await connect(`NOPE-${i}`, address)).status, `attempt ${i + 1}`).toBe(404);
    }
    const objects = (await listDurableObjectIds(env.SKU_INVENTORY)).length;
    const over = await connect("LIVE-1", address);
    expect(windowOf(), "all 61 attempts in one limiter window").toBe(window);
    expect(over.status).toBe(429);
    expect(over.headers.get("retry-after")).toBe("60");
    expect(over.body.error).toMatchObject({ code: "rate_limited", details: { limit: 60, periodSeconds: 60 } });
    expect(JSON.stringify(over.body)).not.toContain(address);
    expect((await listDurableObjectIds(env.SKU_INVENTORY)).length).toBe(objects);
    // Another address is unaffected.
    expect((await connect("LIVE-1", "192.0.2.62")).status).toBe(101);
  });
});
