/**
 * Reservations that change (issue 13, item 5): the pure rules both objects use to amend a
 * live reservation — which amendment a reservation in a given state may take, how an
 * amendment is checked against the reservation's lines, and the per-line moves and count
 * deltas it comes to. Pure.
 *
 * Five kinds:
 * - `change_quantity`: a line's new quantity. An increase takes units like a new line of the
 *   reservation's type would (available / soft-hold buffer / backorder rules, `takeRoom`); a
 *   decrease gives the difference back.
 * - `release_part`: give back some units of some lines (a line released whole disappears).
 * - `fulfil_part`: ship some units of some lines (`onHand −= q`); the rest stays reserved or
 *   committed. Only units on hand ship: a line's backordered units wait.
 * - `refresh_expiry`: every line of the reservation expires `ttlSeconds` from now (within the
 *   type's TTL limits).
 * - `move_line`: a line (or part of it) moves to another location of the same SKU.
 *
 * A move is a `take` (needs room, may be refused), a `give` or a `ship` (never refused for
 * stock). A multi-SKU amendment takes first everywhere and gives only once every SKU took
 * (see `phaseOf`), so an undo never has to take back units someone else may have taken.
 */
import type { InventoryEvent } from "./events";
import { fail, type Failure, type ShortLine } from "./failures";
import { unitsByLocation } from "./inventory-levels";
import type { QuantityDelta } from "./quantities";
import { heldIn, type ReservationState } from "./reservation-lifecycle";
import { LIMITS, TTL_SECONDS, type ReservationType } from "./reservation-rules";

export const AMENDMENT_KINDS = ["change_quantity", "release_part", "fulfil_part", "refresh_expiry", "move_line"] as const;
export type AmendmentKind = (typeof AMENDMENT_KINDS)[number];

/** A line of a reservation named by SKU and location, with a quantity whose meaning the kind gives. */
export interface AmendLine {
  sku: string;
  locationId: string;
  quantity: number;
}

/** One amendment of a reservation, as the client asks for it. */
export type Amendment =
  /** `quantity`: the line's new quantity (≥ 1; release the line to remove it). */
  | { kind: "change_quantity"; lines: AmendLine[] }
  /** `quantity`: units of the line to give back. */
  | { kind: "release_part"; lines: AmendLine[] }
  /** `quantity`: units of the line to ship. */
  | { kind: "fulfil_part"; lines: AmendLine[] }
  | { kind: "refresh_expiry"; ttlSeconds: number }
  /** `quantity`: units to move (the whole line when absent). */
  | { kind: "move_line"; sku: string; fromLocationId: string; toLocationId: string; quantity?: number };

/** A line as held: the reservation's units at one location of one SKU. */
export interface AmendableLine {
  sku: string;
  locationId: string;
  quantity: number;
  /** Units accepted beyond stock and not yet covered (they cannot ship). */
  backordered: number;
}

/** The reservation an amendment is checked against (the lines of every SKU, or of one). */
export interface AmendableReservation extends ReservationState {
  id: string;
  lines: AmendableLine[];
}

/** Why the ledger row of a move was written (ledger `reason`). */
export type AmendReason = "amend_increase" | "amend_decrease" | "partial_release" | "partial_fulfil" | "move" | "amend_undo";

/** One change of one line: units added (`take`), given back (`give`) or shipped (`ship`). */
export interface LineMove {
  kind: "take" | "give" | "ship";
  sku: string;
  locationId: string;
  quantity: number;
  reason: AmendReason;
}

/** What an amendment comes to, once checked: the moves, and for a refresh the new TTL. */
export interface AmendmentPlan {
  kind: AmendmentKind;
  moves: LineMove[];
  /** `refresh_expiry` only: every line expires this many seconds from now. */
  ttlSeconds: number | null;
}

/** Why a reservation cannot take an amendment in its state. */
export type AmendmentRefusal = "expired" | "released" | "fulfilled" | "committed" | "soft_hold" | "not_active";

/**
 * Which amendments a reservation may take in its state: an active one any (but a soft hold
 * ships nothing: promote it first); a committed one (picked) only releases or ships part of
 * it — its units are picked at their location, so they neither grow, move nor get a new TTL.
 */
export function decideAmendment(kind: AmendmentKind, r: ReservationState): { kind: "allow" } | { kind: "refuse"; refusal: AmendmentRefusal } {
  const refuse = (refusal: AmendmentRefusal) => ({ kind: "refuse" as const, refusal });
  switch (r.status) {
    case "expired":
    case "released":
    case "fulfilled":
      return refuse(r.status);
    case "committed":
      return kind === "release_part" || kind === "fulfil_part" ? { kind: "allow" } : refuse("committed");
    case "active":
      return kind === "fulfil_part" && r.type === "soft" ? refuse("soft_hold") : { kind: "allow" };
    default:
      return refuse("not_active");
  }
}

/** The failure a refused amendment answers with. */
export function amendmentRefusalFailure(id: string, r: ReservationState, kind: AmendmentKind, refusal: AmendmentRefusal): Failure {
  switch (refusal) {
    case "expired":
      return fail("reservation_expired", `reservation ${id} has expired`);
    case "released":
      return fail("reservation_released", `reservation ${id} was released`);
    case "fulfilled":
      return fail("invalid_state", `reservation ${id} was fulfilled; it cannot change`, { reason: "fulfilled", kind });
    case "committed":
      return fail("invalid_state", `reservation ${id} is committed (picked): only part of it can be released or fulfilled`, { reason: "committed", kind });
    case "soft_hold":
      return fail("invalid_state", `reservation ${id} is a soft hold; promote it to hard before fulfilling part of it`, { reason: "soft_hold", kind });
    case "not_active":
      return fail("invalid_state", `reservation ${id} is ${r.status}`, { reason: "not_active", kind });
  }
}

/** An amendment that does not fit the reservation (a line it does not hold, more than it holds, a TTL out of range). */
function invalid(message: string, details: Record<string, unknown>): Failure {
  return fail("invalid_state", message, details);
}

const key = (sku: string, locationId: string) => `${sku}\u0000${locationId}`;

function validQuantity(q: unknown): q is number {
  return typeof q === "number" && Number.isInteger(q) && q >= LIMITS.quantityMin && q <= LIMITS.quantityMax;
}

/**
 * Checks an amendment against the reservation and says what it comes to: its moves (in the
 * order given, a line at most once), or the failure to answer. `skus`, when given, limits
 * the check to the lines of those SKUs (a SKU object checks its own part; lines of other
 * SKUs are not its business).
 */
export function planAmendment(r: AmendableReservation, a: Amendment, skus?: ReadonlySet<string>): AmendmentPlan | Failure {
  const decision = decideAmendment(a.kind, r);
  if (decision.kind === "refuse") return amendmentRefusalFailure(r.id, r, a.kind, decision.refusal);
  const held = new Map(r.lines.map((l) => [key(l.sku, l.locationId), l]));
  const mine = (sku: string) => skus === undefined || skus.has(sku);

  if (a.kind === "refresh_expiry") {
    const bounds = TTL_SECONDS[r.type];
    if (!Number.isInteger(a.ttlSeconds) || a.ttlSeconds < bounds.min || a.ttlSeconds > bounds.max) {
      return invalid(`a ${r.type} reservation's TTL must be ${bounds.min}–${bounds.max} seconds`, {
        reason: "ttl_out_of_range",
        min: bounds.min,
        max: bounds.max,
      });
    }
    return { kind: a.kind, moves: [], ttlSeconds: a.ttlSeconds };
  }

  if (a.kind === "move_line") {
    if (!mine(a.sku)) return { kind: a.kind, moves: [], ttlSeconds: null };
    const from = held.get(key(a.sku, a.fromLocationId));
    if (from === undefined)
      return invalid(`reservation ${r.id} holds no ${a.sku} at ${a.fromLocationId}`, { reason: "line_not_found", sku: a.sku, locationId: a.fromLocationId });
    if (a.toLocationId === a.fromLocationId)
      return invalid("a line moves to another location", { reason: "same_location", sku: a.sku, locationId: a.fromLocationId });
    const quantity = a.quantity ?? from.quantity;
    if (!validQuantity(quantity) || quantity > from.quantity) {
      return invalid(`reservation ${r.id} holds ${from.quantity} of ${a.sku} at ${a.fromLocationId}`, {
        reason: "more_than_held",
        sku: a.sku,
        locationId: a.fromLocationId,
        held: from.quantity,
        requested: quantity,
      });
    }
    // Moving a whole line to a location the reservation does not hold yet keeps the count of lines.
    const newLine = held.has(key(a.sku, a.toLocationId)) || quantity === from.quantity ? 0 : 1;
    if (r.lines.length + newLine > LIMITS.linesPerReservation) {
      return invalid(`a reservation holds at most ${LIMITS.linesPerReservation} lines`, { reason: "too_many_lines" });
    }
    return {
      kind: a.kind,
      moves: [
        { kind: "take", sku: a.sku, locationId: a.toLocationId, quantity, reason: "move" },
        { kind: "give", sku: a.sku, locationId: a.fromLocationId, quantity, reason: "move" },
      ],
      ttlSeconds: null,
    };
  }

  if (a.lines.length === 0) return invalid("an amendment names at least one line", { reason: "no_lines" });
  const seen = new Set<string>();
  const moves: LineMove[] = [];
  const short: ShortLine[] = [];
  for (const line of a.lines) {
    const k = key(line.sku, line.locationId);
    if (seen.has(k))
      return invalid(`${line.sku} at ${line.locationId} is named twice`, { reason: "duplicate_line", sku: line.sku, locationId: line.locationId });
    seen.add(k);
    const current = held.get(k);
    if (current === undefined) {
      return invalid(`reservation ${r.id} holds no ${line.sku} at ${line.locationId}`, {
        reason: "line_not_found",
        sku: line.sku,
        locationId: line.locationId,
      });
    }
    if (!validQuantity(line.quantity)) {
      return invalid(`quantities are whole numbers from ${LIMITS.quantityMin} to ${LIMITS.quantityMax}`, {
        reason: "bad_quantity",
        sku: line.sku,
        locationId: line.locationId,
      });
    }
    if (!mine(line.sku)) continue;
    const at = { sku: line.sku, locationId: line.locationId };
    switch (a.kind) {
      case "change_quantity":
        if (line.quantity > current.quantity) moves.push({ kind: "take", ...at, quantity: line.quantity - current.quantity, reason: "amend_increase" });
        else if (line.quantity < current.quantity) moves.push({ kind: "give", ...at, quantity: current.quantity - line.quantity, reason: "amend_decrease" });
        break;
      case "release_part":
        if (line.quantity > current.quantity) {
          return invalid(`reservation ${r.id} holds ${current.quantity} of ${line.sku} at ${line.locationId}`, {
            reason: "more_than_held",
            ...at,
            held: current.quantity,
            requested: line.quantity,
          });
        }
        moves.push({ kind: "give", ...at, quantity: line.quantity, reason: "partial_release" });
        break;
      case "fulfil_part": {
        if (line.quantity > current.quantity) {
          return invalid(`reservation ${r.id} holds ${current.quantity} of ${line.sku} at ${line.locationId}`, {
            reason: "more_than_held",
            ...at,
            held: current.quantity,
            requested: line.quantity,
          });
        }
        const onHand = current.quantity - current.backordered;
        if (line.quantity > onHand) short.push({ ...at, requested: line.quantity, available: onHand });
        else moves.push({ kind: "ship", ...at, quantity: line.quantity, reason: "partial_fulfil" });
        break;
      }
    }
  }
  if (short.length > 0) return fail("insufficient_stock", "backordered units are not on hand yet; nothing was shipped", short);
  return { kind: a.kind, moves, ttlSeconds: null };
}

/** The SKUs an amendment touches, in the order they are named (a refresh touches every SKU of the reservation). */
export function skusOf(a: Amendment, r: Pick<AmendableReservation, "lines">): string[] {
  const named = a.kind === "refresh_expiry" ? r.lines.map((l) => l.sku) : a.kind === "move_line" ? [a.sku] : a.lines.map((l) => l.sku);
  return [...new Set(named)];
}

/** The part of an amendment that concerns one SKU (what its object is sent). */
export function amendmentFor(a: Amendment, sku: string): Amendment {
  if (a.kind === "refresh_expiry" || a.kind === "move_line") return a;
  return { kind: a.kind, lines: a.lines.filter((l) => l.sku === sku) };
}

/**
 * The count change of a move on a line held as (type, status): a take adds to the line's
 * bucket, a give takes from it, a ship takes from it and from on-hand.
 */
export function moveDelta(move: LineMove, r: ReservationState & { status: "active" | "committed" }): QuantityDelta {
  const bucket = heldIn(r.type, r.status)!;
  if (move.kind === "take") return { [bucket]: move.quantity };
  if (move.kind === "give") return { [bucket]: -move.quantity };
  return { [bucket]: -move.quantity, onHand: -move.quantity };
}

/** The ledger `op` of a move (a take is a hold or a reservation, like a new line's). */
export function ledgerOpOf(move: LineMove, type: ReservationType): string {
  if (move.kind === "take") return type === "hard" ? "reserve" : "hold";
  return move.kind === "give" ? "release" : "fulfil";
}

/**
 * A line after a move. A give drops the line's backordered units first (the units it no
 * longer wants are the ones it was still waiting for); a ship takes only units on hand; a
 * take adds `backordered` units accepted beyond stock.
 */
export function lineAfter(line: { quantity: number; backordered: number }, move: LineMove, backordered = 0): { quantity: number; backordered: number } {
  if (move.kind === "take") return { quantity: line.quantity + move.quantity, backordered: line.backordered + backordered };
  if (move.kind === "give") return { quantity: line.quantity - move.quantity, backordered: line.backordered - Math.min(line.backordered, move.quantity) };
  return { quantity: line.quantity - move.quantity, backordered: line.backordered };
}

/**
 * Whether a take of `quantity` units fits the room a new line of the reservation's type
 * would have (`room`: available for hard, the soft-hold limit left for soft): fits, fits
 * with units accepted as backorder (hard, SKU allows it), or short.
 */
export function takeRoom(
  quantity: number,
  room: number,
  type: ReservationType,
  allowBackorder: boolean,
): { ok: true; backordered: number } | { ok: false; available: number } {
  if (room >= quantity) return { ok: true, backordered: 0 };
  if (type === "hard" && allowBackorder) return { ok: true, backordered: quantity - Math.max(room, 0) };
  return { ok: false, available: Math.max(room, 0) };
}

/**
 * When the moves run across SKUs. One SKU: all in one transaction (`apply`). Several: every
 * SKU first takes (`prepare`: a take may be refused, and undoing a take only gives units
 * back), and only once all took do they give and ship (`confirm`, never refused for stock).
 */
export function phaseOf(skuCount: number): "apply" | "prepare" {
  return skuCount <= 1 ? "apply" : "prepare";
}

/** The moves of one phase: takes when preparing, gives and ships when confirming. */
export function movesOfPhase(moves: readonly LineMove[], phase: "prepare" | "confirm"): LineMove[] {
  return moves.filter((m) => (phase === "prepare" ? m.kind === "take" : m.kind !== "take"));
}

/** How a reservation ends when an amendment leaves it no line: shipped if anything shipped, else released. */
export function endStatusOf(shippedAny: boolean): "fulfilled" | "released" {
  return shippedAny ? "fulfilled" : "released";
}

/**
 * Units shipped per location that an event reports: a fulfilled reservation's lines, or a
 * partial fulfilment's shipped units (`reservation.updated`). For the daily-sales read model.
 */
export function shippedUnitsOf(event: Pick<InventoryEvent, "type" | "reservation" | "amendment">): { locationId: string; units: number }[] {
  if (event.type === "reservation.fulfilled" && event.reservation !== null) return unitsByLocation(event.reservation.lines);
  if (event.type === "reservation.updated" && event.amendment != null) {
    return unitsByLocation(event.amendment.changes.map((c) => ({ locationId: c.locationId, quantity: c.shipped })));
  }
  return [];
}
