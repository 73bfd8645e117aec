/**
 * The stale flag on `GET /api/v2/inventory` rows (issue 16, sync health): a row is
 * `stale: true` exactly when its SKU's vendor's `GET /api/v2/vendors/{id}/sync-health` says
 * `stale` — checked on the same vendors as their state moves: a vendor created just now is
 * fresh (negative control), one silent past the default 90 minutes is stale; a vendor whose
 * settings say `staleAfterMinutes: 30` turns stale 31 minutes after its last success and fresh
 * again after a new one; a page with several vendors flags each row by its own vendor.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { InventoryEvent } from "../domain/events";
import { EVENTS_QUEUE, runAcked, updatedEvent } from "./support/event-fixtures";
import { api, createSku, seedBasics, type Keys } from "./support/fixtures";

let keys: Keys;
const MIN = 60_000;

beforeAll(async () => {
  keys = await seedBasics();
  await env.DB.prepare("INSERT INTO vendors (id, name) VALUES ('V3', 'Vendor Three')").run();
  const events: InventoryEvent[] = [];
  for (const [sku, vendorId] of [
    ["ST-1", "V1"],
    ["ST-2", "V2"],
    ["ST-3", "V3"],
  ] as const) {
    await createSku(sku, { vendorId });
    events.push(updatedEvent(sku, 1, "L1", { onHand: 5 }));
  }
  await runAcked(EVENTS_QUEUE, events);
  // V3 syncs every 10 minutes and is stale after 30 minutes of silence.
  const res = await api("PUT", "/api/v2/vendors/V3/sync-settings", {
    key: keys.operator,
    body: { enabled: true, method: "push_api", tier: "custom", intervalMinutes: 10, health: { staleAfterMinutes: 30 } },
  });
  expect(res.status).toBe(201);
});

async function flags(): Promise<Record<string, boolean>> {
  const res = await api("GET", "/api/v2/inventory?skuPrefix=ST-", { key: keys.operator });
  expect(res.status).toBe(200);
  return Object.fromEntries(res.body.items.map((i: { sku: string; stale: boolean }) => [i.sku, i.stale]));
}

async function healthStale(vendorId: string): Promise<boolean> {
  return (await api("GET", `/api/v2/vendors/${vendorId}/sync-health`, { key: keys.operator })).body.stale;
}

const ago = (minutes: number) => Date.now() - minutes * MIN;

describe("stale flag on the inventory list", () => {
  it("each row carries its own vendor's flag, the same as its sync health says", async () => {
    // V2 (no settings) was created 2 h ago and never synced: past the default 90 minutes.
    await env.DB.prepare("UPDATE vendors SET created_at = ? WHERE id = 'V2'").bind(ago(120)).run();
    // V3 last succeeded 31 minutes ago (its settings exist since 3 h ago).
    await env.DB.batch([
      env.DB.prepare("UPDATE vendor_sync_settings SET created_at = ? WHERE vendor_id = 'V3'").bind(ago(180)),
      env.DB.prepare(
        `INSERT INTO vendor_sync_health (vendor_id, method, monitored_since, last_attempt_at, last_success_at, consecutive_failures, alerted, updated_at)
         VALUES ('V3', 'push_api', ?1, ?2, ?2, 0, 0, ?2)`,
      ).bind(ago(180), ago(31)),
    ]);
    const stale = await flags();
    expect(stale).toEqual({ "ST-1": false, "ST-2": true, "ST-3": true });
    expect([await healthStale("V1"), await healthStale("V2"), await healthStale("V3")]).toEqual([false, true, true]);
    // A vendor's own key sees the flag on its rows too.
    const own = await api("GET", "/api/v2/inventory", { key: keys.otherVendor });
    expect(own.body.items.map((i: { sku: string; stale: boolean }) => [i.sku, i.stale])).toEqual([["ST-2", true]]);
  });

  it("a success makes the vendor fresh again; 29 minutes of silence is not stale, the flag follows", async () => {
    await env.DB.prepare("UPDATE vendor_sync_health SET last_success_at = ?1, last_attempt_at = ?1 WHERE vendor_id = 'V3'").bind(ago(29)).run();
    expect((await flags())["ST-3"]).toBe(false);
    expect(await healthStale("V3")).toBe(false);
    // A real sync through the API ends V2's silence.
    const res = await api("POST", "/api/v2/inventory/sync", {
      key: keys.otherVendor,
      idempotencyKey: crypto.randomUUID(),
      body: { items: [{ sku: "ST-2", locationId: "L1", quantity: 5 }] },
    });
    expect(res.status).toBe(202);
    expect(await flags()).toEqual({ "ST-1": false, "ST-2": false, "ST-3": false });
    expect(await healthStale("V2")).toBe(false);
  });
});
