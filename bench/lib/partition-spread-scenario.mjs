// S2p of `npm run bench` (issue 19, "simulated locally"): the spread scenario over many vendors,
// so the read model's partitions are exercised as a marketplace loads them. S2 runs all its
// SKUs under one vendor (so S4 and S4c can sync them as one vendor's feed), and a vendor's
// read-model rows all live in one read database by design: S2 shows the EVENTS partitions
// balanced but not the read databases. S2p makes `vendors` vendors of `skusPerVendor` SKUs each
// and sets every SKU's stock once (one PATCH: a cold object, one `inventory.updated` event);
// the Worker's load counters (bench/lib/partition-load.mjs) then give the events, D1
// statements and D1 batches per read database and the messages per EVENTS partition.

import { performance } from "node:perf_hooks";
import { call, pool, skuItem } from "./api.mjs";
import { CFG, LOC, log } from "./bench-config.mjs";
import { runClosedLoop, Tally } from "./load.mjs";
import { objectHops } from "./prod-estimate.mjs";
import { row } from "./report.mjs";

/** SKU → on hand summed over locations, from the operator's stock list (all pages). */
async function listProjected(client, operatorKey) {
  const listed = new Map();
  let cursor = null;
  for (let pages = 0; pages < 100; pages++) {
    const res = await client.request("GET", `/api/v2/inventory?skuPrefix=PSPREAD-&limit=500${cursor === null ? "" : `&cursor=${encodeURIComponent(cursor)}`}`, {
      key: operatorKey,
    });
    if (res.status !== 200) break;
    const body = res.json();
    for (const item of body.items) listed.set(item.sku, (listed.get(item.sku) ?? 0) + item.onHand);
    cursor = body.nextCursor;
    if (cursor === null) break;
  }
  return listed;
}

/** Vendor ids and SKU ids of S2p, deterministic. */
export function partitionSpreadCatalogue() {
  const { vendors, skusPerVendor } = CFG.s2p;
  const vendorIds = Array.from({ length: vendors }, (_, v) => `V-SPREAD-${String(v).padStart(4, "0")}`);
  const skus = vendorIds.flatMap((vendorId, v) =>
    Array.from({ length: skusPerVendor }, (_, i) => ({ vendorId, sku: `PSPREAD-${String(v).padStart(4, "0")}-${i}` })),
  );
  return { vendorIds, skus };
}

/** Creates S2p's vendors and SKUs (not measured). */
export async function seedPartitionSpread(client, operatorKey) {
  const { vendorIds, skus } = partitionSpreadCatalogue();
  await pool(vendorIds, 8, (id) => call(client, operatorKey, "POST", "/api/v2/vendors", { body: { id, name: `Spread ${id}` }, ok: [201, 409] }));
  await call(client, operatorKey, "POST", "/api/v2/skus/batch", { body: { items: skus.map(({ sku, vendorId }) => skuItem(sku, vendorId)) } });
  return skus;
}

/**
 * S2p: one PATCH (on-hand, reason `initial`) per SKU of many vendors, 64 connections; exact:
 * every PATCH answers 200 and the stock list shows each SKU's level once, with its on-hand.
 */
export async function scenarioS2p({ client, keys, measured }, skus) {
  const { vendors, skusPerVendor, unitsPerSku } = CFG.s2p;
  log(`S2p: stock for ${skus.length} SKUs of ${vendors} vendors (${skusPerVendor} each), one PATCH each`);
  const tally = new Tally();
  const { result, cpu } = await measured(() =>
    runClosedLoop({
      concurrency: CFG.connections,
      maxOps: skus.length,
      durationMs: 300_000,
      step: async (_w, i) => {
        const { sku } = skus[i];
        const res = await client.request("PATCH", `/api/v2/inventory/${sku}`, {
          key: keys.operator,
          headers: { "idempotency-key": `s2p-${sku}` },
          body: { locationId: LOC, onHand: unitsPerSku, reason: "initial" },
        });
        tally.record("patch", res);
      },
    }),
  );
  const t = tally.toJSON().patch;
  const ok = t.statuses[200] ?? 0;
  // The projection, read back through the operator's merged list (every read database), once
  // the EVENTS consumers have caught up (polled up to listTimeoutMs).
  const complete = (listed) => listed.size === skus.length && [...listed.values()].every((n) => n === unitsPerSku);
  let listed = new Map();
  for (const until = performance.now() + CFG.s2p.listTimeoutMs; performance.now() < until; await new Promise((r) => setTimeout(r, 1_000))) {
    listed = await listProjected(client, keys.operator);
    if (complete(listed)) break;
  }
  const exact = ok === skus.length && complete(listed);
  return {
    row: row(`S2p spread over vendors: ${skus.length.toLocaleString("en")} SKUs of ${vendors} vendors (PATCH, cold objects)`, {
      ops: result.started,
      seconds: result.elapsedMs / 1000,
      latency: t.latencyMs,
      errors: result.started - ok,
      cpu,
      opsLabel: "PATCHes",
      hops: objectHops({ label: "1 (cold object)", p95: 1 }),
      check: exact ? `pass (${listed.size} SKUs listed once, ${unitsPerSku} on hand each)` : `FAIL (${ok} × 200; listed ${listed.size} of ${skus.length})`,
    }),
    raw: { run: result, tally: tally.toJSON(), cpu, listed: listed.size },
  };
}
