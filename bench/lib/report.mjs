// The benchmark's report: one row per scenario (throughput, latency percentiles, errors, CPU
// per operation, sequential object hops and the production p95 they imply, the exactness
// check), the Markdown table, and the git state of the run.

import { execFileSync } from "node:child_process";
import { ROOT } from "../../scripts/local-stack/wrangler-cli.mjs";
import { Samples } from "./load.mjs";
import { partitionLoadLines } from "./partition-load.mjs";
import { estimateP95Ms, formatEstimate, MODEL } from "./prod-estimate.mjs";

/** `v` rounded to `d` decimals; null for a missing value or NaN. */
export const round = (v, d = 2) => (v === null || v === undefined || Number.isNaN(v) ? null : Number(v.toFixed(d)));

/**
 * One table row: the figures of a scenario (latency: a Samples summary; cpu: from measure.mjs;
 * hops: prod-estimate.mjs's `objectHops`, the sequential object round trips per operation).
 */
export function row(name, { ops, seconds, latency, errors, cpu, opsLabel = "ops", check = "—", notes, hops }) {
  const cpuMsPerOpDuringRun = cpu ? round((cpu.serverSeconds * 1000) / ops, 3) : null;
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
    cpuMsPerOpDuringRun,
    serverCores: cpu ? round(cpu.serverSeconds / cpu.wallSeconds, 2) : null,
    objectHops: hops?.label ?? null,
    objectHopsP95: hops?.p95 ?? null,
    objectHopsBasis: hops?.basis,
    // prod-estimate.mjs: requests × Worker overhead + hops × per-hop p95 + the CPU measured here.
    estProdP95Ms: hops ? estimateP95Ms({ hops: hops.p95, requests: hops.requests, cpuMs: hops.cpuMs ?? cpuMsPerOpDuringRun }) : null,
    check,
    notes,
  };
}

/** The latency summary over several kinds of a Tally (e.g. reserve and release together). */
export function mergeLatency(tally, kinds) {
  const s = new Samples();
  for (const k of kinds) {
    const kind = tally.kinds.get(k);
    if (!kind) continue;
    for (let i = 0; i < kind.latency.n; i++) s.push(kind.latency.buf[i]);
  }
  return s.summary();
}

/**
 * The rows as a Markdown table; "× S0" is each row's throughput over `s0Throughput`; "object
 * hops" and "est. prod p95 ms" (same-region / cross-region) come from prod-estimate.mjs. A row
 * marked `unavailable` prints its `unavailableReason` (default "not yet available").
 */
export function formatTable(rows, s0Throughput) {
  const header = ["scenario", "ops", "ops/s", "p50 ms", "p95 ms", "p99 ms", "errors", "CPU ms/op", "object hops", "est. prod p95 ms", "× S0", "check"];
  const lines = rows.map((r) =>
    r.unavailable
      ? [r.scenario, ...header.slice(1, -1).map(() => "—"), r.unavailableReason ?? "not yet available"]
      : [
          r.scenario,
          `${r.ops} ${r.opsLabel}`,
          r.throughput?.toLocaleString("en") ?? "—",
          r.p50 ?? "—",
          r.p95 ?? "—",
          r.p99 ?? "—",
          r.errors ?? "—",
          r.cpuMsPerOp ?? "—",
          r.objectHops ?? "—",
          formatEstimate(r.estProdP95Ms),
          r.throughput && s0Throughput && !r.sub && !r.seed ? (r.throughput / s0Throughput).toFixed(3) : "—",
          r.check ?? "—",
        ].map(String),
  );
  const md = [`| ${header.join(" | ")} |`, `| ${header.map(() => "---").join(" | ")} |`, ...lines.map((l) => `| ${l.join(" | ")} |`)];
  return md.join("\n");
}

/** The commit the run measured and how many files differed from it (null where git did not answer). */
export function gitInfo() {
  const run = (args) => {
    try {
      return execFileSync("git", args, { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
    } catch {
      return null;
    }
  };
  const status = run(["status", "--porcelain"]);
  return { commit: run(["rev-parse", "--short", "HEAD"]), uncommittedFiles: status === null ? null : status.split("\n").filter(Boolean).length };
}

/**
 * Prints the run's report to stdout: the heading (versions, machine, mode, commit), the table,
 * what the CPU column means, each scenario's CPU split, and the verdict. `result` is what
 * bench/results/latest.json holds; `table` is formatTable's output.
 */
export function printSummary(result, table) {
  console.log(
    `\nedge-inventory benchmark — node ${result.versions.node}, wrangler ${result.versions.wrangler}, workerd ${result.versions.workerd}, ${result.machine.nproc} CPUs (${result.machine.cpuModel}), ` +
      `mode: Miniflare direct (deploy bundle), state on ${result.mode.stateFilesystem.type}, ${result.config.connections} connections, load ${result.machine.loadavgAtStart.join(" ")}, commit ${result.git.commit}${result.git.uncommittedFiles ? ` + ${result.git.uncommittedFiles} uncommitted files` : ""}${result.quick ? ", QUICK (smoke run)" : ""}${result.diagnostic ? `, DIAGNOSTIC: ${result.diagnostic}` : ""}\n`,
  );
  console.log(table);
  console.log(
    `\nCPU ms/op = CPU seconds of the server processes (Miniflare host + workerd, from /proc) during the run and while its background work drained (outbox alarms, queue consumers; for a scenario that writes, also its outbox checks a minute later) ÷ operations; × S0 = throughput ÷ S0's.` +
      `\nobject hops = sequential Durable Object round trips per operation on the request path; est. prod p95 ms = same-region / cross-region estimate: ${MODEL.formula} with ${MODEL.workerOverheadMs} ms Worker overhead and ${MODEL.hopP95Ms.sameRegion} / ${MODEL.hopP95Ms.crossRegion} ms per hop (assumptions; BENCHMARKS.md, "Reading the hop and p95 columns").` +
      `\nServer cores busy / load-generator CPU / other processes' CPU per scenario are in bench/results/latest.json (raw.*.cpu).`,
  );
  const s6 = result.rows.find((r) => r.flashSale);
  if (s6 && !s6.unavailable) {
    console.log(
      s6.timesS1 === null
        ? `S6 flash sale: ${s6.throughput} reserves/s (S1 did not complete in this run: no × S1)`
        : `S6 flash sale: ${s6.throughput} reserves/s = ${s6.timesS1} × S1's ${s6.s1Throughput} reserves/s in this run`,
    );
  }
  for (const [name, r] of Object.entries(result.raw)) {
    if (r?.cpu) {
      const c = r.cpu;
      console.log(
        `  ${name.padEnd(7)} wall ${c.wallSeconds.toFixed(1)} s · server ${c.serverSeconds.toFixed(2)} s CPU (user ${c.serverUserSeconds.toFixed(2)}, sys ${c.serverSystemSeconds.toFixed(2)}; ${(c.serverSeconds / c.wallSeconds).toFixed(2)} cores) + ${(c.serverSecondsWithDrain - c.serverSeconds).toFixed(2)} s draining background work in ${(c.drain.ms / 1000).toFixed(1)} s${c.settled ? ` and its delayed outbox checks until ${((c.drain.ms + c.settled.waitedMs + c.settled.drainMs) / 1000).toFixed(0)} s` : ""} · load generator ${c.loadGeneratorSeconds.toFixed(2)} s · other processes ${c.otherSeconds.toFixed(2)} s`,
      );
    }
  }
  const loads = Object.entries(result.raw).filter(([, r]) => r?.partitionLoad);
  if (loads.length > 0) {
    console.log(
      "\nPartition load (the Worker's counters, GET /api/v2/diagnostics/load, from just before each scenario to after it; S2 and S4 are one vendor's SKUs, whose read-model rows share one database by design; S2p spreads its SKUs over many vendors):",
    );
    for (const [name, r] of loads) for (const line of partitionLoadLines(name, r.partitionLoad)) console.log(`  ${line}`);
  }
  console.log(`\nraw results: bench/results/latest.json · exactness checks: ${result.pass ? "all pass" : "SOME FAILED"}`);
}
