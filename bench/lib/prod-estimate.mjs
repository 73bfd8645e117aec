// A rough production p95 for each benchmark row, from the number of sequential Durable Object
// round trips on the request path ("object hops") and the CPU measured locally. The local
// latencies are queueing on one thread (BENCHMARKS.md, "What limits each number"); this model
// says instead what one request would wait for on Cloudflare, so a change that removes a hop
// shows up even though this machine cannot show it.
//
//   est. p95 = requests × WORKER_OVERHEAD_MS + hops × HOP_P95_MS[placement] + local CPU ms per op
//
// - `hops` is the hop count of the 95th-percentile request of the row (a row whose requests
//   differ, e.g. cache hits and misses, takes the count that 5 % or more of its requests reach);
// - `requests` is how many HTTP requests one operation is (2 for S2's reserve-then-release pair);
// - the CPU is the server's CPU per operation during the run (`cpuMsPerOpDuringRun`): every
//   isolate and object on one thread here, counted as if it ran in sequence, which is an upper
//   bound — in production the hops run on separate machines and the background work (outbox
//   alarms, queue consumers) is off the request path.
// The client's own round trip to Cloudflare (distance, TLS) is left out: it is the same for
// every row and not ours to change.
//
// Cloudflare's documentation gives no latency figure for a Worker calling a Durable Object
// (BENCHMARKS.md, "Reading the hop and p95 columns", lists what it does say and where). The
// three constants below are therefore ASSUMPTIONS, stated here and there. Change them here
// only, with a reason.

/** Edge dispatch to a warm isolate, routing and response, excluding the Worker's own CPU (measured) and the client's network. Assumption. */
export const WORKER_OVERHEAD_MS = 2;

/**
 * p95 of one Worker → object (or object → object) round trip, including the object's wait for
 * its write to be confirmed before it answers (the output gate). Assumptions:
 * - `sameRegion`: the object lives in the caller's data center or one nearby — the normal case,
 *   since an object is created near the first request that reaches it;
 * - `crossRegion`: the object lives in another region (objects do not move after creation, so
 *   traffic from another continent pays an intercontinental round trip on every hop).
 */
export const HOP_P95_MS = Object.freeze({ sameRegion: 10, crossRegion: 100 });

/** The model's constants as recorded in bench/results/latest.json. */
export const MODEL = Object.freeze({
  formula: "requests × workerOverheadMs + hops × hopP95Ms + cpuMsPerOpDuringRun",
  workerOverheadMs: WORKER_OVERHEAD_MS,
  hopP95Ms: HOP_P95_MS,
  basis: "assumptions: Cloudflare documents no per-hop latency figure (see BENCHMARKS.md, Reading the hop and p95 columns)",
});

/**
 * A row's hop metadata. `label` is what the table prints; `p95` the hop count the estimate
 * uses (null: nothing on the request path to estimate, e.g. a queue-driven job); `requests`
 * HTTP requests per operation; `cpuMs` overrides the row's own CPU per op (sub-rows that have
 * none of their own).
 *
 * @param {{ label: string, p95: number | null, requests?: number, cpuMs?: number | null, basis?: string }} meta
 */
export function objectHops({ label, p95, requests = 1, cpuMs, basis }) {
  return { label, p95, requests, ...(cpuMs !== undefined ? { cpuMs } : {}), ...(basis ? { basis } : {}) };
}

/** The estimate for `hops` sequential object round trips and `cpuMs` of CPU per operation: { sameRegion, crossRegion } in ms, or null. */
export function estimateP95Ms({ hops, requests = 1, cpuMs }) {
  if (hops === null || hops === undefined || cpuMs === null || cpuMs === undefined || Number.isNaN(cpuMs)) return null;
  const base = requests * WORKER_OVERHEAD_MS + cpuMs;
  return { sameRegion: Math.round(base + hops * HOP_P95_MS.sameRegion), crossRegion: Math.round(base + hops * HOP_P95_MS.crossRegion) };
}

/** The table cell: "same-region / cross-region", or "—". */
export function formatEstimate(estimate) {
  return estimate ? `${estimate.sameRegion} / ${estimate.crossRegion}` : "—";
}

/**
 * Sequential object hops of a reservation request, from its id (domain/reservation-ids.ts): a
 * direct (single-SKU fast path) reservation's id is the key's id (32 characters) followed by
 * `_<sku>` and lives in that SKU's object alone — 1 hop for the reserve (its coordinator shard's
 * `claimKey` runs in parallel) and for every later step; any other id lives in a coordinator —
 * Worker → coordinator → SKU object(s) in parallel = 2 hops. Null for no id.
 */
export function reservationHops(id) {
  if (typeof id !== "string") return null;
  return id.length > 32 ? 1 : 2;
}

/** The hop metadata of single-SKU reservation steps, given the ids the run saw (all direct, all coordinated, or mixed). */
export function singleSkuReservationHops(ids, step = "reserve") {
  const counts = new Set(ids.map(reservationHops).filter((h) => h !== null));
  if (counts.size === 0) return objectHops({ label: "? (no reservation made)", p95: null });
  const p95 = Math.max(...counts);
  if (counts.size > 1) return objectHops({ label: "1–2 (direct and coordinated ids mixed)", p95 });
  return p95 === 1
    ? objectHops({ label: step === "reserve" ? "1 (direct; claimKey in parallel)" : "1 (direct)", p95 })
    : objectHops({ label: "2 (coordinator → SKU)", p95 });
}
