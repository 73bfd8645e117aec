// CPU accounting around a benchmark scenario: the server's process tree (from /proc), this
// load generator's own CPU and the whole machine's, so each figure can be told apart; a gate
// that waits for a quiet machine first and a drain of the server's background work after.

import { loadavg } from "node:os";
import { performance } from "node:perf_hooks";
import { readFileSync } from "node:fs";
import { setTimeout as sleep } from "node:timers/promises";
import { cpuDelta, cpuSample } from "./proc.mjs";
import { round } from "./report.mjs";

/** Whole-machine CPU seconds (all cores) from /proc/stat, to see what else was running. */
function machineCpu() {
  const line = readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/).slice(1).map(Number);
  const idle = line[3] + (line[4] ?? 0);
  const total = line.slice(0, 8).reduce((a, b) => a + b, 0);
  return { busy: (total - idle) / 100, total: total / 100 };
}

/**
 * The measuring function for the server whose process tree is rooted at `serverPid`:
 * `measured(fn)` runs `fn` and returns `{ result, cpu }`. `quietBudgetMs` bounds the wait
 * for a quiet machine before each measurement; `log` reports that wait.
 *
 * @param {number} serverPid
 * `settleMs()`: how long after the scenario's end its delayed background work may still arrive
 * (0: none); the measurement waits that long and drains again, counting it.
 *
 * @param {{ quietBudgetMs?: number, log?: (msg: string) => void, around?: (fn: () => Promise<any>) => Promise<any>, settleMs?: () => number }} [options]
 */
export function createMeasurer(serverPid, { quietBudgetMs = 30_000, log = () => {}, around = (fn) => fn(), settleMs = () => 0 } = {}) {
  /**
   * Waits (bounded) until processes other than this benchmark use less than `maxCores` of the
   * machine, so other work on a shared machine disturbs the numbers less. Returns what it saw.
   */
  async function waitForQuiet({ maxCores = 0.25, windowMs = 1_000, budgetMs = quietBudgetMs } = {}) {
    const started = Date.now();
    let other = 0;
    let waited = false;
    for (;;) {
      const s0 = cpuSample(serverPid);
      const l0 = process.cpuUsage();
      const m0 = machineCpu();
      await sleep(windowMs);
      const server = cpuDelta(s0, cpuSample(serverPid)).seconds;
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
      const a = cpuSample(serverPid);
      await sleep(windowMs);
      const used = cpuDelta(a, cpuSample(serverPid)).seconds;
      if (used / (windowMs / 1000) < idleCores) return { idle: true, ms: Date.now() - started };
      if (Date.now() - started > budgetMs) return { idle: false, ms: Date.now() - started };
    }
  }

  /**
   * Samples server CPU, load-generator CPU and machine CPU around `fn`, then lets the server
   * drain its background work (counted in `serverSecondsWithDrain`, not in wall time).
   */
  async function measuredOnce(fn) {
    const quiet = await waitForQuiet();
    const s0 = cpuSample(serverPid);
    const l0 = process.cpuUsage();
    const m0 = machineCpu();
    const la0 = loadavg()[0];
    const t0 = performance.now();
    const result = await fn();
    const wall = (performance.now() - t0) / 1000;
    const s1 = cpuSample(serverPid);
    const server = cpuDelta(s0, s1);
    const lg = process.cpuUsage(l0);
    const m1 = machineCpu();
    const drained = await drain();
    // Work the scenario left for later (the SKU objects' outbox checks, a minute after each
    // send) is the scenario's too: wait for it and drain it, so it is neither lost from this
    // scenario's CPU nor charged to the next one.
    const settle = settleMs();
    let settled = null;
    if (settle > 0) {
      const waitMs = Math.max(0, settle - (performance.now() - t0 - wall * 1000));
      await sleep(waitMs);
      const again = await drain();
      settled = { waitedMs: Math.round(waitMs), drainMs: again.ms, idle: again.idle };
    }
    const withDrain = cpuDelta(s0, cpuSample(serverPid));
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
        settled,
        loadGeneratorSeconds: loadgenSeconds,
        machineBusySeconds: machineBusy,
        // CPU used by processes that are neither the server nor this load generator.
        otherSeconds: Math.max(0, machineBusy - server.seconds - loadgenSeconds),
        loadavg1Before: la0,
        quietGate: quiet,
      },
    };
  }

  /** `measuredOnce` inside `around` (the profiler's hook, bench/lib/profiler.mjs); `.drain` waits for an idle server, unmeasured. */
  const measured = (fn) => around(() => measuredOnce(fn));
  measured.drain = drain;
  return measured;
}
