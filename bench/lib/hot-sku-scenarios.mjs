// The hot-SKU scenarios of `npm run bench`: S0 (the no-op route, the ceiling every other row
// is compared with), the unmeasured warm-up, S1 (1,200 racing reserves on 1,000 units of one
// SKU: exactly 1,000 succeed) and S1x (one object's write path alone).
// Each takes `{ client, keys, measured }`: the load client, the API keys and measure.mjs's
// measuring function.

import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { inspectSku, reservationIdFor, reserveBody, uniqueKey } from "./api.mjs";
import { CFG, LOC, log } from "./bench-config.mjs";
import { runClosedLoop, Tally } from "./load.mjs";
import { objectHops, singleSkuReservationHops } from "./prod-estimate.mjs";
import { row } from "./report.mjs";

/** S0 ceiling: GET /healthz (no storage, no object) from every connection. */
export async function scenarioS0({ client, measured }) {
  log(`S0: GET /healthz from ${CFG.connections} connections for ${CFG.s0.durationMs / 1000} s`);
  const tally = new Tally();
  const { result, cpu } = await measured(() =>
    runClosedLoop({
      concurrency: CFG.connections,
      durationMs: CFG.s0.durationMs,
      maxOps: 1_000_000,
      step: async () => tally.record("healthz", await client.request("GET", "/healthz")),
    }),
  );
  const t = tally.toJSON().healthz;
  const errors = result.started - (t.statuses[200] ?? 0);
  return {
    row: row("S0 ceiling: GET /healthz", {
      ops: result.started,
      seconds: result.elapsedMs / 1000,
      latency: t.latencyMs,
      errors,
      cpu,
      opsLabel: "requests",
      check: errors === 0 ? "pass" : "FAIL",
      hops: objectHops({ label: "0", p95: 0 }),
    }),
    raw: { run: result, tally: tally.toJSON(), cpu },
  };
}

/** Warm every coordinator shard (256) and the code paths: reserve + release pairs, unmeasured. */
export async function warmup({ client, keys }, sku) {
  log(`warm-up: ${CFG.warmup.pairs} reserve+release pairs on ${sku}`);
  const tally = new Tally();
  const r = await runClosedLoop({
    concurrency: CFG.connections,
    maxOps: CFG.warmup.pairs,
    hardTimeoutMs: 120_000,
    step: async () => {
      const res = await client.request("POST", "/api/v2/inventory/reserve", {
        key: keys.checkout,
        headers: { "idempotency-key": uniqueKey("warm") },
        body: reserveBody([{ sku, quantity: 1, locationId: LOC }]),
      });
      tally.record("reserve", res);
      if (res.status === 201) {
        tally.record("release", await client.request("POST", "/api/v2/inventory/release", { key: keys.checkout, body: { reservationId: res.json().id } }));
      }
    },
  });
  return { run: r, tally: tally.toJSON() };
}

/**
 * Waits out the warm-up's background work before S1 (CFG.warmup.settleMs, then an idle server,
 * bounded), unmeasured: without it, S1's window carried the warm-up's outbox checks and events.
 */
export async function settleWarmup(measured) {
  const t0 = performance.now();
  await sleep(CFG.warmup.settleMs);
  const drained = await measured.drain({ windowMs: 300, budgetMs: CFG.warmup.drainBudgetMs });
  const ms = Math.round(performance.now() - t0);
  log(`warm-up settled in ${(ms / 1000).toFixed(1)} s (server idle: ${drained.idle})`);
  return { ms, idle: drained.idle };
}

/**
 * Right before S1 and S5, one reserve per coordinator shard (256: keys chosen so that each
 * lands on its own shard), of a unit of a SKU that has none: each is refused (409) by the
 * SKU's object and claims its key on the shard, so the scenario meets every shard in memory,
 * as steady traffic keeps them in production. Idleness alone would not: workerd evicts an
 * idle object after 10 s, and Cloudflare hibernates one that can hibernate (ours can) after
 * 10 s too; the settle above takes 6, and S5 comes minutes after the warm-up. A refusal
 * writes no event, so nothing of this lands in the scenario.
 */
export async function touchCoordinatorShards({ client, keys }, emptySku) {
  const byShard = new Map();
  while (byShard.size < 256) {
    const key = uniqueKey("touch");
    const shard = reservationIdFor("checkout", key).slice(4, 6);
    if (!byShard.has(shard)) byShard.set(shard, key);
  }
  const tally = new Tally();
  const pending = [...byShard.values()];
  const t0 = performance.now();
  await runClosedLoop({
    concurrency: CFG.connections,
    maxOps: pending.length,
    hardTimeoutMs: 60_000,
    step: async (_w, i) =>
      tally.record(
        "reserve",
        await client.request("POST", "/api/v2/inventory/reserve", {
          key: keys.checkout,
          headers: { "idempotency-key": pending[i] },
          body: reserveBody([{ sku: emptySku, quantity: 1, locationId: LOC }]),
        }),
      ),
  });
  const statuses = tally.toJSON().reserve.statuses;
  if ((statuses[409] ?? 0) !== pending.length)
    throw new Error(`touching the coordinator shards: expected ${pending.length} × 409, got ${JSON.stringify(statuses)}`);
  const ms = Math.round(performance.now() - t0);
  log(`touched the 256 coordinator shards (256 refused reserves of ${emptySku}) in ${(ms / 1000).toFixed(1)} s`);
  return { ms, statuses };
}

/** S1 hot SKU: 1,200 racing 1-unit hard reservations on 1,000 units; exactly 1,000 × 201, 200 × 409, nothing oversold. */
export async function scenarioS1({ client, keys, measured }, sku) {
  const { units, requests } = CFG.s1;
  log(`S1: ${requests} racing 1-unit hard reservations on ${units} units of ${sku} from ${CFG.connections} connections`);
  const tally = new Tally();
  const created = [];
  const { result, cpu } = await measured(() =>
    runClosedLoop({
      concurrency: CFG.connections,
      maxOps: requests,
      hardTimeoutMs: CFG.s1.timeoutMs,
      step: async (_w, i) => {
        const res = await client.request("POST", "/api/v2/inventory/reserve", {
          key: keys.checkout,
          headers: { "idempotency-key": uniqueKey(`s1-${i}`) },
          body: reserveBody([{ sku, quantity: 1, locationId: LOC }], "hard", `s1-order-${i}`),
        });
        tally.record("reserve", res);
        if (res.status === 201) created.push(res.json().id);
      },
    }),
  );
  const t = tally.toJSON().reserve;
  const { inventory, audit } = await inspectSku(client, keys.operator, sku);
  const ok201 = t.statuses[201] ?? 0;
  const c409 = t.statuses[409] ?? 0;
  const checks = {
    exactly1000Created: ok201 === units,
    exactly200Conflicts: c409 === requests - units,
    noOtherStatuses: ok201 + c409 === requests,
    availableZero: inventory.totals.available === 0,
    reservedAll: inventory.totals.reserved === units,
    activeHardCount: inventory.reservations?.activeHard?.count === units,
    distinctIds: new Set(created).size === created.length,
    auditOk: audit.ok === true,
  };
  const pass = Object.values(checks).every(Boolean);
  return {
    row: row("S1 hot SKU: 1,200 reserves on 1,000 units", {
      ops: result.started,
      seconds: result.elapsedMs / 1000,
      latency: t.latencyMs,
      errors: result.started - ok201 - c409,
      cpu,
      opsLabel: "reserves",
      // One SKU with a location: the fast path (1 hop) when the ids say so, else coordinator → SKU (2).
      hops: singleSkuReservationHops(created),
      check: pass
        ? `pass (${ok201}×201, ${c409}×409, avail ${inventory.totals.available})`
        : `FAIL (${ok201}×201, ${c409}×409, avail ${inventory.totals.available}, reserved ${inventory.totals.reserved}, audit ${audit.ok})`,
    }),
    raw: { run: result, tally: tally.toJSON(), cpu, checks, totals: inventory.totals, audit },
  };
}

/**
 * S1x (calibration, not in the issue): the single-object write path alone: PATCH delta +1 on
 * one SKU (Worker → that SKU's object, one transaction; no coordinator, no reservation).
 * Its CPU per op minus S0's approximates what one object spends per write here.
 */
export async function scenarioS1x({ client, keys, measured }, sku) {
  log(`S1x: PATCH delta +1 on ${sku} from ${CFG.connections} connections for ${CFG.s1x.durationMs / 1000} s`);
  const tally = new Tally();
  const { result, cpu } = await measured(() =>
    runClosedLoop({
      concurrency: CFG.connections,
      durationMs: CFG.s1x.durationMs,
      maxOps: 200_000,
      step: async () =>
        tally.record(
          "patch",
          await client.request("PATCH", `/api/v2/inventory/${sku}`, { key: keys.operator, body: { locationId: LOC, delta: 1, reason: "restock" } }),
        ),
    }),
  );
  const t = tally.toJSON().patch;
  const ok = t.statuses[200] ?? 0;
  const { inventory, audit } = await inspectSku(client, keys.operator, sku);
  const pass = inventory.totals.onHand === ok && audit.ok === true;
  return {
    row: row("S1x hot SKU, one object only: PATCH +1", {
      ops: result.started,
      seconds: result.elapsedMs / 1000,
      latency: t.latencyMs,
      errors: result.started - ok,
      cpu,
      opsLabel: "PATCHes",
      hops: objectHops({ label: "1", p95: 1 }),
      check: pass ? `pass (onHand ${inventory.totals.onHand} = ${ok} × 200)` : `FAIL (onHand ${inventory.totals.onHand}, ${ok} × 200, audit ${audit.ok})`,
    }),
    raw: { run: result, tally: tally.toJSON(), cpu, totals: inventory.totals, audit },
  };
}
