// S3 of `npm run bench`: cached public availability reads over 1,000 SKUs with Zipf popularity.

import { pool } from "./api.mjs";
import { CFG, log } from "./bench-config.mjs";
import { runClosedLoop, Tally } from "./load.mjs";
import { objectHops } from "./prod-estimate.mjs";
import { row } from "./report.mjs";
import { prng } from "../../scripts/local-stack/prng.mjs";

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
 * (Server-Timing: hit-l1, stale-l1, hit-l2, miss). Its "× S0" is the ratio to the no-op route of the same run.
 */
export async function scenarioS3({ client, measured }, skus) {
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
  // A stale L1 entry served while its refresh runs (stale-while-revalidate) is a hit too.
  const hits = (tiers["hit-l1"] ?? 0) + (tiers["stale-l1"] ?? 0) + (tiers["hit-l2"] ?? 0);
  const pass = ok === result.started;
  // A hit (L1 memory or L2 Cache API) calls no object; a miss calls the SKU's object once. The
  // 95th-percentile read is a miss whenever 5 % or more of the reads missed.
  const missShare = (tiers.miss ?? 0) / Math.max(1, result.started);
  const hops = objectHops({ label: `0 hit / 1 miss (mean ${missShare.toFixed(2)})`, p95: missShare >= 0.05 ? 1 : 0 });
  return {
    row: row(`S3 cached reads: ${skus.length} SKUs, Zipf ${zipfExponent}`, {
      ops: result.started,
      seconds: result.elapsedMs / 1000,
      latency: t.latencyMs,
      errors: result.started - ok,
      cpu,
      opsLabel: "reads",
      hops,
      check: `${pass ? "pass" : "FAIL"} (hits ${((100 * hits) / Math.max(1, result.started)).toFixed(1)}%: l1 ${tiers["hit-l1"] ?? 0}, l1 stale ${tiers["stale-l1"] ?? 0}, l2 ${tiers["hit-l2"] ?? 0}, miss ${tiers.miss ?? 0})`,
    }),
    raw: { run: result, tally: tally.toJSON(), cpu, tiers },
  };
}
