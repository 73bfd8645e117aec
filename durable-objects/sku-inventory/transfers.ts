/**
 * Transfer lines of this SKU between two of its locations (issue 14). Each step is one
 * transaction through `change()`, exact and safe to repeat:
 *
 * - create (idempotent by transfer id): `from.onHand −= q` (picked and sent; needs q
 *   available there), `to.inTransit += q`. A repeat answers the line as it stands; the same
 *   id with other figures is refused.
 * - receive (idempotent by transfer id × receipt id): good units `to.inTransit −= q,
 *   to.onHand += q`; damaged ones also `to.damaged += q`; short ones only `to.inTransit −= q`.
 *   Units that arrive cover waiting backorders at the destination first.
 * - cancel (idempotent): what is still outstanding goes back, `to.inTransit −= r`,
 *   `from.onHand += r`. A cancel of a line this SKU never saw leaves a tombstone, so a late
 *   create (a crashed fan-out being compensated) moves nothing.
 *
 * A purchase order's line is the same row with no origin (`from_location` ''): create only
 * puts the units in transit at the destination, a cancel (or a close short) only takes
 * them out of transit; its ledger ops are `po_in_transit`, `po_receive`, `po_short` and
 * `po_cancel`.
 *
 * Open lines with an expected date are the arrivals pre-orders are placed against
 * (preorders.ts); a receipt may name the lot and expiry of its good units (lots.ts).
 */
import { fail, type Failure } from "../../domain/failures";
import { availableOf } from "../../domain/quantities";
import type {
  CancelTransferInput,
  CoveredBackorder,
  CreateTransferInput,
  ReceiveTransferInput,
  TransferLine,
  TransferLineStatus,
  TransferResult,
} from "../sku-inbound.types";
import { serveBackorders } from "./backorders";
import { quantities } from "./counts";
import { arrivalShipped } from "./expected-arrivals";
import { receiveIntoLot } from "./lots";
import { servePreorders } from "./preorders";
import { rememberSku } from "./meta";
import type { SkuDb } from "./rows";
import { change } from "./stock";
import { Rollback, Tx } from "./tx";

type TransferRow = {
  id: string;
  from_location: string;
  to_location: string;
  quantity: number;
  received: number;
  damaged: number;
  short: number;
  returned: number;
  status: TransferLineStatus;
  expected_at: number | null;
  reference: string | null;
};

function row(sql: SqlStorage, id: string): TransferRow | undefined {
  return sql.exec<TransferRow>("SELECT * FROM transfers WHERE id = ?", id).toArray()[0];
}

function outstanding(r: TransferRow): number {
  return r.status === "cancelled" ? 0 : r.quantity - r.received - r.damaged - r.short;
}

/** The ledger op of a step: `transfer_*` between locations, `po_*` for a purchase order's line. */
function opOf(r: Pick<TransferRow, "from_location">, step: "receive" | "short" | "cancel"): string {
  return `${r.from_location === "" ? "po" : "transfer"}_${step}`;
}

function lineOf(r: TransferRow): TransferLine {
  return {
    transferId: r.id,
    fromLocationId: r.from_location === "" ? null : r.from_location,
    toLocationId: r.to_location,
    quantity: r.quantity,
    received: r.received,
    damaged: r.damaged,
    short: r.short,
    outstanding: outstanding(r),
    returned: r.returned,
    status: r.status,
    expectedAt: r.expected_at,
    reference: r.reference,
  };
}

function answer(sql: SqlStorage, id: string, covered: CoveredBackorder[], replayed: boolean): TransferResult {
  return { ok: true, line: lineOf(row(sql, id)!), backordersCovered: covered, replayed };
}

/** Creates a transfer line: units leave the origin's sellable stock and are in transit to the destination. */
export function createTransfer(db: SkuDb, input: CreateTransferInput, now: number): TransferResult | Failure {
  return Tx.run(db, now, (tx) => {
    const sql = tx.sql;
    const existing = row(sql, input.transferId);
    if (existing !== undefined) {
      if (existing.status === "cancelled" && existing.quantity === 0) {
        return fail("invalid_state", `transfer ${input.transferId} was cancelled before it reached ${input.sku}`);
      }
      if (existing.from_location !== (input.fromLocationId ?? "") || existing.to_location !== input.toLocationId || existing.quantity !== input.quantity) {
        return fail("idempotency_conflict", `transfer ${input.transferId} exists with other figures`);
      }
      return answer(sql, input.transferId, [], true);
    }
    rememberSku(tx, input.sku);
    db.policy.remember(tx, input.policy);
    const available = input.fromLocationId === null ? Infinity : availableOf(quantities(sql, input.fromLocationId));
    if (input.fromLocationId !== null && available < input.quantity) {
      throw new Rollback(
        fail("insufficient_stock", `${Math.max(available, 0)} units of ${input.sku} are available at ${input.fromLocationId}`, [
          { sku: input.sku, locationId: input.fromLocationId, requested: input.quantity, available: Math.max(available, 0) },
        ]),
      );
    }
    const note = { reason: "transfer", actor: input.actor, reference: input.transferId };
    if (input.fromLocationId !== null) change(tx, input.fromLocationId, { onHand: -input.quantity }, { ...note, op: "transfer_out" });
    change(
      tx,
      input.toLocationId,
      { inTransit: input.quantity },
      {
        ...note,
        reason: input.fromLocationId === null ? "purchase_order" : "transfer",
        op: input.fromLocationId === null ? "po_in_transit" : "transfer_in_transit",
      },
    );
    // A purchase order's line that was an expected arrival (confirmed, v9) is this line from now on.
    if (input.fromLocationId === null) arrivalShipped(tx, input.transferId);
    sql.exec(
      `INSERT INTO transfers (id, from_location, to_location, quantity, status, expected_at, reference, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'in_transit', ?, ?, ?, ?)`,
      input.transferId,
      input.fromLocationId ?? "",
      input.toLocationId,
      input.quantity,
      input.expectedAt,
      input.reference,
      now,
      now,
    );
    return answer(sql, input.transferId, [], false);
  });
}

/** Receives part or all of a transfer line at its destination, once per receipt id. */
export function receiveTransfer(db: SkuDb, input: ReceiveTransferInput, now: number): TransferResult | Failure {
  return Tx.run(db, now, (tx) => {
    const sql = tx.sql;
    const current = row(sql, input.transferId);
    if (current === undefined || (current.status === "cancelled" && current.quantity === 0)) {
      return fail("transfer_not_found", `no transfer ${input.transferId} for ${input.sku}`);
    }
    const done = sql
      .exec<{ received: number; damaged: number; short: number }>(
        "SELECT received, damaged, short FROM transfer_receipts WHERE transfer_id = ? AND receipt_id = ?",
        input.transferId,
        input.receiptId,
      )
      .toArray()[0];
    if (done !== undefined) {
      if (done.received !== input.received || done.damaged !== input.damaged || done.short !== input.short) {
        return fail("idempotency_conflict", `receipt ${input.receiptId} was already applied with other figures`);
      }
      return answer(sql, input.transferId, [], true);
    }
    const total = input.received + input.damaged + input.short;
    const left = outstanding(current);
    if (current.status === "cancelled" || current.status === "received") {
      return fail("invalid_state", `transfer ${input.transferId} is ${current.status}`);
    }
    if (total > left) {
      return fail("invalid_state", `transfer ${input.transferId} has ${left} units outstanding; the receipt reports ${total}`, {
        outstanding: left,
        reported: total,
      });
    }
    db.policy.remember(tx, input.policy);
    const to = current.to_location;
    const note = { actor: input.actor, reference: input.transferId, idempotencyKey: input.receiptId };
    if (input.received > 0) {
      const seq = change(tx, to, { inTransit: -input.received, onHand: input.received }, { ...note, op: opOf(current, "receive"), reason: "received" });
      // Perishables: the good units go into their lot (lots.ts); damaged ones are not sellable and join none.
      if (input.lot !== undefined && input.expiresAt !== undefined) receiveIntoLot(tx, to, input.lot, input.expiresAt, input.received, seq, input.transferId);
    }
    if (input.damaged > 0) {
      change(
        tx,
        to,
        { inTransit: -input.damaged, onHand: input.damaged, damaged: input.damaged },
        { ...note, op: opOf(current, "receive"), reason: "damaged" },
      );
    }
    if (input.short > 0) change(tx, to, { inTransit: -input.short }, { ...note, op: opOf(current, "short"), reason: "short" });
    const status: TransferLineStatus = total === left ? "received" : "partially_received";
    sql.exec(
      "UPDATE transfers SET received = received + ?, damaged = damaged + ?, short = short + ?, status = ?, updated_at = ? WHERE id = ?",
      input.received,
      input.damaged,
      input.short,
      status,
      now,
      input.transferId,
    );
    sql.exec(
      "INSERT INTO transfer_receipts (transfer_id, receipt_id, received, damaged, short, created_at) VALUES (?, ?, ?, ?, ?, ?)",
      input.transferId,
      input.receiptId,
      input.received,
      input.damaged,
      input.short,
      now,
    );
    const result = answer(sql, input.transferId, input.received > 0 ? serveBackorders(tx, to) : [], false);
    // Then pre-orders, oldest first, with what the backorders left (preorders.ts).
    if (input.received > 0 && db.inbound.get(sql).preorders) result.preordersCovered = servePreorders(tx, to);
    return result;
  });
}

/** Cancels what is outstanding of a transfer line: it goes back to the origin's on-hand. */
export function cancelTransfer(db: SkuDb, input: CancelTransferInput, now: number): TransferResult | Failure {
  return Tx.run(db, now, (tx) => {
    const sql = tx.sql;
    const current = row(sql, input.transferId);
    if (current === undefined) {
      rememberSku(tx, input.sku);
      sql.exec(
        `INSERT INTO transfers (id, from_location, to_location, quantity, status, created_at, updated_at)
         VALUES (?, '', '', 0, 'cancelled', ?, ?)`,
        input.transferId,
        now,
        now,
      );
      return answer(sql, input.transferId, [], false);
    }
    if (current.status === "cancelled") return answer(sql, input.transferId, [], true);
    if (current.status === "received") return fail("invalid_state", `transfer ${input.transferId} was received in full`);
    const left = outstanding(current);
    const note = { reason: input.reason, actor: input.actor, reference: input.transferId };
    if (left > 0) {
      change(tx, current.to_location, { inTransit: -left }, { ...note, op: opOf(current, "cancel") });
      if (current.from_location !== "") change(tx, current.from_location, { onHand: left }, { ...note, op: "transfer_return" });
    }
    sql.exec("UPDATE transfers SET status = 'cancelled', returned = ?, updated_at = ? WHERE id = ?", left, now, input.transferId);
    return answer(sql, input.transferId, left > 0 && current.from_location !== "" ? serveBackorders(tx, current.from_location) : [], false);
  });
}

/** A transfer line as this SKU holds it. */
export function getTransfer(sql: SqlStorage, transferId: string): TransferLine | null {
  const r = row(sql, transferId);
  return r === undefined ? null : lineOf(r);
}
