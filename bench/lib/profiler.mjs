// BENCH_PROFILE=S2,S4: a V8 CPU profile of the Worker's isolate (the app Worker and every
// Durable Object of it run in one isolate) around each named scenario, through workerd's
// inspector (Miniflare's `inspectorPort`, 127.0.0.1 only). Writes
// bench/results/<scenario>.cpuprofile (open it in Chrome DevTools → Performance) and logs the
// functions with the most self time. A diagnostic: the sampling costs CPU, so a profiled
// run's numbers are not the benchmark's.
//
// The inspector speaks the Chrome DevTools protocol over a WebSocket; `ws` is the client
// (Miniflare's own dependency, pinned in the lockfile through it).

import { writeFile } from "node:fs/promises";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** The scenarios BENCH_PROFILE names (a Set), or null. */
export const PROFILE = (() => {
  const raw = process.env.BENCH_PROFILE?.trim();
  if (!raw) return null;
  return new Set(
    raw
      .split(",")
      .map((n) => n.trim())
      .filter(Boolean),
  );
})();

/** Connects to the app Worker's inspector target on `port`; returns {start(), stop() → profile, close()}. */
export async function connectProfiler(port, workerName) {
  const WebSocket = require("ws");
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const target = targets.find((t) => t.title === workerName || t.id?.includes(workerName)) ?? targets[0];
  if (!target?.webSocketDebuggerUrl) throw new Error(`no inspector target on port ${port}: ${JSON.stringify(targets)}`);
  const socket = new WebSocket(target.webSocketDebuggerUrl.replace("localhost", "127.0.0.1"));
  await new Promise((resolve, reject) => {
    socket.once("open", resolve);
    socket.once("error", reject);
  });
  let next = 1;
  const waiting = new Map();
  socket.on("message", (data) => {
    const msg = JSON.parse(String(data));
    const w = msg.id ? waiting.get(msg.id) : null;
    if (!w) return;
    waiting.delete(msg.id);
    if (msg.error) w.reject(new Error(`${msg.error.message} (${msg.error.code})`));
    else w.resolve(msg.result);
  });
  const send = (method, params = {}) =>
    new Promise((resolve, reject) => {
      const id = next++;
      waiting.set(id, { resolve, reject });
      socket.send(JSON.stringify({ id, method, params }));
    });
  await send("Profiler.enable");
  return {
    start: async () => {
      await send("Profiler.setSamplingInterval", { interval: 200 });
      await send("Profiler.start");
    },
    stop: async () => (await send("Profiler.stop")).profile,
    close: () => socket.close(),
  };
}

/** Self time per function (and per "url:line"), largest first, from a V8 CPU profile. */
export function selfTimes(profile, top = 40) {
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const counts = new Map();
  const total = profile.samples.length;
  for (const id of profile.samples) counts.set(id, (counts.get(id) ?? 0) + 1);
  const perFn = new Map();
  for (const [id, count] of counts) {
    const f = byId.get(id).callFrame;
    const key = `${f.functionName || "(anonymous)"} ${f.url ? `${f.url.split("/").pop()}:${f.lineNumber + 1}` : ""}`.trim();
    perFn.set(key, (perFn.get(key) ?? 0) + count);
  }
  return [...perFn.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([fn, n]) => ({ fn, pct: Math.round((n / total) * 1000) / 10 }));
}

/**
 * Wraps a `measured(fn)` so that the scenarios in PROFILE run under the profiler. `name`
 * is the scenario; the profile covers the scenario and its drain.
 */
export function profiled(profiler, outDir, log) {
  return async (name, fn) => {
    if (!profiler || !PROFILE?.has(name)) return fn();
    await profiler.start();
    try {
      return await fn();
    } finally {
      const profile = await profiler.stop();
      const file = `${outDir}/${name}.cpuprofile`;
      await writeFile(file, JSON.stringify(profile));
      log(`profile of ${name}: ${file} (${profile.samples.length} samples); most self time:`);
      for (const { fn: f, pct } of selfTimes(profile, 30)) log(`  ${String(pct).padStart(5)} %  ${f}`);
    }
  };
}
