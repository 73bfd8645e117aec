#!/usr/bin/env node
// EVENTS partition balance (issue 19): messages per partition when updates spread over 10,000
// SKUs, from the real partition function (domain/event-partitions.ts, bundled with esbuild so
// any Node runs it) and the real partition count (queues/queue-names.ts EVENT_PARTITIONS).
//
// A simulation: no system runs. The real counts come from the Worker's load counters
// (`GET /api/v2/diagnostics/load`), which `npm run bench` reads around S2 and S4 (BENCHMARKS.md,
// "Partition load"). Since a message is a per-SKU flush sent to partitionOf(sku, N), the count
// per partition is a pure function of which SKUs changed, which this script computes for
// workloads the bench does not run; test/events-partitions.test.ts checks the premise in workerd — real
// changes over 1,200 SKUs through the SKU objects, every message counted through the
// recording sink on the partition the production sink would use, max/mean ≤ 1.2.
//
// Workloads (10,000 SKUs each, seeded PRNG, same output every run):
//   demo     the demo catalogue's ids (scripts/local-stack demoCatalogue(10,000)), one update each
//   spread   the benchmark's S2 ids (SPREAD-00000…), 100,000 updates on uniformly random SKUs
//   zipf     the S2 ids, 100,000 updates Zipf-distributed (s = 1.0): a few hot SKUs, whose
//            updates coalesce (≤ 100 events a message, one flush per 100 ms window)
//
// Then the arithmetic at the spec's peak (15,000 updates/s): messages/s per partition
// against the documented 5,000 messages/s per queue.
//
// Read databases (issue 19 item 2): per database, the events the EVENTS consumer writes and the
// D1 batches it sends when a vendor's SKUs all live in one database (homeReadPartition), for
// 10,000 SKUs of 1,000 vendors, and how 10,000 (and 500,000) vendors spread over M.
//
// SYNC and REORDER partitions (domain/job-partitions.ts): chunks per partition of a 10,000-item
// sync job of the S2 ids (planChunks, planned by partition as the ingest does), and of a nightly
// REORDER run (keyset pages of 100 active SKUs, keyed by their first SKU) over the S2 ids, over
// 100,000 SKUs and over the spec's 50M.
//
// Usage: node bench/partition-balance.mjs [--json]    exit 1 if any EVENTS max/mean, the
// vendors' spread over M, the 10,000-item job's SYNC chunks or the 100,000-SKU nightly run's
// REORDER chunks is above 1.2.

import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { demoCatalogue } from "../scripts/local-stack.mjs";

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), "..");
const LIMIT_PER_QUEUE = 5_000;
const PEAK_UPDATES_PER_S = 15_000;
const BOUND = 1.2;

/** Bundles a TS module of the Worker (and its imports) and imports it. */
async function importTs(file) {
  const out = await build({ entryPoints: [path.join(ROOT, file)], bundle: true, format: "esm", platform: "node", write: false, logLevel: "error" });
  return import(`data:text/javascript;base64,${Buffer.from(out.outputFiles[0].text).toString("base64")}`);
}

const { partitionOf } = await importTs("domain/event-partitions.ts");
const { homeReadPartition } = await importTs("domain/read-partitions.ts");
// M: the READ_<i> D1 bindings (consecutive from 0, as the Worker counts them).
const M = (() => {
  const found = [...readFileSync(path.join(ROOT, "wrangler.toml"), "utf8").matchAll(/^binding = "READ_(\d+)"/gm)].map((m) => Number(m[1]));
  let m = 0;
  while (found.includes(m)) m += 1;
  return m;
})();
const { EVENT_PARTITIONS, REORDER_PARTITIONS, SYNC_PARTITIONS } = await importTs("queues/queue-names.ts");
const { planChunks } = await importTs("domain/sync-chunks.ts");
const { reorderPartitionOf, syncPartitionOf } = await importTs("domain/job-partitions.ts");
const { REORDER_CHUNK_SKUS } = await importTs("domain/reorder-messages.ts");
const N = EVENT_PARTITIONS.length;
// Sanity: wrangler.toml has one EVENTS_<i> producer per partition (test/node/queue-config.test.ts checks the rest).
const producers = [...readFileSync(path.join(ROOT, "wrangler.toml"), "utf8").matchAll(/^binding = "EVENTS_(\d+)"/gm)].length;
if (producers !== N) throw new Error(`wrangler.toml has ${producers} EVENTS_<i> producers, queue-names.ts ${N} partitions`);

function prng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Messages per partition for a stream of updates (SKU ids, in time order, `perSecond` of them a
 * second): a SKU's updates within one 100 ms flush window share a message (at most 100 events
 * a message), as the outbox flushes them.
 */
function messagesPerPartition(updates, perSecond) {
  const counts = Array.from({ length: N }, () => 0);
  const windowOf = (i) => Math.floor((i / perSecond) * 10); // 100 ms windows
  const open = new Map(); // sku → { window, events }
  for (const [i, sku] of updates.entries()) {
    const w = windowOf(i);
    const o = open.get(sku);
    if (o !== undefined && o.window === w && o.events < 100) {
      o.events += 1;
      continue;
    }
    open.set(sku, { window: w, events: 1 });
    counts[partitionOf(sku, N)] += 1;
  }
  const total = counts.reduce((a, b) => a + b, 0);
  const mean = total / N;
  return { updates: updates.length, messages: total, perPartition: counts, maxOverMean: Math.max(...counts) / mean };
}

const spreadIds = Array.from({ length: 10_000 }, (_, i) => `SPREAD-${String(i).padStart(5, "0")}`);
const rnd = prng(20261130);
const uniform = Array.from({ length: 100_000 }, () => spreadIds[Math.floor(rnd() * spreadIds.length)]);
// Zipf(1.0) over the 10,000 ids by inverse CDF.
const weights = spreadIds.map((_, k) => 1 / (k + 1));
const cdf = [];
weights.reduce((acc, w, k) => (cdf[k] = acc + w), 0);
const totalWeight = cdf[cdf.length - 1];
const zipf = Array.from({ length: 100_000 }, () => {
  const x = rnd() * totalWeight;
  let lo = 0;
  let hi = cdf.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cdf[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return spreadIds[lo];
});

const workloads = {
  demo: messagesPerPartition(
    demoCatalogue(10_000).skus.map((s) => s.sku),
    PEAK_UPDATES_PER_S,
  ),
  spread: messagesPerPartition(uniform, PEAK_UPDATES_PER_S),
  zipf: messagesPerPartition(zipf, PEAK_UPDATES_PER_S),
};

/**
 * The read databases' share of the EVENTS consumer's work (issue 19 item 2): updates (SKU ids in
 * time order) flow through their EVENTS partition; each consumer batch takes up to 100
 * messages of one partition and writes one D1 batch per read database its SKUs' vendors live
 * in (facts, levels, alerts' cursor, dedupe rows: ~4–7 statements, whatever the events count).
 * Per database: events written and D1 batches (round trips) received.
 */
function readDatabaseLoad(updates, vendorOf, m) {
  const events = Array.from({ length: m }, () => 0);
  const batches = Array.from({ length: m }, () => 0);
  const pending = Array.from({ length: N }, () => []);
  const flush = (p) => {
    const touched = new Set(pending[p].map((sku) => homeReadPartition(vendorOf(sku), m)));
    for (const d of touched) batches[d] += 1;
    pending[p] = [];
  };
  for (const sku of updates) {
    const p = partitionOf(sku, N);
    events[homeReadPartition(vendorOf(sku), m)] += 1;
    pending[p].push(sku);
    if (pending[p].length === 100) flush(p);
  }
  for (let p = 0; p < N; p++) if (pending[p].length > 0) flush(p);
  const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
  return { databases: m, events, batches, eventsMaxOverMean: Math.max(...events) / mean(events), batchesMaxOverMean: Math.max(...batches) / mean(batches) };
}

// 10,000 SKUs of 1,000 vendors (10 each), as the spec's 50M SKUs of 500K vendors average 100.
const vendorOfSpread = (sku) => `BV-${String(Number(sku.slice(-5)) % 1000).padStart(4, "0")}`;
const readDatabases = {
  spread: readDatabaseLoad(uniform, vendorOfSpread, M),
  zipf: readDatabaseLoad(zipf, vendorOfSpread, M),
  "spread, M = 32": readDatabaseLoad(uniform, vendorOfSpread, 32),
};
/** Vendors per database for `count` vendor ids (V-000000…), at M databases. */
function vendorsPerDatabase(count, m) {
  const counts = Array.from({ length: m }, () => 0);
  for (let i = 0; i < count; i++) counts[homeReadPartition(`V-${String(i).padStart(6, "0")}`, m)] += 1;
  return { vendors: count, databases: m, counts, maxOverMean: Math.max(...counts) / (count / m) };
}
const vendorSpread = { atM: vendorsPerDatabase(10_000, M), at32: vendorsPerDatabase(10_000, 32), spec32: vendorsPerDatabase(500_000, 32) };
const demoCat = demoCatalogue(10_000);
const demoVendors = new Map(demoCat.skus.map((s) => [s.sku, s.vendorId]));
readDatabases.demo = readDatabaseLoad(
  demoCat.skus.map((s) => s.sku),
  (sku) => demoVendors.get(sku),
  M,
);

/** Chunks per partition, and max/mean, for `partitions` partitions. */
function chunkSpread(partitionsOfChunks, partitions) {
  const counts = Array.from({ length: partitions }, () => 0);
  for (const p of partitionsOfChunks) counts[p] += 1;
  return { chunks: partitionsOfChunks.length, perPartition: counts, maxOverMean: Math.max(...counts) / (partitionsOfChunks.length / partitions) };
}
const NS = SYNC_PARTITIONS.length;
const NR = REORDER_PARTITIONS.length;
const syncJob = planChunks(
  spreadIds.map((sku, i) => ({ sku, locationId: "L-BENCH", quantity: 1, itemIndex: i, row: null })),
  undefined,
  NS,
);
/** A nightly run over `count` SKUs in id order: its chunks are keyset pages of REORDER_CHUNK_SKUS, each sent by its first SKU. */
const nightly = (count, idOf) =>
  chunkSpread(
    Array.from({ length: Math.ceil(count / REORDER_CHUNK_SKUS) }, (_, k) =>
      reorderPartitionOf({ v: 1, kind: "chunk", origin: "2030-01-01", skus: [idOf(k * REORDER_CHUNK_SKUS)], seq: k }, NR),
    ),
    NR,
  );
const padded = (i) => `SKU-${String(i).padStart(8, "0")}`;
const jobs = {
  "SYNC: one 10,000-item job (S2 ids)": chunkSpread(
    syncJob.map((c) => syncPartitionOf(c, NS)),
    NS,
  ),
  "REORDER: nightly run, 10,000 SKUs (S2 ids)": nightly(10_000, (i) => spreadIds[i]),
  "REORDER: nightly run, 100,000 SKUs": nightly(100_000, padded),
  "REORDER: nightly run, 50M SKUs": nightly(50_000_000, padded),
};

// At the peak, every update is at most one message (fewer when a SKU's updates share a flush).
const perPartitionAtPeak = Object.fromEntries(
  Object.entries(workloads).map(([name, w]) => [name, Math.round((PEAK_UPDATES_PER_S * (w.messages / w.updates) * Math.max(...w.perPartition)) / w.messages)]),
);
const report = {
  partitions: N,
  bound: BOUND,
  workloads,
  peak: { updatesPerSecond: PEAK_UPDATES_PER_S, busiestPartitionMessagesPerSecond: perPartitionAtPeak, limitPerQueue: LIMIT_PER_QUEUE },
  readDatabases,
  vendorSpread,
  jobs,
};

if (process.argv.includes("--json")) console.log(JSON.stringify(report, null, 2));
else {
  console.log(`EVENTS partitions: N = ${N} (queue-names.ts / wrangler.toml)\n`);
  console.log(`${"workload".padEnd(8)} ${"updates".padStart(8)} ${"messages".padStart(9)}  ${"per partition".padEnd(32)} max/mean  busiest at 15k updates/s`);
  for (const [name, w] of Object.entries(workloads)) {
    console.log(
      `${name.padEnd(8)} ${String(w.updates).padStart(8)} ${String(w.messages).padStart(9)}  ${w.perPartition.join(" / ").padEnd(32)} ${w.maxOverMean.toFixed(3).padStart(8)}  ${String(perPartitionAtPeak[name]).padStart(5)} msg/s (limit ${LIMIT_PER_QUEUE})`,
    );
  }
  console.log(`\nRead databases: M = ${M} (READ_<i> in wrangler.toml); a vendor's SKUs in one (its home: jump hash of the vendor id)`);
  console.log("workload (SKUs → vendors)          events per database            max/mean  D1 batches per database        max/mean");
  for (const [name, r] of Object.entries(readDatabases)) {
    const show = (xs) => (xs.length > 8 ? `${Math.min(...xs)}…${Math.max(...xs)} over ${xs.length}` : xs.join(" / "));
    console.log(
      `${name.padEnd(34)} ${show(r.events).padEnd(30)} ${r.eventsMaxOverMean.toFixed(3).padStart(8)}  ${show(r.batches).padEnd(30)} ${r.batchesMaxOverMean.toFixed(3).padStart(8)}`,
    );
  }
  console.log("(spread/zipf: 10,000 SKUs of 1,000 vendors; demo: the demo catalogue's 5 vendors, which no spread can balance)");
  for (const v of Object.values(vendorSpread)) {
    const show = v.counts.length > 8 ? `${Math.min(...v.counts)}…${Math.max(...v.counts)}` : v.counts.join(" / ");
    console.log(`vendors per database: ${v.vendors.toLocaleString("en")} vendors over M = ${v.databases}: ${show}, max/mean ${v.maxOverMean.toFixed(3)}`);
  }
  console.log(`\nSYNC partitions: N = ${NS}; REORDER partitions: N = ${NR} (queue-names.ts)`);
  for (const [name, j] of Object.entries(jobs)) {
    const show = j.perPartition.join(" / ");
    console.log(`${name.padEnd(44)} ${String(j.chunks).padStart(7)} chunks  ${show.padEnd(40)} max/mean ${j.maxOverMean.toFixed(3)}`);
  }
  console.log("(a run of 100 chunks is 100 draws over 4 partitions: its spread is luck; the bound is checked from 1,000 chunks up)");
}
// The bound holds for the EVENTS partitions and for how vendors spread over the read databases
// at this M. A database's load also depends on its vendors' sizes (the rows above): that is
// evened out by moving big vendors (README "Re-partitioning the read model"), not by the hash.
const worst = Math.max(
  ...Object.values(workloads).map((w) => w.maxOverMean),
  vendorSpread.atM.maxOverMean,
  jobs["SYNC: one 10,000-item job (S2 ids)"].maxOverMean,
  jobs["REORDER: nightly run, 100,000 SKUs"].maxOverMean,
);
const over = Object.values(perPartitionAtPeak).some((r) => r > LIMIT_PER_QUEUE);
if (worst > BOUND || over) {
  console.error(`FAIL: max/mean ${worst.toFixed(3)} (bound ${BOUND})${over ? `; a partition above ${LIMIT_PER_QUEUE} msg/s at the peak` : ""}`);
  process.exit(1);
}
