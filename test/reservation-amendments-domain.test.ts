/**
 * The pure rules of reservation amendments (domain/reservation-amendments.ts): which kinds a
 * reservation may take in each state, how an amendment is checked against the lines, the
 * moves and count deltas it comes to, the take check, the phases, and the shipped units the
 * daily-sales read model takes from events.
 */
import { describe, expect, it } from "vitest";
import {
  AMENDMENT_KINDS,
  decideAmendment,
  lineAfter,
  moveDelta,
  movesOfPhase,
  phaseOf,
  planAmendment,
  shippedUnitsOf,
  skusOf,
  takeRoom,
  type AmendableReservation,
} from "../domain/reservation-amendments";

const hard = (lines: AmendableReservation["lines"], status: AmendableReservation["status"] = "active"): AmendableReservation => ({
  id: "r1",
  type: "hard",
  status,
  lines,
});
const soft = (lines: AmendableReservation["lines"]): AmendableReservation => ({ id: "r1", type: "soft", status: "active", lines });
const line = (sku: string, locationId: string, quantity: number, backordered = 0) => ({ sku, locationId, quantity, backordered });

describe("which amendments each state allows", () => {
  it("active takes every kind (a soft hold ships nothing); committed only releases or ships part; ended ones none", () => {
    const table: Record<string, string[]> = {};
    const states = [
      ["soft", "active"],
      ["hard", "active"],
      ["hard", "committed"],
      ["hard", "fulfilled"],
      ["soft", "released"],
      ["soft", "expired"],
      ["hard", "pending"],
    ] as const;
    for (const [type, status] of states) {
      table[`${type}/${status}`] = AMENDMENT_KINDS.map((k) => {
        const d = decideAmendment(k, { type, status });
        return d.kind === "allow" ? "allow" : d.refusal;
      });
    }
    // Order: change_quantity, release_part, fulfil_part, refresh_expiry, move_line.
    expect(table).toEqual({
      "soft/active": ["allow", "allow", "soft_hold", "allow", "allow"],
      "hard/active": ["allow", "allow", "allow", "allow", "allow"],
      "hard/committed": ["committed", "allow", "allow", "committed", "committed"],
      "hard/fulfilled": ["fulfilled", "fulfilled", "fulfilled", "fulfilled", "fulfilled"],
      "soft/released": ["released", "released", "released", "released", "released"],
      "soft/expired": ["expired", "expired", "expired", "expired", "expired"],
      "hard/pending": ["not_active", "not_active", "not_active", "not_active", "not_active"],
    });
  });

  it("refusals answer with the failure of the state", () => {
    expect(planAmendment(hard([line("A", "L1", 2)], "expired"), { kind: "refresh_expiry", ttlSeconds: 600 })).toMatchObject({
      ok: false,
      code: "reservation_expired",
    });
    expect(
      planAmendment(hard([line("A", "L1", 2)], "committed"), { kind: "change_quantity", lines: [{ sku: "A", locationId: "L1", quantity: 3 }] }),
    ).toMatchObject({
      ok: false,
      code: "invalid_state",
      details: { reason: "committed", kind: "change_quantity" },
    });
  });
});

describe("planning an amendment", () => {
  const r = hard([line("A", "L1", 5, 2), line("A", "L2", 1), line("B", "L1", 3)]);

  it("a quantity change is a take (increase) or a give (decrease) per line; an unchanged line is no move", () => {
    const plan = planAmendment(r, {
      kind: "change_quantity",
      lines: [
        { sku: "A", locationId: "L1", quantity: 3 },
        { sku: "B", locationId: "L1", quantity: 7 },
        { sku: "A", locationId: "L2", quantity: 1 },
      ],
    });
    expect(plan).toEqual({
      kind: "change_quantity",
      ttlSeconds: null,
      moves: [
        { kind: "give", sku: "A", locationId: "L1", quantity: 2, reason: "amend_decrease" },
        { kind: "take", sku: "B", locationId: "L1", quantity: 4, reason: "amend_increase" },
      ],
    });
  });

  it("a SKU object checks only its own lines", () => {
    const plan = planAmendment(
      r,
      {
        kind: "change_quantity",
        lines: [
          { sku: "A", locationId: "L1", quantity: 6 },
          { sku: "B", locationId: "L1", quantity: 7 },
        ],
      },
      new Set(["B"]),
    );
    expect(plan).toMatchObject({ moves: [{ kind: "take", sku: "B", quantity: 4 }] });
  });

  it("lines it does not hold, twice named, more than held, bad quantities are refused with a reason", () => {
    const reasonOf = (a: Parameters<typeof planAmendment>[1]) => {
      const plan = planAmendment(r, a);
      return "ok" in plan ? (plan.details as { reason: string }).reason : "planned";
    };
    expect(reasonOf({ kind: "release_part", lines: [{ sku: "A", locationId: "L9", quantity: 1 }] })).toBe("line_not_found");
    expect(
      reasonOf({
        kind: "release_part",
        lines: [
          { sku: "A", locationId: "L2", quantity: 1 },
          { sku: "A", locationId: "L2", quantity: 1 },
        ],
      }),
    ).toBe("duplicate_line");
    expect(reasonOf({ kind: "release_part", lines: [{ sku: "A", locationId: "L2", quantity: 2 }] })).toBe("more_than_held");
    expect(reasonOf({ kind: "release_part", lines: [{ sku: "A", locationId: "L2", quantity: 0 }] })).toBe("bad_quantity");
    expect(reasonOf({ kind: "change_quantity", lines: [{ sku: "A", locationId: "L2", quantity: 1.5 }] })).toBe("bad_quantity");
    expect(reasonOf({ kind: "release_part", lines: [] })).toBe("no_lines");
    expect(reasonOf({ kind: "move_line", sku: "A", fromLocationId: "L2", toLocationId: "L2" })).toBe("same_location");
    expect(reasonOf({ kind: "move_line", sku: "A", fromLocationId: "L2", toLocationId: "L3", quantity: 2 })).toBe("more_than_held");
    expect(reasonOf({ kind: "refresh_expiry", ttlSeconds: 59 })).toBe("ttl_out_of_range");
    expect(reasonOf({ kind: "refresh_expiry", ttlSeconds: 30 * 24 * 3600 })).toBe("planned");
    expect(reasonOf({ kind: "refresh_expiry", ttlSeconds: 30 * 24 * 3600 + 1 })).toBe("ttl_out_of_range");
  });

  it("a soft hold's TTL stays within the soft limits", () => {
    expect(planAmendment(soft([line("A", "L1", 1)]), { kind: "refresh_expiry", ttlSeconds: 24 * 3600 + 1 })).toMatchObject({
      code: "invalid_state",
      details: { reason: "ttl_out_of_range", min: 60, max: 86400 },
    });
    expect(planAmendment(soft([line("A", "L1", 1)]), { kind: "refresh_expiry", ttlSeconds: 1800 })).toEqual({
      kind: "refresh_expiry",
      moves: [],
      ttlSeconds: 1800,
    });
  });

  it("only units on hand ship: a backordered line's shortfall is named", () => {
    expect(planAmendment(r, { kind: "fulfil_part", lines: [{ sku: "A", locationId: "L1", quantity: 4 }] })).toEqual({
      ok: false,
      code: "insufficient_stock",
      message: "backordered units are not on hand yet; nothing was shipped",
      details: [{ sku: "A", locationId: "L1", requested: 4, available: 3 }],
    });
    expect(planAmendment(r, { kind: "fulfil_part", lines: [{ sku: "A", locationId: "L1", quantity: 3 }] })).toMatchObject({
      moves: [{ kind: "ship", sku: "A", locationId: "L1", quantity: 3, reason: "partial_fulfil" }],
    });
  });

  it("a move takes at the new location and gives at the old one; the whole line by default", () => {
    expect(planAmendment(r, { kind: "move_line", sku: "A", fromLocationId: "L1", toLocationId: "L3" })).toEqual({
      kind: "move_line",
      ttlSeconds: null,
      moves: [
        { kind: "take", sku: "A", locationId: "L3", quantity: 5, reason: "move" },
        { kind: "give", sku: "A", locationId: "L1", quantity: 5, reason: "move" },
      ],
    });
  });

  it("names the SKUs it touches (a refresh: every SKU of the reservation)", () => {
    expect(skusOf({ kind: "refresh_expiry", ttlSeconds: 600 }, r)).toEqual(["A", "B"]);
    expect(skusOf({ kind: "release_part", lines: [{ sku: "B", locationId: "L1", quantity: 1 }] }, r)).toEqual(["B"]);
  });
});

describe("moves, deltas and phases", () => {
  it("each move's count delta follows the bucket the line is held in", () => {
    const take = { kind: "take", sku: "A", locationId: "L1", quantity: 3, reason: "amend_increase" } as const;
    const give = { ...take, kind: "give", reason: "amend_decrease" } as const;
    const ship = { ...take, kind: "ship", reason: "partial_fulfil" } as const;
    expect(moveDelta(take, { type: "soft", status: "active" })).toEqual({ softHeld: 3 });
    expect(moveDelta(take, { type: "hard", status: "active" })).toEqual({ reserved: 3 });
    expect(moveDelta(give, { type: "hard", status: "committed" })).toEqual({ committed: -3 });
    expect(moveDelta(ship, { type: "hard", status: "active" })).toEqual({ reserved: -3, onHand: -3 });
    expect(moveDelta(ship, { type: "hard", status: "committed" })).toEqual({ committed: -3, onHand: -3 });
    // A give drops the line's backordered units first; a ship keeps them; a take adds what it accepted beyond stock.
    expect(lineAfter({ quantity: 5, backordered: 2 }, give)).toEqual({ quantity: 2, backordered: 0 });
    expect(lineAfter({ quantity: 5, backordered: 4 }, give)).toEqual({ quantity: 2, backordered: 1 });
    expect(lineAfter({ quantity: 5, backordered: 2 }, ship)).toEqual({ quantity: 2, backordered: 2 });
    expect(lineAfter({ quantity: 5, backordered: 0 }, take, 1)).toEqual({ quantity: 8, backordered: 1 });
  });

  it("a take is checked like a new line: room, else backorder (hard, allowed), else short", () => {
    expect(takeRoom(3, 3, "hard", false)).toEqual({ ok: true, backordered: 0 });
    expect(takeRoom(3, 2, "hard", false)).toEqual({ ok: false, available: 2 });
    expect(takeRoom(3, 2, "hard", true)).toEqual({ ok: true, backordered: 1 });
    expect(takeRoom(3, -4, "hard", true)).toEqual({ ok: true, backordered: 3 });
    expect(takeRoom(3, 2, "soft", true)).toEqual({ ok: false, available: 2 });
    expect(takeRoom(3, -1, "soft", false)).toEqual({ ok: false, available: 0 });
  });

  it("one SKU applies in one go; several prepare (takes) then confirm (gives and ships)", () => {
    expect(phaseOf(1)).toBe("apply");
    expect(phaseOf(2)).toBe("prepare");
    const moves = [
      { kind: "take", sku: "A", locationId: "L1", quantity: 1, reason: "move" },
      { kind: "give", sku: "A", locationId: "L2", quantity: 1, reason: "move" },
      { kind: "ship", sku: "B", locationId: "L1", quantity: 1, reason: "partial_fulfil" },
    ] as const;
    expect(movesOfPhase(moves, "prepare").map((m) => m.kind)).toEqual(["take"]);
    expect(movesOfPhase(moves, "confirm").map((m) => m.kind)).toEqual(["give", "ship"]);
  });
});

describe("shipped units for the daily-sales read model", () => {
  it("a fulfilled reservation's lines, a partial fulfilment's shipped units, nothing for other events", () => {
    const reservation = { id: "r1", type: "hard" as const, status: "fulfilled", lines: [{ locationId: "L1", quantity: 3 }] };
    expect(shippedUnitsOf({ type: "reservation.fulfilled", reservation, amendment: null })).toEqual([{ locationId: "L1", units: 3 }]);
    const amendment = {
      id: "a1",
      kind: "fulfil_part",
      expiresAt: null,
      changes: [
        { locationId: "L2", before: 5, after: 3, shipped: 2 },
        { locationId: "L1", before: 1, after: 1, shipped: 0 },
      ],
    };
    expect(shippedUnitsOf({ type: "reservation.updated", reservation: { ...reservation, status: "active" }, amendment })).toEqual([
      { locationId: "L2", units: 2 },
    ]);
    expect(shippedUnitsOf({ type: "reservation.released", reservation, amendment: null })).toEqual([]);
  });
});
