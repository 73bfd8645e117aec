/**
 * Amendments of a reservation across its SKUs (issue 13, item 5), all or nothing. The rules
 * are pure (domain/reservation-amendments.ts); this module records the intent, fans out to
 * the SKU objects and finishes what a crash left pending. The caller (the store) holds the
 * reservation's lock.
 *
 * One SKU: one `amendReservation(apply)` call, every move in the SKU's own transaction. Several
 * SKUs: two phases. `prepare` on every SKU takes (increases, move-ins; each may be refused);
 * when all took, `confirm` on every SKU gives and ships (never refused for stock); when any
 * refused, `abort` gives the takes back (a SKU that never prepared leaves a tombstone). The
 * phase is written before each fan-out (`amendments.phase`, with the reservation's
 * `pending_op` `amend`), so the alarm re-runs it after a crash and the amendment ends applied
 * on every SKU or on none. Every SKU call is idempotent by amendment id.
 */
import { fail, type Failure, type ShortLine } from "../../domain/failures";
import { amendmentFor, type Amendment, type AmendmentKind, endStatusOf, phaseOf, planAmendment, skusOf } from "../../domain/reservation-amendments";
import { causeOf, countFailure, logFailure } from "../failure-counts";
import type { AmendedLineView, AmendInput, AmendmentOutcome, AmendmentView, ReservationLineView } from "../reservation-coordinator.types";
import type { AmendmentResult } from "../sku-inventory.types";
import type { SkuGateway, SkuInputs } from "./gateway";
import { partsOf, readRow, updateRow, viewOf, visibleRow, type Row } from "./rows";
import type { SagaSteps } from "./steps";

type Phase = "apply" | "prepare" | "confirm" | "abort";

/** A row of the `amendments` table (STORAGE-SCHEMA.md). */
export type AmendmentRow = {
  reservation_id: string;
  id: string;
  request_hash: string;
  actor: string;
  kind: AmendmentKind;
  amendment_json: string;
  skus_json: string;
  status: "pending" | "applied" | "refused";
  phase: Phase | null;
  expires_at: number | null;
  ttl_seconds: number | null;
  answer_json: string | null;
  created_at: number;
  updated_at: number;
};

type Outcome = { sku: string; result: AmendmentResult | Failure | { ok: false; code: "unreachable"; message: string } };

/** Answers from SKU objects that mean the reservation no longer holds anything there. */
const ENDED = new Set(["reservation_not_found", "reservation_released", "reservation_expired"]);

export function readAmendment(sql: SqlStorage, reservationId: string, id: string): AmendmentRow | undefined {
  return sql.exec<AmendmentRow>("SELECT * FROM amendments WHERE reservation_id = ? AND id = ?", reservationId, id).toArray()[0];
}

/** Deletes the amendments of reservations that are gone (pruned). */
export function pruneAmendments(sql: SqlStorage): void {
  sql.exec("DELETE FROM amendments WHERE NOT EXISTS (SELECT 1 FROM reservations r WHERE r.id = amendments.reservation_id)");
}

export class AmendmentSteps {
  readonly #sql: SqlStorage;
  readonly #skus: SkuGateway;
  readonly #now: () => number;
  readonly #armForPending: (row: Row) => Promise<void>;
  readonly #steps: SagaSteps;

  constructor(sql: SqlStorage, skus: SkuGateway, now: () => number, armForPending: (row: Row) => Promise<void>, steps: SagaSteps) {
    this.#sql = sql;
    this.#skus = skus;
    this.#now = now;
    this.#armForPending = armForPending;
    this.#steps = steps;
  }

  /**
   * Amends the reservation, or replays the first answer to the same amendment id. An
   * amendment the reservation cannot take is refused before any SKU is called; the refusal
   * is the stored answer too.
   */
  async amend(input: AmendInput): Promise<AmendmentOutcome> {
    const stored = readAmendment(this.#sql, input.id, input.amendmentId);
    if (stored !== undefined) {
      if (stored.request_hash !== input.requestHash) {
        return fail("idempotency_conflict", "this Idempotency-Key was already used with a different request");
      }
      if (stored.status === "pending") {
        const row = readRow(this.#sql, input.id)!;
        const finished = await this.#run(row, stored);
        if (readAmendment(this.#sql, input.id, input.amendmentId)!.status === "pending") return finished;
      }
      return this.#replay(readAmendment(this.#sql, input.id, input.amendmentId)!);
    }
    let row = visibleRow(this.#sql, input);
    if (row === undefined) return fail("reservation_not_found", `no reservation ${input.id}`);
    if (row.pending_op !== null) {
      await this.#steps.recover(row);
      row = readRow(this.#sql, input.id)!;
      if (row.pending_op !== null) return fail("retry_later", "an earlier change of this reservation is still finishing; retry shortly");
    }
    row = await this.#steps.expireIfDue(row);
    const lines = linesOfRow(row);
    // The coordinator's view of backordered units may be stale (units arrived since): each SKU checks its own.
    const plan = planAmendment({ id: row.id, type: row.type, status: row.status, lines: lines.map((l) => ({ ...l, backordered: 0 })) }, input.amendment);
    const now = this.#now();
    const skus = skusOf(input.amendment, { lines });
    const insert = (status: "pending" | "refused", phase: Phase | null, answer: Failure | null, expiresAt: number | null, ttl: number | null) =>
      this.#sql.exec(
        `INSERT INTO amendments (reservation_id, id, request_hash, actor, kind, amendment_json, skus_json, status, phase, expires_at, ttl_seconds,
           answer_json, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
        row.id,
        input.amendmentId,
        input.requestHash,
        input.actor,
        input.amendment.kind,
        JSON.stringify(input.amendment),
        JSON.stringify(skus),
        status,
        phase,
        expiresAt,
        ttl,
        answer === null ? null : JSON.stringify(answer),
        now,
        now,
      );
    if ("ok" in plan) {
      insert("refused", null, plan, null, null);
      return plan;
    }
    const expiresAt = plan.ttlSeconds === null ? null : now + plan.ttlSeconds * 1000;
    insert("pending", phaseOf(skus.length), null, expiresAt, plan.ttlSeconds);
    const pending = this.#update(row.id, { pending_op: "amend", pending_amendment: input.amendmentId });
    return this.#run(pending, readAmendment(this.#sql, row.id, input.amendmentId)!);
  }

  /** Finishes an amendment a crash or a fault left pending; its failure if it is still pending after this. */
  async recover(row: Row): Promise<Failure | null> {
    const a = row.pending_amendment === null ? undefined : readAmendment(this.#sql, row.id, row.pending_amendment);
    if (a === undefined || a.status !== "pending") {
      this.#update(row.id, { pending_op: null, pending_amendment: null });
      return null;
    }
    const outcome = await this.#run(row, a);
    return readAmendment(this.#sql, row.id, a.id)!.status === "pending" && !outcome.ok ? outcome : null;
  }

  /** Runs the amendment from its recorded phase until it is applied, refused, or waits (a SKU did not answer). */
  async #run(row: Row, a: AmendmentRow): Promise<AmendmentOutcome> {
    const amendment = JSON.parse(a.amendment_json) as Amendment;
    const skus = JSON.parse(a.skus_json) as string[];
    for (;;) {
      const phase = a.phase!;
      if (phase === "apply" || phase === "prepare") {
        const outcomes = await this.#fanOut(row, skus, "amendReservation", (sku) => {
          // Parts stored before the SKU objects kept master facts carry the policy; newer ones leave it to the object.
          const policy = partsOf(row).find((p) => p.sku === sku)?.policy;
          return {
            sku,
            reservationId: row.id,
            attempt: row.attempt,
            actor: a.actor,
            amendmentId: a.id,
            amendment: amendmentFor(amendment, sku),
            phase,
            ...(policy === undefined ? {} : { policy }),
            ...(a.expires_at === null ? {} : { expiresAt: a.expires_at }),
          };
        });
        if (outcomes.every((o) => o.result.ok)) {
          if (phase === "apply") return this.#applied(row, a, outcomes);
          a = this.#setPhase(a, "confirm");
          continue;
        }
        const refusals = outcomes.filter((o) => !o.result.ok && o.result.code !== "unreachable");
        if (refusals.length === 0) return this.#waiting(outcomes);
        // One SKU answers for itself; several are summed up (every short line together).
        const answer = phase === "apply" ? (refusals[0]!.result as Failure) : refusalOf(refusals);
        if (phase === "apply") return this.#refused(row, a, answer);
        a = this.#setPhase(a, "abort", answer);
        continue;
      }
      const outcomes = await this.#fanOut(row, skus, "settleAmendment", (sku) => ({
        sku,
        reservationId: row.id,
        attempt: row.attempt,
        actor: a.actor,
        amendmentId: a.id,
        outcome: phase,
      }));
      if (phase === "abort") {
        if (!outcomes.every((o) => o.result.ok || ENDED.has(o.result.code))) return this.#waiting(outcomes);
        return this.#refused(row, a, JSON.parse(a.answer_json!) as Failure);
      }
      if (outcomes.every((o) => o.result.ok)) return this.#applied(row, a, outcomes);
      const ended = outcomes.find((o) => !o.result.ok && ENDED.has(o.result.code));
      if (ended !== undefined && !ended.result.ok) return this.#refused(row, a, ended.result as Failure);
      return this.#waiting(outcomes);
    }
  }

  /** Every SKU confirmed: the reservation takes the SKUs' lines, and the answer is stored. */
  #applied(row: Row, a: AmendmentRow, outcomes: Outcome[]): AmendmentOutcome {
    const results = outcomes.flatMap((o) => (o.result.ok ? [{ sku: o.sku, result: o.result }] : []));
    const touched = new Map(results.map((r) => [r.sku, r.result.reservation.lines.map((l) => ({ sku: r.sku, ...l }))]));
    const before = JSON.parse(row.lines_json) as ReservationLineView[];
    const order = [...new Set(before.map((l) => l.sku))];
    const lines: ReservationLineView[] = order.flatMap((sku) => touched.get(sku) ?? before.filter((l) => l.sku === sku));
    const left = new Set(lines.map((l) => l.sku));
    const changes: AmendedLineView[] = results.flatMap((r) => r.result.amendment.changes.map((c) => ({ sku: r.sku, ...c })));
    const shippedBefore =
      this.#sql
        .exec<{ n: number }>("SELECT COUNT(*) AS n FROM amendments WHERE reservation_id = ? AND kind = 'fulfil_part' AND status = 'applied'", row.id)
        .one().n > 0;
    const fields: Partial<Omit<Row, "id">> = {
      lines_json: JSON.stringify(lines),
      parts_json: JSON.stringify(partsOf(row).filter((p) => left.has(p.sku))),
      pending_op: null,
      pending_since: null,
      pending_amendment: null,
    };
    if (lines.length === 0) fields.status = endStatusOf(shippedBefore || changes.some((c) => c.shipped > 0));
    if (a.expires_at !== null) Object.assign(fields, { expires_at: a.expires_at, ttl_seconds: a.ttl_seconds });
    this.#update(row.id, fields);
    const view: AmendmentView = { id: a.id, kind: a.kind, changes, expiresAt: a.expires_at };
    const answer = { ok: true as const, reservation: viewOf(readRow(this.#sql, row.id)!), amendment: view };
    this.#finish(a, "applied", answer);
    return { ...answer, replayed: false };
  }

  /** Refused (and undone wherever it had been prepared): the refusal is the stored answer. */
  async #refused(row: Row, a: AmendmentRow, answer: Failure): Promise<AmendmentOutcome> {
    this.#finish(a, "refused", answer);
    this.#update(row.id, { pending_op: null, pending_since: null, pending_amendment: null });
    if (answer.code === "reservation_expired") {
      // A SKU found the reservation expired: expire it everywhere so no line stays held.
      await this.#steps.release({ ...readRow(this.#sql, row.id)!, status: "active" }, "expire");
    }
    return answer;
  }

  /** A SKU did not answer: the amendment stays pending (the alarm, or a retry, finishes it). */
  #waiting(outcomes: Outcome[]): Failure {
    return fail(
      "retry_later",
      "the change is recorded and will finish shortly; retry with the same Idempotency-Key for its answer",
      outcomes.filter((o) => !o.result.ok).map((o) => ({ sku: o.sku, code: (o.result as Failure).code })),
    );
  }

  #replay(a: AmendmentRow): AmendmentOutcome {
    const answer = JSON.parse(a.answer_json!) as AmendmentOutcome;
    return answer.ok ? { ...answer, replayed: true } : answer;
  }

  #setPhase(a: AmendmentRow, phase: Phase, answer?: Failure): AmendmentRow {
    this.#sql.exec(
      "UPDATE amendments SET phase = ?, answer_json = COALESCE(?, answer_json), updated_at = ? WHERE reservation_id = ? AND id = ?",
      phase,
      answer === undefined ? null : JSON.stringify(answer),
      this.#now(),
      a.reservation_id,
      a.id,
    );
    return readAmendment(this.#sql, a.reservation_id, a.id)!;
  }

  #finish(a: AmendmentRow, status: "applied" | "refused", answer: unknown): void {
    this.#sql.exec(
      "UPDATE amendments SET status = ?, phase = NULL, answer_json = ?, updated_at = ? WHERE reservation_id = ? AND id = ?",
      status,
      JSON.stringify(answer),
      this.#now(),
      a.reservation_id,
      a.id,
    );
  }

  /** Calls `method` on every SKU at once; `row` as stored, the amendment recorded as its pending step. */
  async #fanOut<M extends "amendReservation" | "settleAmendment">(
    row: Row,
    skus: string[],
    method: M,
    inputFor: (sku: string) => SkuInputs[M],
  ): Promise<Outcome[]> {
    // The recovery alarm is armed before any SKU is called, so a crash from here on is finished by it.
    await this.#armForPending(row);
    const inputs = skus.map((sku) => inputFor(sku));
    const settled = await Promise.allSettled(skus.map((sku, i) => this.#skus.call(sku, method, inputs[i]!)));
    return settled.map((s, i) => {
      const sku = skus[i]!;
      if (s.status === "fulfilled") return { sku, result: s.value as AmendmentResult | Failure };
      const error = causeOf(s.reason);
      const ref = `${inputs[i]!.reservationId} ${method} ${inputs[i]!.amendmentId}`;
      countFailure(this.#sql, "sku_call", this.#now(), error, `${ref} ${sku}`);
      logFailure({ event: "coordinator.sku_call_failed", reservationId: inputs[i]!.reservationId, sku, method, error });
      return { sku, result: { ok: false as const, code: "unreachable" as const, message: s.reason instanceof Error ? s.reason.message : "SKU call failed" } };
    });
  }

  /** Updates the row; answers it as updated (it exists: the caller holds its lock and read it). */
  #update(id: string, fields: Partial<Omit<Row, "id">>): Row {
    return updateRow(this.#sql, this.#now(), id, fields)!;
  }
}

/** The reservation's lines as the coordinator last recorded them. */
function linesOfRow(row: Row): ReservationLineView[] {
  return JSON.parse(row.lines_json) as ReservationLineView[];
}

/** One answer for the SKUs' refusals: every short line together, else the first refusal. */
function refusalOf(refusals: Outcome[]): Failure {
  const failures = refusals.map((r) => r.result as Failure);
  const short = failures.flatMap((f) => (f.code === "insufficient_stock" && Array.isArray(f.details) ? (f.details as ShortLine[]) : []));
  if (short.length > 0 && failures.every((f) => f.code === "insufficient_stock")) {
    return fail("insufficient_stock", "not enough stock for every change; nothing was changed", short);
  }
  return failures.find((f) => f.code !== "insufficient_stock") ?? failures[0]!;
}
