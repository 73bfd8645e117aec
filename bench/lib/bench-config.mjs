// The benchmark's settings (bench/run.mjs and its scenarios): sizes, durations and budgets,
// shortened by BENCH_QUICK=1; the vendor and location every scenario uses; the log line.

export const QUICK = process.env.BENCH_QUICK === "1";
// Diagnostic: BENCH_QUEUE_CONSUMERS=off runs without queue consumers (see stack.mjs).
export const CONSUMERS = process.env.BENCH_QUEUE_CONSUMERS !== "off";
// BENCH_ONLY=S1,S3: run only these scenarios (S0 always runs; S6 brings S1, its "× S1" base;
// see run.mjs). Unknown names are refused.
const SCENARIOS = ["S0", "S1", "S1x", "S2", "S2p", "S3", "S4", "S4c", "S5", "S6"];
export const ONLY = (() => {
  const raw = process.env.BENCH_ONLY?.trim();
  if (!raw) return null;
  const names = raw
    .split(",")
    .map((n) => n.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !SCENARIOS.includes(n));
  if (unknown.length > 0) throw new Error(`BENCH_ONLY: unknown scenario(s) ${unknown.join(", ")}; choose from ${SCENARIOS.join(", ")}`);
  return new Set(names);
})();

export const CFG = {
  connections: 64,
  s0: { durationMs: QUICK ? 3_000 : 10_000 },
  s1: { units: 1_000, requests: 1_200, timeoutMs: 120_000 },
  s1x: { durationMs: QUICK ? 2_000 : 5_000 },
  // S3 runs long enough for every entry's refresh to come round at least twice (L1 freshness
  // is 5–20 s, README "Stale-while-revalidate"), so it measures reads with their refreshes.
  s3: { skus: 1_000, zipfExponent: 1.1, durationMs: QUICK ? 3_000 : 60_000 },
  s2: {
    skus: Number(process.env.BENCH_S2_SKUS) || (QUICK ? 1_000 : 10_000),
    unitsPerSku: 100,
    durationMs: QUICK ? 5_000 : 20_000,
    sample: 200,
    seedBudgetMs: 300_000,
  },
  // S2p (issue 19): the spread over many vendors, so the read databases share the load.
  // 200 vendor ids spread 42/49/55/54 over M = 4 (max/mean 1.10; 40 would give 1.60).
  s2p: { vendors: 200, skusPerVendor: QUICK ? 2 : 10, unitsPerSku: 100, listTimeoutMs: 60_000 },
  s5: { rounds: 5, skus: 5, unitsPerSku: 10, orders: 32, linesPerOrder: 3, unitsPerLine: 2 },
  // S6 flash sale (issue 11): one SKU split over `shards` objects; twice as many 1-unit
  // reserves as units, so exactly half succeed. QUICK keeps the shape at a tenth of the size.
  s6: { skus: 1, units: QUICK ? 1_000 : 10_000, requests: QUICK ? 2_000 : 20_000, shards: 8, connections: 64, timeoutMs: 600_000 },
  // After the warm-up, S1 waits until the warm-up's own background work is done: its sends'
  // first outbox check comes CONFIRM_FIRST_MS (5 s, durable-objects/sku-inventory/outbox.ts)
  // after each send, and the queue consumer applies its last events within about a second.
  // 5.6 s, then an idle server, stays under workerd's 10 s eviction of the warmed coordinators.
  warmup: { pairs: 1_024, settleMs: 5_600, drainBudgetMs: 2_000 },
  // A SKU object checks its sent events CONFIRM_AFTER_MS (60 s, durable-objects/sku-inventory/
  // outbox.ts) after the send: a writing scenario waits this long after its end and counts that
  // work (measure.mjs). BENCH_SETTLE=off skips the wait (a diagnostic; the checks then land in
  // the next scenario; a quick run does not wait).
  settleMs: process.env.BENCH_SETTLE === "off" || QUICK ? 0 : 65_000,
  deadlineMs: 40 * 60_000,
};

/** Scenarios that write nothing: they have no delayed work to wait for. */
export const READ_ONLY = new Set(["S0", "S3"]);

export const VENDOR = { id: "V-BENCH", name: "Bench Vendor" };
export const LOC = "L-BENCH";
export const log = (msg) => process.stderr.write(`[bench] ${msg}\n`);
