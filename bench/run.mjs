#!/usr/bin/env node
// `npm run bench`: start edge-inventory locally in its most production-like mode (the
// deploy bundle in Miniflare, logging/tracing/explorer off; see BENCHMARKS.md), seed it over
// the HTTP API, run the scenarios with a keep-alive load generator on 127.0.0.1, check the
// results for exactness, print one table and write bench/results/latest.json.
//
// Everything is bounded: each scenario has an operation cap and/or a duration, seeding has
// a time budget, and the whole run has a deadline. The server is stopped on every exit path.
//
// Options (env):
//   BENCH_QUICK=1            shorter S0/S1x/S2 and 1,000 SKUs instead of 10,000 (a smoke run;
//                            its numbers are not the benchmark)
//   BENCH_S2_SKUS=<n>        number of SKUs for S2 (default 10,000)
//   TMPDIR=/dev/shm          keep the server's state on tmpfs (no fsync cost; a variant)
//   BENCH_QUEUE_CONSUMERS=off diagnostic: no queue consumers (event pipeline left out)

import { mkdir, writeFile } from "node:fs/promises";
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { call, inspectSku, location, pool, reservationIdFor, seedMasterData, setOnHand, skuItem, uniqueKey } from "./lib/api.mjs";
import { createClient, runClosedLoop, Samples, Tally } from "./lib/load.mjs";
import { cpuDelta, cpuSample } from "./lib/proc.mjs";
import { startMiniflareStack, versions } from "./lib/stack.mjs";
import { prng } from "../scripts/local-stack.mjs";
import { scenarioS4, scenarioS4Cli } from "./lib/sync-scenarios.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));
const QUICK = process.env.BENCH_QUICK === "1";
// Diagnostic: BENCH_QUEUE_CONSUMERS=off runs without queue consumers (see lib/stack.mjs).
const CONSUMERS = process.env.BENCH_QUEUE_CONSUMERS !== "off";

const CFG = {
  connections: 64,
  s0: { durationMs: QUICK ? 3_000 : 10_000 },
  s1: { units: 1_000, requests: 1_200, timeoutMs: 120_000 },
  s1x: { durationMs: QUICK ? 2_000 : 5_000 },
  s3: { skus: 1_000, zipfExponent: 1.1, durationMs: QUICK ? 3_000 : 10_000 },
  s2: {
    skus: Number(process.env.BENCH_S2_SKUS) || (QUICK ? 1_000 : 10_000),
    unitsPerSku: 100,
    durationMs: QUICK ? 5_000 : 20_000,
    sample: 200,
    seedBudgetMs: 300_000,
  },
  s5: { rounds: 5, skus: 5, unitsPerSku: 10, orders: 32, linesPerOrder: 3, unitsPerLine: 2 },
  warmup: { pairs: 1_024 },
  deadlineMs: 25 * 60_000,
};

const VENDOR = { id: "V-BENCH", name: "Bench Vendor" };
const LOC = "L-BENCH";
const log = (msg) => process.stderr.write(`[bench] ${msg}\n`);

// ---------------------------------------------------------------------------------------------
// Lifecycle: stop the server on every way out.

let stack = null;
let stopping = null;
function stopStack() {
  stopping ??= (async () => {
    if (stack) {
      log("stopping the server…");
      await stack.stop();
    }
  })();
  return stopping;
}
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.once(sig, async () => {
    log(`${sig}: stopping`);
    await stopStack();
    process.exit(130);
  });
}
const deadline = setTimeout(async () => {
  log(`run exceeded its ${CFG.deadlineMs / 60_000} min deadline: stopping`);
  await stopStack();
  process.exit(2);
}, CFG.deadlineMs);
deadline.unref();

// ---------------------------------------------------------------------------------------------
// Measurement helpers.

/** Whole-machine CPU seconds (all cores) from /proc/stat, to see what else was running. */
function machineCpu() {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = line[3] + (line[4] ?? 0);
  const total = line.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / 100, total: total / 100 };
}

/**
 * Waits (bounded) until processes other than this benchmark use less than `maxCores` of the
 * machine, so other work on a shared machine disturbs the numbers less. Returns what it saw.
 */
async function waitForQuiet({ maxCores = 0.25, windowMs = 1_000, budgetMs = QUICK ? 5_000 : 30_000 } = {}) {
  const started = Date.now();
  let other = 0;
  let waited = false;
  for (;;) {
    const s0 = cpuSample(stack.pid);
    const l0 = process.cpuUsage();
    const m0 = machineCpu();
    await new Promise((r) => setTimeout(r, windowMs));
    const server = cpuDelta(s0, cpuSample(stack.pid)).seconds;
    const lg = process.cpuUsage(l0);
    other = Math.max(0, machineCpu().busy - m0.busy - server - (lg.user + lg.system) / 1e6) / (windowMs / 1000);
    if (other <= maxCores) break;
    if (Date.now() - started > budgetMs) {
      log(`  machine still busy (other processes ≈ ${other.toFixed(2)} cores) after ${budgetMs / 1000} s; going ahead`);
      break;
    }
    if (!waited) log(`  waiting for the machine to quieten (other processes ≈ ${other.toFixed(2)} cores)…`);
    waited = true;
  }
  return { otherCores: round(other, 2), waitedMs: Date.now() - started };
}

/**
 * Waits (bounded) until the server is idle again: background work an operation caused (the
 * SKU objects' outbox alarms, the EVENTS queue consumer writing D1 projections) runs on the
 * same workerd thread after the responses went out. Idle = under `idleCores` over `windowMs`.
 */
async function drain({ idleCores = 0.05, windowMs = 500, budgetMs = 30_000 } = {}) {
  const started = Date.now();
  for (;;) {
    const a = cpuSample(stack.pid);
    await new Promise((r) => setTimeout(r, windowMs));
    const used = cpuDelta(a, cpuSample(stack.pid)).seconds;
    if (used / (windowMs / 1000) < idleCores) return { idle: true, ms: Date.now() - started };
    if (Date.now() - started > budgetMs) return { idle: false, ms: Date.now() - started };
  }
}

/**
 * Samples server CPU, load-generator CPU and machine CPU around `fn`, then lets the server
 * drain its background work (counted in `serverSecondsWithDrain`, not in wall time).
 */
async function measured(fn) {
  const quiet = await waitForQuiet();
  const s0 = cpuSample(stack.pid);
  const l0 = process.cpuUsage();
  const m0 = machineCpu();
  const la0 = loadavg()[0];
  const t0 = performance.now();
  const result = await fn();
  const wall = (performance.now() - t0) / 1000;
  const s1 = cpuSample(stack.pid);
  const server = cpuDelta(s0, s1);
  const lg = process.cpuUsage(l0);
  const m1 = machineCpu();
  const drained = await drain();
  const withDrain = cpuDelta(s0, cpuSample(stack.pid));
  const loadgenSeconds = (lg.user + lg.system) / 1e6;
  const machineBusy = m1.busy - m0.busy;
  return {
    result,
    cpu: {
      wallSeconds: wall,
      serverSeconds: server.seconds,
      serverUserSeconds: server.user,
      serverSystemSeconds: server.system,
      serverByProcess: server.byComm,
      serverSecondsWithDrain: withDrain.seconds,
      drain: drained,
      loadGeneratorSeconds: loadgenSeconds,
      machineBusySeconds: machineBusy,
      // CPU used by processes that are neither the server nor this load generator.
      otherSeconds: Math.max(0, machineBusy - server.seconds - loadgenSeconds),
      loadavg1Before: la0,
      quietGate: quiet,
    },
  };
}

const round = (v, d = 2) => (v === null || v === undefined || Number.isNaN(v) ? null : Number(v.toFixed(d)));

function row(name, { ops, seconds, latency, errors, cpu, opsLabel = "ops", check = "—", notes }) {
  return {
    scenario: name,
    ops,
    opsLabel,
    seconds: round(seconds, 2),
    throughput: round(ops / seconds, 1),
    p50: round(latency?.p50),
    p95: round(latency?.p95),
    p99: round(latency?.p99),
    errors,
    // Server CPU per operation, including the background work it caused (outbox alarms,
    // queue consumers) that finished after the run; the in-run figure is kept beside it.
    cpuMsPerOp: cpu ? round(((cpu.serverSecondsWithDrain ?? cpu.serverSeconds) * 1000) / ops, 3) : null,
    cpuMsPerOpDuringRun: cpu ? round((cpu.serverSeconds * 1000) / ops, 3) : null,
    serverCores: cpu ? round(cpu.serverSeconds / cpu.wallSeconds, 2) : null,
    check,
    notes,
  };
}

// ---------------------------------------------------------------------------------------------
// Scenarios.

async function scenarioS0(client) {
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
    }),
    raw: { run: result, tally: tally.toJSON(), cpu },
  };
}

function reserveBody(items, type = "hard", reference = "bench") {
  return { type, reference, items };
}

/** Warm every coordinator shard (256) and the code paths: reserve + release pairs, unmeasured. */
async function warmup(client, keys, sku) {
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

async function scenarioS1(client, keys, sku) {
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
      check: pass
        ? `pass (${ok201}×201, ${c409}×409, avail ${inventory.totals.available})`
        : `FAIL (${ok201}×201, ${c409}×409, avail ${inventory.totals.available}, reserved ${inventory.totals.reserved}, audit ${audit.ok})`,
    }),
    raw: { run: result, tally: tally.toJSON(), cpu, checks, totals: inventory.totals, audit },
  };
}

/** Picks indexes 0..n-1 with Zipf(s) popularity (index 0 the most popular), deterministically seeded. */
function zipfSampler(n, s, seed = 20261122) {
  const weights = Array.from({ length: n }, (_, i) => 1 / (i + 1) ** s);
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative = [];
  let acc = 0;
  for (const w of weights) cumulative.push((acc += w / total));
  const random = prng(seed).next;
  return () => {
    const r = random();
    let lo = 0;
    let hi = n - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid] < r) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  };
}

/**
 * S3 cached reads: public GET /api/v2/availability/{sku} over 1,000 SKUs with Zipf
 * popularity, after one unmeasured pass that fills the caches; reports the cache tiers seen
 * (Server-Timing). Its "× S0" is the ratio to the no-op route of the same run.
 */
async function scenarioS3(client, skus) {
  const { zipfExponent, durationMs } = CFG.s3;
  log(`S3: cached public reads over ${skus.length} SKUs (Zipf s=${zipfExponent}) from ${CFG.connections} connections for ${durationMs / 1000} s`);
  await pool(skus, 16, async (sku) => {
    const res = await client.request("GET", `/api/v2/availability/${sku}`);
    if (res.status !== 200) throw new Error(`S3 warm-up: ${sku} → ${res.status} ${res.text}`);
  });
  const pick = zipfSampler(skus.length, zipfExponent);
  const tally = new Tally();
  const tiers = {};
  const { result, cpu } = await measured(() =>
    runClosedLoop({
      concurrency: CFG.connections,
      durationMs,
      maxOps: 2_000_000,
      step: async () => {
        const res = await client.request("GET", `/api/v2/availability/${skus[pick()]}`);
        tally.record("read", res);
        const tier = /cache;desc="([^"]+)"/.exec(String(res.headers?.["server-timing"] ?? ""))?.[1] ?? "none";
        tiers[tier] = (tiers[tier] ?? 0) + 1;
      },
    }),
  );
  const t = tally.toJSON().read;
  const ok = t.statuses[200] ?? 0;
  const hits = (tiers["hit-l1"] ?? 0) + (tiers["hit-l2"] ?? 0);
  const pass = ok === result.started;
  return {
    row: row(`S3 cached reads: ${skus.length} SKUs, Zipf ${zipfExponent}`, {
      ops: result.started,
      seconds: result.elapsedMs / 1000,
      latency: t.latencyMs,
      errors: result.started - ok,
      cpu,
      opsLabel: "reads",
      check: `${pass ? "pass" : "FAIL"} (hits ${((100 * hits) / Math.max(1, result.started)).toFixed(1)}%: l1 ${tiers["hit-l1"] ?? 0}, l2 ${tiers["hit-l2"] ?? 0}, miss ${tiers.miss ?? 0})`,
    }),
    raw: { run: result, tally: tally.toJSON(), cpu, tiers },
  };
}

/**
 * S1x (calibration, not in the issue): the single-object write path alone: PATCH delta +1 on
 * one SKU (Worker → that SKU's object, one transaction; no coordinator, no reservation).
 * Its CPU per op minus S0's approximates what one object spends per write here.
 */
async function scenarioS1x(client, keys, sku) {
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
      check: pass ? `pass (onHand ${inventory.totals.onHand} = ${ok} × 200)` : `FAIL (onHand ${inventory.totals.onHand}, ${ok} × 200, audit ${audit.ok})`,
    }),
    raw: { run: result, tally: tally.toJSON(), cpu, totals: inventory.totals, audit },
  };
}

async function seedS2(client, keys, skus) {
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
      check: seeded.length === skus.length ? "all seeded" : `only ${seeded.length} seeded in budget`,
    }),
    raw: { run: result, tally: tally.toJSON(), cpu },
  };
}

async function scenarioS2(client, keys, skus) {
  const { durationMs, sample } = CFG.s2;
  log(`S2: reserve + release over ${skus.length} SKUs for ${durationMs / 1000} s from ${CFG.connections} connections`);
  const tally = new Tally();
  const pairLatency = new Samples();
  const touched = new Set();
  const unreleased = [];
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
    }),
    {
      ...row("  └ reserve (hard, 1 unit)", {
        ops: reserves,
        seconds: result.elapsedMs / 1000,
        latency: t.reserve?.latencyMs,
        errors: reserves - (t.reserve?.statuses[201] ?? 0),
        opsLabel: "reserves",
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
      inconsistent: bad.slice(0, 50),
    },
  };
}

function mergeLatency(tally, kinds) {
  const s = new Samples();
  for (const k of kinds) {
    const kind = tally.kinds.get(k);
    if (!kind) continue;
    for (let i = 0; i < kind.latency.n; i++) s.push(kind.latency.buf[i]);
  }
  return s.summary();
}

async function scenarioS5(client, keys, roundsSkus) {
  const { orders, linesPerOrder, unitsPerLine, unitsPerSku } = CFG.s5;
  log(`S5: ${roundsSkus.length} rounds of ${orders} concurrent ${linesPerOrder}-line hard orders over ${roundsSkus[0].length} SKUs × ${unitsPerSku} units`);
  const tally = new Tally();
  const rounds = [];
  let wall = 0;
  const { cpu } = await measured(async () => {
    for (const [r, skus] of roundsSkus.entries()) {
      const plans = Array.from({ length: orders }, (_, i) => {
        const chosen = [...skus].sort(() => Math.random() - 0.5).slice(0, linesPerOrder);
        return { key: uniqueKey(`s5-${r}-${i}`), skus: chosen };
      });
      const t0 = performance.now();
      const results = await Promise.all(
        plans.map((p, i) =>
          client.request("POST", "/api/v2/inventory/reserve", {
            key: keys.checkout,
            headers: { "idempotency-key": p.key },
            body: reserveBody(
              p.skus.map((sku) => ({ sku, quantity: unitsPerLine, locationId: LOC })),
              "hard",
              `s5-${r}-${i}`,
            ),
          }),
        ),
      );
      wall += (performance.now() - t0) / 1000;
      for (const res of results) tally.record("order", res);
      rounds.push({ skus, plans, results });
    }
  });

  // Checks, per round.
  const problems = [];
  let ok201 = 0;
  let c409 = 0;
  for (const [r, { skus, plans, results }] of rounds.entries()) {
    const expected = Object.fromEntries(skus.map((s) => [s, 0]));
    const expectedCount = Object.fromEntries(skus.map((s) => [s, 0]));
    for (const [i, res] of results.entries()) {
      const plan = plans[i];
      if (res.status === 201) {
        ok201++;
        const body = res.json();
        const lines = body?.lines ?? [];
        const full =
          body?.status === "active" &&
          lines.length === linesPerOrder &&
          plan.skus.every((s) => lines.some((l) => l.sku === s && l.quantity === unitsPerLine && l.locationId === LOC && l.backordered === 0));
        if (!full) problems.push({ round: r, order: i, problem: "201 without every line held", body });
        if (body?.id !== reservationIdFor("checkout", plan.key)) problems.push({ round: r, order: i, problem: "unexpected reservation id", id: body?.id });
        for (const s of plan.skus) {
          expected[s] += unitsPerLine;
          expectedCount[s] += 1;
        }
      } else if (res.status === 409) {
        c409++;
        // A refused order must hold nothing: its reservation is not visible at all.
        const id = reservationIdFor("checkout", plan.key);
        const g = await client.request("GET", `/api/v2/reservations/${id}`, { key: keys.operator });
        if (g.status !== 404) problems.push({ round: r, order: i, problem: `refused order's reservation answers ${g.status}`, body: g.text.slice(0, 300) });
      } else {
        problems.push({ round: r, order: i, problem: `status ${res.status}`, body: res.text.slice(0, 300), error: res.error });
      }
    }
    for (const sku of skus) {
      const { inventory, audit } = await inspectSku(client, keys.operator, sku);
      const t = inventory.totals;
      if (t.reserved !== expected[sku])
        problems.push({ round: r, sku, problem: `reserved ${t.reserved} ≠ 2 × successful orders containing it (${expected[sku]})` });
      if (t.reserved > t.onHand || t.available < 0) problems.push({ round: r, sku, problem: "oversold", totals: t });
      if ((inventory.reservations?.activeHard?.count ?? -1) !== expectedCount[sku]) {
        problems.push({ round: r, sku, problem: `activeHard.count ${inventory.reservations?.activeHard?.count} ≠ ${expectedCount[sku]}` });
      }
      if (!audit.ok) problems.push({ round: r, sku, problem: "audit failed", audit });
    }
  }
  const t = tally.toJSON().order;
  const total = orders * rounds.length;
  const pass = problems.length === 0;
  return {
    row: row(`S5 multi-line: ${rounds.length}×${orders} concurrent 3-line orders, 5 scarce SKUs`, {
      ops: total,
      seconds: wall,
      latency: t.latencyMs,
      errors: total - ok201 - c409,
      cpu: { ...cpu, wallSeconds: wall },
      opsLabel: "orders",
      check: pass ? `pass (${ok201}×201, ${c409}×409, no partial holds, no oversell)` : `FAIL (${problems.length} problems)`,
    }),
    raw: { tally: tally.toJSON(), cpu, wallSeconds: wall, ok201, c409, problems: problems.slice(0, 50) },
  };
}

// ---------------------------------------------------------------------------------------------
// Table.

function printTable(rows, s0Throughput) {
  const header = ["scenario", "ops", "ops/s", "p50 ms", "p95 ms", "p99 ms", "errors", "CPU ms/op", "× S0", "check"];
  const lines = rows.map((r) =>
    r.unavailable
      ? [r.scenario, "—", "—", "—", "—", "—", "—", "—", "—", "not yet available"]
      : [
          r.scenario,
          `${r.ops} ${r.opsLabel}`,
          r.throughput?.toLocaleString("en") ?? "—",
          r.p50 ?? "—",
          r.p95 ?? "—",
          r.p99 ?? "—",
          r.errors ?? "—",
          r.cpuMsPerOp ?? "—",
          r.throughput && s0Throughput && !r.sub && !r.seed ? (r.throughput / s0Throughput).toFixed(3) : "—",
          r.check ?? "—",
        ].map(String),
  );
  const md = [`| ${header.join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`, ...lines.map((l) => `| ${l.join(" | ")} |`)];
  return md.join("\n");
}

function gitInfo() {
  const run = (args) => {
    try {
      return execFileSync("git", args, { cwd: join(HERE, ".."), encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      return null;
    }
  };
  const status = run(["status", "--porcelain"]);
  return { commit: run(["rev-parse", "--short", "HEAD"]), uncommittedFiles: status === null ? null : status.split("\n").filter(Boolean).length };
}

// ---------------------------------------------------------------------------------------------
// Main.

async function main() {
  const startedAt = new Date();
  const machine = {
    nproc: cpus().length,
    cpuModel: cpus()[0]?.model,
    memTotalGiB: round(totalmem() / 2 ** 30, 1),
    memFreeGiB: round(freemem() / 2 ** 30, 1),
    loadavgAtStart: loadavg().map((v) => round(v, 2)),
  };
  const v = await versions();
  log(
    `node ${v.node}, wrangler ${v.wrangler}, miniflare ${v.miniflare}, workerd ${v.workerd}; ${machine.nproc} CPUs (${machine.cpuModel}); load ${machine.loadavgAtStart.join(" ")}`,
  );
  if (machine.loadavgAtStart[0] > 0.5) log("warning: the machine is busy (1-min load > 0.5); numbers will be lower and noisier");

  stack = await startMiniflareStack({ log, queueConsumers: CONSUMERS });
  log(
    `server up at ${stack.url} (pid ${stack.pid}; start ${stack.startMs} ms; bundle ${Math.round(stack.bundleBytes / 1024)} KiB; state on ${stack.stateFilesystem.type} at ${stack.tmpDir})`,
  );
  const client = createClient(stack.url, { connections: CFG.connections, timeoutMs: 60_000 });
  const keys = stack.keys;
  const rows = [];
  const raw = {};
  try {
    // Master data for every scenario: one vendor, one location, all SKUs in batches.
    const hot = "HOT-0001";
    const hotAdjust = "HOT-ADJ-0001";
    const warm = "WARM-0001";
    const spread = Array.from({ length: CFG.s2.skus }, (_, i) => `SPREAD-${String(i).padStart(5, "0")}`);
    const scarce = Array.from({ length: CFG.s5.rounds }, (_, r) => Array.from({ length: CFG.s5.skus }, (_, i) => `SCARCE-R${r}-${i}`));
    const t0 = performance.now();
    await seedMasterData(client, keys.operator, {
      vendor: VENDOR,
      locations: [location(LOC)],
      skus: [hot, hotAdjust, warm, ...spread, ...scarce.flat()].map((s) => skuItem(s, VENDOR.id)),
    });
    const masterMs = performance.now() - t0;
    log(`master data: 1 vendor, 1 location, ${2 + spread.length + scarce.flat().length} SKUs in ${(masterMs / 1000).toFixed(1)} s`);
    // One PATCH warms the adjust SKU's object, so S1x measures a warm object.
    await call(client, keys.operator, "PATCH", `/api/v2/inventory/${hotAdjust}`, { body: { locationId: LOC, onHand: 0, reason: "initial" } });
    await setOnHand(client, keys.operator, hot, LOC, CFG.s1.units);
    await setOnHand(client, keys.operator, warm, LOC, 1_000_000);
    await pool(scarce.flat(), 8, (sku) => setOnHand(client, keys.operator, sku, LOC, CFG.s5.unitsPerSku));
    raw.setup = { masterDataMs: Math.round(masterMs), skus: 3 + spread.length + scarce.flat().length };

    const s0 = await scenarioS0(client);
    rows.push(s0.row);
    raw.S0 = s0.raw;

    raw.warmup = await warmup(client, keys, warm);

    const s1 = await scenarioS1(client, keys, hot);
    rows.push(s1.row);
    raw.S1 = s1.raw;

    const s1x = await scenarioS1x(client, keys, hotAdjust);
    rows.push(s1x.row);
    raw.S1x = s1x.raw;

    const seed = await seedS2(client, keys, spread);
    const s2 = await scenarioS2(client, keys, seed.seeded);
    rows.push(...s2.rows);
    raw.S2 = s2.raw;

    const s3 = await scenarioS3(client, seed.seeded.slice(0, CFG.s3.skus));
    rows.push(s3.row);
    raw.S3 = s3.raw;
    const s4 = await scenarioS4({ client, keys, vendorId: VENDOR.id, locationId: LOC, skus: seed.seeded, measured, row, log });
    rows.push(s4.row);
    raw.S4 = s4.raw;
    const s4c = await scenarioS4Cli({ client, keys, vendorId: VENDOR.id, skus: seed.seeded.slice(0, QUICK ? 1_000 : 10_000), measured, row, log });
    rows.push(s4c.row);
    raw.S4c = s4c.raw;

    const s5 = await scenarioS5(client, keys, scarce);
    rows.push(s5.row);
    raw.S5 = s5.raw;

    rows.push({ ...seed.row, seed: true });
    raw.S2seed = seed.raw;
  } finally {
    client.close();
    await stopStack();
  }

  const s0Throughput = rows[0].throughput;
  const table = printTable(rows, s0Throughput);
  const ok = rows.every((r) => r.unavailable || r.sub || r.seed || String(r.check).startsWith("pass"));
  const result = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command: "npm run bench",
    quick: QUICK,
    mode: {
      name: "miniflare-direct",
      description:
        "wrangler deploy --dry-run bundle served by Miniflare (wrangler's copy) with bindings from wrangler.toml via unstable_getMiniflareWorkerOptions; request logging, tracing (unsafeObservability) and local explorer off; persistence in a fresh temp folder",
      url: stack.url,
      serverStartMs: stack.startMs,
      bundleMs: stack.bundleMs,
      bundleBytes: stack.bundleBytes,
      stateFilesystem: stack.stateFilesystem,
    },
    config: CFG,
    machine: { ...machine, loadavgAtEnd: loadavg().map((x) => round(x, 2)) },
    versions: v,
    git: gitInfo(),
    bindings: stack.bindings,
    diagnostic: CONSUMERS ? null : "queue consumers off",
    rows,
    raw,
    pass: ok,
  };
  await mkdir(join(HERE, "results"), { recursive: true });
  await writeFile(join(HERE, "results", "latest.json"), JSON.stringify(result, null, 2) + "\n");
  console.log(
    `\nedge-inventory benchmark — node ${v.node}, wrangler ${v.wrangler}, workerd ${v.workerd}, ${machine.nproc} CPUs (${machine.cpuModel}), ` +
      `mode: Miniflare direct (deploy bundle), state on ${result.mode.stateFilesystem.type}, ${CFG.connections} connections, load ${machine.loadavgAtStart.join(" ")}, commit ${result.git.commit}${result.git.uncommittedFiles ? ` + ${result.git.uncommittedFiles} uncommitted files` : ""}${QUICK ? ", QUICK (smoke run)" : ""}${CONSUMERS ? "" : ", DIAGNOSTIC: queue consumers off"}\n`,
  );
  console.log(table);
  console.log(
    `\nCPU ms/op = CPU seconds of the server processes (Miniflare host + workerd, from /proc) during the run and while its background work drained (outbox alarms, queue consumers) ÷ operations; × S0 = throughput ÷ S0's.` +
      `\nServer cores busy / load-generator CPU / other processes' CPU per scenario are in bench/results/latest.json (raw.*.cpu).`,
  );
  for (const [name, r] of Object.entries(raw)) {
    if (r?.cpu) {
      const c = r.cpu;
      console.log(
        `  ${name.padEnd(7)} wall ${c.wallSeconds.toFixed(1)} s · server ${c.serverSeconds.toFixed(2)} s CPU (user ${c.serverUserSeconds.toFixed(2)}, sys ${c.serverSystemSeconds.toFixed(2)}; ${(c.serverSeconds / c.wallSeconds).toFixed(2)} cores) + ${(c.serverSecondsWithDrain - c.serverSeconds).toFixed(2)} s draining background work in ${(c.drain.ms / 1000).toFixed(1)} s · load generator ${c.loadGeneratorSeconds.toFixed(2)} s · other processes ${c.otherSeconds.toFixed(2)} s`,
      );
    }
  }
  console.log(`\nraw results: bench/results/latest.json · exactness checks: ${ok ? "all pass" : "SOME FAILED"}`);
  return ok ? 0 : 1;
}

main().then(
  (code) => {
    clearTimeout(deadline);
    process.exitCode = code;
  },
  async (err) => {
    console.error(`[bench] failed: ${err?.stack ?? err}`);
    if (stack) console.error(`[bench] server stderr (tail):\n${stack.stderr().slice(-4000)}`);
    await stopStack();
    process.exit(1);
  },
);
