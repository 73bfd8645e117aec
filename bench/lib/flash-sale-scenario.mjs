// S6 of `npm run bench` (issue 11): a flash sale on one hot SKU whose stock is split over
// several objects ("hot-SKU shards"). 20,000 racing one-unit hard reservations on 10,000 units
// spread over 8 shards from 64 connections: exactly 10,000 succeed, 10,000 are refused, nothing
// is oversold, and the SKU's totals (the sum over every shard) add up. Its throughput is
// reported beside S1's (one object, no shards) of the same run.
//
// The API it uses (operator key):
//   PUT /api/v2/inventory/{sku}/shards {"shards": n} → 200 {"sku", "shards"}
//   GET /api/v2/inventory/{sku}/shards              → 200 {"sku", "shards", …}
// Reservations are the ordinary POST /api/v2/inventory/reserve; the Worker picks the shard.
// While that API is missing (404 route_not_found) the row says so and the run goes on.

import { call, inspectSku, reserveBody, setOnHand, uniqueKey } from "./api.mjs";
import { CFG, LOC, log } from "./bench-config.mjs";
import { runClosedLoop, Tally } from "./load.mjs";
import { singleSkuReservationHops } from "./prod-estimate.mjs";
import { round, row } from "./report.mjs";

/** The row's title, from the configuration (BENCH_QUICK shrinks units and requests alike). */
export function s6Name() {
  const { units, requests, shards } = CFG.s6;
  return `S6 flash sale: ${requests.toLocaleString("en")} reserves on ${units.toLocaleString("en")} units, ${shards} shards`;
}

/** True when the answer says the route does not exist (not that the SKU does not). */
function routeMissing(res) {
  if (res.status !== 404 && res.status !== 405) return false;
  const code = res.json()?.error?.code ?? res.json()?.code;
  return code !== "sku_not_found";
}

/** A row that fails S6 before or after its load, with what went wrong. */
function failed(reason, raw) {
  return { row: { ...row(s6Name(), { ops: 0, seconds: 1, errors: null, opsLabel: "reserves", check: `FAIL (${reason})` }), flashSale: true }, raw };
}

/**
 * S6, never throwing: a failure of the API calls around the load (setup, inspection) becomes a
 * FAIL row, so the rest of the report is still written.
 */
export async function scenarioS6(ctx, sku, options = {}) {
  try {
    return await flashSale(ctx, sku, options);
  } catch (err) {
    log(`S6: ${err?.message ?? err}`);
    return failed(`error: ${String(err?.message ?? err).slice(0, 200)}`, { error: String(err?.stack ?? err) });
  }
}

/**
 * S6: `sku` is a SKU without stock yet. Gives it `units` on-hand at the bench location, splits
 * it into `shards`, checks the split kept every unit, then races `requests` reservations of one
 * unit each. `s1Throughput` (S1's reserves/s in this run, or null) gives the "× S1" ratio.
 */
async function flashSale({ client, keys, measured }, sku, { s1Throughput = null }) {
  const { units, requests, shards, connections, timeoutMs } = CFG.s6;
  const name = s6Name();

  await setOnHand(client, keys.operator, sku, LOC, units);
  const put = await client.request("PUT", `/api/v2/inventory/${encodeURIComponent(sku)}/shards`, { key: keys.operator, body: { shards } });
  if (routeMissing(put)) {
    log(`S6: PUT /api/v2/inventory/{sku}/shards → ${put.status}: the shards API is not there yet; S6 skipped`);
    return {
      row: { scenario: name, unavailable: true, unavailableReason: "not available: shards API missing", flashSale: true },
      raw: { skipped: "shards API missing", put: { status: put.status, body: put.text.slice(0, 300) } },
    };
  }
  if (put.status !== 200 || put.json()?.shards !== shards) {
    return failed(`PUT shards → ${put.status} ${put.text.slice(0, 120)}`, { put: { status: put.status, body: put.text.slice(0, 500) } });
  }
  const shardView = (await call(client, keys.operator, "GET", `/api/v2/inventory/${encodeURIComponent(sku)}/shards`)).json();
  const before = await inspectSku(client, keys.operator, sku);
  if (shardView?.shards !== shards || before.inventory.totals.available !== units || before.inventory.totals.onHand !== units || before.audit.ok !== true) {
    return failed(
      `after the split: shards ${shardView?.shards}, onHand ${before.inventory.totals.onHand}, available ${before.inventory.totals.available}, audit ${before.audit.ok}; expected ${shards}, ${units}, ${units}, true`,
      { shardView, totalsBefore: before.inventory.totals, auditBefore: before.audit },
    );
  }

  log(`S6: ${requests} racing 1-unit hard reservations on ${units} units of ${sku} over ${shards} shards from ${connections} connections`);
  const tally = new Tally();
  const created = [];
  const { result, cpu } = await measured(() =>
    runClosedLoop({
      concurrency: connections,
      maxOps: requests,
      hardTimeoutMs: timeoutMs,
      step: async (_w, i) => {
        const res = await client.request("POST", "/api/v2/inventory/reserve", {
          key: keys.checkout,
          headers: { "idempotency-key": uniqueKey(`s6-${i}`) },
          body: reserveBody([{ sku, quantity: 1, locationId: LOC }], "hard", `s6-order-${i}`),
        });
        tally.record("reserve", res);
        if (res.status === 201) created.push(res.json().id);
      },
    }),
  );
  const t = tally.toJSON().reserve ?? { statuses: {}, latencyMs: null };
  const { inventory, audit } = await inspectSku(client, keys.operator, sku);
  const ok201 = t.statuses[201] ?? 0;
  const c409 = t.statuses[409] ?? 0;
  const totals = inventory.totals;
  const checks = {
    allSent: result.started === requests && !result.timedOut,
    exactlyUnitsCreated: ok201 === units,
    exactlyRestRefused: c409 === requests - units,
    noOtherStatuses: ok201 + c409 === requests,
    reservedAll: totals.reserved === units,
    availableZero: totals.available === 0,
    distinctIds: new Set(created).size === created.length,
    auditOk: audit.ok === true,
  };
  const failedChecks = Object.keys(checks)
    .filter((k) => !checks[k])
    .join(", ");
  const pass = failedChecks === "";
  const r = row(name, {
    ops: result.started,
    seconds: result.elapsedMs / 1000,
    latency: t.latencyMs,
    errors: result.started - ok201 - c409,
    cpu,
    opsLabel: "reserves",
    // Per the API: the Worker sends each reservation to one shard's object.
    hops: (() => {
      const h = singleSkuReservationHops(created);
      return { ...h, label: `${h.label}; 1 of ${shards} shards` };
    })(),
    check: "",
  });
  const timesS1 = s1Throughput && r.throughput ? round(r.throughput / s1Throughput, 2) : null;
  const ratio = timesS1 === null ? "× S1 —" : `${timesS1} × S1`;
  r.check = pass
    ? `pass (${ok201}×201, ${c409}×409, reserved ${totals.reserved}, avail ${totals.available}; ${ratio})`
    : `FAIL (${failedChecks}: ${ok201}×201, ${c409}×409, other ${result.started - ok201 - c409}, sent ${result.started}/${requests}, reserved ${totals.reserved}, avail ${totals.available}, audit ${audit.ok})`;
  return {
    row: { ...r, flashSale: true, timesS1, s1Throughput },
    raw: {
      run: result,
      tally: tally.toJSON(),
      cpu,
      checks,
      shardView,
      totalsBefore: before.inventory.totals,
      totals,
      activeHard: inventory.reservations?.activeHard ?? null,
      audit,
      timesS1,
      reservationIdsSample: created.slice(0, 5),
    },
  };
}
