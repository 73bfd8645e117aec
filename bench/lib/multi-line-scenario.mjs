// S5 of `npm run bench`: rounds of concurrent multi-line hard orders over a few scarce SKUs.
// Every order is all or nothing: a 201 holds every line, a 409 holds nothing, nothing is
// oversold.

import { performance } from "node:perf_hooks";
import { inspectSku, reservationIdFor, reserveBody, uniqueKey } from "./api.mjs";
import { CFG, LOC, log } from "./bench-config.mjs";
import { Tally } from "./load.mjs";
import { objectHops } from "./prod-estimate.mjs";
import { row } from "./report.mjs";

/** S5 multi-line: `roundsSkus[r]` are round r's scarce SKUs (CFG.s5.unitsPerSku units each). */
export async function scenarioS5({ client, keys, measured }, roundsSkus) {
  const { orders, linesPerOrder, unitsPerLine, unitsPerSku } = CFG.s5;
  log(`S5: ${roundsSkus.length} rounds of ${orders} concurrent ${linesPerOrder}-line hard orders over ${roundsSkus[0].length} SKUs × ${unitsPerSku} units`);
  const tally = new Tally();
  const rounds = [];
  let wall = 0;
  const { cpu } = await measured(async () => {
    for (const [r, skus] of roundsSkus.entries()) {
      const plans = Array.from({ length: orders }, (_, i) => {
        const chosen = [...skus].sort(() => Math.random() - 0.5).slice(0, linesPerOrder);
        return { key: uniqueKey(`s5-${r}-${i}`), skus: chosen };
      });
      const t0 = performance.now();
      const results = await Promise.all(
        plans.map((p, i) =>
          client.request("POST", "/api/v2/inventory/reserve", {
            key: keys.checkout,
            headers: { "idempotency-key": p.key },
            body: reserveBody(
              p.skus.map((sku) => ({ sku, quantity: unitsPerLine, locationId: LOC })),
              "hard",
              `s5-${r}-${i}`,
            ),
          }),
        ),
      );
      wall += (performance.now() - t0) / 1000;
      for (const res of results) tally.record("order", res);
      rounds.push({ skus, plans, results });
    }
  });

  // Checks, per round.
  const problems = [];
  let ok201 = 0;
  let c409 = 0;
  for (const [r, { skus, plans, results }] of rounds.entries()) {
    const expected = Object.fromEntries(skus.map((s) => [s, 0]));
    const expectedCount = Object.fromEntries(skus.map((s) => [s, 0]));
    for (const [i, res] of results.entries()) {
      const plan = plans[i];
      if (res.status === 201) {
        ok201++;
        const body = res.json();
        const lines = body?.lines ?? [];
        const full =
          body?.status === "active" &&
          lines.length === linesPerOrder &&
          plan.skus.every((s) => lines.some((l) => l.sku === s && l.quantity === unitsPerLine && l.locationId === LOC && l.backordered === 0));
        if (!full) problems.push({ round: r, order: i, problem: "201 without every line held", body });
        if (body?.id !== reservationIdFor("checkout", plan.key)) problems.push({ round: r, order: i, problem: "unexpected reservation id", id: body?.id });
        for (const s of plan.skus) {
          expected[s] += unitsPerLine;
          expectedCount[s] += 1;
        }
      } else if (res.status === 409) {
        c409++;
        // A refused order must hold nothing: its reservation is not visible at all.
        const id = reservationIdFor("checkout", plan.key);
        const g = await client.request("GET", `/api/v2/reservations/${id}`, { key: keys.operator });
        if (g.status !== 404) problems.push({ round: r, order: i, problem: `refused order's reservation answers ${g.status}`, body: g.text.slice(0, 300) });
      } else {
        problems.push({ round: r, order: i, problem: `status ${res.status}`, body: res.text.slice(0, 300), error: res.error });
      }
    }
    for (const sku of skus) {
      const { inventory, audit } = await inspectSku(client, keys.operator, sku);
      const t = inventory.totals;
      if (t.reserved !== expected[sku])
        problems.push({ round: r, sku, problem: `reserved ${t.reserved} ≠ 2 × successful orders containing it (${expected[sku]})` });
      if (t.reserved > t.onHand || t.available < 0) problems.push({ round: r, sku, problem: "oversold", totals: t });
      if ((inventory.reservations?.activeHard?.count ?? -1) !== expectedCount[sku]) {
        problems.push({ round: r, sku, problem: `activeHard.count ${inventory.reservations?.activeHard?.count} ≠ ${expectedCount[sku]}` });
      }
      if (!audit.ok) problems.push({ round: r, sku, problem: "audit failed", audit });
    }
  }
  const t = tally.toJSON().order;
  const total = orders * rounds.length;
  const pass = problems.length === 0;
  // Worker → the order's coordinator → its 3 SKU objects in parallel = 2 sequential hops. A
  // refused order that some SKU had already taken a line for is undone before it answers: a
  // third hop (the release fan-out). Counted at 3 whenever 5 % or more of the orders were refused.
  const hops = objectHops({ label: "2 (coordinator → 3 SKUs in parallel); 3 when a refused order is undone", p95: c409 / Math.max(1, total) >= 0.05 ? 3 : 2 });
  return {
    row: row(`S5 multi-line: ${rounds.length}×${orders} concurrent 3-line orders, 5 scarce SKUs`, {
      ops: total,
      seconds: wall,
      latency: t.latencyMs,
      errors: total - ok201 - c409,
      cpu: { ...cpu, wallSeconds: wall },
      opsLabel: "orders",
      hops,
      check: pass ? `pass (${ok201}×201, ${c409}×409, no partial holds, no oversell)` : `FAIL (${problems.length} problems)`,
    }),
    raw: { tally: tally.toJSON(), cpu, wallSeconds: wall, ok201, c409, problems: problems.slice(0, 50) },
  };
}
