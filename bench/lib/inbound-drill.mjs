// The INBOUND phase of the queue crash drill (bench/queue-crash-drill.mjs): transfers and
// purchase-order receipts survive a crash of the runtime. Per cycle:
//
//   1. a steady load (16 connections, a seeded random 2–5 s) over 24 SKUs at two centres:
//      transfer creates of 3–6 SKUs (some as drafts, shipped later), partial and full receipts
//      (good, damaged, short), cancels; purchase orders created, submitted, confirmed and
//      shipped, then received in part or in full, sometimes closed short; stock-state moves
//      (sellable → on hold, on hold / damaged → written off);
//   2. SIGKILL of the runtime with requests in flight; restart on the same state;
//   3. the every-minute cron fired as the platform would 11 minutes later: the transfer
//      sweeper undoes documents left `creating`, the purchase-order sweeper finishes orders
//      left `shipping`;
//   4. every request that got no answer is sent again, same body and Idempotency-Key, until
//      it has an answer;
//   5. the audit (below); then every retried request and a sample of answered ones are sent
//      once more: each must answer as before and no SKU object may change.
//
// The audit, exact:
//   * every SKU's `verify()` (`GET …/audit`) is clean;
//   * per transfer and PO line, the SKU object's own record of it — its ledger rows,
//     referenced `<doc id>:<line no>` — agrees with the D1 document: created at most once,
//     cancelled at most once, received / damaged / short / returned equal; a document
//     `in_transit` or `partially_received` has exactly its lines' outstanding units in transit;
//     `received` / `cancelled` ones none; none is left `creating`, no order `shipping`;
//   * per line, the document's received / damaged / short equal the sum of the receipts the
//     client was told applied (200) — each receipt once;
//   * per SKU and location, onHand, inTransit, damaged and onHold equal what the documents'
//     final states and the answered stock-state moves imply from the seeded stock;
//   * per SKU, units are conserved: Σ over locations (onHand + inTransit) + written off +
//     reported short on transfers + shipped to customers (none here) = seeded + PO units
//     received + PO units still in transit. (`damaged` and `onHold` are part of `onHand`:
//     available = onHand − reserved − committed − damaged − onHold.)

import { setTimeout as sleep } from "node:timers/promises";
import { prng } from "../../scripts/local-stack.mjs";
import { call, location, pool, skuItem } from "./api.mjs";

const SKUS = Array.from({ length: 24 }, (_, i) => `IB-${String(i).padStart(2, "0")}`);
const CENTRES = ["L-IB-A", "L-IB-B"];
const STOCK = 200; // per SKU and centre
const CONCURRENCY = 16;
/** services/transfers.ts TRANSFER_CREATE_LEASE_MS and services/purchase-orders.ts PO_SHIP_LEASE_MS are 60 s; the cron fires as if 11 min later. */
const CRON_LATER_MS = 11 * 60_000;
const unknownOutcome = (res) => res.status === 0 || res.status >= 500;

/**
 * Runs the phase's cycles. `restart()` kills the runtime (SIGKILL) and starts it again on the
 * same state, resolving with a new client; `fireCron(client, time)` triggers the every-minute cron.
 */
export async function inboundPhase({ client, keys, vendorId, seed, cycles, log, crash, restart, fireCron }) {
  const rnd = prng(seed);
  const op = keys.operator;
  const transfers = []; // { key, body, id, status, lines, failure, busy, unanswered }
  const orders = []; // { key, body, id, status, lines, busy, unanswered }
  const requests = []; // every request sent in the load: { kind, entry, method, path, body, key, status, code, retried }
  const byOp = {};
  let seq = 0;

  await call(client, op, "POST", "/api/v2/skus/batch", { body: { items: SKUS.map((s) => skuItem(s, vendorId)) } });
  for (const [i, id] of CENTRES.entries()) {
    const { id: _, ...loc } = location(id, 10 + i * 10);
    await call(client, op, "PUT", `/api/v2/locations/${id}`, { body: loc });
  }
  await pool(
    SKUS.flatMap((sku) => CENTRES.map((loc) => ({ sku, loc }))),
    8,
    ({ sku, loc }) =>
      call(client, op, "PATCH", `/api/v2/inventory/${sku}`, {
        body: { locationId: loc, onHand: STOCK, reason: "initial" },
        headers: { "idempotency-key": `ib-seed-${sku}-${loc}` },
      }),
  );

  /** Sends one request of the load and records it; learns the document from a 200/201. */
  async function send(kind, entry, method, path, body, key) {
    const rec = { kind, entry, method, path, body, key, status: null, code: null, retried: null };
    requests.push(rec);
    const res = await client.request(method, path, { key: op, body, headers: key ? { "idempotency-key": key } : {} });
    const c = (byOp[kind] ??= {});
    const label = res.status === 0 ? "no answer" : String(res.status);
    c[label] = (c[label] ?? 0) + 1;
    learn(rec, res);
    return rec;
  }

  function learn(rec, res) {
    if (unknownOutcome(res)) {
      rec.status = "unknown";
      if (rec.entry) rec.entry.unanswered = true;
      return;
    }
    rec.status = res.status;
    const body = res.json();
    rec.code = body?.error?.code ?? null;
    rec.replayed = res.headers?.["idempotent-replayed"] === "true";
    if (rec.kind === "state") rec.level = body?.level ?? null;
    const e = rec.entry;
    if (!e) return;
    e.unanswered = false;
    if (res.status === 200 || res.status === 201) {
      if (rec.kind === "state") return;
      e.id = body.id;
      e.status = body.status;
      e.lines = body.lines;
    } else if (rec.kind === "transfer create" || rec.kind === "transfer ship") {
      // An undone create answers its stored failure (409 insufficient_stock / interrupted).
      e.id ??= body?.error?.details?.transferId ?? null;
      e.status = "cancelled";
    } else {
      e.stale = true; // refused: read it again before the next step
    }
  }

  const pickFree = (list, pred) => {
    const c = list.filter((e) => !e.busy && !e.unanswered && !e.stale && e.id && pred(e));
    return c.length ? rnd.pick(c) : null;
  };

  async function createTransfer() {
    const n = rnd.int(3, 6); // several SKUs, so a kill can land between two lines of one fan-out
    const skus = rnd.shuffle(SKUS).slice(0, n);
    const [from, to] = rnd.chance(0.5) ? CENTRES : [...CENTRES].reverse();
    const key = `ib-${seed}-t${++seq}`;
    const draft = rnd.chance(0.15);
    const body = {
      fromLocationId: from,
      toLocationId: to,
      reference: key,
      lines: skus.map((sku) => ({ sku, quantity: rnd.int(1, 8) })),
      ...(draft ? { draft } : {}),
    };
    const e = { key, body, id: null, status: null, lines: null, busy: true, unanswered: false };
    transfers.push(e);
    await send("transfer create", e, "POST", "/api/v2/transfers", body, key);
    e.busy = false;
  }

  async function onTransfer(kind, e, path, body, key) {
    e.busy = true;
    await send(kind, e, "POST", `/api/v2/transfers/${e.id}/${path}`, body, key);
    e.busy = false;
  }

  /** A receipt of some open lines: in full (all outstanding received) or in part (some good, some damaged or short). */
  function receiptOf(lines, full) {
    const open = lines.filter((l) => l.outstanding > 0);
    const chosen = full ? open : open.filter(() => rnd.chance(0.7));
    if (chosen.length === 0) chosen.push(rnd.pick(open));
    return chosen.map((l) => {
      if (full) return { sku: l.sku, received: l.outstanding };
      const total = rnd.int(1, l.outstanding);
      const damaged = total > 1 && rnd.chance(0.4) ? 1 : 0;
      const short = total - damaged > 1 && rnd.chance(0.3) ? 1 : 0;
      return { sku: l.sku, received: total - damaged - short, damaged, short };
    });
  }

  async function poChain() {
    const key = `ib-${seed}-p${++seq}`;
    const skus = rnd.shuffle(SKUS).slice(0, rnd.int(2, 4));
    const body = { vendorId, locationId: rnd.pick(CENTRES), reference: key, lines: skus.map((sku) => ({ sku, quantity: rnd.int(5, 20) })) };
    const e = { key, body, id: null, status: null, lines: null, busy: true, unanswered: false };
    orders.push(e);
    const created = await send("po create", e, "POST", "/api/v2/purchase-orders", body, key);
    for (const step of ["submit", "confirm", "ship"]) {
      if (created.status !== 201 || e.unanswered || e.stale) break;
      const rec = await send(`po ${step}`, e, "POST", `/api/v2/purchase-orders/${e.id}/${step}`, {});
      if (rec.status !== 200) break;
    }
    e.busy = false;
  }

  async function onOrder(kind, e, path, body, key) {
    e.busy = true;
    await send(kind, e, "POST", `/api/v2/purchase-orders/${e.id}/${path}`, body, key);
    e.busy = false;
  }

  async function stateMove() {
    const sku = rnd.pick(SKUS);
    const loc = rnd.pick(CENTRES);
    const r = rnd.next();
    const [from, to] = r < 0.5 ? ["sellable", "on_hold"] : r < 0.75 ? ["on_hold", "written_off"] : ["damaged", "written_off"];
    const key = `ib-${seed}-s${++seq}`;
    const body = { locationId: loc, from, to, quantity: from === "sellable" ? rnd.int(1, 3) : 1, reason: "drill" };
    await send("state", { busy: false, unanswered: false, sku, loc, body }, "POST", `/api/v2/inventory/${sku}/states`, body, key);
  }

  async function step() {
    const r = rnd.next();
    let e;
    if (r < 0.3) return createTransfer();
    if (r < 0.36 && (e = pickFree(transfers, (t) => t.status === "draft"))) return onTransfer("transfer ship", e, "ship", undefined);
    if (r < 0.58 && (e = pickFree(transfers, (t) => t.status === "in_transit" || t.status === "partially_received"))) {
      const full = rnd.chance(0.4);
      return onTransfer(`transfer receive ${full ? "full" : "part"}`, e, "receive", { lines: receiptOf(e.lines, full) }, `ib-${seed}-r${++seq}`);
    }
    if (r < 0.65 && (e = pickFree(transfers, (t) => ["draft", "in_transit", "partially_received"].includes(t.status)))) {
      return onTransfer("transfer cancel", e, "cancel", { reason: "drill_cancel" }, `ib-${seed}-c${++seq}`);
    }
    if (r < 0.75) return poChain();
    if (r < 0.88 && (e = pickFree(orders, (o) => o.status === "shipped" || o.status === "partially_received"))) {
      const full = rnd.chance(0.4);
      // A purchase order's receipt has no short units (what never comes is closed short).
      const lines = receiptOf(
        e.lines.map((l) => ({ sku: l.sku, outstanding: l.inTransit })),
        full,
      ).map(({ sku, received, damaged = 0, short = 0 }) => ({ sku, received: received + short, damaged }));
      return onOrder(`po receive ${full ? "full" : "part"}`, e, "receive", { lines }, `ib-${seed}-q${++seq}`);
    }
    if (r < 0.9 && (e = pickFree(orders, (o) => o.status === "partially_received"))) return onOrder("po close", e, "close", {});
    if (r < 0.97) return stateMove();
    return createTransfer();
  }

  /** Reads a document again (after a refusal) so the next step starts from its real state. */
  async function refresh(c) {
    for (const [list, base] of [
      [transfers, "/api/v2/transfers"],
      [orders, "/api/v2/purchase-orders"],
    ]) {
      for (const e of list.filter((x) => x.stale && x.id && !x.busy)) {
        const res = await c.request("GET", `${base}/${e.id}`, { key: op });
        if (res.status !== 200) continue;
        const body = res.json();
        Object.assign(e, { status: body.status, lines: body.lines, stale: false });
      }
    }
  }

  const results = [];
  for (let cycle = 1; cycle <= cycles; cycle++) {
    const loadMs = rnd.int(2_000, 5_000);
    const sentBefore = requests.length;
    let stop = false;
    const loops = Array.from({ length: CONCURRENCY }, async () => {
      while (!stop) {
        await step();
        await refresh(client);
      }
    });
    await sleep(loadMs);
    stop = true;
    const inFlight = transfers.filter((t) => t.busy).length + orders.filter((o) => o.busy).length;
    await crash();
    await Promise.race([Promise.all(loops), sleep(35_000)]);
    const sent = requests.length - sentBefore;
    const unanswered = requests.filter((r) => r.status === "unknown");
    log(
      `inbound cycle ${cycle}: SIGKILL after ${(loadMs / 1000).toFixed(1)} s of load (${sent} requests, ${inFlight} documents busy, ${unanswered.length} unanswered)`,
    );
    client.close();
    client = await restart();

    // Right after the restart: documents a crash left half-done.
    const early = await readDocs(client, op, vendorId);
    const halfDone = {
      creating: early.transfers.filter((t) => t.status === "creating").length,
      shipping: early.orders.filter((o) => o.status === "shipping").length,
    };
    // The cron as 11 minutes later, until no document is left creating / shipping (20 per run).
    let fires = 0;
    for (let left = halfDone.creating + halfDone.shipping; fires < 5 && (fires === 0 || left > 0); ) {
      await fireCron(client, Date.now() + CRON_LATER_MS);
      fires++;
      const now = await readDocs(client, op, vendorId);
      left = now.transfers.filter((t) => t.status === "creating").length + now.orders.filter((o) => o.status === "shipping").length;
    }
    const afterCron = await readDocs(client, op, vendorId);
    // Lines whose document D1 has not caught up with its objects yet (a receipt or cancel cut between the two): the retries must fix them.
    const offLines = (await auditOnce(client, afterCron)).problems.filter((p) => p.check === "document vs object");
    const staleBeforeRetries = offLines.length;
    const staleKinds = {};
    for (const p of offLines) {
      const kind = `${p.transfer ? "transfer" : "order"} ${p.status}`;
      staleKinds[kind] = (staleKinds[kind] ?? 0) + 1;
    }
    log(
      `inbound cycle ${cycle}: restarted; ${halfDone.creating} transfers creating, ${halfDone.shipping} orders shipping → cron fired ${fires}× as ${CRON_LATER_MS / 60_000} min later → ${afterCron.transfers.filter((t) => t.status === "creating").length} creating, ${afterCron.orders.filter((o) => o.status === "shipping").length} shipping; ${staleBeforeRetries} document lines differ from their objects before the retries (${fmt(staleKinds)})`,
    );

    // Every unanswered request again, same key and body, until it is answered.
    const retryTally = {};
    for (let round = 0; round < 5; round++) {
      const pending = requests.filter((r) => r.status === "unknown");
      if (pending.length === 0) break;
      if (round > 0) await sleep(1_000);
      for (const rec of pending) {
        // In order of sending: a document's later step only after its earlier one.
        const res = await client.request(rec.method, rec.path, { key: op, body: rec.body, headers: rec.key ? { "idempotency-key": rec.key } : {} });
        if (unknownOutcome(res)) continue;
        learn(rec, res);
        rec.retried = { status: res.status, replayed: rec.replayed };
        const k = `${rec.kind} → ${res.status}${rec.code ? ` ${rec.code}` : ""}${rec.replayed ? " replayed" : ""}`;
        retryTally[k] = (retryTally[k] ?? 0) + 1;
      }
    }
    const stillUnknown = requests.filter((r) => r.status === "unknown").length;
    // Documents as they end; the model takes them (the next cycle's load starts from them).
    let audit;
    for (let attempt = 0; attempt < 5; attempt++) {
      const docs = await readDocs(client, op, vendorId);
      adopt(docs);
      audit = await auditOnce(client, docs);
      if (audit.stable && audit.problems.length === 0) break;
      await sleep(2_000);
    }
    if (stillUnknown > 0) audit.problems.push({ check: "retries", problem: `${stillUnknown} requests still unanswered after 5 rounds` });

    // Replays: the retried requests and 16 answered ones once more; each answers as before and nothing moves.
    const replay = await replayCheck(client, audit.versions);
    audit.problems.push(...replay.problems);
    const ok = audit.stable && audit.problems.length === 0;
    results.push({
      cycle,
      loadMs,
      requests: sent,
      unanswered: unanswered.length,
      halfDone,
      fires,
      staleBeforeRetries,
      retryTally,
      replays: replay.count,
      totals: audit.totals,
      ok,
      problems: audit.problems.slice(0, 20),
    });
    log(
      `inbound cycle ${cycle}: ${ok ? "PASS" : "FAIL"} — retries ${fmt(retryTally)}; ${audit.totals.transfers} transfers (${fmt(audit.totals.transferStatus)}), ${audit.totals.orders} orders (${fmt(audit.totals.orderStatus)}), ${audit.totals.lines} document lines and ${audit.totals.ledgerRows} ledger rows checked; ${replay.count} replays changed nothing${replay.problems.length ? " (NOT)" : ""}`,
    );
    for (const p of audit.problems.slice(0, 10)) log(`  ${JSON.stringify(p)}`);
  }
  return { client, results, byOp };

  /** The model takes the documents' final states (what a lost answer would have said). */
  function adopt(docs) {
    const tById = new Map(docs.transfers.map((t) => [t.id, t]));
    const tByRef = new Map(docs.transfers.map((t) => [t.reference, t]));
    for (const e of transfers) {
      const d = (e.id && tById.get(e.id)) ?? tByRef.get(e.key);
      if (d) Object.assign(e, { id: d.id, status: d.status, lines: d.lines, stale: false });
    }
    const oByRef = new Map(docs.orders.map((o) => [o.reference, o]));
    for (const e of orders) {
      const d = oByRef.get(e.key);
      if (d) Object.assign(e, { id: d.id, status: d.status, lines: d.lines, stale: false });
    }
  }

  /** One audit pass over every SKU object, every ledger row of the phase's SKUs, and every document. */
  async function auditOnce(c, docs) {
    const problems = [];
    const before = await readSkus(c, op);
    const audits = new Map();
    const ledgers = new Map();
    await pool(SKUS, 8, async (sku) => {
      audits.set(sku, (await call(c, op, "GET", `/api/v2/inventory/${sku}/audit`)).json());
      const rows = [];
      let after = 0;
      for (;;) {
        const page = (await call(c, op, "GET", `/api/v2/inventory/${sku}/ledger?after=${after}&limit=1000`)).json();
        rows.push(...page.items);
        if (page.next === null) break;
        after = page.next;
      }
      ledgers.set(sku, rows);
    });
    const after = await readSkus(c, op);
    const changed = SKUS.filter((s) => before.get(s).version !== after.get(s).version);
    const totals = { transfers: docs.transfers.length, orders: docs.orders.length, lines: 0, ledgerRows: 0, transferStatus: {}, orderStatus: {} };

    for (const sku of SKUS) {
      const a = audits.get(sku);
      if (!a.ok) problems.push({ check: "verify()", sku, breaches: a.breaches });
      totals.ledgerRows += ledgers.get(sku).length;
    }

    // The objects' own record of each line, from their ledgers.
    const fromLedger = new Map(); // "<ref>|<sku>" → { created, createdQty, cancels, returned, received, damaged, short, out }
    const lineFacts = (ref, sku) => {
      const k = `${ref}|${sku}`;
      if (!fromLedger.has(k)) fromLedger.set(k, { created: 0, createdQty: 0, outs: 0, cancels: 0, returns: 0, returned: 0, received: 0, damaged: 0, short: 0 });
      return fromLedger.get(k);
    };
    for (const sku of SKUS) {
      for (const row of ledgers.get(sku)) {
        if (!row.reference || !/^(trf|po)_/.test(row.reference)) continue;
        const f = lineFacts(row.reference, sku);
        const d = row.delta;
        switch (row.op) {
          case "transfer_in_transit":
          case "po_in_transit":
            f.created++;
            f.createdQty += d.inTransit;
            break;
          case "transfer_out":
            f.outs++;
            break;
          case "transfer_receive":
          case "po_receive":
            if (d.damaged > 0) f.damaged += d.damaged;
            else f.received += d.onHand;
            break;
          case "transfer_short":
          case "po_short":
            f.short += -d.inTransit;
            break;
          case "transfer_cancel":
          case "po_cancel":
            f.cancels++;
            f.returned += -d.inTransit;
            break;
          case "transfer_return":
            f.returns++;
            break;
        }
      }
    }

    // Receipts the client was told applied (200), per document line.
    const told = new Map(); // "<doc id>|<sku>" → {received, damaged, short}
    for (const r of requests) {
      if (r.status !== 200 || !/receive/.test(r.kind) || !r.entry?.id) continue;
      for (const l of r.body.lines) {
        const k = `${r.entry.id}|${l.sku}`;
        const t = told.get(k) ?? { received: 0, damaged: 0, short: 0 };
        t.received += l.received ?? 0;
        t.damaged += l.damaged ?? 0;
        t.short += l.short ?? 0;
        told.set(k, t);
      }
    }

    // Expected levels per SKU and centre from the documents and the answered stock-state moves.
    const exp = new Map();
    const level = (sku, loc) => {
      const k = `${sku}|${loc}`;
      if (!exp.has(k)) exp.set(k, { onHand: STOCK, inTransit: 0, damaged: 0, onHold: 0 });
      return exp.get(k);
    };
    const conservation = new Map(SKUS.map((s) => [s, { writtenOff: 0, short: 0, poReceived: 0, poInTransit: 0 }]));

    for (const t of docs.transfers) {
      totals.transferStatus[t.status] = (totals.transferStatus[t.status] ?? 0) + 1;
      const undone = t.status === "cancelled" && t.failure && t.failure.code !== "cancelled";
      if (t.status === "creating") problems.push({ check: "document", transfer: t.id, problem: "still creating after the cron" });
      for (const l of t.lines) {
        totals.lines++;
        const ref = `${t.id}:${l.lineNo}`;
        const f = fromLedger.get(`${ref}|${l.sku}`) ?? lineFacts(ref, l.sku);
        const where = { check: "document vs object", transfer: t.id, status: t.status, line: l.lineNo, sku: l.sku };
        if (f.created > 1 || f.outs > 1) problems.push({ ...where, problem: `created ${f.created}× (out ${f.outs}×) in the object` });
        if (f.cancels > 1 || f.returns > 1) problems.push({ ...where, problem: `cancelled ${f.cancels}× (returned ${f.returns}×) in the object` });
        const liveDoc = ["in_transit", "partially_received", "received"].includes(t.status) || (t.status === "cancelled" && !undone && l.status !== "pending");
        if (liveDoc && f.created !== 1) problems.push({ ...where, problem: `the document holds the line, the object created it ${f.created}×` });
        if ((t.status === "draft" || l.status === "pending") && f.created !== 0)
          problems.push({ ...where, problem: "a line the document never created moved units" });
        if (f.created === 1 && f.createdQty !== l.quantity)
          problems.push({ ...where, problem: `object in transit ${f.createdQty}, document quantity ${l.quantity}` });
        for (const k of ["received", "damaged", "short", "returned"]) {
          if (f[k] !== l[k]) problems.push({ ...where, problem: `${k}: document ${l[k]}, object ${f[k]}` });
        }
        const objectOutstanding = f.created === 1 ? f.createdQty - f.received - f.damaged - f.short - f.returned : 0;
        const docOutstanding = t.status === "in_transit" || t.status === "partially_received" ? l.outstanding : 0;
        if (objectOutstanding !== docOutstanding)
          problems.push({ ...where, problem: `in transit at ${t.toLocationId}: object ${objectOutstanding}, document ${docOutstanding}` });
        const c = told.get(`${t.id}|${l.sku}`) ?? { received: 0, damaged: 0, short: 0 };
        for (const k of ["received", "damaged", "short"]) {
          if (c[k] !== l[k])
            problems.push({ check: "receipts once", transfer: t.id, sku: l.sku, problem: `${k}: document ${l[k]}, receipts answered 200 sum to ${c[k]}` });
        }
        // Levels: the object's own record (checked equal to the document above).
        if (f.created === 1) {
          level(l.sku, t.fromLocationId).onHand += -f.createdQty + f.returned;
          const to = level(l.sku, t.toLocationId);
          to.onHand += f.received + f.damaged;
          to.damaged += f.damaged;
          to.inTransit += objectOutstanding;
          conservation.get(l.sku).short += f.short;
        }
      }
    }
    for (const o of docs.orders) {
      totals.orderStatus[o.status] = (totals.orderStatus[o.status] ?? 0) + 1;
      if (o.status === "shipping") problems.push({ check: "document", order: o.id, problem: "still shipping after the cron" });
      for (const l of o.lines) {
        totals.lines++;
        const ref = `${o.id}:${l.lineNo}`;
        const f = fromLedger.get(`${ref}|${l.sku}`) ?? lineFacts(ref, l.sku);
        const where = { check: "document vs object", order: o.id, status: o.status, line: l.lineNo, sku: l.sku };
        const shipped = ["shipped", "partially_received", "received", "closed"].includes(o.status);
        if (f.created !== (shipped ? 1 : 0)) problems.push({ ...where, problem: `in transit created ${f.created}× in the object` });
        if (f.cancels > 1) problems.push({ ...where, problem: `closed ${f.cancels}× in the object` });
        if (f.created === 1 && f.createdQty !== l.quantity)
          problems.push({ ...where, problem: `object in transit ${f.createdQty}, document quantity ${l.quantity}` });
        for (const k of ["received", "damaged"]) if (f[k] !== l[k]) problems.push({ ...where, problem: `${k}: document ${l[k]}, object ${f[k]}` });
        // D1 keeps what a close took out of transit as the line's `short` (repositories/purchase-orders.ts poLineUpdate).
        if (f.short + f.returned !== l.short)
          problems.push({ ...where, problem: `short: document ${l.short}, object ${f.short} short + ${f.returned} closed` });
        const objectOutstanding = f.created === 1 ? f.createdQty - f.received - f.damaged - f.short - f.returned : 0;
        if (objectOutstanding !== l.inTransit) problems.push({ ...where, problem: `in transit: object ${objectOutstanding}, document ${l.inTransit}` });
        const c = told.get(`${o.id}|${l.sku}`) ?? { received: 0, damaged: 0 };
        for (const k of ["received", "damaged"]) {
          if (c[k] !== l[k])
            problems.push({ check: "receipts once", order: o.id, sku: l.sku, problem: `${k}: document ${l[k]}, receipts answered 200 sum to ${c[k]}` });
        }
        const at = level(l.sku, o.locationId);
        at.onHand += f.received + f.damaged;
        at.damaged += f.damaged;
        at.inTransit += objectOutstanding;
        const k = conservation.get(l.sku);
        k.poReceived += f.received + f.damaged;
        k.poInTransit += objectOutstanding;
      }
    }
    for (const r of requests) {
      if (r.kind !== "state" || r.status !== 200) continue;
      const { sku, loc, body } = r.entry;
      const l = level(sku, loc);
      const q = body.quantity;
      if (body.from === "damaged") l.damaged -= q;
      if (body.from === "on_hold") l.onHold -= q;
      if (body.to === "on_hold") l.onHold += q;
      if (body.to === "written_off") {
        l.onHand -= q;
        conservation.get(sku).writtenOff += q;
      }
    }
    for (const sku of SKUS) {
      const inv = after.get(sku);
      let units = 0;
      for (const loc of CENTRES) {
        const got = inv.locations.find((x) => x.locationId === loc);
        const want = level(sku, loc);
        units += (got?.onHand ?? 0) + (got?.inTransit ?? 0);
        for (const k of ["onHand", "inTransit", "damaged", "onHold"]) {
          if (got?.[k] !== want[k]) problems.push({ check: "levels", sku, loc, problem: `${k} ${got?.[k]}, the documents and moves give ${want[k]}` });
        }
      }
      const k = conservation.get(sku);
      const lhs = units + k.writtenOff + k.short;
      const rhs = STOCK * CENTRES.length + k.poReceived + k.poInTransit;
      if (lhs !== rhs) {
        problems.push({
          check: "conservation",
          sku,
          problem: `Σ(onHand + inTransit) ${units} + written off ${k.writtenOff} + short ${k.short} = ${lhs} ≠ seeded ${STOCK * CENTRES.length} + PO received ${k.poReceived} + PO in transit ${k.poInTransit} = ${rhs}`,
        });
      }
    }
    return { stable: changed.length === 0, problems, totals, versions: after };
  }

  /** Sends the retried requests and 16 answered ones once more: the same status, and no SKU object changes. */
  async function replayCheck(c, versionsBefore) {
    const problems = [];
    // Successes, and refused creates (their failure is stored). Other refusals are not recorded
    // under their key (a stock-state move refused for want of stock is tried afresh by its
    // retry), so they are no replays.
    const replayable = (r) => r.status === 200 || r.status === 201 || (r.kind === "transfer create" && r.status === 409);
    const retried = requests.filter((r) => r.retried && replayable(r));
    const answered = requests.filter((r) => !r.retried && r.key && replayable(r));
    const sample = rnd.shuffle(answered).slice(0, 16);
    let count = 0;
    for (const rec of [...retried, ...sample]) {
      const res = await c.request(rec.method, rec.path, { key: op, body: rec.body, headers: rec.key ? { "idempotency-key": rec.key } : {} });
      count++;
      const first = rec.status;
      // A create's or receipt's replay says so; a refused create answers its stored failure again.
      if (res.status !== first && !(first === 201 && res.status === 200)) {
        problems.push({ check: "replay", kind: rec.kind, key: rec.key, problem: `answered ${first}, the replay ${res.status} ${res.text.slice(0, 160)}` });
      }
    }
    const now = await readSkus(c, op);
    for (const sku of SKUS) {
      if (now.get(sku).version !== versionsBefore.get(sku).version) {
        problems.push({
          check: "replay",
          sku,
          problem: `the object changed during the replays (version ${versionsBefore.get(sku).version} → ${now.get(sku).version})`,
        });
      }
    }
    return { count, problems };
  }
}

async function readSkus(c, op) {
  const out = new Map();
  await pool(SKUS, 8, async (sku) => out.set(sku, (await call(c, op, "GET", `/api/v2/inventory/${sku}`)).json()));
  return out;
}

/** Every transfer document and every purchase order of the drill's vendor, as the API shows them. */
async function readDocs(c, op, vendorId) {
  const all = async (path) => {
    const items = [];
    let cursor = null;
    do {
      const page = (await call(c, op, "GET", `${path}${path.includes("?") ? "&" : "?"}limit=100${cursor ? `&cursor=${cursor}` : ""}`)).json();
      items.push(...page.items);
      cursor = page.nextCursor;
    } while (cursor);
    return items;
  };
  const transfers = (await all("/api/v2/transfers")).filter((t) => t.lines.every((l) => SKUS.includes(l.sku)));
  const orders = (await all(`/api/v2/purchase-orders?vendorId=${vendorId}`)).filter((o) => o.lines.every((l) => SKUS.includes(l.sku)));
  return { transfers, orders };
}

export function fmt(counts) {
  const parts = Object.entries(counts)
    .sort()
    .map(([k, v]) => `${k} ${v}`);
  return parts.length ? parts.join(", ") : "none";
}
