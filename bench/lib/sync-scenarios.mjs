// S4: vendor sync (issue 5). Two parts, both against the running stack:
//   S4  one POST /api/v2/inventory/sync of 10,000 items (the S2 SKUs: existing objects, idle and out of memory, one
//       location): time to 202, time until the job is completed, items/s; exactness: the
//       job completes with no error and a sample of SKUs holds the fed values.
//   S4c 100,000 CSV rows (the same 10,000 SKUs × 10 new, empty locations) through the vendor
//       CLI (`npm run sync`, 10 batches of 10,000): wall time until every job is completed,
//       items/s; exactness: 100,000 applied, no error.
// Bounded: each job is waited for at most `timeoutMs`; the CLI is killed after its budget.

import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { performance } from "node:perf_hooks";
import { call, location, pool } from "./api.mjs";

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const FINAL = new Set(["completed", "completed_with_errors", "failed"]);

async function waitForJob(client, key, jobId, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const job = (await call(client, key, "GET", `/api/v2/sync/${jobId}`)).json();
    if (FINAL.has(job.status)) return job;
    if (Date.now() > deadline) throw new Error(`S4: job ${jobId} not finished after ${timeoutMs / 1000} s: ${JSON.stringify(job)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/**
 * S4: one 10,000-item feed. `measured` and `row` are measure.mjs's and report.mjs's (CPU accounting and
 * the table row); `skus` are existing SKUs (their objects idle, so out of memory) with on-hand 100 at `locationId`.
 */
export async function scenarioS4({ client, keys, vendorId, locationId, skus, measured, row, log, timeoutMs = 600_000 }) {
  const value = (i) => 100 + (i % 7);
  const items = skus.map((sku, i) => ({ sku, locationId, quantity: value(i) }));
  log(`S4: one sync request of ${items.length} items (absolute, existing objects out of memory), then until the job is completed`);
  let accepted = null;
  const { result, cpu } = await measured(async () => {
    const t0 = performance.now();
    const res = await call(client, keys.operator, "POST", `/api/v2/inventory/sync?vendorId=${encodeURIComponent(vendorId)}`, {
      body: { items, mode: "absolute" },
      headers: { "idempotency-key": `bench-s4-${Date.now()}` },
      ok: [202],
    });
    const to202 = performance.now() - t0;
    accepted = res.json();
    const job = await waitForJob(client, keys.operator, accepted.jobId, timeoutMs);
    return { to202, total: performance.now() - t0, job };
  });
  const { job } = result;
  const sample = skus.map((sku, i) => [sku, i]).filter((_, i) => i % Math.max(1, Math.floor(skus.length / 200)) === 0);
  const wrong = [];
  await pool(sample, 16, async ([sku, i]) => {
    const inv = (await call(client, keys.operator, "GET", `/api/v2/inventory/${encodeURIComponent(sku)}`)).json();
    const onHand = inv.locations.find((l) => l.locationId === locationId)?.onHand;
    if (onHand !== value(i)) wrong.push(`${sku}: ${onHand} ≠ ${value(i)}`);
  });
  const c = job.counts;
  const pass = job.status === "completed" && c.errors === 0 && c.conflicts === 0 && c.applied + c.unchanged === items.length && wrong.length === 0;
  const seconds = result.total / 1000;
  return {
    row: row(`S4 sync of ${items.length.toLocaleString("en")} SKUs (one request; 202 in ${Math.round(result.to202)} ms)`, {
      ops: items.length,
      seconds,
      latency: null,
      errors: c.errors,
      cpu,
      opsLabel: "items",
      check: pass
        ? `pass (${c.applied} applied, ${c.unchanged} unchanged, ${sample.length} sampled)`
        : `FAIL (${job.status}, ${JSON.stringify(c)}, ${wrong.slice(0, 3).join("; ")})`,
      notes: `time to 202 ${Math.round(result.to202)} ms; until completed ${seconds.toFixed(1)} s`,
      // The request stores the job in D1 and sends its chunks to SYNC: no object on its path.
      // The items reach their objects later, as stages: SYNC queue → consumer → one object call
      // per SKU (≤ 50 at once) → one D1 batch per chunk. No per-item latency to estimate.
      hops: {
        label: "0 to the 202; then SYNC queue → consumer → 1 per SKU (≤ 50 in parallel)",
        p95: null,
        basis: "queue-driven: throughput, not request latency",
      },
    }),
    raw: { to202Ms: result.to202, totalMs: result.total, job, sampled: sample.length, wrong, cpu },
  };
}

/** S4c: 100,000 CSV rows through the CLI (10,000 SKUs × 10 new locations). */
export async function scenarioS4Cli({ client, keys, vendorId, skus, locations = 10, measured, row, log, timeoutMs = 900_000 }) {
  const locs = Array.from({ length: locations }, (_, k) => `L-SYNC-${k}`);
  for (const id of locs) {
    const { id: _ignored, ...body } = location(id, 50);
    await call(client, keys.operator, "PUT", `/api/v2/locations/${id}`, { body });
  }
  const dir = await mkdtemp(join(tmpdir(), "edge-inventory-bench-sync-"));
  const file = join(dir, "feed.csv");
  // SKU-major, so each 10,000-row batch holds 1,000 SKUs with all their locations (one object call each).
  const lines = ["sku,location_id,quantity"];
  for (const [i, sku] of skus.entries()) for (const [k, loc] of locs.entries()) lines.push(`${sku},${loc},${((i + k) % 50) + 1}`);
  await writeFile(file, `${lines.join("\n")}\n`);
  const rows = lines.length - 1;
  log(`S4c: ${rows.toLocaleString("en")} CSV rows (${skus.length} SKUs × ${locations} new locations) through the vendor CLI`);
  try {
    const { result, cpu } = await measured(
      () =>
        new Promise((resolve, reject) => {
          const t0 = performance.now();
          const child = spawn(
            process.execPath,
            [
              join(ROOT, "scripts/sync-cli.mjs"),
              file,
              "--vendor-key",
              keys.operator,
              "--vendor-id",
              vendorId,
              "--url",
              client.baseUrl,
              "--poll-timeout",
              String(timeoutMs / 1000),
            ],
            { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] },
          );
          let stdout = "";
          let stderr = "";
          child.stdout.on("data", (d) => (stdout += d));
          child.stderr.on("data", (d) => (stderr += d));
          const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs + 60_000);
          child.on("error", reject);
          child.on("exit", (code) => {
            clearTimeout(timer);
            resolve({ code, stdout, stderr, ms: performance.now() - t0 });
          });
        }),
    );
    const summary =
      /done in [\d.]+ s \([\d,]+ items\/s\): ([\d,]+) items · ([\d,]+) applied · ([\d,]+) unchanged · ([\d,]+) held for review · ([\d,]+) errors/.exec(
        result.stdout,
      );
    const num = (s) => Number(String(s).replace(/,/g, ""));
    const applied = summary ? num(summary[2]) : null;
    const errors = summary ? num(summary[5]) : null;
    const pass = result.code === 0 && summary !== null && num(summary[1]) === rows && applied === rows && errors === 0;
    return {
      row: row(`S4c ${rows.toLocaleString("en")} CSV rows via npm run sync`, {
        ops: rows,
        seconds: result.ms / 1000,
        latency: null,
        errors,
        cpu,
        opsLabel: "rows",
        hops: { label: "0 per request (10 sync requests); then as S4", p95: null, basis: "queue-driven: throughput, not request latency" },
        check: pass ? `pass (${applied} applied)` : `FAIL (exit ${result.code}: ${(summary?.[0] ?? result.stderr.slice(-300)).trim()})`,
      }),
      raw: { exitCode: result.code, ms: result.ms, stdoutTail: result.stdout.slice(-2000), cpu },
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
