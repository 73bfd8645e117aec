#!/usr/bin/env node
// `npm run drill:crash`: crash safety under load.
//
// Starts the real local runtime (`wrangler dev` via scripts/local-stack.mjs) on a persisted
// state folder, seeds 20 SKUs at 2 locations (15 units each) and 6 "split" SKUs (30 units at
// each location), then repeats: a steady reservation load (hard and soft reserves, multi-SKU
// orders, orders planned with `allocation` whose line of a split SKU is larger than any one
// location holds, so the plan must split it over both; amendments of live reservations —
// grow, shrink, part released, expiry refreshed, a line moved, two SKUs changed at once —;
// releases, commits, promotes, fulfils) for a random 1–4 s, SIGKILL of the runtime at that
// moment (wrangler and all its child processes, by PID), restart on the same state, and
// verification once alarms have had time to run:
//
//   * every SKU's audit (invariants + ledger replay) is ok;
//   * no reservation is left `pending` (an interrupted fan-out was finished or undone);
//   * per SKU and location, `reserved` / `softHeld` / `committed` equal the sum of the lines
//     of the reservations the coordinators report active-hard / active-soft / committed, and
//     `onHand` equals the seeded stock minus fulfilled lines — so nothing stays held for a
//     reservation whose coordinator was interrupted;
//   * every answer the client did get still holds (a 201 reservation exists, a 409 one holds
//     nothing, a 200 release is released, …);
//   * an amendment the kill interrupted ended all or nothing: the counts check above holds only
//     if every SKU object's lines equal the coordinator's (a half-applied two-SKU amendment
//     leaves one SKU's counts off); then each unanswered amendment is sent again with its key
//     — recorded ones answer their first answer (`Idempotent-Replayed`), the others apply now —
//     and answered ones are replayed (same answer, nothing released or held twice), and the
//     counts are checked once more.
//
// Reservation ids are derived from (principal, Idempotency-Key) exactly as the Worker does,
// so even requests that never got an answer are looked up. Exit code 1 on any breach.
//
// Env: DRILL_CYCLES (default 4, 1–10), DRILL_SEED (PRNG seed, default: time).

import { setTimeout as sleep } from "node:timers/promises";
import { prepareState, prng } from "../scripts/local-stack.mjs";
import { call, directSkuOf, location, pool, reservationIdFor, seedMasterData, skuItem } from "./lib/api.mjs";
import { drillRuntime } from "./lib/drill-runtime.mjs";
import { createClient } from "./lib/load.mjs";

const CYCLES = Math.min(10, Math.max(1, Number(process.env.DRILL_CYCLES ?? 4) || 4));
const SEED = Number(process.env.DRILL_SEED ?? Date.now() % 1_000_000);
const SKU_COUNT = 20;
const LOCATIONS = ["L-DRILL-A", "L-DRILL-B"];
const STOCK = 15; // per SKU and location: scarce enough that later cycles see 409s and compensations
const SPLIT_STOCK = 30; // per split SKU and location; a split line asks 31–40, more than either location holds
const CONCURRENCY = 16;
const RECOVERY_DELAY_MS = 15_000; // durable-objects/reservation-coordinator.store.ts
const FIRST_CHECK_AFTER_KILL_MS = RECOVERY_DELAY_MS + 2_000;
const VERIFY_DEADLINE_AFTER_KILL_MS = 75_000;
const DRILL_DEADLINE_MS = 15 * 60_000;

const VENDOR = { id: "V-DRILL", name: "Crash Drill Vendor" };
const PLAIN_SKUS = Array.from({ length: SKU_COUNT }, (_, i) => `DRILL-${String(i).padStart(2, "0")}`);
const SPLIT_SKUS = Array.from({ length: 6 }, (_, i) => `DRILL-SPLIT-${i}`);
// Hot-SKU shards (durable-objects/sku-inventory/shards.ts): two plain SKUs take their single-SKU
// reservations on 3 shard objects each, so a crash can cut an allot, a return or a ship.
const SHARDED = new Map([
  [PLAIN_SKUS[0], 3],
  [PLAIN_SKUS[1], 3],
]);
const SKUS = [...PLAIN_SKUS, ...SPLIT_SKUS];
const stockOf = (sku) => (SPLIT_SKUS.includes(sku) ? SPLIT_STOCK : STOCK);
/** Orders planned with `allocation`: the nearest centre first (both drill centres are in Paris: ties go to priority). */
const ALLOCATION = { strategy: "nearest", shipTo: { latitude: 48.85, longitude: 2.35 } };
/** Answers that say nothing about the outcome (no answer, or the 503 of a change recorded but unfinished). */
const unknownOutcome = (res) => res.status === 0 || res.status >= 500;

const runtime = drillRuntime({ label: "drill", deadlineMs: DRILL_DEADLINE_MS });
const { log } = runtime;

// Seeded (mulberry32), so a failing run can be repeated with DRILL_SEED.
const rnd = prng(SEED);

// ---------------------------------------------------------------------------------------------
// What the client knows about each reservation.

/**
 * id → { id, key, type, ttlSeconds, lines, expect, unanswered, busy, answers: [] }
 * `expect`: the status the last answered request implies (null: nothing answered yet);
 * `unanswered`: a request on it got no answer since then (its outcome is unknown).
 */
const reservations = new Map();
const fulfilledUnits = new Map(); // "sku|loc" → units shipped (lowers onHand)
const counters = { sent: 0, answered: 0, noAnswer: 0, byOp: {}, splitReserved: 0, directReserved: 0, shardReserved: 0, coordinatedReserved: 0 };
/** Amendments sent: { reservationId, key, name, body, status (`unknown`: no answer yet), answer, replayChecked }. */
const amendments = [];
let amendSeq = 0;

function countOp(op, res) {
  counters.sent++;
  const c = (counters.byOp[op] ??= {});
  const k = res.status === 0 ? `no answer (${res.error})` : String(res.status);
  c[k] = (c[k] ?? 0) + 1;
  if (res.status === 0) counters.noAnswer++;
  else counters.answered++;
}

/** Whether a reservation's lines hold one SKU at more than one location (a split line). */
function isSplit(lines) {
  const seen = new Map();
  for (const l of lines ?? []) seen.set(l.sku, (seen.get(l.sku) ?? 0) + 1);
  return [...seen.values()].some((n) => n > 1);
}

function pickReservation(pred) {
  const candidates = [];
  for (const r of reservations.values()) if (!r.busy && !r.unanswered && pred(r)) candidates.push(r);
  return candidates.length ? rnd.pick(candidates) : null;
}

async function reserveOp(client, keys, kind) {
  const type = kind === "soft" ? "soft" : "hard";
  const lineCount = kind === "multi" ? rnd.int(2, 3) : 1;
  const skus = [];
  while (skus.length < lineCount) {
    const s = rnd.pick(PLAIN_SKUS);
    if (!skus.includes(s)) skus.push(s);
  }
  const items = skus.map((sku) => {
    const item = { sku, quantity: rnd.int(1, 3) };
    if (kind !== "split" && rnd.next() < 0.8) item.locationId = rnd.pick(LOCATIONS);
    return item;
  });
  // A split order: one line larger than either centre holds (the plan must split it), half the
  // time with a small line of a plain SKU beside it (two SKUs, so a later amendment of both
  // runs in two phases).
  if (kind === "split") {
    items[0] = { sku: rnd.pick(SPLIT_SKUS), quantity: rnd.int(SPLIT_STOCK + 1, SPLIT_STOCK + 10) };
    if (rnd.next() < 0.5) items.push({ sku: rnd.pick(PLAIN_SKUS), quantity: rnd.int(1, 3) });
  }
  const ttlSeconds = type === "soft" ? (rnd.next() < 0.3 ? 60 : 900) : undefined;
  const key = `drill-${SEED}-${counters.sent}-${Math.floor(rnd.next() * 1e9)}`;
  const request = { type, reference: `drill-${kind}`, items, ...(ttlSeconds ? { ttlSeconds } : {}), ...(kind === "split" ? { allocation: ALLOCATION } : {}) };
  // One SKU, located lines: the fast path (its SKU's object alone); any other order: its coordinator.
  const directSku = directSkuOf(request);
  const id = reservationIdFor("checkout", key, directSku, SHARDED.get(directSku) ?? 1);
  const entry = { id, key, type, ttlSeconds, items, expect: null, unanswered: true, busy: true, answers: [] };
  reservations.set(id, entry);
  const res = await client.request("POST", "/api/v2/inventory/reserve", { key: keys.checkout, headers: { "idempotency-key": key }, body: request });
  countOp(`reserve ${kind}`, res);
  entry.busy = false;
  entry.answers.push({ op: "reserve", status: res.status });
  if (res.status === 201) {
    const body = res.json();
    if (body?.id !== id) entry.idMismatch = body?.id;
    entry.lines = body?.lines ?? [];
    if (kind === "split" && isSplit(entry.lines)) counters.splitReserved++;
    if (directSku === undefined) counters.coordinatedReserved++;
    else if (SHARDED.has(directSku)) counters.shardReserved++;
    else counters.directReserved++;
    entry.expect = "active";
    entry.unanswered = false;
  } else if (res.status === 409) {
    entry.expect = "absent";
    entry.unanswered = false;
  } else if (res.status !== 0 && res.status < 500) {
    entry.expect = "absent";
    entry.unanswered = false;
    entry.unexpected = `${res.status} ${res.text.slice(0, 200)}`;
  }
}

async function transitionOp(client, keys, op, entry) {
  entry.busy = true;
  const res = await client.request("POST", `/api/v2/inventory/${op}`, { key: keys.checkout, body: { reservationId: entry.id } });
  countOp(op, res);
  entry.busy = false;
  entry.answers.push({ op, status: res.status });
  if (res.status === 200) {
    const body = res.json();
    entry.expect = body.status;
    entry.type = body.type;
    entry.lines = body.lines;
    entry.unanswered = false;
  } else if (res.status === 0 || res.status >= 500) {
    entry.unanswered = true;
  }
  // 4xx (e.g. 409 invalid_state, reservation_expired): state unchanged by this request.
}

/**
 * An amendment the reservation should take (it may still be refused: stock moved, a soft hold
 * expired, a committed reservation only gives back): grow or shrink a line, release part of
 * one, refresh the expiry, move a line to the other centre, or — with lines of two SKUs —
 * grow one and shrink the other (two SKUs: prepare, then confirm).
 */
function amendmentFor(entry) {
  const lines = entry.lines;
  const l = rnd.pick(lines);
  const at = (line, quantity) => ({ sku: line.sku, locationId: line.locationId, quantity });
  if (entry.expect === "committed") return { name: "release part", body: { kind: "release_part", lines: [at(l, rnd.int(1, l.quantity))] } };
  const other = lines.find((x) => x.sku !== l.sku);
  // Lines of two SKUs: half the time both change at once (prepare on both, then confirm),
  // the amendment a kill can interrupt between its phases.
  if (other && rnd.next() < 0.5) {
    const shrunk = other.quantity > 1 ? other.quantity - 1 : other.quantity + 1;
    return { name: "two SKUs", body: { kind: "change_quantity", lines: [at(l, l.quantity + 1), at(other, shrunk)] } };
  }
  const r = rnd.next();
  if (r < 0.2) return { name: "grow", body: { kind: "change_quantity", lines: [at(l, l.quantity + rnd.int(1, 3))] } };
  if (r < 0.4 && l.quantity > 1) return { name: "shrink", body: { kind: "change_quantity", lines: [at(l, rnd.int(1, l.quantity - 1))] } };
  if (r < 0.7) return { name: "release part", body: { kind: "release_part", lines: [at(l, rnd.int(1, l.quantity))] } };
  if (r < 0.82) return { name: "refresh", body: { kind: "refresh_expiry", ttlSeconds: entry.type === "soft" ? 900 : 3600 } };
  const to = LOCATIONS.find((x) => x !== l.locationId);
  const quantity = rnd.next() < 0.5 || l.quantity === 1 ? undefined : rnd.int(1, l.quantity - 1);
  return { name: "move", body: { kind: "move_line", sku: l.sku, fromLocationId: l.locationId, toLocationId: to, ...(quantity ? { quantity } : {}) } };
}

/** Sends an amendment and learns what it can from the answer. */
async function sendAmendment(client, keys, record) {
  const res = await client.request("POST", `/api/v2/reservations/${record.reservationId}/amend`, {
    key: keys.checkout,
    headers: { "idempotency-key": record.key },
    body: record.body,
  });
  return { res, body: res.json(), replayed: res.headers?.["idempotent-replayed"] === "true" };
}

async function amendOp(client, keys, entry) {
  entry.busy = true;
  const { name, body } = amendmentFor(entry);
  const record = { reservationId: entry.id, key: `drill-amend-${SEED}-${++amendSeq}`, name, body, status: null, answer: null };
  amendments.push(record);
  const { res, body: answer } = await sendAmendment(client, keys, record);
  countOp(`amend ${name}`, res);
  entry.busy = false;
  record.status = unknownOutcome(res) ? "unknown" : res.status;
  if (res.status === 200) {
    record.answer = answer;
    entry.expect = answer.reservation.status;
    entry.lines = answer.reservation.lines;
    entry.unanswered = false;
  } else if (unknownOutcome(res)) {
    entry.unanswered = true;
  }
  // 4xx: refused (409 with its reason), nothing changed.
}

async function step(client, keys) {
  const r = rnd.next();
  if (r < 0.2) return reserveOp(client, keys, "hard");
  if (r < 0.32) return reserveOp(client, keys, "soft");
  if (r < 0.41) return reserveOp(client, keys, "multi");
  if (r < 0.51) return reserveOp(client, keys, "split");
  let target;
  if (r < 0.73 && (target = pickReservation((e) => (e.expect === "active" || e.expect === "committed") && e.lines?.length > 0))) {
    return amendOp(client, keys, target);
  }
  if (r < 0.83 && (target = pickReservation((e) => e.expect === "active"))) return transitionOp(client, keys, "release", target);
  if (r < 0.91 && (target = pickReservation((e) => e.expect === "active" && e.type === "hard"))) return transitionOp(client, keys, "commit", target);
  if (r < 0.95 && (target = pickReservation((e) => e.expect === "active" && e.type === "soft"))) return transitionOp(client, keys, "promote", target);
  if ((target = pickReservation((e) => e.expect === "committed"))) return transitionOp(client, keys, "fulfil", target);
  return reserveOp(client, keys, "hard");
}

// ---------------------------------------------------------------------------------------------
// Verification.

async function readSkus(client, keys) {
  const out = new Map();
  await pool(SKUS, 8, async (sku) => {
    const inv = (await call(client, keys.operator, "GET", `/api/v2/inventory/${sku}`)).json();
    out.set(sku, inv);
  });
  return out;
}

/** One consistent verification pass; returns {stable, problems, facts}. */
async function verifyOnce(client, keys) {
  const problems = [];
  const before = await readSkus(client, keys);

  // What the coordinators say about every reservation not known to be finished.
  const open = [...reservations.values()].filter((e) => !e.final);
  const views = new Map();
  await pool(open, 8, async (e) => {
    const res = await client.request("GET", `/api/v2/reservations/${e.id}`, { key: keys.operator });
    if (res.status === 404) views.set(e.id, { status: "absent", lines: [] });
    else if (res.status === 200) views.set(e.id, res.json());
    else views.set(e.id, { status: `error ${res.status}`, lines: [], text: res.text.slice(0, 200) });
  });
  const audits = new Map();
  await pool(SKUS, 8, async (sku) => {
    audits.set(sku, (await call(client, keys.operator, "GET", `/api/v2/inventory/${sku}/audit`)).json());
  });
  const after = await readSkus(client, keys);
  const changed = SKUS.filter((s) => before.get(s).version !== after.get(s).version);

  // Expected counts from the coordinators' views.
  const expected = new Map(); // "sku|loc" → {reserved, softHeld, committed, fulfilled}
  const bucket = (sku, loc) => {
    const k = `${sku}|${loc}`;
    if (!expected.has(k)) expected.set(k, { reserved: 0, softHeld: 0, committed: 0, fulfilled: 0 });
    return expected.get(k);
  };
  const statusCount = {};
  for (const e of open) {
    const v = views.get(e.id);
    statusCount[v.status] = (statusCount[v.status] ?? 0) + 1;
    if (v.status === "pending") problems.push({ id: e.id, problem: "still pending (interrupted fan-out not finished)" });
    if (v.status.startsWith("error")) problems.push({ id: e.id, problem: `GET reservation → ${v.status}`, text: v.text });
    for (const l of v.lines ?? []) {
      const b = bucket(l.sku, l.locationId);
      if (v.status === "active" && v.type === "hard") b.reserved += l.quantity;
      else if (v.status === "active" && v.type === "soft") b.softHeld += l.quantity;
      else if (v.status === "committed") b.committed += l.quantity;
      else if (v.status === "fulfilled") b.fulfilled += l.quantity;
    }
    // Answers the client got must still hold.
    if (e.idMismatch) problems.push({ id: e.id, problem: `201 carried id ${e.idMismatch}, expected ${e.id}` });
    if (!e.unanswered && e.expect !== null) {
      const ok = v.status === e.expect || (e.expect === "active" && v.status === "expired") || (e.expect === "released" && v.status === "released");
      if (!ok) problems.push({ id: e.id, problem: `client was told ${e.expect}, coordinator says ${v.status}`, answers: e.answers });
    }
    if (e.answers.some((a) => a.op === "reserve" && a.status === 201) && v.status === "absent") {
      problems.push({ id: e.id, problem: "a 201 reservation is unknown to its coordinator" });
    }
  }

  // Per SKU and location: counts equal the sum of the reservations' lines.
  const totals = { skus: 0, locations: 0, ledgerRows: 0, reserved: 0, softHeld: 0, committed: 0, onHand: 0 };
  for (const sku of SKUS) {
    const inv = after.get(sku);
    const audit = audits.get(sku);
    totals.skus++;
    totals.ledgerRows += audit.ledgerRows ?? 0;
    if (!audit.ok) problems.push({ sku, problem: "audit failed", breaches: audit.breaches });
    for (const loc of LOCATIONS) {
      const level = inv.locations.find((l) => l.locationId === loc);
      const exp = expected.get(`${sku}|${loc}`) ?? { reserved: 0, softHeld: 0, committed: 0, fulfilled: 0 };
      const shipped = (fulfilledUnits.get(`${sku}|${loc}`) ?? 0) + exp.fulfilled;
      totals.locations++;
      if (!level) {
        problems.push({ sku, loc, problem: "location level missing" });
        continue;
      }
      totals.reserved += level.reserved;
      totals.softHeld += level.softHeld;
      totals.committed += level.committed;
      totals.onHand += level.onHand;
      for (const f of ["reserved", "softHeld", "committed"]) {
        if (level[f] !== exp[f]) problems.push({ sku, loc, problem: `${f} ${level[f]} ≠ ${exp[f]} from the coordinators' reservations` });
      }
      if (level.onHand !== stockOf(sku) - shipped) problems.push({ sku, loc, problem: `onHand ${level.onHand} ≠ ${stockOf(sku)} − ${shipped} fulfilled` });
      if (level.available < 0) problems.push({ sku, loc, problem: `available ${level.available} < 0` });
    }
  }
  return { stable: changed.length === 0, changed, problems, views, statusCount, totals };
}

/** Polls verification until it passes on a stable read, or the deadline; then records outcomes. */
async function verify(client, keys, killedAt) {
  const wait = killedAt + FIRST_CHECK_AFTER_KILL_MS - Date.now();
  if (wait > 0) {
    log(`waiting ${(wait / 1000).toFixed(1)} s for recovery alarms (coordinator recovery delay ${RECOVERY_DELAY_MS / 1000} s)…`);
    await sleep(wait);
  }
  let attempt = 0;
  let last;
  for (;;) {
    attempt++;
    last = await verifyOnce(client, keys);
    if (last.stable && last.problems.length === 0) break;
    if (Date.now() - killedAt > VERIFY_DEADLINE_AFTER_KILL_MS) break;
    await sleep(2_000);
  }
  // Learn the ground truth for the next cycle: finished reservations need no more lookups.
  for (const e of reservations.values()) {
    if (e.final) continue;
    const v = last.views.get(e.id);
    if (!v || v.status === "pending" || v.status.startsWith("error")) continue;
    e.expect = v.status;
    if (v.type) e.type = v.type;
    e.lines = v.lines;
    e.unanswered = false;
    if (["absent", "released", "expired", "fulfilled"].includes(v.status)) {
      e.final = true;
      if (v.status === "fulfilled") {
        for (const l of v.lines) fulfilledUnits.set(`${l.sku}|${l.locationId}`, (fulfilledUnits.get(`${l.sku}|${l.locationId}`) ?? 0) + l.quantity);
      }
    }
  }
  return { ...last, attempts: attempt, secondsAfterKill: (Date.now() - killedAt) / 1000 };
}

/**
 * After the alarms: every amendment whose outcome is unknown is sent again with its key
 * (recorded ones answer their first answer, marked replayed; ones that never reached their
 * coordinator apply now), and up to 12 answered ones (200 or 409) are replayed, which must
 * give the first answer again and change nothing. Returns the tally and any problem.
 */
async function retryAmendments(client, keys) {
  const tally = {};
  const problems = [];
  const count = (k) => {
    tally[k] = (tally[k] ?? 0) + 1;
  };
  const unknown = amendments.filter((a) => a.status === "unknown");
  const answered = amendments.filter((a) => (a.status === 200 || a.status === 409) && !a.replayChecked);
  const sample = [];
  while (sample.length < 12 && answered.length > 0) sample.push(answered.splice(rnd.int(0, answered.length - 1), 1)[0]);
  await pool([...unknown, ...sample], 8, async (a) => {
    const { res, body, replayed } = await sendAmendment(client, keys, a);
    counters.sent++;
    if (a.status === "unknown") {
      count(
        res.status === 200
          ? `unanswered → 200 ${replayed ? "replayed" : "applied now"}`
          : `unanswered → ${res.status}${body?.error ? ` ${body.error.code}` : ""}`,
      );
      if (unknownOutcome(res)) return;
      a.status = res.status;
      a.answer = res.status === 200 ? body : null;
      a.replayChecked = true;
      const entry = reservations.get(a.reservationId);
      // A replay's reservation is as it was then; only an amendment applied now tells the state now.
      if (res.status === 200 && !replayed && entry) {
        entry.expect = body.reservation.status;
        entry.lines = body.reservation.lines;
      }
      return;
    }
    a.replayChecked = true;
    count(`answered ${a.status} → replayed ${res.status}`);
    if (res.status !== a.status)
      problems.push({ amendment: a.key, problem: `first answered ${a.status}, the retry ${res.status}`, text: res.text.slice(0, 200) });
    else if (a.status === 200 && (!replayed || JSON.stringify(body) !== JSON.stringify(a.answer))) {
      problems.push({ amendment: a.key, problem: `the retry of a 200 is not its first answer (replayed: ${replayed})` });
    }
  });
  return { tally, problems };
}

// ---------------------------------------------------------------------------------------------
// Main.

async function main() {
  log(
    `seed ${SEED}; ${CYCLES} cycles; ${SKU_COUNT} SKUs × ${LOCATIONS.length} locations × ${STOCK} units + ${SPLIT_SKUS.length} split SKUs × ${SPLIT_STOCK}; ${CONCURRENCY} connections`,
  );
  const stateDir = await runtime.createStateDir("edge-inventory-drill-");
  log(`state: ${stateDir}; applying migrations and creating keys (wrangler d1)…`);
  const { keys } = await prepareState(stateDir);
  let { handle, ms } = await runtime.start();
  log(`wrangler dev up at ${handle.url} in ${(ms / 1000).toFixed(1)} s (pid ${handle.pid})`);

  let client = createClient(handle.url, { connections: CONCURRENCY, timeoutMs: 30_000 });
  await seedMasterData(client, keys.operator, {
    vendor: VENDOR,
    locations: LOCATIONS.map((l, i) => location(l, 10 + i * 10)),
    skus: SKUS.map((s) => skuItem(s, VENDOR.id)),
  });
  await pool(
    SKUS.flatMap((sku) => LOCATIONS.map((loc) => ({ sku, loc }))),
    8,
    ({ sku, loc }) =>
      call(client, keys.operator, "PATCH", `/api/v2/inventory/${sku}`, {
        body: { locationId: loc, onHand: stockOf(sku), reason: "initial" },
        headers: { "idempotency-key": `drill-seed-${sku}-${loc}` },
      }),
  );
  for (const [sku, shards] of SHARDED) await call(client, keys.operator, "PUT", `/api/v2/inventory/${sku}/shards`, { body: { shards } });
  log(`seeded; ${[...SHARDED.keys()].join(", ")} sharded (${[...SHARDED.values()].join(", ")} shards)`);

  const cycles = [];
  let breach = false;
  for (let cycle = 1; cycle <= CYCLES; cycle++) {
    const loadMs = rnd.int(1_000, 4_000);
    const sentBefore = counters.sent;
    const noAnswerBefore = counters.noAnswer;
    let stop = false;
    const loops = Array.from({ length: CONCURRENCY }, async () => {
      while (!stop) await step(client, keys);
    });
    await sleep(loadMs);
    // The crash: SIGKILL to wrangler and all its children while requests are in flight.
    const inFlight = [...reservations.values()].filter((e) => e.busy).length;
    stop = true;
    const killedAt = Date.now();
    const killed = await runtime.crash();
    await Promise.race([Promise.all(loops), sleep(35_000)]);
    client.close();
    log(
      `cycle ${cycle}: SIGKILL after ${(loadMs / 1000).toFixed(1)} s of load (${counters.sent - sentBefore} requests, ${inFlight} reservation requests in flight) → PIDs ${killed.map((r) => `${r.pid}:${r.comm}`).join(" ")}`,
    );

    ({ handle, ms } = await runtime.start());
    log(`cycle ${cycle}: restarted on the same state in ${(ms / 1000).toFixed(1)} s at ${handle.url}`);
    client = createClient(handle.url, { connections: CONCURRENCY, timeoutMs: 30_000 });
    // Right after the restart, before any alarm is due: what became of the requests that got
    // no answer? `pending` ones are fan-outs the crash interrupted; the alarm must settle them.
    const unanswered = [...reservations.values()].filter((e) => e.unanswered && !e.final);
    const early = {};
    await pool(unanswered, 8, async (e) => {
      const res = await client.request("GET", `/api/v2/reservations/${e.id}`, { key: keys.operator });
      const st = res.status === 404 ? "absent" : res.status === 200 ? res.json().status : `error ${res.status}`;
      early[st] = (early[st] ?? 0) + 1;
    });
    const result = await verify(client, keys, killedAt);
    const late = {};
    for (const e of unanswered) {
      const st = result.views.get(e.id)?.status ?? "?";
      late[st] = (late[st] ?? 0) + 1;
    }
    // Amendments: unknown outcomes learned by retrying with the same key, answered ones replayed;
    // then the counts are checked again (a replay must have changed nothing).
    const retried = await retryAmendments(client, keys);
    let recheck = await verifyOnce(client, keys);
    for (let i = 0; i < 10 && !(recheck.stable && recheck.problems.length === 0); i++) {
      await sleep(2_000);
      recheck = await verifyOnce(client, keys);
    }
    result.problems.push(...retried.problems, ...recheck.problems.map((p) => ({ ...p, after: "amendment retries" })));
    result.stable &&= recheck.stable;
    const ok = result.stable && result.problems.length === 0;
    if (!ok) breach = true;
    cycles.push({
      cycle,
      loadMs,
      requests: counters.sent - sentBefore,
      noAnswer: counters.noAnswer - noAnswerBefore,
      restartMs: Math.round(ms),
      verifiedAfterS: round1(result.secondsAfterKill),
      attempts: result.attempts,
      reservationsChecked: [...result.views.keys()].length,
      unansweredAfterRestart: early,
      unansweredAfterAlarms: late,
      amendmentRetries: retried.tally,
      statuses: result.statusCount,
      totals: result.totals,
      ok,
      problems: result.problems.slice(0, 20),
      unstableSkus: result.stable ? [] : result.changed,
    });
    log(
      `cycle ${cycle}: ${ok ? "PASS" : "FAIL"} (${result.attempts} pass(es), verified ${round1(result.secondsAfterKill)} s after the kill; ` +
        `unanswered requests' reservations right after restart ${fmt(early)} → after alarms ${fmt(late)}; ` +
        `amendments sent again: ${fmt(retried.tally)})`,
    );
    if (!ok) for (const p of result.problems.slice(0, 10)) log(`  ${JSON.stringify(p)}`);
  }
  client.close();
  await runtime.cleanup();

  // Report.
  console.log(
    `\ncrash drill — seed ${SEED}, ${CYCLES} cycles, wrangler dev (local), ${SKUS.length} SKUs (${SPLIT_SKUS.length} of them split) × ${LOCATIONS.length} locations\n`,
  );
  console.log(
    "| cycle | load before SIGKILL | requests | no answer | restart | verified after kill | unanswered: at restart → after alarms | reservations checked | statuses | reserved / softHeld / committed units | result |",
  );
  console.log("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |");
  for (const c of cycles) {
    const st = Object.entries(c.statuses)
      .sort()
      .map(([k, v]) => `${k} ${v}`)
      .join(", ");
    console.log(
      `| ${c.cycle} | ${(c.loadMs / 1000).toFixed(1)} s | ${c.requests} | ${c.noAnswer} | ${(c.restartMs / 1000).toFixed(1)} s | ${c.verifiedAfterS} s (${c.attempts} pass${c.attempts > 1 ? "es" : ""}) | ${fmt(c.unansweredAfterRestart)} → ${fmt(c.unansweredAfterAlarms)} | ${c.reservationsChecked} | ${st} | ${c.totals.reserved} / ${c.totals.softHeld} / ${c.totals.committed} | ${c.ok ? "pass" : "FAIL"} |`,
    );
  }
  console.log(`\nrequests by operation and answer: ${JSON.stringify(counters.byOp)}`);
  console.log(`\nsplit orders reserved with a line over both centres: ${counters.splitReserved}; amendments sent: ${amendments.length}`);
  console.log(
    `reserved by the single-SKU fast path (SKU object alone): ${counters.directReserved}; by a hot-SKU shard: ${counters.shardReserved}; through a coordinator: ${counters.coordinatedReserved}`,
  );
  console.log(`amendments sent again after the alarms, per cycle: ${cycles.map((c) => `${c.cycle}: ${fmt(c.amendmentRetries)}`).join(" · ")}`);
  console.log(
    `\nchecked after every restart: ${SKUS.length} SKU audits (invariants + ledger replay), ${SKUS.length * LOCATIONS.length} SKU×location levels ` +
      `(reserved, softHeld, committed vs the coordinators' active/committed reservations; onHand vs seeded − fulfilled; available ≥ 0), ` +
      `no reservation left pending, every answered request still true — over ${reservations.size} reservation ids (answered or not); ` +
      `then every amendment with no known outcome sent again with its key, answered ones replayed (same answer), and the levels checked again.`,
  );
  console.log(`\n${breach ? "FAIL: breaches found (details above and in the cycle log)" : "PASS: no breach in any cycle"}`);
  for (const c of cycles.filter((x) => !x.ok)) console.log(JSON.stringify(c, null, 2));
  return breach ? 1 : 0;
}

const round1 = (v) => Math.round(v * 10) / 10;
function fmt(counts) {
  const parts = Object.entries(counts)
    .sort()
    .map(([k, v]) => `${k} ${v}`);
  return parts.length ? parts.join(", ") : "none";
}

runtime.run(main);
