/**
 * `POST /api/v2/inventory/reserve` routed by an allocation plan (issue 13): lines without a
 * location are planned from the SKU objects' current availability, pinned lines first, and
 * the plan's lines (one per SKU and location, split where needed) are reserved all or
 * nothing through the coordinator; a refusal because stock moved re-plans (bounded); a
 * retry with the same Idempotency-Key gets the first answer. The two bugs the issue names,
 * each seen failing before: the line order, and a backorder at a location that never
 * stocked the SKU.
 */
import { listDurableObjectIds } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { DEMO_ROUTING_LOCATIONS } from "../domain/allocation-demo-locations";
import type { Failure } from "../domain/failures";
import type { CoordinatorReserveInput } from "../durable-objects/reservation-coordinator.types";
import type { Principal } from "../services/principal";
import type { ReserveBody } from "../domain/schemas/inventory";
import { MAX_REPLANS, reservePlanned } from "../services/allocation";
import { checkOrderLocations } from "../services/order-lines";
import { api, createSku, expectConsistent, seedBasics, setOnHand, skuObject, type Keys } from "./support/fixtures";

let keys: Keys;
let n = 0;
const PARIS = { latitude: 48.8566, longitude: 2.3522 };

beforeAll(async () => {
  keys = await seedBasics();
  for (const { id, ...body } of DEMO_ROUTING_LOCATIONS.filter((l) => l.id === "FC-PAR" || l.id === "FC-LYS")) {
    expect([200, 201]).toContain((await api("PUT", `/api/v2/locations/${id}`, { key: keys.operator, body })).status);
  }
});

const reserve = (body: Record<string, unknown>, idempotencyKey = `plan-${++n}`) =>
  api("POST", "/api/v2/inventory/reserve", { key: keys.checkout, idempotencyKey, body: { type: "hard", reference: `order-${n}`, ...body } });
const byLocation = (lines: { locationId: string }[]) => [...lines].sort((a, b) => (a.locationId < b.locationId ? -1 : 1));
const at = async (sku: string, locationId: string) => (await skuObject(sku).snapshot()).locations.find((l) => l.locationId === locationId);

describe("reserve with a plan", () => {
  it("splits a 120-unit line over 100 at Paris and 50 at Lyon: two reservation lines", async () => {
    await createSku("SPLIT-1");
    await setOnHand(keys, "SPLIT-1", "FC-PAR", 100);
    await setOnHand(keys, "SPLIT-1", "FC-LYS", 50);
    const res = await reserve({ items: [{ sku: "SPLIT-1", quantity: 120 }], allocation: { strategy: "nearest", shipTo: PARIS } });
    expect(res.status).toBe(201);
    expect(byLocation(res.body.lines)).toEqual([
      { sku: "SPLIT-1", locationId: "FC-LYS", quantity: 20, backordered: 0 },
      { sku: "SPLIT-1", locationId: "FC-PAR", quantity: 100, backordered: 0 },
    ]);
    expect(await at("SPLIT-1", "FC-PAR")).toMatchObject({ reserved: 100, available: 0 });
    expect(await at("SPLIT-1", "FC-LYS")).toMatchObject({ reserved: 20, available: 30 });
    await expectConsistent("SPLIT-1");
  });

  // Bug 1 (seen failing before: the unpinned line took Paris, the one with most, and the
  // pinned line was then 409 short by 2).
  // The default (fewest shipments, nearest the best-priority centre) fills Paris, which ships
  // the pinned line anyway, then Lyon; nearest to France's centroid takes Lyon first
  // (docs/allocation.md, "Line order").
  for (const [name, allocation, paris, lyon] of [
    ["without routing options (the default)", undefined, 4, 2],
    ["nearest to France", { strategy: "nearest", shipTo: { countryCode: "FR" } }, 3, 3],
  ] as const) {
    it(`line order does not matter, ${name}: {A×3}, {A×3 at FC-PAR} with Paris 4 and Lyon 3 → 201, split`, async () => {
      const answers = [];
      for (const [k, reversed] of [false, true].entries()) {
        const sku = `ORDER-${name.length}-${k}`;
        await createSku(sku);
        await setOnHand(keys, sku, "FC-PAR", 4);
        await setOnHand(keys, sku, "FC-LYS", 3);
        const lines = [
          { sku, quantity: 3 },
          { sku, quantity: 3, locationId: "FC-PAR" },
        ];
        const res = await reserve({ items: reversed ? lines.reverse() : lines, ...(allocation ? { allocation } : {}) });
        expect(res.status).toBe(201);
        answers.push(byLocation(res.body.lines).map((l: any) => ({ ...l, sku: "A" })));
        expect(await at(sku, "FC-PAR")).toMatchObject({ reserved: paris, available: 4 - paris });
        expect(await at(sku, "FC-LYS")).toMatchObject({ reserved: lyon, available: 3 - lyon });
        await expectConsistent(sku);
      }
      expect(answers[0]).toEqual([
        { sku: "A", locationId: "FC-LYS", quantity: lyon, backordered: 0 },
        { sku: "A", locationId: "FC-PAR", quantity: paris, backordered: 0 },
      ]);
      expect(answers[1]).toEqual(answers[0]);
    });
  }

  // Bug 2 (seen failing before: with no room anywhere, the first candidate by priority took
  // the backorder, a location that had never stocked the SKU).
  it("a backorder of a line without a location goes where the SKU is stocked, never where it never was", async () => {
    await createSku("BACK-1", { allowBackorder: true });
    await setOnHand(keys, "BACK-1", "L2", 1);
    await setOnHand(keys, "BACK-1", "L2", 0);
    const res = await reserve({ items: [{ sku: "BACK-1", quantity: 5 }] });
    expect(res.status).toBe(201);
    expect(res.body.lines).toEqual([{ sku: "BACK-1", locationId: "L2", quantity: 5, backordered: 5 }]);
    const snap = await skuObject("BACK-1").snapshot();
    expect(snap.locations.map((l) => l.locationId)).toEqual(["L2"]);
    expect(snap.totals).toMatchObject({ reserved: 5, available: -5 });
    await expectConsistent("BACK-1");
  });

  it("a backorder SKU that no location ever stocked: 409 with the reason, nothing held", async () => {
    await createSku("BACK-2", { allowBackorder: true });
    const res = await reserve({ items: [{ sku: "BACK-2", quantity: 2 }] });
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({
      code: "insufficient_stock",
      details: [{ item: 0, sku: "BACK-2", locationId: null, requested: 2, available: 0, short: 2, reason: "no_backorder_location" }],
    });
    expect((await skuObject("BACK-2").snapshot()).locations).toEqual([]);
  });

  it("short without backorders: 409 with the per-line shortfall; a retry after stock arrived replays it", async () => {
    await createSku("SHORT-1");
    await setOnHand(keys, "SHORT-1", "FC-PAR", 2);
    await createSku("SHORT-2");
    await setOnHand(keys, "SHORT-2", "FC-LYS", 9);
    const body = {
      items: [
        { sku: "SHORT-2", quantity: 4 },
        { sku: "SHORT-1", quantity: 5 },
      ],
    };
    const first = await reserve(body, "short-key");
    expect(first.status).toBe(409);
    expect(first.body.error).toMatchObject({
      code: "insufficient_stock",
      details: [{ item: 1, sku: "SHORT-1", locationId: null, requested: 5, available: 2, short: 3, reason: "insufficient_stock" }],
    });
    expect(await at("SHORT-2", "FC-LYS")).toMatchObject({ reserved: 0, available: 9 });
    await setOnHand(keys, "SHORT-1", "FC-LYS", 10);
    const again = await reserve(body, "short-key");
    expect(again.status).toBe(409);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body.error.details).toEqual(first.body.error.details);
    expect(await at("SHORT-1", "FC-LYS")).toMatchObject({ reserved: 0 });
  });

  it("a retry with the same key returns the first plan's answer, whatever stock did since", async () => {
    await createSku("IDEM-P");
    await setOnHand(keys, "IDEM-P", "FC-PAR", 5);
    await setOnHand(keys, "IDEM-P", "FC-LYS", 5);
    const body = { items: [{ sku: "IDEM-P", quantity: 7 }], allocation: { strategy: "nearest", shipTo: PARIS } };
    const first = await reserve(body, "idem-plan");
    expect(first.status).toBe(201);
    expect(byLocation(first.body.lines)).toEqual([
      { sku: "IDEM-P", locationId: "FC-LYS", quantity: 2, backordered: 0 },
      { sku: "IDEM-P", locationId: "FC-PAR", quantity: 5, backordered: 0 },
    ]);
    await setOnHand(keys, "IDEM-P", "FC-LYS", 50);
    const again = await reserve(body, "idem-plan");
    expect(again.status).toBe(201);
    expect(again.headers.get("idempotent-replayed")).toBe("true");
    expect(again.body).toEqual(first.body);
    expect((await skuObject("IDEM-P").snapshot()).totals).toMatchObject({ reserved: 7 });
    const changed = await reserve({ ...body, allocation: { strategy: "fastest", shipTo: PARIS } }, "idem-plan");
    expect(changed.status).toBe(422);
    await expectConsistent("IDEM-P");
  });

  it("soft holds are planned against the hold headroom (available + buffer − held), never backordered", async () => {
    await createSku("SOFT-P", { softBufferPct: 10, allowBackorder: true });
    await setOnHand(keys, "SOFT-P", "FC-PAR", 10);
    await setOnHand(keys, "SOFT-P", "FC-LYS", 10);
    const res = await reserve({ type: "soft", items: [{ sku: "SOFT-P", quantity: 14 }], allocation: { strategy: "nearest", shipTo: PARIS } });
    expect(res.status).toBe(201);
    expect(byLocation(res.body.lines)).toEqual([
      { sku: "SOFT-P", locationId: "FC-LYS", quantity: 3, backordered: 0 },
      { sku: "SOFT-P", locationId: "FC-PAR", quantity: 11, backordered: 0 },
    ]);
    const over = await reserve({ type: "soft", items: [{ sku: "SOFT-P", quantity: 9 }], allocation: { strategy: "nearest", shipTo: PARIS } });
    expect(over.status).toBe(409);
    expect(over.body.error.details).toEqual([{ item: 0, sku: "SOFT-P", locationId: null, requested: 9, available: 8, short: 1, reason: "insufficient_stock" }]);
    await expectConsistent("SOFT-P");
  });
});

describe("races: plans made on the same availability", () => {
  it("40 concurrent orders of 6 against Paris 20 + Lyon 20: exactly 6 succeed, the counts end exact", async () => {
    await createSku("RACE-1");
    await setOnHand(keys, "RACE-1", "FC-PAR", 20);
    await setOnHand(keys, "RACE-1", "FC-LYS", 20);
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        reserve({ items: [{ sku: "RACE-1", quantity: 6 }], allocation: { strategy: "nearest", shipTo: PARIS } }, `race-${i}`),
      ),
    );
    const byStatus = new Map<number, number>();
    for (const r of results) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
    expect(Object.fromEntries(byStatus)).toEqual({ 201: 6, 409: 34 });
    const won = results.filter((r) => r.status === 201);
    for (const r of won) expect(r.body.lines.reduce((s: number, l: any) => s + l.quantity, 0)).toBe(6);
    for (const r of results.filter((r) => r.status === 409)) expect(r.body.error.code).toBe("insufficient_stock");
    const snap = await skuObject("RACE-1").snapshot();
    expect(snap.totals).toMatchObject({ onHand: 40, reserved: 36, available: 4 });
    expect(snap.reservations.activeHard).toEqual({ count: 6, units: 36 });
    await expectConsistent("RACE-1");
    // Each retry of a losing order replays its 409; of a winner, its reservation.
    for (const i of [0, 39]) {
      const again = await reserve({ items: [{ sku: "RACE-1", quantity: 6 }], allocation: { strategy: "nearest", shipTo: PARIS } }, `race-${i}`);
      expect(again.status).toBe(results[i]!.status);
      expect(again.headers.get("idempotent-replayed")).toBe("true");
    }
  });
});

describe("reserve: bad routing input is a 400 with paths, before any object is reached", () => {
  it.each([
    ["no shipTo", { strategy: "nearest" }, ["body", "allocation", "shipTo"]],
    ["unknown pickup location", { strategy: "nearest", pickupLocationId: "NOPE" }, ["body", "allocation", "pickupLocationId"]],
    ["unknown strategy", { strategy: "cheapest", shipTo: PARIS }, ["body", "allocation", "strategy"]],
    ["maxShipments 0", { strategy: "nearest", shipTo: PARIS, maxShipments: 0 }, ["body", "allocation", "maxShipments"]],
  ])("%s", async (_name, allocation, path) => {
    await createSku(`UNTOUCHED-${++n}`);
    const ids = async () => [(await listDurableObjectIds(env.SKU_INVENTORY)).length, (await listDurableObjectIds(env.RESERVATION_COORDINATOR)).length];
    const before = await ids();
    const res = await reserve({ items: [{ sku: `UNTOUCHED-${n}`, quantity: 1 }], allocation });
    expect(res.status).toBe(400);
    expect(res.body.error.details.map((d: any) => d.path)).toContainEqual(path);
    expect(await ids()).toEqual(before);
  });
});

describe("re-planning after a refusal (the loop, with a scripted coordinator and stale snapshots)", () => {
  const principal: Principal = { keyId: "k", scope: "checkout", vendorId: null, channel: null };
  const refuse = (available: number, replayed = false, locationId = "FC-PAR"): Failure & { replayed?: boolean } => ({
    ok: false,
    code: "insufficient_stock",
    message: "short",
    details: [{ sku: "LOOP-1", locationId, requested: 8, available }],
    ...(replayed ? { replayed: true } : {}),
  });
  const granted = { ok: true, replayed: false, reservation: { id: "rsv_x", lines: [] } };

  /** An env whose SKU object always reports Paris 10 / Lyon 10 and whose coordinator answers from a script. */
  function scripted(answers: unknown[]) {
    const calls: CoordinatorReserveInput[] = [];
    const fake = {
      ...env,
      SKU_INVENTORY: {
        getByName: () => ({
          routingView: async () => ({
            ok: true,
            master: { allowBackorder: false, softBufferPct: 10, leadTimeDays: 7 },
            snapshot: {
              locations: [
                { locationId: "FC-PAR", available: 10, softHeld: 0 },
                { locationId: "FC-LYS", available: 10, softHeld: 0 },
              ],
            },
          }),
        }),
      },
      RESERVATION_COORDINATOR: {
        getByName: () => ({
          reserve: async (input: CoordinatorReserveInput) => {
            calls.push(input);
            return answers[calls.length - 1] ?? refuse(0);
          },
        }),
      },
    } as unknown as Env;
    return { fake, calls };
  }
  const body = (): ReserveBody => ({
    type: "hard",
    reference: "loop",
    items: [{ sku: "LOOP-1", quantity: 8 }],
    allocation: { strategy: "nearest", shipTo: PARIS },
  });
  const linesOf = (input: CoordinatorReserveInput) => input.parts.flatMap((p) => p.lines.map((l) => `${l.locationId}:${l.quantity}`));
  const run = async (answers: unknown[]) => {
    const { fake, calls } = scripted(answers);
    const outcome = await reservePlanned(fake, principal, body(), `loop-${++n}`, await checkOrderLocations(fake, body().items));
    return { outcome, calls };
  };

  beforeAll(async () => {
    await createSku("LOOP-1");
  });

  it("a refusal's availability goes into the next plan, as a new attempt of the same reservation", async () => {
    const { outcome, calls } = await run([refuse(3), granted]);
    expect(outcome.ok).toBe(true);
    expect(calls.map(linesOf)).toEqual([["FC-PAR:8"], ["FC-LYS:5", "FC-PAR:3"]]);
    expect(calls.map((c) => c.replannable)).toEqual([true, true]);
    expect(new Set(calls.map((c) => c.id)).size).toBe(1);
    expect(new Set(calls.map((c) => c.requestHash)).size).toBe(1);
  });

  it(`at most ${MAX_REPLANS} re-plans: the last attempt's refusal is final (stored by the coordinator)`, async () => {
    const { outcome, calls } = await run([refuse(7), refuse(6), refuse(5), refuse(4), granted]);
    expect(outcome).toMatchObject({ ok: false, code: "insufficient_stock" });
    expect(calls.length).toBe(1 + MAX_REPLANS);
    expect(calls.map((c) => c.replannable)).toEqual([true, true, true, false]);
    expect(calls.every((c) => c.refusal === undefined)).toBe(true);
  });

  it("a refusal that changes nothing is not retried: it is stored as the answer without another fan-out", async () => {
    const { outcome, calls } = await run([refuse(10)]);
    expect(outcome).toMatchObject({ ok: false, code: "insufficient_stock" });
    expect(calls.length).toBe(2);
    expect(calls[1]).toMatchObject({ parts: [], refusal: { code: "insufficient_stock", details: [{ locationId: "FC-PAR", available: 10 }] } });
  });

  it("a plan that cannot serve the order stores its shortfall; a replayed refusal is returned as it is", async () => {
    // Paris 0 after the first refusal: 8 from Lyon; Lyon 2 after the second: 6 short.
    const short = await run([refuse(0), refuse(2, false, "FC-LYS")]);
    expect(short.calls.map(linesOf)).toEqual([["FC-PAR:8"], ["FC-LYS:8"], []]);
    expect(short.calls[2]!.refusal).toEqual({
      ok: false,
      code: "insufficient_stock",
      message: "not enough stock for every line; nothing was held",
      details: [{ item: 0, sku: "LOOP-1", locationId: null, requested: 8, available: 2, short: 6, reason: "insufficient_stock" }],
    });
    const replay = await run([refuse(3, true)]);
    expect(replay.calls.length).toBe(1);
    expect(replay.outcome).toMatchObject({ replayed: true });
  });
});

describe("the coordinator's re-plannable attempts and stored refusals", () => {
  const policy = { allowBackorder: false, softBufferPct: 10, reorderPoint: 0 };
  const coordinator = () => env.RESERVATION_COORDINATOR.getByName("shard-test-replan");
  const input = (id: string, lines: { locationId: string; quantity: number }[], extra: Partial<CoordinatorReserveInput> = {}): CoordinatorReserveInput => ({
    id,
    requestHash: `hash-${id}`,
    principal: "checkout",
    actor: "test",
    type: "hard",
    reference: id,
    ttlSeconds: 600,
    parts: [{ sku: "COORD-1", policy, lines }],
    ...extra,
  });

  beforeAll(async () => {
    await createSku("COORD-1");
    await setOnHand(keys, "COORD-1", "L1", 5);
    await setOnHand(keys, "COORD-1", "L2", 5);
  });

  it("a re-plannable refusal is not the answer: the next attempt takes new parts under the same id", async () => {
    const first = await coordinator().reserve(input("rsv_replan_1", [{ locationId: "L1", quantity: 8 }], { replannable: true }));
    expect(first).toMatchObject({ ok: false, code: "insufficient_stock" });
    expect(first).not.toHaveProperty("replayed");
    const second = await coordinator().reserve(
      input(
        "rsv_replan_1",
        [
          { locationId: "L1", quantity: 5 },
          { locationId: "L2", quantity: 3 },
        ],
        { replannable: true },
      ),
    );
    expect(second.ok).toBe(true);
    if (second.ok)
      expect(byLocation(second.reservation.lines)).toEqual([
        { sku: "COORD-1", locationId: "L1", quantity: 5, backordered: 0 },
        { sku: "COORD-1", locationId: "L2", quantity: 3, backordered: 0 },
      ]);
    const retry = await coordinator().reserve(input("rsv_replan_1", [{ locationId: "L1", quantity: 1 }]));
    expect(retry).toMatchObject({ ok: true, replayed: true });
    expect((await skuObject("COORD-1").snapshot()).totals).toMatchObject({ reserved: 8, available: 2 });
    await expectConsistent("COORD-1");
  });

  it("without re-planning, a refusal is stored and replayed; a caller's refusal is stored without calling any SKU", async () => {
    const refused = await coordinator().reserve(input("rsv_replan_2", [{ locationId: "L1", quantity: 1 }]));
    expect(refused).toMatchObject({ ok: false, code: "insufficient_stock" });
    expect(await coordinator().reserve(input("rsv_replan_2", [{ locationId: "L2", quantity: 1 }]))).toMatchObject({
      code: "insufficient_stock",
      replayed: true,
    });

    const before = await skuObject("COORD-1").ledger(0, 1000);
    const mine: Failure = { ok: false, code: "insufficient_stock", message: "planned short", details: [{ item: 0, short: 3 }] };
    expect(await coordinator().reserve(input("rsv_replan_3", [], { refusal: mine }))).toEqual(mine);
    expect(await coordinator().reserve(input("rsv_replan_3", [{ locationId: "L2", quantity: 1 }]))).toMatchObject({ ...mine, replayed: true });
    expect(await skuObject("COORD-1").ledger(0, 1000)).toEqual(before);
    await expectConsistent("COORD-1");
  });
});
