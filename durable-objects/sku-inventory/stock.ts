/**
 * Stock changes: `change()`, the one way any count moves (the stock row, its ledger row and
 * its `inventory.updated` event, inside a transaction), and on-hand adjustments.
 */
import { fail, type Failure } from "../../domain/failures";
import { applyDelta, availableOf, negativeFields, ZERO_QUANTITIES, type QuantityDelta } from "../../domain/quantities";
import type { AdjustStockInput, AdjustStockResult } from "../sku-inventory.types";
import { lineSums } from "./counts";
import { idempotentReplay, recordIdempotency, rememberSku } from "./meta";
import { countsOf, levelOf, type SkuDb } from "./rows";
import { Rollback, Tx } from "./tx";

/** What a ledger row records besides the quantities. */
export interface LedgerNote {
  op: string;
  reason?: string | null;
  actor: string;
  reference?: string | null;
  reservationId?: string | null;
  idempotencyKey?: string | null;
}

/**
 * Applies a delta to one location's buckets and writes its ledger row and event, in the
 * running transaction. Returns the ledger row's seq. A bucket that would go negative rolls
 * the transaction back.
 */
export function change(tx: Tx, locationId: string, delta: QuantityDelta, note: LedgerNote): number {
  const sql = tx.sql;
  const before = tx.quantities(locationId);
  const after = applyDelta(before, delta);
  const negative = negativeFields(after);
  if (negative.length > 0) {
    throw new Rollback(fail("invariant_violation", `${negative.join(", ")} at ${locationId} would go negative; change rolled back`));
  }
  sql.exec(
    `INSERT INTO stock (location_id, on_hand, reserved, soft_held, committed, in_transit, damaged, on_hold, updated_at)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
     ON CONFLICT (location_id) DO UPDATE SET
       on_hand = excluded.on_hand, reserved = excluded.reserved, soft_held = excluded.soft_held,
       committed = excluded.committed, in_transit = excluded.in_transit, damaged = excluded.damaged,
       on_hold = excluded.on_hold, updated_at = excluded.updated_at`,
    locationId,
    after.onHand,
    after.reserved,
    after.softHeld,
    after.committed,
    after.inTransit,
    after.damaged,
    after.onHold,
    tx.now,
  );
  const full = applyDelta(ZERO_QUANTITIES, delta);
  const row = sql
    .exec<{ seq: number }>(
      `INSERT INTO ledger (at, location_id, op, reason, actor, reference, reservation_id, idempotency_key,
         d_on_hand, d_reserved, d_soft_held, d_committed, d_in_transit, d_damaged, d_on_hold, before_json, after_json)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING seq`,
      tx.now,
      locationId,
      note.op,
      note.reason ?? null,
      note.actor,
      note.reference ?? null,
      note.reservationId ?? null,
      note.idempotencyKey ?? null,
      full.onHand,
      full.reserved,
      full.softHeld,
      full.committed,
      full.inTransit,
      full.damaged,
      full.onHold,
      JSON.stringify(before),
      JSON.stringify(after),
    )
    .one();
  tx.changed(locationId, after, full);
  if (full.onHand !== 0 && note.op !== "sync") {
    // A movement made here: the vendor's next feed will not know about it (domain/sync.ts).
    sql.exec("UPDATE sync_state SET local_offset = local_offset + ? WHERE location_id = ?", full.onHand, locationId);
  }
  tx.emit({
    type: "inventory.updated",
    locationId,
    occurredAt: new Date(tx.now).toISOString(),
    cause: {
      ledgerSeq: row.seq,
      op: note.op,
      reason: note.reason ?? null,
      reference: note.reference ?? null,
      reservationId: note.reservationId ?? null,
      actor: note.actor,
    },
    before: countsOf(before),
    after: countsOf(after),
    reservation: null,
  });
  return row.seq;
}

/** Adjusts on-hand by a delta or sets it, with compare-and-set and idempotency. */
export function adjustStock(db: SkuDb, input: AdjustStockInput, now: number): AdjustStockResult | Failure {
  const stored = idempotentReplay<AdjustStockResult>(db.sql, input.idempotencyKey, input.requestHash);
  if (stored !== null) return stored;

  return Tx.run(db, now, (tx) => {
    rememberSku(tx, input.sku);
    db.policy.remember(tx, input.policy);
    const before = tx.quantities(input.locationId);
    if (input.expectedOnHand !== undefined && before.onHand !== input.expectedOnHand) {
      throw new Rollback(
        fail("stale_expected_on_hand", `on-hand at ${input.locationId} is ${before.onHand}, not the expected ${input.expectedOnHand}`, {
          locationId: input.locationId,
          expectedOnHand: input.expectedOnHand,
          onHand: before.onHand,
        }),
      );
    }
    const delta = input.onHand !== undefined ? input.onHand - before.onHand : (input.delta ?? 0);
    const after = applyDelta(before, { onHand: delta });
    if (after.onHand < 0) {
      throw new Rollback(
        fail("would_go_negative", `on-hand at ${input.locationId} is ${before.onHand}; removing ${-delta} would make it negative`, {
          locationId: input.locationId,
          onHand: before.onHand,
          delta,
        }),
      );
    }
    const allowance = input.policy.allowBackorder ? lineSums(tx.sql, input.locationId).backordered : 0;
    if (delta < 0 && availableOf(after) + allowance < 0) {
      throw new Rollback(
        fail(
          "would_go_negative",
          `${before.onHand - availableOf(before)} units at ${input.locationId} are reserved, committed or unsellable; on-hand cannot drop to ${after.onHand}`,
          { locationId: input.locationId, onHand: before.onHand, available: availableOf(before), delta },
        ),
      );
    }
    const seq = change(
      tx,
      input.locationId,
      { onHand: delta },
      {
        op: input.onHand !== undefined ? "set" : "adjust",
        reason: input.reason,
        actor: input.actor,
        reference: input.reference ?? null,
        idempotencyKey: input.idempotencyKey,
      },
    );
    const result: AdjustStockResult = {
      ok: true,
      sku: input.sku,
      level: levelOf(input.locationId, after, now),
      ledgerSeq: seq,
      replayed: false,
    };
    recordIdempotency(tx, input.idempotencyKey, input.requestHash, result);
    return result;
  });
}
