// S2 of `npm run bench`: stock for 10,000 new SKUs (one PATCH each: cold objects, reported
// as its own row), then reserve + release pairs spread over all of them, with a sample of the
// SKUs audited afterwards.

import { performance } from "node:perf_hooks";
import { inspectSku, pool, reserveBody, uniqueKey } from "./api.mjs";
import { CFG, LOC, log } from "./bench-config.mjs";
import { runClosedLoop, Samples, Tally } from "./load.mjs";
import { objectHops, singleSkuReservationHops } from "./prod-estimate.mjs";
import { mergeLatency, round, row } from "./report.mjs";

/** S2 seed: on-hand for every SKU within the seed budget; resolves with the SKUs seeded and the seed's row. */
export async function seedS2({ client, keys, measured }, skus) {
  log(`S2 seed: stock for ${skus.length} SKUs, one PATCH each (budget ${CFG.s2.seedBudgetMs / 1000} s)`);
  const tally = new Tally();
  const seeded = [];
  let progressAt = performance.now();
  const { result, cpu } = await measured(() =>
    runClosedLoop({
      concurrency: CFG.connections,
      maxOps: skus.length,
      durationMs: CFG.s2.seedBudgetMs,
      step: async (_w, i) => {
        const sku = skus[i];
        const res = await client.request("PATCH", `/api/v2/inventory/${sku}`, {
          key: keys.operator,
          headers: { "idempotency-key": `seed-${sku}` },
          body: { locationId: LOC, onHand: CFG.s2.unitsPerSku, reason: "initial" },
        });
        tally.record("patch", res);
        if (res.status === 200) seeded.push(sku);
        if (performance.now() - progressAt > 10_000) {
          progressAt = performance.now();
          log(`  seeded ${seeded.length}/${skus.length}`);
        }
      },
    }),
  );
  const t = tally.toJSON().patch;
  return {
    seeded,
    row: row(`S2 seed: stock for ${skus.length.toLocaleString("en")} new SKUs (PATCH, cold objects)`, {
      ops: result.started,
      seconds: result.elapsedMs / 1000,
      latency: t.latencyMs,
      errors: result.started - (t.statuses[200] ?? 0),
      cpu,
      opsLabel: "PATCHes",
      hops: objectHops({ label: "1 (cold object)", p95: 1 }),
      check: seeded.length === skus.length ? "all seeded" : `only ${seeded.length} seeded in budget`,
    }),
    raw: { run: result, tally: tally.toJSON(), cpu },
  };
}

/** S2 spread: reserve + release pairs on random SKUs of `skus`; checks a sample (and every SKU whose release failed). */
export async function scenarioS2({ client, keys, measured }, skus) {
  const { durationMs, sample } = CFG.s2;
  log(`S2: reserve + release over ${skus.length} SKUs for ${durationMs / 1000} s from ${CFG.connections} connections`);
  const tally = new Tally();
  const pairLatency = new Samples();
  const touched = new Set();
  const unreleased = [];
  const ids = [];
  let pairs = 0;
  const { result, cpu } = await measured(() =>
    runClosedLoop({
      concurrency: CFG.connections,
      durationMs,
      maxOps: 2_000_000,
      step: async (_w, i) => {
        const sku = skus[Math.floor(Math.random() * skus.length)];
        touched.add(sku);
        const t0 = performance.now();
        const res = await client.request("POST", "/api/v2/inventory/reserve", {
          key: keys.checkout,
          headers: { "idempotency-key": uniqueKey(`s2-${i}`) },
          body: reserveBody([{ sku, quantity: 1, locationId: LOC }], "hard", `s2-${i}`),
        });
        tally.record("reserve", res);
        if (res.status !== 201) return;
        const id = res.json().id;
        if (ids.length < 1_000) ids.push(id);
        const rel = await client.request("POST", "/api/v2/inventory/release", { key: keys.checkout, body: { reservationId: id } });
        tally.record("release", rel);
        if (rel.status === 200) {
          pairs++;
          pairLatency.push(performance.now() - t0);
        } else unreleased.push({ id, sku, status: rel.status, body: rel.text.slice(0, 300) });
      },
    }),
  );
  const t = tally.toJSON();
  const reserves = t.reserve?.latencyMs.count ?? 0;
  const releases = t.release?.latencyMs.count ?? 0;
  const ops = reserves + releases;
  const errors = reserves - (t.reserve?.statuses[201] ?? 0) + releases - (t.release?.statuses[200] ?? 0);

  // Consistency on a sample of the SKUs the run touched (plus any whose release failed).
  const touchedList = [...touched];
  const picks = new Set(unreleased.map((u) => u.sku));
  while (picks.size < Math.min(sample, touchedList.length)) picks.add(touchedList[Math.floor(Math.random() * touchedList.length)]);
  const expectedHeld = new Map();
  for (const u of unreleased) expectedHeld.set(u.sku, (expectedHeld.get(u.sku) ?? 0) + 1);
  const bad = [];
  await pool([...picks], 16, async (sku) => {
    const { inventory, audit } = await inspectSku(client, keys.operator, sku);
    const expected = expectedHeld.get(sku) ?? 0;
    if (!audit.ok || inventory.totals.reserved !== expected || inventory.totals.softHeld !== 0 || inventory.totals.onHand !== CFG.s2.unitsPerSku) {
      bad.push({ sku, expectedReserved: expected, totals: inventory.totals, audit });
    }
  });
  const pass = bad.length === 0;
  // Hops from the ids the run got (direct: 1 per step; coordinated: 2). The sub-rows have no CPU
  // of their own: they take the scenario's CPU per request (per pair: two requests' worth).
  const reserveHops = singleSkuReservationHops(ids, "reserve");
  const releaseHops = singleSkuReservationHops(ids, "release");
  const cpuPerRequest = cpu && ops > 0 ? round((cpu.serverSeconds * 1000) / ops, 3) : null;
  const rows = [
    row(`S2 spread: reserve+release over ${skus.length.toLocaleString("en")} SKUs`, {
      ops,
      seconds: result.elapsedMs / 1000,
      latency: mergeLatency(tally, ["reserve", "release"]),
      errors,
      cpu,
      opsLabel: "requests",
      check: pass ? `pass (${picks.size} SKUs audited)` : `FAIL (${bad.length}/${picks.size} SKUs)`,
      notes: `${reserves} reserves + ${releases} releases`,
      hops: reserveHops,
    }),
    {
      ...row("  └ reserve (hard, 1 unit)", {
        ops: reserves,
        seconds: result.elapsedMs / 1000,
        latency: t.reserve?.latencyMs,
        errors: reserves - (t.reserve?.statuses[201] ?? 0),
        opsLabel: "reserves",
        hops: { ...reserveHops, cpuMs: cpuPerRequest },
      }),
      sub: true,
    },
    {
      ...row("  └ release", {
        ops: releases,
        seconds: result.elapsedMs / 1000,
        latency: t.release?.latencyMs,
        errors: releases - (t.release?.statuses[200] ?? 0),
        opsLabel: "releases",
        hops: { ...releaseHops, cpuMs: cpuPerRequest },
      }),
      sub: true,
    },
    {
      ...row("  └ pairs (reserve then release)", {
        ops: pairs,
        seconds: result.elapsedMs / 1000,
        latency: pairLatency.summary(),
        errors: 0,
        cpu,
        opsLabel: "pairs",
        hops: objectHops({
          label: `${reserveHops.p95 === null || releaseHops.p95 === null ? "?" : reserveHops.p95 + releaseHops.p95} (2 requests in sequence)`,
          p95: reserveHops.p95 === null || releaseHops.p95 === null ? null : reserveHops.p95 + releaseHops.p95,
          requests: 2,
        }),
      }),
      sub: true,
    },
  ];
  return {
    rows,
    raw: {
      run: result,
      tally: t,
      pairs,
      pairLatencyMs: pairLatency.summary(),
      cpu,
      sampled: picks.size,
      touched: touched.size,
      unreleased: unreleased.slice(0, 50),
      unreleasedCount: unreleased.length,
      reservationIdsSample: ids.slice(0, 5),
      inconsistent: bad.slice(0, 50),
    },
  };
}
