#!/usr/bin/env node
// `npm run drill:queues`: queue-driven work survives a crash of the runtime. Local queues live
// in memory, so SIGKILL of the runtime loses every message still queued. Two phases against
// the real local runtime (`wrangler dev`) on a persisted state folder:
//
// SYNC (per cycle) — before the sweeper a job killed mid-run stayed `running` forever:
//
//   1. posts a 2,000-item feed (1,000 SKUs × 2 locations → 10 chunks of 200 items);
//   2. SIGKILLs the runtime (wrangler and every child, by PID) once some chunks — not all —
//      are recorded;
//   3. restarts on the same state, checks the job is still unfinished (the lost chunks wait),
//      then fires the every-minute cron as the platform would ten minutes later
//      (`/cdn-cgi/local/scheduled?cron=…&time=now+11 min`): the sweeper re-sends the chunks
//      whose message was lost;
//   4. waits for the job to complete and checks every item is accounted for (applied +
//      unchanged + errors = received, nothing pending), `sync.completed` recorded, and every
//      SKU's object holds the feed's value exactly once (each item one ledger change at most:
//      a chunk applied before the kill and re-sent replays its outcome, it does not apply twice).
//
// EVENTS — before the outbox kept sent events until the projection had them, the read model
// stayed stale for good on events lost with the queue:
//   1. a burst of stock changes (16 clients, PATCH deltas and sets) over 200 SKUs × 2 locations;
//   2. SIGKILL mid-burst, restart on the same state;
//   3. poll until the `inventory_levels` projection (GET /api/v2/inventory) equals every SKU's
//      object (GET /api/v2/inventory/{sku}) at every location, counts and sequence, and report
//      how long that took; a breach if it does not within EVENTS_CONVERGE_MS.
//
// INBOUND (per cycle; bench/lib/inbound-drill.mjs) — transfers and purchase-order receipts
// rely on the cron's sweepers after a crash, which is why they are a phase of this drill:
//   1. a steady load over 24 SKUs at two centres: multi-SKU transfer creates (some drafts,
//      shipped later), partial and full receipts (good, damaged, short), cancels; purchase
//      orders created → submitted → confirmed → shipped, received in part or in full, some
//      closed short; stock-state moves (on hold, written off);
//   2. SIGKILL mid-load, restart on the same state, the cron fired as 11 minutes later (transfers
//      left `creating` are undone, orders left `shipping` finished);
//   3. every unanswered request sent again with its Idempotency-Key until answered;
//   4. the audit: every SKU's verify() clean; per document line, the object's ledger record of
//      it equals the D1 document (created once, cancelled once, received / damaged / short /
//      returned, in transit = outstanding of open documents, none for received / cancelled
//      ones); each line's figures equal the receipts answered 200 (each applied once); every
//      SKU × centre's onHand / inTransit / damaged / onHold as the documents and answered moves
//      imply; units conserved per SKU; then the retried and 16 answered requests are replayed:
//      the same answer, no object changed.
//
// Exit code 1 on any breach. Env: SYNC_DRILL_CYCLES (default 2, 1–5), INBOUND_DRILL_CYCLES
// (default 2, 1–5), DRILL_PHASES (default "sync,events,inbound"), DRILL_SEED (the inbound
// phase's PRNG seed, default: time; printed).

import { setTimeout as sleep } from "node:timers/promises";
import { prepareState } from "../scripts/local-stack.mjs";
import { call, location, pool, seedMasterData, skuItem } from "./lib/api.mjs";
import { drillRuntime } from "./lib/drill-runtime.mjs";
import { fmt, inboundPhase } from "./lib/inbound-drill.mjs";
import { createClient } from "./lib/load.mjs";

const CYCLES = Math.min(5, Math.max(1, Number(process.env.SYNC_DRILL_CYCLES ?? 2) || 2));
const SKU_COUNT = 1_000;
const LOCATIONS = ["L-SYNC-A", "L-SYNC-B"];
const VENDOR = { id: "V-SDRILL", name: "Sync Drill Vendor" };
const STALLED_AFTER_MS = 10 * 60_000; // services/sync-sweeper.ts SYNC_SWEEP.stalledAfterMs
const DEADLINE_MS = 15 * 60_000;
const PHASES = (process.env.DRILL_PHASES ?? "sync,events,inbound").split(",").map((p) => p.trim());
const INBOUND_CYCLES = Math.min(5, Math.max(1, Number(process.env.INBOUND_DRILL_CYCLES ?? 2) || 2));
const SEED = Number(process.env.DRILL_SEED ?? Date.now() % 1_000_000);
const EVENT_SKUS = Array.from({ length: 200 }, (_, i) => `ED-${String(i).padStart(4, "0")}`);
/** The bound the README states for the projection to catch up after a lost message (durable-objects outbox confirmation). */
const EVENTS_CONVERGE_MS = 3 * 60_000;

const runtime = drillRuntime({ label: "queue-drill", deadlineMs: DEADLINE_MS });
const { log } = runtime;

const skuName = (cycle, i) => `SD${cycle}-${String(i).padStart(4, "0")}`;

async function job(client, key, jobId) {
  return (await call(client, key, "GET", `/api/v2/sync/${jobId}`)).json();
}

/** Fires the cron as the platform would at `time` (ms). */
async function fireCron(client, time) {
  const res = await client.request("GET", `/cdn-cgi/local/scheduled?cron=${encodeURIComponent("* * * * *")}&time=${time}`);
  if (res.status !== 200) throw new Error(`cron trigger → ${res.status} ${res.text.slice(0, 200)}`);
}

async function main() {
  const stateDir = await runtime.createStateDir("edge-inventory-queue-drill-");
  log(`state: ${stateDir}; ${CYCLES} cycles of a ${SKU_COUNT * LOCATIONS.length}-item feed`);
  const { keys } = await prepareState(stateDir);
  let worker = (await runtime.start()).handle;
  let client = createClient(worker.url, { connections: 16, timeoutMs: 60_000 });
  await seedMasterData(client, keys.operator, { vendor: VENDOR, locations: LOCATIONS.map((l, i) => location(l, 10 + i * 10)), skus: [] });

  const results = [];
  for (let cycle = 1; cycle <= (PHASES.includes("sync") ? CYCLES : 0); cycle++) {
    const skus = Array.from({ length: SKU_COUNT }, (_, i) => skuName(cycle, i));
    await call(client, keys.operator, "POST", "/api/v2/skus/batch", { body: { items: skus.map((s) => skuItem(s, VENDOR.id)) } });
    const items = skus.flatMap((sku, i) => LOCATIONS.map((locationId, k) => ({ sku, locationId, quantity: 10 + ((i + k) % 50) })));
    const posted = await call(client, keys.operator, "POST", `/api/v2/inventory/sync?vendorId=${VENDOR.id}`, {
      body: { items },
      headers: { "idempotency-key": `sync-drill-${cycle}` },
      ok: [202],
    });
    const { jobId } = posted.json();
    // Kill once at least 2 of the 10 chunks are recorded, and before all are.
    let seen;
    for (;;) {
      seen = await job(client, keys.operator, jobId);
      if (seen.chunks.done >= 2 || seen.chunks.done === seen.chunks.total) break;
      await sleep(50);
    }
    if (seen.chunks.done === seen.chunks.total) throw new Error(`cycle ${cycle}: the job finished before the kill; nothing was tested`);
    await runtime.crash();
    client.close();
    log(`cycle ${cycle}: SIGKILL at ${seen.chunks.done}/${seen.chunks.total} chunks (${seen.counts.pending} items pending)`);

    worker = (await runtime.start()).handle;
    client = createClient(worker.url, { connections: 16, timeoutMs: 60_000 });
    await sleep(3_000);
    const stuck = await job(client, keys.operator, jobId);
    log(`cycle ${cycle}: restarted; 3 s later the job is ${stuck.status} at ${stuck.chunks.done}/${stuck.chunks.total} (${stuck.counts.pending} pending)`);

    const firedAt = Date.now() + STALLED_AFTER_MS + 60_000;
    await fireCron(client, firedAt);
    let final;
    const until = Date.now() + 180_000;
    for (;;) {
      final = await job(client, keys.operator, jobId);
      if (final.completedAt || Date.now() > until) break;
      await sleep(250);
    }

    const problems = [];
    const c = final.counts;
    if (!final.completedAt) problems.push(`job not finished 180 s after the cron: ${final.status}, ${final.chunks.done}/${final.chunks.total}`);
    if (c.pending !== 0) problems.push(`${c.pending} items still pending`);
    if (c.applied + c.unchanged + c.conflicts + c.errors !== c.received) problems.push(`counts do not add up: ${JSON.stringify(c)}`);
    if (final.status !== "completed") problems.push(`status ${final.status} (expected completed: every chunk's message was re-sent)`);
    // Every SKU holds the feed's value, changed once per item.
    let checked = 0;
    await pool(skus, 16, async (sku, i) => {
      const inv = (await call(client, keys.operator, "GET", `/api/v2/inventory/${sku}`)).json();
      for (const [k, loc] of LOCATIONS.entries()) {
        const want = 10 + ((i + k) % 50);
        const got = inv.locations.find((l) => l.locationId === loc)?.onHand;
        if (got !== want) problems.push(`${sku} @ ${loc}: onHand ${got}, feed said ${want}`);
      }
      const ledger = (await call(client, keys.operator, "GET", `/api/v2/inventory/${sku}/ledger?limit=50`)).json();
      if (ledger.items.length !== LOCATIONS.length) problems.push(`${sku}: ${ledger.items.length} ledger rows, expected ${LOCATIONS.length} (one per item)`);
      checked++;
    });
    const ok = problems.length === 0;
    results.push({
      cycle,
      killedAt: `${seen.chunks.done}/${seen.chunks.total}`,
      stuck: `${stuck.status} ${stuck.chunks.done}/${stuck.chunks.total}`,
      final: final.status,
      counts: c,
      checked,
      ok,
      problems: problems.slice(0, 10),
    });
    log(`cycle ${cycle}: ${ok ? "PASS" : "FAIL"} — ${final.status}, ${JSON.stringify(c)}, ${checked} SKUs checked`);
    for (const p of problems.slice(0, 10)) log(`  ${p}`);
  }
  let events = null;
  if (PHASES.includes("events")) ({ events, client } = await eventsPhase(client, keys));
  let inbound = null;
  if (PHASES.includes("inbound")) {
    log(`inbound: seed ${SEED} (DRILL_SEED=${SEED} repeats it); ${INBOUND_CYCLES} cycles`);
    inbound = await inboundPhase({
      client,
      keys,
      vendorId: VENDOR.id,
      seed: SEED,
      cycles: INBOUND_CYCLES,
      log,
      fireCron,
      crash: () => runtime.crash(),
      restart: async () => createClient((await runtime.start()).handle.url, { connections: 16, timeoutMs: 60_000 }),
    });
    client = inbound.client;
  }
  client.close();
  await runtime.cleanup();

  if (inbound) {
    console.log(`\ninbound crash drill (transfers, purchase orders) — seed ${SEED}, wrangler dev (local)\n`);
    console.log(
      "| cycle | load before SIGKILL | requests | no answer | after restart: creating / shipping | cron fired | lines off before retries | retries answered | documents (transfers / orders) | lines / ledger rows checked | replays | result |",
    );
    console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    for (const r of inbound.results) {
      console.log(
        `| ${r.cycle} | ${(r.loadMs / 1000).toFixed(1)} s | ${r.requests} | ${r.unanswered} | ${r.halfDone.creating} / ${r.halfDone.shipping} | ${r.fires}× | ${r.staleBeforeRetries} | ${Object.values(r.retryTally).reduce((a, b) => a + b, 0)} | ${r.totals.transfers} / ${r.totals.orders} | ${r.totals.lines} / ${r.totals.ledgerRows} | ${r.replays} | ${r.ok ? "pass" : "FAIL"} |`,
      );
    }
    console.log(
      `\nrequests by operation and answer: ${Object.entries(inbound.byOp)
        .map(([k, v]) => `${k}: ${fmt(v)}`)
        .join(" · ")}`,
    );
    for (const r of inbound.results) {
      console.log(`cycle ${r.cycle}: retried ${fmt(r.retryTally)}; transfers ${fmt(r.totals.transferStatus)}; orders ${fmt(r.totals.orderStatus)}`);
      for (const p of r.problems.slice(0, 10)) console.log(`  ${JSON.stringify(p)}`);
    }
  }

  if (events) {
    console.log("\nevents crash drill — wrangler dev (local)\n");
    console.log(
      `burst: ${events.requests} stock changes (${events.answered} answered) over ${EVENT_SKUS.length} SKUs × ${LOCATIONS.length} locations, SIGKILL after ${events.loadMs} ms`,
    );
    console.log(`objects that re-sent events the queue lost: ${events.resent} re-send batches`);
    console.log(
      `projection equal to the objects ${events.converged ? `${(events.convergedAfterMs / 1000).toFixed(1)} s after the restart` : `NOT within ${EVENTS_CONVERGE_MS / 1000} s`} (${events.checks} checks; at the first check ${events.firstMismatches} rows differed)`,
    );
    for (const p of events.problems.slice(0, 10)) console.log(`  ${p}`);
  }
  if (results.length > 0) {
    console.log("\nsync crash drill — wrangler dev (local)\n");
    console.log("| cycle | killed at (chunks) | after restart | after the cron | applied / unchanged / errors / pending | SKUs checked | result |");
    console.log("| --- | --- | --- | --- | --- | --- | --- |");
    for (const r of results) {
      console.log(
        `| ${r.cycle} | ${r.killedAt} | ${r.stuck} | ${r.final} | ${r.counts.applied} / ${r.counts.unchanged} / ${r.counts.errors} / ${r.counts.pending} | ${r.checked} | ${r.ok ? "pass" : "FAIL"} |`,
      );
    }
  }
  const syncBreach = results.some((r) => !r.ok);
  const eventsBreach = events !== null && !events.converged;
  const inboundBreach = inbound !== null && inbound.results.some((r) => !r.ok);
  if (results.length > 0)
    console.log(
      `\n${syncBreach ? "FAIL: a sync job did not finish exactly" : "PASS: every job finished with every item accounted for, nothing applied twice"}`,
    );
  if (events) console.log(eventsBreach ? "FAIL: the projection did not converge on the objects" : "PASS: the projection converged on the objects");
  if (inbound) {
    console.log(
      inboundBreach
        ? `FAIL: transfers / purchase orders not exact after the crash (seed ${SEED})`
        : `PASS: every transfer and purchase order consistent with its objects, every receipt applied once, units conserved (seed ${SEED})`,
    );
  }
  return syncBreach || eventsBreach || inboundBreach ? 1 : 0;
}

/** Every (sku, location) row of the projection and of the objects, as comparable strings; the differences. */
async function projectionDiff(client, keys) {
  const projected = new Map();
  let cursor = null;
  do {
    const page = (
      await call(client, keys.operator, "GET", `/api/v2/inventory?skuPrefix=ED-&limit=500${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`)
    ).json();
    for (const r of page.items) projected.set(`${r.sku}|${r.locationId}`, `${r.onHand}/${r.reserved}/${r.committed}/${r.available}`);
    cursor = page.nextCursor;
  } while (cursor);
  const problems = [];
  await pool(EVENT_SKUS, 16, async (sku) => {
    const inv = (await call(client, keys.operator, "GET", `/api/v2/inventory/${sku}`)).json();
    for (const l of inv.locations) {
      const want = `${l.onHand}/${l.reserved}/${l.committed}/${l.available}`;
      const got = projected.get(`${sku}|${l.locationId}`);
      if (got !== want) problems.push(`${sku} @ ${l.locationId}: projection ${got ?? "missing"}, object ${want}`);
    }
  });
  return problems;
}

async function eventsPhase(client, keys) {
  await call(client, keys.operator, "POST", "/api/v2/skus/batch", { body: { items: EVENT_SKUS.map((s) => skuItem(s, VENDOR.id)) } });
  await pool(
    EVENT_SKUS.flatMap((sku) => LOCATIONS.map((loc) => ({ sku, loc }))),
    16,
    ({ sku, loc }) => call(client, keys.operator, "PATCH", `/api/v2/inventory/${sku}`, { body: { locationId: loc, onHand: 500, reason: "initial" } }),
  );
  // The burst: many small changes, killed in the middle.
  let stop = false;
  let requests = 0;
  let answered = 0;
  let n = 0;
  const loops = Array.from({ length: 16 }, async () => {
    while (!stop) {
      const i = n++;
      const sku = EVENT_SKUS[(i * 7919) % EVENT_SKUS.length];
      const loc = LOCATIONS[i % LOCATIONS.length];
      const body =
        i % 5 === 0 ? { locationId: loc, onHand: 400 + (i % 200), reason: "cycle_count" } : { locationId: loc, delta: (i % 3) - 1 || 2, reason: "adjustment" };
      requests++;
      const res = await client.request("PATCH", `/api/v2/inventory/${sku}`, { key: keys.operator, body });
      if (res.status === 200) answered++;
    }
  });
  const loadMs = 2_500;
  await sleep(loadMs);
  stop = true;
  // Mid-burst: events still in the outboxes survive the crash (sent after the restart); those
  // already handed to the queue but not yet applied — the consumer trails a burst — are lost
  // with it and must be re-sent by their objects. Whether a run loses any depends on how far
  // the consumer trailed; the report says how many batches had to be re-sent.
  await runtime.crash();
  await Promise.race([Promise.all(loops), sleep(35_000)]);
  client.close();
  log(`events: SIGKILL during a ${loadMs} ms burst (${requests} changes sent, ${answered} answered)`);

  const { handle: worker } = await runtime.start();
  client = createClient(worker.url, { connections: 16, timeoutMs: 60_000 });
  const restartedAt = Date.now();
  let problems = await projectionDiff(client, keys);
  const firstMismatches = problems.length;
  log(`events: restarted; ${firstMismatches} projection rows differ from the objects`);
  let checks = 1;
  while (problems.length > 0 && Date.now() - restartedAt < EVENTS_CONVERGE_MS) {
    await sleep(5_000);
    problems = await projectionDiff(client, keys);
    checks++;
  }
  const converged = problems.length === 0;
  const convergedAfterMs = Date.now() - restartedAt;
  // How many events the objects had to send again because the queue lost them (their health).
  let resent = 0;
  await pool(EVENT_SKUS, 16, async (sku) => {
    const audit = (await call(client, keys.operator, "GET", `/api/v2/inventory/${sku}/audit`)).json();
    resent += (audit.health?.failures ?? []).filter((f) => f.kind === "event_lost").reduce((n, f) => n + f.count, 0);
  });
  log(`events: ${resent} re-send batches of lost events across the SKUs`);
  log(
    `events: ${converged ? `converged ${(convergedAfterMs / 1000).toFixed(1)} s after the restart` : `${problems.length} rows still differ after ${EVENTS_CONVERGE_MS / 1000} s`}`,
  );
  return { events: { requests, answered, loadMs, firstMismatches, converged, convergedAfterMs, checks, problems, resent }, client };
}

runtime.run(main);
