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
//   BENCH_ONLY=S1,S3         run only these scenarios (S0 always runs: it is every ratio's
//                            base; the 10,000 spread SKUs and S2's seed only when S2, S3, S4
//                            or S4c is chosen; S1 runs when S6 is chosen, as its "× S1"
//                            base)
//   BENCH_SETTLE=off         diagnostic: no wait for a scenario's delayed outbox checks (a
//                            writing scenario's then land in the next one's measurement)
//   BENCH_PROFILE=S2,S4      diagnostic: a CPU profile of the Worker around these scenarios
//                            (bench/results/<name>.cpuprofile; S2seed names the seed)

import { mkdir, writeFile } from "node:fs/promises";
import { cpus, freemem, loadavg, totalmem } from "node:os";
import { dirname, join } from "node:path";
import { performance } from "node:perf_hooks";
import { setTimeout as sleep } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { call, location, pool, seedMasterData, setOnHand, skuItem } from "./lib/api.mjs";
import { CFG, CONSUMERS, LOC, log, ONLY, QUICK, READ_ONLY, VENDOR } from "./lib/bench-config.mjs";
import { scenarioS3 } from "./lib/cached-read-scenario.mjs";
import { scenarioS6 } from "./lib/flash-sale-scenario.mjs";
import { scenarioS0, scenarioS1, scenarioS1x, settleWarmup, touchCoordinatorShards, warmup } from "./lib/hot-sku-scenarios.mjs";
import { bounded } from "./lib/lifecycle.mjs";
import { connectProfiler, PROFILE, profiled } from "./lib/profiler.mjs";
import { getFreePort } from "../scripts/local-stack/ports.mjs";
import { createClient } from "./lib/load.mjs";
import { createMeasurer } from "./lib/measure.mjs";
import { scenarioS5 } from "./lib/multi-line-scenario.mjs";
import { withPartitionLoad } from "./lib/partition-load.mjs";
import { MODEL as PROD_ESTIMATE } from "./lib/prod-estimate.mjs";
import { formatTable, gitInfo, printSummary, round, row } from "./lib/report.mjs";
import { seedS2, scenarioS2 } from "./lib/spread-scenario.mjs";
import { scenarioS2p, seedPartitionSpread } from "./lib/partition-spread-scenario.mjs";
import { startMiniflareStack, versions } from "./lib/stack.mjs";
import { scenarioS4, scenarioS4Cli } from "./lib/sync-scenarios.mjs";

const HERE = dirname(fileURLToPath(import.meta.url));

// The server is stopped on every way out: signals, the run's deadline, failure, the end.
let stack = null;
const { cleanup: stopStack, run } = bounded({
  label: "bench",
  log,
  deadlineMs: CFG.deadlineMs,
  overrun: `run exceeded its ${CFG.deadlineMs / 60_000} min deadline`,
  cleanup: async () => {
    if (stack) {
      log("stopping the server…");
      await stack.stop();
    }
  },
});

/** The whole run: start the stack, seed it, run every scenario, write and print the report. Resolves with the exit code. */
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

  stack = await startMiniflareStack({ log, queueConsumers: CONSUMERS, inspectorPort: PROFILE ? await getFreePort() : 0 });
  log(
    `server up at ${stack.url} (pid ${stack.pid}; start ${stack.startMs} ms; bundle ${Math.round(stack.bundleBytes / 1024)} KiB; state on ${stack.stateFilesystem.type} at ${stack.tmpDir})`,
  );
  const client = createClient(stack.url, { connections: CFG.connections, timeoutMs: 60_000 });
  const keys = stack.keys;
  // BENCH_PROFILE: the scenario `current` names runs under the CPU profiler.
  const profiler = PROFILE ? await connectProfiler(stack.inspectorPort, stack.workerName) : null;
  const profile = profiled(profiler, join(HERE, "results"), log);
  let current = "setup";
  const as = (name, fn) => {
    current = name;
    return fn();
  };
  if (PROFILE) await mkdir(join(HERE, "results"), { recursive: true });
  // Scenarios that write leave outbox checks due a minute after their last send: each waits
  // for them and counts them (measure.mjs `settleMs`); so does the unmeasured setup, so no
  // scenario pays for another's.
  const settleMs = () => (CFG.settleMs > 0 && !READ_ONLY.has(current) ? CFG.settleMs : 0);
  const measured = createMeasurer(stack.pid, { quietBudgetMs: QUICK ? 5_000 : 30_000, log, around: (fn) => profile(current, fn), settleMs });
  const settleUnmeasured = async (what) => {
    if (CFG.settleMs <= 0) return;
    log(`waiting ${CFG.settleMs / 1000} s for the ${what}'s outbox checks to run before measuring…`);
    await sleep(CFG.settleMs);
  };
  const ctx = { client, keys, measured };
  const rows = [];
  const raw = {};
  try {
    const wanted = (name) => ONLY === null || ONLY.has(name);
    // Master data for every scenario: one vendor, one location, all SKUs in batches.
    const hot = "HOT-0001";
    const hotAdjust = "HOT-ADJ-0001";
    const warm = "WARM-0001";
    const warmEmpty = "WARM-EMPTY-0001";
    const flash = "FLASH-0001";
    const spread = Array.from({ length: CFG.s2.skus }, (_, i) => `SPREAD-${String(i).padStart(5, "0")}`);
    const scarce = Array.from({ length: CFG.s5.rounds }, (_, r) => Array.from({ length: CFG.s5.skus }, (_, i) => `SCARCE-R${r}-${i}`));
    // The 10,000 spread SKUs only when a scenario uses them (their seed is minutes on a slow machine).
    const spreadWanted = ["S2", "S3", "S4", "S4c"].some(wanted);
    const allSkus = [hot, hotAdjust, warm, warmEmpty, flash, ...(spreadWanted ? spread : []), ...scarce.flat()];
    const t0 = performance.now();
    await seedMasterData(client, keys.operator, {
      vendor: VENDOR,
      locations: [location(LOC)],
      skus: allSkus.map((s) => skuItem(s, VENDOR.id)),
    });
    const masterMs = performance.now() - t0;
    log(`master data: 1 vendor, 1 location, ${allSkus.length} SKUs in ${(masterMs / 1000).toFixed(1)} s`);
    // One PATCH warms the adjust SKU's object, so S1x measures a warm object.
    await call(client, keys.operator, "PATCH", `/api/v2/inventory/${hotAdjust}`, { body: { locationId: LOC, onHand: 0, reason: "initial" } });
    await setOnHand(client, keys.operator, hot, LOC, CFG.s1.units);
    await setOnHand(client, keys.operator, warm, LOC, 1_000_000);
    await setOnHand(client, keys.operator, warmEmpty, LOC, 0);
    await pool(scarce.flat(), 8, (sku) => setOnHand(client, keys.operator, sku, LOC, CFG.s5.unitsPerSku));
    raw.setup = { masterDataMs: Math.round(masterMs), skus: allSkus.length };
    await settleUnmeasured("setup");

    const s0 = await as("S0", () => scenarioS0(ctx));
    rows.push(s0.row);
    raw.S0 = s0.raw;

    // S6's "× S1" needs S1 from the same run.
    const runS1 = wanted("S1") || wanted("S6");
    // Right before S1: the warm-up is there to warm the coordinator shards and the code paths,
    // which a minute's wait would undo (idle objects are evicted after 10 s). Its background
    // work (flushes, the consumer, the first outbox checks 5 s after its sends) is not S1's:
    // S1 starts once that has run and the server is idle, as S1x starts after S1's, and after
    // one refused reserve per coordinator shard (no events) has brought every shard back.
    if (runS1 || wanted("S1x")) {
      raw.warmup = await as("warmup", () => warmup(ctx, warm));
      raw.warmup.settled = await settleWarmup(measured);
      if (runS1) raw.warmup.touched = await touchCoordinatorShards(ctx, warmEmpty);
    }

    let s1Throughput = null;
    if (runS1) {
      const s1 = await as("S1", () => scenarioS1(ctx, hot));
      rows.push(s1.row);
      raw.S1 = s1.raw;
      if (String(s1.row.check).startsWith("pass")) s1Throughput = s1.row.throughput;
    }
    if (wanted("S1x")) {
      const s1x = await as("S1x", () => scenarioS1x(ctx, hotAdjust));
      rows.push(s1x.row);
      raw.S1x = s1x.raw;
    }

    const seed = spreadWanted ? await as("S2seed", () => seedS2(ctx, spread)) : null;
    if (seed && wanted("S2")) {
      const s2 = await withPartitionLoad(client, keys.operator, log, () => as("S2", () => scenarioS2(ctx, seed.seeded)));
      rows.push(...s2.rows);
      raw.S2 = s2.raw;
    }
    if (wanted("S2p")) {
      const spreadSkus = await seedPartitionSpread(client, keys.operator);
      const s2p = await withPartitionLoad(client, keys.operator, log, () => as("S2p", () => scenarioS2p(ctx, spreadSkus)));
      rows.push(s2p.row);
      raw.S2p = s2p.raw;
    }
    if (seed && wanted("S3")) {
      const s3 = await as("S3", () => scenarioS3(ctx, seed.seeded.slice(0, CFG.s3.skus)));
      rows.push(s3.row);
      raw.S3 = s3.raw;
    }
    if (seed && wanted("S4")) {
      const s4 = await withPartitionLoad(client, keys.operator, log, () =>
        as("S4", () => scenarioS4({ client, keys, vendorId: VENDOR.id, locationId: LOC, skus: seed.seeded, measured, row, log })),
      );
      rows.push(s4.row);
      raw.S4 = s4.raw;
    }
    if (seed && wanted("S4c")) {
      const s4c = await as("S4c", () =>
        scenarioS4Cli({ client, keys, vendorId: VENDOR.id, skus: seed.seeded.slice(0, QUICK ? 1_000 : 10_000), measured, row, log }),
      );
      rows.push(s4c.row);
      raw.S4c = s4c.raw;
    }
    if (wanted("S5")) {
      // As before S1: every coordinator shard in memory, as a steady stream of orders keeps
      // them in production (256 shards; S5's 160 orders would otherwise each start one that
      // workerd evicted after 10 s idle). Its SKUs are left as they are: each round's first
      // order starts them, as the first order of a burst would.
      const touched = await touchCoordinatorShards(ctx, warmEmpty);
      const s5 = await as("S5", () => scenarioS5(ctx, scarce));
      rows.push(s5.row);
      raw.S5 = { ...s5.raw, touched };
    }
    // Last: its 10,000 reservations leave the most background work behind (outbox, events).
    if (wanted("S6")) {
      const s6 = await as("S6", () => scenarioS6(ctx, flash, { s1Throughput }));
      rows.push(s6.row);
      raw.S6 = s6.raw;
    }
    if (seed) {
      rows.push({ ...seed.row, seed: true });
      raw.S2seed = seed.raw;
    }
  } finally {
    client.close();
    await stopStack();
  }

  const s0Throughput = rows[0].throughput;
  const table = formatTable(rows, s0Throughput);
  const ok = rows.every((r) => r.unavailable || r.sub || r.seed || String(r.check).startsWith("pass"));
  const result = {
    startedAt: startedAt.toISOString(),
    finishedAt: new Date().toISOString(),
    command: "npm run bench",
    quick: QUICK,
    only: ONLY === null ? null : [...ONLY],
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
    prodEstimate: PROD_ESTIMATE,
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
  printSummary(result, table);
  return ok ? 0 : 1;
}

run(main, { tail: () => stack && `[bench] server stderr (tail):\n${stack.stderr().slice(-4000)}` });
