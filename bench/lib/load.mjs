// A small closed-loop load generator on node:http with keep-alive connections.
// Every run is bounded in operations and in time; traffic goes only to the given base URL
// (always http://127.0.0.1:<port> here).

import http from "node:http";
import { performance } from "node:perf_hooks";

/**
 * An HTTP client with `connections` keep-alive sockets to `baseUrl`.
 * `request()` resolves with {status, text, json(), ms, error?}; it never rejects: network
 * errors and timeouts come back as status 0 with `error` set.
 */
export function createClient(baseUrl, { connections = 64, timeoutMs = 30_000 } = {}) {
  const url = new URL(baseUrl);
  if (url.hostname !== "127.0.0.1" && url.hostname !== "localhost") {
    throw new Error(`load generator: refusing non-loopback target ${baseUrl}`);
  }
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections, maxFreeSockets: connections, scheduling: "fifo" });

  function request(method, path, { headers = {}, body, key } = {}) {
    const payload = body === undefined ? undefined : typeof body === "string" ? body : JSON.stringify(body);
    const h = { ...headers };
    if (key) h.authorization = `Bearer ${key}`;
    if (payload !== undefined) {
      h["content-type"] ??= "application/json";
      h["content-length"] = Buffer.byteLength(payload);
    }
    const started = performance.now();
    return new Promise((resolve) => {
      let settled = false;
      const done = (r) => {
        if (settled) return;
        settled = true;
        const text = r.text ?? "";
        resolve({
          ...r,
          text,
          ms: performance.now() - started,
          json() {
            try {
              return text ? JSON.parse(text) : null;
            } catch {
              return null;
            }
          },
        });
      };
      const req = http.request({ host: url.hostname, port: url.port, method, path, headers: h, agent, timeout: timeoutMs }, (res) => {
        const chunks = [];
        res.on("data", (c) => chunks.push(c));
        res.on("end", () => done({ status: res.statusCode, headers: res.headers, text: Buffer.concat(chunks).toString("utf8") }));
        res.on("error", (err) => done({ status: 0, error: err.code ?? err.message }));
      });
      req.on("timeout", () => {
        req.destroy(new Error("timeout"));
      });
      req.on("error", (err) => done({ status: 0, error: err.message === "timeout" ? "timeout" : (err.code ?? err.message) }));
      if (payload !== undefined) req.write(payload);
      req.end();
    });
  }

  return { request, close: () => agent.destroy(), baseUrl };
}

/** Growable Float64 array for latencies (ms). */
export class Samples {
  constructor(capacity = 4096) {
    this.buf = new Float64Array(capacity);
    this.n = 0;
  }
  push(v) {
    if (this.n === this.buf.length) {
      const next = new Float64Array(this.buf.length * 2);
      next.set(this.buf);
      this.buf = next;
    }
    this.buf[this.n++] = v;
  }
  summary() {
    const a = this.buf.slice(0, this.n).sort();
    const q = (p) => (a.length === 0 ? null : a[Math.min(a.length - 1, Math.max(0, Math.ceil((p / 100) * a.length) - 1))]);
    let sum = 0;
    for (const v of a) sum += v;
    return {
      count: a.length,
      mean: a.length ? sum / a.length : null,
      p50: q(50),
      p95: q(95),
      p99: q(99),
      max: a.length ? a[a.length - 1] : null,
    };
  }
}

/** Per-kind tallies of one run: latencies, status codes, network errors. */
export class Tally {
  constructor() {
    this.kinds = new Map();
  }
  kind(name) {
    let k = this.kinds.get(name);
    if (!k) {
      k = { latency: new Samples(), statuses: {}, errors: {} };
      this.kinds.set(name, k);
    }
    return k;
  }
  record(name, res) {
    const k = this.kind(name);
    k.latency.push(res.ms);
    k.statuses[res.status] = (k.statuses[res.status] ?? 0) + 1;
    if (res.status === 0) k.errors[res.error] = (k.errors[res.error] ?? 0) + 1;
  }
  toJSON() {
    const out = {};
    for (const [name, k] of this.kinds) out[name] = { latencyMs: k.latency.summary(), statuses: k.statuses, networkErrors: k.errors };
    return out;
  }
}

/**
 * Runs `worker(workerIndex, shouldStop)` on `concurrency` parallel loops. Each loop calls
 * `step()` repeatedly until `maxOps` steps have been started overall, `durationMs` has
 * passed, or `hardTimeoutMs` has passed (then it stops waiting for stragglers).
 * `step(workerIndex, opIndex)` returns a promise; its rejections are counted, not thrown.
 */
export async function runClosedLoop({ concurrency, durationMs = Infinity, maxOps = Infinity, hardTimeoutMs, step }) {
  if (!Number.isFinite(durationMs) && !Number.isFinite(maxOps)) throw new Error("runClosedLoop: unbounded run");
  hardTimeoutMs ??= (Number.isFinite(durationMs) ? durationMs : 0) + 120_000;
  const started = performance.now();
  const deadline = started + durationMs;
  let next = 0;
  let failures = 0;
  let stopped = false;
  const firstFailures = [];
  const loops = Array.from({ length: concurrency }, async (_, w) => {
    while (!stopped && next < maxOps && performance.now() < deadline) {
      const i = next++;
      try {
        await step(w, i);
      } catch (err) {
        failures++;
        if (firstFailures.length < 5) firstFailures.push(String(err?.stack ?? err));
      }
    }
  });
  let timer;
  const timedOut = await Promise.race([Promise.all(loops).then(() => false), new Promise((r) => (timer = setTimeout(() => r(true), hardTimeoutMs)))]);
  clearTimeout(timer);
  stopped = true; // after a hard timeout, loops start nothing new
  const elapsedMs = performance.now() - started;
  return { started: next, elapsedMs, timedOut, stepFailures: failures, firstFailures };
}
