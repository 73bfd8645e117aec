/**
 * The coordinator's `reservations` table as its modules see it (STORAGE-SCHEMA.md): the row,
 * its reads and its one update path, its public view, and what a fan-out's answers say.
 */
import type { Failure, ShortLine } from "../../domain/failures";
import type { ReservationType } from "../../domain/reservation-rules";
import type { LookupInput, PublicStatus, ReservationLineView, ReservationView, SkuPart } from "../reservation-coordinator.types";
import type { ReservationResult } from "../sku-inventory.types";

export type Status = PublicStatus | "failed" | "aborted";
export type Op = "reserve" | "undo" | "promote" | "commit" | "fulfil" | "release" | "expire" | "amend";

export type Row = {
  id: string;
  request_hash: string;
  principal: string;
  actor: string;
  attempt: number;
  type: ReservationType;
  status: Status;
  reference: string;
  ttl_seconds: number;
  expires_at: number | null;
  parts_json: string;
  lines_json: string;
  answer_json: string | null;
  pending_op: Op | null;
  pending_since: number | null;
  created_at: number;
  updated_at: number;
  /** Failed alarm attempts at this reservation's work, and when it is tried next (null: none failed). */
  alarm_attempts: number;
  alarm_retry_at: number | null;
  /** (v3) With `pending_op` `amend`: the amendment under way (`amendments` table). */
  pending_amendment: string | null;
};

/** A stored answer to a reserve request, replayed for retries with the same key. */
export type Answer = { ok: true; reservation: ReservationView } | Failure;

/** What one SKU said to a fan-out call (`unreachable`: the call itself failed). */
export type SkuOutcome = { sku: string; result: ReservationResult | Failure | { ok: false; code: "unreachable"; message: string } };

export function readRow(sql: SqlStorage, id: string): Row | undefined {
  return sql.exec<Row>("SELECT * FROM reservations WHERE id = ?", id).toArray()[0];
}

/** The row if it exists for this caller and ever became a reservation the client saw. */
export function visibleRow(sql: SqlStorage, input: LookupInput): Row | undefined {
  const row = readRow(sql, input.id);
  if (row === undefined || row.status === "failed" || row.status === "aborted") return undefined;
  if (!input.anyPrincipal && row.principal !== input.principal) return undefined;
  return row;
}

/**
 * Updates a row's fields (and `updated_at`) and answers the row as updated, or undefined if
 * there is none (one statement: `RETURNING`, so no caller reads it again). Setting a pending
 * operation stamps `pending_since`; finishing one (`pending_op: null`) also ends any
 * backed-off alarm work on it.
 */
export function updateRow(sql: SqlStorage, now: number, id: string, fields: Partial<Omit<Row, "id">>): Row | undefined {
  const set: Record<string, unknown> = { updated_at: now, ...fields };
  if (fields.pending_op !== undefined && fields.pending_op !== null && fields.pending_since === undefined) {
    set.pending_since = now;
  }
  if (fields.pending_op === null) Object.assign(set, { alarm_attempts: 0, alarm_retry_at: null });
  const columns = Object.keys(set);
  return sql
    .exec<Row>(
      `UPDATE reservations SET ${columns.map((c) => `${c} = ?`).join(", ")} WHERE id = ? RETURNING *`,
      ...columns.map((c) => set[c] as SqlStorageValue),
      id,
    )
    .toArray()[0];
}

export function partsOf(row: Row): SkuPart[] {
  return JSON.parse(row.parts_json) as SkuPart[];
}

export function skuListOf(row: Row): string[] {
  return partsOf(row).map((p) => p.sku);
}

/** The reservation as its client sees it. */
export function viewOf(row: Row): ReservationView {
  const status: PublicStatus = row.status === "failed" || row.status === "aborted" ? "released" : row.status;
  const lines = JSON.parse(row.lines_json) as ReservationLineView[];
  return {
    id: row.id,
    // A pre-order is a hard reservation once none of its units waits any more (its SKU objects' lines).
    type: row.type === "preorder" && lines.length > 0 && !lines.some((l) => (l.preordered ?? 0) > 0) ? "hard" : row.type,
    status,
    reference: row.reference,
    expiresAt: status === "active" || status === "pending" ? row.expires_at : null,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    lines,
  };
}

/** Whether the alarm is to expire the reservation: active, due, and no operation pending (that is recovered first). */
export function expiryDue(row: Row, now: number): boolean {
  return row.status === "active" && row.pending_op === null && row.expires_at !== null && row.expires_at <= now;
}

/** When the reservation expires: every reserve records it; the TTL from creation is the fallback the column type asks for. */
export function expiryOf(row: Row): number {
  return row.expires_at ?? row.created_at + row.ttl_seconds * 1000;
}

/** Where each line landed, from the SKUs' answers. */
export function linesOf(outcomes: SkuOutcome[]): ReservationLineView[] {
  return outcomes.flatMap((o) =>
    o.result.ok && "reservation" in o.result
      ? o.result.reservation.lines.map((l) => ({
          sku: o.sku,
          locationId: l.locationId,
          quantity: l.quantity,
          backordered: l.backordered,
          ...(l.preordered === undefined ? {} : { preordered: l.preordered }),
          ...(l.expectedAt === undefined ? {} : { expectedAt: l.expectedAt }),
        }))
      : [],
  );
}

/** The lines the SKUs could not serve. */
export function shortLines(outcomes: SkuOutcome[]): ShortLine[] {
  return outcomes.flatMap((o) => (!o.result.ok && o.result.code === "insufficient_stock" && "details" in o.result ? (o.result.details as ShortLine[]) : []));
}

/** Which SKUs did not confirm, and why. */
export function unreachable(outcomes: SkuOutcome[]): { sku: string; code: string }[] {
  return outcomes.filter((o) => !o.result.ok).map((o) => ({ sku: o.sku, code: (o.result as { code: string }).code }));
}

/** Whether the view's lines wait for arrivals (backordered or pre-ordered units), so a lookup asks the SKU objects how they stand. */
export function awaitsArrivals(row: Row): boolean {
  if (row.status !== "active" && row.status !== "committed") return false;
  return (JSON.parse(row.lines_json) as ReservationLineView[]).some((l) => l.backordered > 0 || (l.preordered ?? 0) > 0);
}
