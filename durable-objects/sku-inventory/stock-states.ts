/**
 * Stock states (issue 14): units at a location move between sellable, `damaged` and
 * `onHold` (quality hold, quarantine) and back, or are written off (disposal). Each move is
 * one transaction through `change()`: a ledger row with the reason and an `inventory.updated`
 * event whose cause names the move. Units back to sellable cover waiting backorders first.
 *
 * | from → to | delta |
 * | --- | --- |
 * | sellable → damaged / on_hold | `damaged` / `onHold` += q (needs q available) |
 * | damaged / on_hold → sellable | that bucket −= q |
 * | damaged ↔ on_hold | one −= q, the other += q |
 * | sellable → written_off | `onHand` −= q (needs q available) |
 * | damaged / on_hold → written_off | that bucket −= q, `onHand` −= q |
 */
import { fail, type Failure } from "../../domain/failures";
import { availableOf, type QuantityDelta } from "../../domain/quantities";
import type { MoveStockStateInput, MoveStockStateResult, StockState, StockTarget } from "../sku-inbound.types";
import { serveBackorders } from "./backorders";
import { quantities } from "./counts";
import { idempotentReplay, recordIdempotency, rememberSku } from "./meta";
import { levelOf, type SkuDb } from "./rows";
import { change } from "./stock";
import { Rollback, Tx } from "./tx";

const BUCKET = { damaged: "damaged", on_hold: "onHold" } as const;

/** The ledger op of a move (also the event's `cause.op`). */
export function stateMoveOp(from: StockState, to: StockTarget): string {
  if (to === "written_off") return "write_off";
  if (to === "sellable") return from === "damaged" ? "undamage" : "release_hold";
  return to === "damaged" ? "mark_damaged" : "place_on_hold";
}

/** The bucket deltas of moving `q` units from one state to another. */
export function stateMoveDelta(from: StockState, to: StockTarget, q: number): QuantityDelta {
  const delta: QuantityDelta = {};
  if (from !== "sellable") delta[BUCKET[from]] = -q;
  if (to === "written_off") delta.onHand = -q;
  else if (to !== "sellable") delta[BUCKET[to]] = (delta[BUCKET[to]] ?? 0) + q;
  return delta;
}

/** Moves units between states at one location, idempotently by key. */
export function moveStockState(db: SkuDb, input: MoveStockStateInput, now: number): MoveStockStateResult | Failure {
  const stored = idempotentReplay<MoveStockStateResult>(db.sql, input.idempotencyKey, input.requestHash);
  if (stored !== null) return stored;
  if ((input.from as StockTarget) === input.to) return fail("invalid_state", `units are already ${input.from}`);

  return Tx.run(db, now, (tx) => {
    rememberSku(tx, input.sku);
    db.policy.remember(tx, input.policy);
    const before = quantities(tx.sql, input.locationId);
    const has = input.from === "sellable" ? availableOf(before) : before[BUCKET[input.from]];
    if (has < input.quantity) {
      throw new Rollback(
        fail("insufficient_stock", `${Math.max(has, 0)} units at ${input.locationId} are ${input.from}; cannot move ${input.quantity}`, [
          { sku: input.sku, locationId: input.locationId, requested: input.quantity, available: Math.max(has, 0) },
        ]),
      );
    }
    const seq = change(tx, input.locationId, stateMoveDelta(input.from, input.to, input.quantity), {
      op: stateMoveOp(input.from, input.to),
      reason: input.reason,
      actor: input.actor,
      reference: input.reference ?? null,
      idempotencyKey: input.idempotencyKey,
    });
    const backordersCovered = serveBackorders(tx, input.locationId);
    const result: MoveStockStateResult = {
      ok: true,
      sku: input.sku,
      level: levelOf(input.locationId, quantities(tx.sql, input.locationId), now),
      ledgerSeq: seq,
      backordersCovered,
      replayed: false,
    };
    recordIdempotency(tx, input.idempotencyKey, input.requestHash, result);
    return result;
  });
}
