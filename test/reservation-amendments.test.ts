/**
 * Reservations that change (issue 13, item 5), through the objects' RPC methods (the HTTP
 * route comes later): a line grows (checked like a new reservation) or shrinks, part of a
 * reservation is released or shipped, a cart's expiry is refreshed on every line, a line
 * moves to another location; each idempotent, ledgered, and all or nothing across SKUs, also
 * when the coordinator dies in the middle. Exact counts after every step; invariants and the
 * ledger replay are checked through `verify()`. Time moves with the test clock.
 */
import { abortAllDurableObjects, runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, describe, expect, it } from "vitest";
import type { Amendment } from "../domain/reservation-amendments";
import type { ReservationCoordinator } from "../durable-objects/reservation-coordinator";
import type { AmendmentOutcome, CoordinatorReserveInput } from "../durable-objects/reservation-coordinator.types";
import type { SkuPolicy } from "../durable-objects/sku-inventory.types";
import { expectConsistent, skuObject } from "./support/fixtures";
import { allowLogged } from "./support/log-capture";
import { clockNow, resetClock, setClockOffset, waitUntil } from "./support/test-clock";

const DAY = 24 * 60 * 60 * 1000;
const MIN = 60_000;
const POLICY: SkuPolicy = { allowBackorder: false, softBufferPct: 10, reorderPoint: 0 };

afterEach(resetClock);

/** Sets on-hand through the SKU object itself. */
async function stock(sku: string, locationId: string, onHand: number): Promise<void> {
  const res = await skuObject(sku).adjustStock({
    sku,
    actor: "test",
    locationId,
    onHand,
    reason: "initial",
    idempotencyKey: `init:${sku}:${locationId}:${onHand}:${Math.random()}`,
    requestHash: "init",
    policy: POLICY,
  });
  if (!res.ok) throw new Error(`stock ${sku}: ${JSON.stringify(res)}`);
}

const level = async (sku: string, locationId = "L1") => {
  const l = (await skuObject(sku).snapshot()).locations.find((x) => x.locationId === locationId)!;
  return { onHand: l.onHand, reserved: l.reserved, softHeld: l.softHeld, committed: l.committed, available: l.available };
};
const ledgerRows = async (sku: string) => (await skuObject(sku).ledger()).length;

type Part = { sku: string; lines: { locationId: string; quantity: number }[] };

const coordinator = (name: string) => env.RESERVATION_COORDINATOR.getByName(name);

async function reserve(name: string, id: string, type: "soft" | "hard", parts: Part[], ttlSeconds = 3600) {
  const input: CoordinatorReserveInput = {
    id,
    requestHash: `hash-${id}`,
    principal: "checkout",
    actor: "checkout:test",
    type,
    reference: `ref-${id}`,
    ttlSeconds,
    parts: parts.map((p) => ({ ...p, policy: POLICY })),
  };
  const res = await coordinator(name).reserve(input);
  if (!res.ok) throw new Error(`reserve ${id}: ${JSON.stringify(res)}`);
  return res.reservation;
}

function amendOn(
  stub: Pick<DurableObjectStub<ReservationCoordinator>, "amend">,
  id: string,
  amendmentId: string,
  amendment: Amendment,
): Promise<AmendmentOutcome> {
  return stub.amend({ id, principal: "checkout", anyPrincipal: false, actor: "checkout:test", amendmentId, requestHash: JSON.stringify(amendment), amendment });
}
const amend = (name: string, id: string, amendmentId: string, amendment: Amendment) => amendOn(coordinator(name), id, amendmentId, amendment);

const qty = (sku: string, locationId: string, quantity: number) => ({ sku, locationId, quantity });

describe("a line's quantity", () => {
  it("a cart line grown from 2 to 5 with room for only 2 more is refused with the shortfall and nothing changes; to 4 it grows", async () => {
    await stock("AQ-1", "L1", 4);
    await reserve("c-grow", "rsv_grow", "soft", [{ sku: "AQ-1", lines: [{ locationId: "L1", quantity: 2 }] }]);
    const rows = await ledgerRows("AQ-1");

    const refused = await amend("c-grow", "rsv_grow", "grow-5", { kind: "change_quantity", lines: [qty("AQ-1", "L1", 5)] });
    expect(refused).toEqual({
      ok: false,
      code: "insufficient_stock",
      message: "not enough stock for AQ-1; nothing was changed",
      details: [{ sku: "AQ-1", locationId: "L1", requested: 3, available: 2 }],
    });
    expect(await level("AQ-1")).toEqual({ onHand: 4, reserved: 0, softHeld: 2, committed: 0, available: 4 });
    expect(await ledgerRows("AQ-1")).toBe(rows);
    expect((await skuObject("AQ-1").getReservation("rsv_grow")) as object).toMatchObject({ reservation: { lines: [{ locationId: "L1", quantity: 2 }] } });

    // Positive control: within the soft-hold limit (⌊4 × 1.10⌋ = 4) the same line grows.
    const grown = await amend("c-grow", "rsv_grow", "grow-4", { kind: "change_quantity", lines: [qty("AQ-1", "L1", 4)] });
    expect(grown).toMatchObject({
      ok: true,
      reservation: { status: "active", lines: [{ sku: "AQ-1", locationId: "L1", quantity: 4, backordered: 0 }] },
      amendment: { kind: "change_quantity", changes: [{ sku: "AQ-1", locationId: "L1", before: 2, after: 4, shipped: 0, backordered: 0 }] },
      replayed: false,
    });
    expect(await level("AQ-1")).toMatchObject({ softHeld: 4, available: 4 });
    const last = (await skuObject("AQ-1").ledger()).at(-1)!;
    expect(last).toMatchObject({ op: "hold", reason: "amend_increase", reservationId: "rsv_grow", delta: { softHeld: 2 } });
    await expectConsistent("AQ-1");
  });

  it("shrinking 5 → 3 releases 2: available +2, one ledger row", async () => {
    await stock("AQ-2", "L1", 10);
    await reserve("c-shrink", "rsv_shrink", "hard", [{ sku: "AQ-2", lines: [{ locationId: "L1", quantity: 5 }] }]);
    expect(await level("AQ-2")).toMatchObject({ reserved: 5, available: 5 });
    const rows = await ledgerRows("AQ-2");
    const res = await amend("c-shrink", "rsv_shrink", "shrink", { kind: "change_quantity", lines: [qty("AQ-2", "L1", 3)] });
    expect(res).toMatchObject({ ok: true, reservation: { lines: [{ sku: "AQ-2", quantity: 3 }] }, amendment: { changes: [{ before: 5, after: 3 }] } });
    expect(await level("AQ-2")).toEqual({ onHand: 10, reserved: 3, softHeld: 0, committed: 0, available: 7 });
    const ledger = await skuObject("AQ-2").ledger(0);
    expect(ledger.length).toBe(rows + 1);
    expect(ledger.at(-1)).toMatchObject({ op: "release", reason: "amend_decrease", reservationId: "rsv_shrink", delta: { reserved: -2, onHand: 0 } });
    await expectConsistent("AQ-2");
  });
});

describe("part of a reservation", () => {
  it("releases part of a line, and a whole line (which disappears)", async () => {
    await stock("AP-1", "L1", 10);
    await stock("AP-2", "L1", 10);
    await reserve("c-part", "rsv_part", "hard", [
      { sku: "AP-1", lines: [{ locationId: "L1", quantity: 4 }] },
      { sku: "AP-2", lines: [{ locationId: "L1", quantity: 3 }] },
    ]);
    const res = await amend("c-part", "rsv_part", "rel", { kind: "release_part", lines: [qty("AP-1", "L1", 1), qty("AP-2", "L1", 3)] });
    expect(res).toMatchObject({ ok: true, reservation: { status: "active", lines: [{ sku: "AP-1", locationId: "L1", quantity: 3, backordered: 0 }] } });
    expect(res.ok && res.reservation.lines).toHaveLength(1);
    expect(await level("AP-1")).toMatchObject({ reserved: 3, available: 7 });
    expect(await level("AP-2")).toMatchObject({ reserved: 0, available: 10 });
    expect((await skuObject("AP-1").ledger()).at(-1)).toMatchObject({ op: "release", reason: "partial_release", delta: { reserved: -1 } });
    // The SKU left with no line has ended; the reservation goes on without it (commit touches only AP-1).
    expect(await skuObject("AP-2").getReservation("rsv_part")).toMatchObject({ ok: true, reservation: { status: "released", lines: [] } });
    const committed = await coordinator("c-part").transition("commit", { id: "rsv_part", principal: "checkout", anyPrincipal: false, actor: "checkout:test" });
    expect(committed).toMatchObject({ ok: true, reservation: { status: "committed" } });
    expect(await level("AP-1")).toMatchObject({ reserved: 0, committed: 3 });
    for (const sku of ["AP-1", "AP-2"]) await expectConsistent(sku);
  });

  it("fulfils part (the rest stays reserved), then the rest", async () => {
    await stock("AF-1", "L1", 10);
    await reserve("c-ful", "rsv_ful", "hard", [{ sku: "AF-1", lines: [{ locationId: "L1", quantity: 5 }] }]);
    const part = await amend("c-ful", "rsv_ful", "ship-2", { kind: "fulfil_part", lines: [qty("AF-1", "L1", 2)] });
    expect(part).toMatchObject({
      ok: true,
      reservation: { status: "active", lines: [{ sku: "AF-1", quantity: 3 }] },
      amendment: { changes: [{ sku: "AF-1", locationId: "L1", before: 5, after: 3, shipped: 2 }] },
    });
    expect(await level("AF-1")).toEqual({ onHand: 8, reserved: 3, softHeld: 0, committed: 0, available: 5 });
    expect((await skuObject("AF-1").ledger()).at(-1)).toMatchObject({ op: "fulfil", reason: "partial_fulfil", delta: { onHand: -2, reserved: -2 } });
    const rest = await coordinator("c-ful").transition("fulfil", { id: "rsv_ful", principal: "checkout", anyPrincipal: false, actor: "checkout:test" });
    expect(rest).toMatchObject({ ok: true, reservation: { status: "fulfilled" } });
    expect(await level("AF-1")).toEqual({ onHand: 5, reserved: 0, softHeld: 0, committed: 0, available: 5 });
    await expectConsistent("AF-1");
  });

  it("fulfils part of a committed reservation, then the rest by parts: it ends fulfilled", async () => {
    await stock("AF-2", "L1", 10);
    await reserve("c-ful2", "rsv_ful2", "hard", [{ sku: "AF-2", lines: [{ locationId: "L1", quantity: 4 }] }]);
    await coordinator("c-ful2").transition("commit", { id: "rsv_ful2", principal: "checkout", anyPrincipal: false, actor: "checkout:test" });
    await amend("c-ful2", "rsv_ful2", "ship-1", { kind: "fulfil_part", lines: [qty("AF-2", "L1", 1)] });
    expect(await level("AF-2")).toEqual({ onHand: 9, reserved: 0, softHeld: 0, committed: 3, available: 6 });
    const last = await amend("c-ful2", "rsv_ful2", "ship-3", { kind: "fulfil_part", lines: [qty("AF-2", "L1", 3)] });
    expect(last).toMatchObject({ ok: true, reservation: { status: "fulfilled", lines: [] } });
    expect(await level("AF-2")).toEqual({ onHand: 6, reserved: 0, softHeld: 0, committed: 0, available: 6 });
    expect(await skuObject("AF-2").getReservation("rsv_ful2")).toMatchObject({ reservation: { status: "fulfilled" } });
    // More than is left is refused.
    expect(await amend("c-ful2", "rsv_ful2", "ship-more", { kind: "fulfil_part", lines: [qty("AF-2", "L1", 1)] })).toMatchObject({
      ok: false,
      code: "invalid_state",
    });
    await expectConsistent("AF-2");
  });
});

describe("a cart's expiry", () => {
  it("a refresh moves every line's expiry; nothing expires at the old time, everything at the new one", async () => {
    await setClockOffset(DAY);
    const skus = ["AE-1", "AE-2", "AE-3"];
    for (const sku of skus) await stock(sku, "L1", 10);
    const t0 = await clockNow();
    await reserve(
      "c-exp",
      "rsv_exp",
      "soft",
      skus.map((sku) => ({ sku, lines: [{ locationId: "L1", quantity: 2 }] })),
      30 * 60,
    );
    await setClockOffset(DAY + 20 * MIN);
    const res = await amend("c-exp", "rsv_exp", "refresh", { kind: "refresh_expiry", ttlSeconds: 30 * 60 });
    expect(res.ok).toBe(true);
    const expiresAt = res.ok ? res.reservation.expiresAt! : 0;
    expect(expiresAt).toBeGreaterThanOrEqual(t0 + 50 * MIN);
    expect(expiresAt).toBeLessThan(t0 + 51 * MIN);
    for (const sku of skus) expect(await skuObject(sku).getReservation("rsv_exp")).toMatchObject({ reservation: { status: "active", expiresAt } });

    // Past the old expiry (t0 + 30 min): every alarm runs, nothing expires.
    await setClockOffset(DAY + 40 * MIN);
    for (const sku of skus) await runDurableObjectAlarm(skuObject(sku));
    await runDurableObjectAlarm(coordinator("c-exp"));
    for (const sku of skus) expect(await level(sku)).toMatchObject({ softHeld: 2 });
    expect(await coordinator("c-exp").get({ id: "rsv_exp", principal: "checkout", anyPrincipal: false })).toMatchObject({ reservation: { status: "active" } });

    // Past the new one: the SKU objects' own alarms release every line, the coordinator's expires the reservation.
    await setClockOffset(expiresAt - t0 + DAY + MIN);
    for (const sku of skus) expect(await runDurableObjectAlarm(skuObject(sku))).toBe(true);
    for (const sku of skus) expect(await level(sku)).toMatchObject({ softHeld: 0 });
    expect(await runDurableObjectAlarm(coordinator("c-exp"))).toBe(true);
    expect(await coordinator("c-exp").get({ id: "rsv_exp", principal: "checkout", anyPrincipal: false })).toMatchObject({ reservation: { status: "expired" } });
    for (const sku of skus) {
      expect((await skuObject(sku).ledger()).filter((r) => r.op === "expire")).toHaveLength(1);
      await expectConsistent(sku);
    }
    // The events written at t0 are 40 minutes old to the moved clock when the alarm first checks them: re-sent as lost.
    allowLogged({ event: "outbox.resent" });
  });
});

describe("moving a line", () => {
  it("moves to another location (release at A, reserve at B), or refuses with nothing changed", async () => {
    await stock("AM-1", "L1", 5);
    await stock("AM-1", "L2", 4);
    await reserve("c-move", "rsv_move", "hard", [{ sku: "AM-1", lines: [{ locationId: "L1", quantity: 3 }] }]);
    const rows = await ledgerRows("AM-1");

    const tooMany = await amend("c-move", "rsv_move", "move-l2-big", { kind: "move_line", sku: "AM-1", fromLocationId: "L1", toLocationId: "L2", quantity: 3 });
    expect(tooMany.ok).toBe(true); // 3 fit in L2's 4
    expect(await level("AM-1", "L1")).toMatchObject({ reserved: 0, available: 5 });
    expect(await level("AM-1", "L2")).toMatchObject({ reserved: 3, available: 1 });
    expect(tooMany).toMatchObject({ reservation: { lines: [{ sku: "AM-1", locationId: "L2", quantity: 3 }] } });
    const ledger = (await skuObject("AM-1").ledger()).slice(rows);
    expect(ledger.map((r) => [r.locationId, r.op, r.reason, r.delta.reserved])).toEqual([
      ["L2", "reserve", "move", 3],
      ["L1", "release", "move", -3],
    ]);

    // Back to L1 would fit; to L2 again is the same location; 3 to L1 after L1 lost 3 is refused whole.
    await stock("AM-1", "L1", 2);
    const refused = await amend("c-move", "rsv_move", "move-back", { kind: "move_line", sku: "AM-1", fromLocationId: "L2", toLocationId: "L1" });
    expect(refused).toMatchObject({ ok: false, code: "insufficient_stock", details: [{ sku: "AM-1", locationId: "L1", requested: 3, available: 2 }] });
    expect(await level("AM-1", "L1")).toMatchObject({ reserved: 0, available: 2 });
    expect(await level("AM-1", "L2")).toMatchObject({ reserved: 3, available: 1 });
    // Part of the line moves: 2 of 3 to L1.
    const part = await amend("c-move", "rsv_move", "move-part", { kind: "move_line", sku: "AM-1", fromLocationId: "L2", toLocationId: "L1", quantity: 2 });
    expect(part).toMatchObject({
      ok: true,
      reservation: {
        lines: [
          { locationId: "L1", quantity: 2 },
          { locationId: "L2", quantity: 1 },
        ],
      },
    });
    expect(await level("AM-1", "L1")).toMatchObject({ reserved: 2, available: 0 });
    expect(await level("AM-1", "L2")).toMatchObject({ reserved: 1, available: 3 });
    await expectConsistent("AM-1");
  });
});

describe("under contention", () => {
  it("20 concurrent increases on a scarce SKU: exactly the ones that fit succeed, never oversold", async () => {
    await stock("AC-1", "L1", 30);
    const ids = Array.from({ length: 20 }, (_, i) => `rsv_cont_${i}`);
    for (const id of ids) await reserve(`c-${id}`, id, "hard", [{ sku: "AC-1", lines: [{ locationId: "L1", quantity: 1 }] }]);
    expect(await level("AC-1")).toMatchObject({ reserved: 20, available: 10 });
    const results = await Promise.all(ids.map((id) => amend(`c-${id}`, id, "grow", { kind: "change_quantity", lines: [qty("AC-1", "L1", 3)] })));
    expect(results.filter((r) => r.ok)).toHaveLength(5);
    expect(results.filter((r) => !r.ok && r.code === "insufficient_stock")).toHaveLength(15);
    expect(await level("AC-1")).toEqual({ onHand: 30, reserved: 30, softHeld: 0, committed: 0, available: 0 });
    await expectConsistent("AC-1");
  });
});

describe("idempotency", () => {
  it("a retry of each kind changes nothing twice and answers the same; another amendment under the same id is a conflict", async () => {
    await stock("AI-1", "L1", 20);
    await stock("AI-1", "L2", 20);
    await reserve("c-idem", "rsv_idem", "hard", [{ sku: "AI-1", lines: [{ locationId: "L1", quantity: 6 }] }]);
    const kinds: [string, Amendment][] = [
      ["k-grow", { kind: "change_quantity", lines: [qty("AI-1", "L1", 8)] }],
      ["k-release", { kind: "release_part", lines: [qty("AI-1", "L1", 1)] }],
      ["k-fulfil", { kind: "fulfil_part", lines: [qty("AI-1", "L1", 2)] }],
      ["k-refresh", { kind: "refresh_expiry", ttlSeconds: 7200 }],
      ["k-move", { kind: "move_line", sku: "AI-1", fromLocationId: "L1", toLocationId: "L2", quantity: 1 }],
    ];
    for (const [amendmentId, amendment] of kinds) {
      const first = await amend("c-idem", "rsv_idem", amendmentId, amendment);
      expect(first.ok).toBe(true);
      const snapshot = await skuObject("AI-1").snapshot();
      const rows = await ledgerRows("AI-1");
      const again = await amend("c-idem", "rsv_idem", amendmentId, amendment);
      expect(again).toEqual({ ...first, replayed: true });
      expect(await skuObject("AI-1").snapshot()).toEqual(snapshot);
      expect(await ledgerRows("AI-1")).toBe(rows);
      const other = await amend("c-idem", "rsv_idem", amendmentId, { kind: "release_part", lines: [qty("AI-1", "L1", 2)] });
      expect(other).toMatchObject({ ok: false, code: "idempotency_conflict" });
    }
    // 6 → 8 → 7 → 5 (2 shipped) → 4 at L1 + 1 at L2.
    expect(await level("AI-1", "L1")).toMatchObject({ onHand: 18, reserved: 4 });
    expect(await level("AI-1", "L2")).toMatchObject({ onHand: 20, reserved: 1 });
    // A refusal is the stored answer too.
    const refused = await amend("c-idem", "rsv_idem", "k-too-much", { kind: "release_part", lines: [qty("AI-1", "L1", 99)] });
    expect(await amend("c-idem", "rsv_idem", "k-too-much", { kind: "release_part", lines: [qty("AI-1", "L1", 99)] })).toEqual(refused);
    // The SKU object itself replays an amendment id (what the coordinator's recovery relies on).
    const direct = await skuObject("AI-1").amendReservation({
      sku: "AI-1",
      reservationId: "rsv_idem",
      attempt: 1,
      actor: "test",
      amendmentId: "k-release",
      amendment: { kind: "release_part", lines: [qty("AI-1", "L1", 1)] },
      phase: "apply",
      policy: POLICY,
    });
    expect(direct).toMatchObject({ ok: true, replayed: true, amendment: { id: "k-release", status: "applied" } });
    expect(await level("AI-1", "L1")).toMatchObject({ reserved: 4 });
    await expectConsistent("AI-1");
  });
});

describe("all or nothing across SKUs", () => {
  it("a two-SKU increase where one SKU refuses leaves both as they were; when both fit, both grow", async () => {
    await stock("AA-1", "L1", 20);
    await stock("AA-2", "L1", 3);
    await reserve("c-all", "rsv_all", "hard", [
      { sku: "AA-1", lines: [{ locationId: "L1", quantity: 2 }] },
      { sku: "AA-2", lines: [{ locationId: "L1", quantity: 2 }] },
    ]);
    const refused = await amend("c-all", "rsv_all", "grow-both", { kind: "change_quantity", lines: [qty("AA-1", "L1", 5), qty("AA-2", "L1", 5)] });
    expect(refused).toEqual({
      ok: false,
      code: "insufficient_stock",
      message: "not enough stock for every change; nothing was changed",
      details: [{ sku: "AA-2", locationId: "L1", requested: 3, available: 1 }],
    });
    expect(await level("AA-1")).toMatchObject({ reserved: 2, available: 18 });
    expect(await level("AA-2")).toMatchObject({ reserved: 2, available: 1 });
    // AA-1 took its 3 and gave them back (prepare, abort): two ledger rows that cancel out.
    expect((await skuObject("AA-1").ledger()).slice(-2).map((r) => [r.op, r.reason, r.delta.reserved])).toEqual([
      ["reserve", "amend_increase", 3],
      ["release", "amend_undo", -3],
    ]);
    expect(await coordinator("c-all").get({ id: "rsv_all", principal: "checkout", anyPrincipal: false })).toMatchObject({
      reservation: { lines: [{ quantity: 2 }, { quantity: 2 }] },
    });

    // Positive control: a change both SKUs can take (one grows, one shrinks) applies on both.
    const applied = await amend("c-all", "rsv_all", "grow-one", { kind: "change_quantity", lines: [qty("AA-1", "L1", 5), qty("AA-2", "L1", 1)] });
    expect(applied).toMatchObject({
      ok: true,
      reservation: {
        lines: [
          { sku: "AA-1", quantity: 5 },
          { sku: "AA-2", quantity: 1 },
        ],
      },
    });
    expect(await level("AA-1")).toMatchObject({ reserved: 5 });
    expect(await level("AA-2")).toMatchObject({ reserved: 1, available: 2 });
    for (const sku of ["AA-1", "AA-2"]) await expectConsistent(sku);
  });
});

describe("a crash during a multi-SKU amendment", () => {
  const crashing = (name: string) => env.CRASHING_COORDINATOR.getByName(name);

  async function reserveOn(name: string, id: string, skus: string[]) {
    const res = await crashing(name).reserve({
      id,
      requestHash: `hash-${id}`,
      principal: "checkout",
      actor: "checkout:test",
      type: "hard",
      reference: id,
      ttlSeconds: 3600,
      parts: skus.map((sku) => ({ sku, policy: POLICY, lines: [{ locationId: "L1", quantity: 2 }] })),
    });
    expect(res.ok).toBe(true);
  }

  /** Starts an amendment whose fan-out stalls after `calls` SKU calls in all, waits until `settled` holds, then kills every object. */
  async function crashDuring(name: string, id: string, calls: number, amendment: Amendment, settled: () => Promise<boolean>) {
    const c = crashing(name);
    await c.stallAfter(calls);
    const outcome = amendOn(c, id, "crashing", amendment).then(
      () => "answered",
      () => "died",
    );
    await waitUntil(settled, "the SKU calls before the stall to land");
    await c.stallAfter(null);
    await abortAllDurableObjects();
    expect(await outcome).toBe("died");
  }

  it("killed after one SKU prepared: the alarm finishes it on both (or a retry does), nothing leaked", async () => {
    await setClockOffset(DAY);
    const skus = ["AX-1", "AX-2"];
    for (const sku of skus) await stock(sku, "L1", 10);
    await reserveOn("crash-amend", "rsv_crash_amend", skus);
    // 2 calls reserved; the 3rd (AX-1's prepare) lands, AX-2's stalls.
    await crashDuring(
      "crash-amend",
      "rsv_crash_amend",
      3,
      { kind: "change_quantity", lines: [qty("AX-1", "L1", 5), qty("AX-2", "L1", 5)] },
      async () => (await level("AX-1")).reserved === 5,
    );
    expect((await Promise.all(skus.map((s) => level(s)))).map((l) => l.reserved)).toEqual([5, 2]);

    expect(await runDurableObjectAlarm(crashing("crash-amend"))).toBe(true);
    expect((await Promise.all(skus.map((s) => level(s)))).map((l) => l.reserved)).toEqual([5, 5]);
    const retried = await amendOn(crashing("crash-amend"), "rsv_crash_amend", "crashing", {
      kind: "change_quantity",
      lines: [qty("AX-1", "L1", 5), qty("AX-2", "L1", 5)],
    });
    expect(retried).toMatchObject({ ok: true, replayed: true, reservation: { lines: [{ quantity: 5 }, { quantity: 5 }] } });
    // A second alarm run changes nothing.
    await runDurableObjectAlarm(crashing("crash-amend"));
    expect((await Promise.all(skus.map((s) => level(s)))).map((l) => l.reserved)).toEqual([5, 5]);
    for (const sku of skus) await expectConsistent(sku);
    allowLogged({ event: "coordinator.alarm_task_deferred" });
  });

  it("killed after one SKU prepared, the other cannot take it: the alarm gives the first its units back", async () => {
    await setClockOffset(DAY);
    const skus = ["AY-1", "AY-2"];
    await stock("AY-1", "L1", 10);
    await stock("AY-2", "L1", 3);
    await reserveOn("crash-amend-2", "rsv_crash_amend_2", skus);
    await crashDuring(
      "crash-amend-2",
      "rsv_crash_amend_2",
      3,
      { kind: "change_quantity", lines: [qty("AY-1", "L1", 5), qty("AY-2", "L1", 5)] },
      async () => (await level("AY-1")).reserved === 5,
    );
    expect((await Promise.all(skus.map((s) => level(s)))).map((l) => l.reserved)).toEqual([5, 2]);
    expect(await runDurableObjectAlarm(crashing("crash-amend-2"))).toBe(true);
    expect(await level("AY-1")).toMatchObject({ reserved: 2, available: 8 });
    expect(await level("AY-2")).toMatchObject({ reserved: 2, available: 1 });
    expect(await crashing("crash-amend-2").get({ id: "rsv_crash_amend_2", principal: "checkout", anyPrincipal: false })).toMatchObject({
      ok: true,
      reservation: { status: "active", lines: [{ quantity: 2 }, { quantity: 2 }] },
    });
    for (const sku of skus) await expectConsistent(sku);
    allowLogged({ event: "coordinator.alarm_task_deferred" });
  });

  it("killed in the confirm, after one SKU gave back its units: the alarm confirms the other", async () => {
    await setClockOffset(DAY);
    const skus = ["AZ-1", "AZ-2"];
    for (const sku of skus) await stock(sku, "L1", 10);
    await reserveOn("crash-amend-3", "rsv_crash_amend_3", skus);
    // 2 reserve calls, 2 prepares (nothing to take for shrinks), then AZ-1's confirm lands and AZ-2's stalls.
    await crashDuring(
      "crash-amend-3",
      "rsv_crash_amend_3",
      5,
      { kind: "change_quantity", lines: [qty("AZ-1", "L1", 1), qty("AZ-2", "L1", 1)] },
      async () => (await level("AZ-1")).reserved === 1,
    );
    expect((await Promise.all(skus.map((s) => level(s)))).map((l) => l.reserved)).toEqual([1, 2]);
    expect(await runDurableObjectAlarm(crashing("crash-amend-3"))).toBe(true);
    expect((await Promise.all(skus.map((s) => level(s)))).map((l) => l.reserved)).toEqual([1, 1]);
    for (const sku of skus) await expectConsistent(sku);
    allowLogged({ event: "coordinator.alarm_task_deferred" });
  });
});
