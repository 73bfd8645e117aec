// How a scenario's load spread over the partitions (issue 19), from the Worker's own load
// counters (`GET /api/v2/diagnostics/load`, services/load-counters.ts): read just before the
// scenario and again after it (its background work drained), the difference is what the
// scenario caused — queue messages consumed per EVENTS / SYNC / WEBHOOKS / REORDER partition,
// and per database the EVENTS projection's events, D1 statements and D1 batches (round trips).
// The bench's Miniflare runs one isolate, so these are the whole system's counts.

const round = (v, d) => Number(v.toFixed(d));

/**
 * The counters now, or null (with the reason logged) if the route does not answer. A request
 * that fails without an answer (status 0: a connection dropped while the server drained the
 * previous scenario's background work) or with a 5xx is tried again, up to 3 times.
 */
export async function readLoad(client, operatorKey, log = () => {}) {
  let res;
  for (let attempt = 0; attempt < 4; attempt++) {
    if (attempt > 0) await new Promise((r) => setTimeout(r, 500 * 2 ** attempt));
    res = await client.request("GET", "/api/v2/diagnostics/load", { key: operatorKey });
    if (res.status === 200) return res.json();
    if (res.status !== 0 && res.status < 500) break;
  }
  log(`load counters unavailable: GET /api/v2/diagnostics/load → ${res.status} ${res.error ?? ""}`);
  return null;
}

/** max ÷ mean of a list (null when it sums to 0). */
export function maxOverMean(xs) {
  const total = xs.reduce((a, b) => a + b, 0);
  return total === 0 ? null : round(Math.max(...xs) / (total / xs.length), 3);
}

const KINDS = ["events", "sync", "webhooks", "reorder"];

/**
 * What happened between two snapshots: per queue kind the messages (and batches) per partition,
 * per database binding its batches, statements, events and first applications, with max/mean
 * over the partitions and over the read databases. Same isolate required (else the counts of
 * the two snapshots are not comparable): otherwise `{unavailable}`.
 */
export function partitionLoad(before, after) {
  if (before === null || after === null) return { unavailable: "load counters not served (GET /api/v2/diagnostics/load)" };
  if (before.isolate.id !== after.isolate.id) return { unavailable: "the Worker's isolate changed during the scenario: counts not comparable" };
  const queues = {};
  for (const kind of KINDS) {
    const diff = after.queues[kind].map((q, i) => ({
      queue: q.queue,
      messages: q.messages - (before.queues[kind][i]?.messages ?? 0),
      batches: q.batches - (before.queues[kind][i]?.batches ?? 0),
    }));
    const messages = diff.map((d) => d.messages);
    queues[kind] = { messages, batches: diff.map((d) => d.batches), maxOverMean: maxOverMean(messages) };
  }
  const was = new Map(before.databases.map((d) => [d.binding, d]));
  const databases = after.databases.map((d) => {
    const b = was.get(d.binding) ?? { batches: 0, statements: 0, events: 0, applied: 0 };
    return {
      binding: d.binding,
      batches: d.batches - b.batches,
      statements: d.statements - b.statements,
      events: d.events - b.events,
      applied: d.applied - b.applied,
    };
  });
  const read = databases.filter((d) => d.binding.startsWith("READ_"));
  const pick = (k) => read.map((d) => d[k]);
  return {
    window: { from: before.at, to: after.at, isolate: after.isolate.id },
    queues,
    readDatabases: {
      bindings: read.map((d) => d.binding),
      events: pick("events"),
      applied: pick("applied"),
      statements: pick("statements"),
      batches: pick("batches"),
      maxOverMean: { events: maxOverMean(pick("events")), statements: maxOverMean(pick("statements")), batches: maxOverMean(pick("batches")) },
    },
    db: databases.find((d) => d.binding === "DB") ?? null,
  };
}

/** Runs `fn` between two reads of the counters; returns fn's result with `partitionLoad` added to its `raw`. */
export async function withPartitionLoad(client, operatorKey, log, fn) {
  const before = await readLoad(client, operatorKey, log);
  const result = await fn();
  const after = await readLoad(client, operatorKey, log);
  result.raw.partitionLoad = partitionLoad(before, after);
  return result;
}

const show = (xs) => xs.join(" / ");
const ratio = (r) => (r === null ? "—" : r.toFixed(3));

/** The report's lines for one scenario's `partitionLoad` (queue kinds with no messages are left out). */
export function partitionLoadLines(name, load) {
  if (!load || load.unavailable) return [`${name} partition load: ${load?.unavailable ?? "not measured"}`];
  const lines = [];
  for (const [kind, q] of Object.entries(load.queues)) {
    if (q.messages.every((m) => m === 0)) continue;
    const bound = kind === "events" ? (q.maxOverMean !== null && q.maxOverMean <= 1.2 ? " (≤ 1.2)" : " (above 1.2)") : "";
    lines.push(
      `${name} ${kind.toUpperCase()} messages per partition: ${show(q.messages)} (batches ${show(q.batches)}), max/mean ${ratio(q.maxOverMean)}${bound}`,
    );
  }
  const r = load.readDatabases;
  lines.push(
    `${name} read databases ${r.bindings.join("/")}: events ${show(r.events)} (max/mean ${ratio(r.maxOverMean.events)}) · D1 statements ${show(r.statements)} (${ratio(r.maxOverMean.statements)}) · D1 batches ${show(r.batches)} (${ratio(r.maxOverMean.batches)})`,
  );
  // The EVENTS consumer writes nothing in DB since webhook deliveries moved to the read databases (migration 0023): expected 0.
  if (load.db) lines.push(`${name} DB writes by the EVENTS consumer: ${load.db.statements} statements (webhook deliveries are written in the read databases)`);
  return lines;
}
