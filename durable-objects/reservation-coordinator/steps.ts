/**
 * The saga's steps on one reservation: fan out to the SKU objects (typed hops, see
 * gateway.ts), compensate when any SKU says no, and finish or undo what a crash or a fault
 * left pending. Each step first records its intent (`pending_op`), so the alarm can take it
 * over; which step may happen is decided by the shared state machine
 * (domain/reservation-lifecycle.ts). The caller (the store) holds the reservation's lock.
 */
import { fail, type Failure } from "../../domain/failures";
import { decideStep, refusalFailure, type ReservationStep } from "../../domain/reservation-lifecycle";
import { causeOf, countFailure, logFailure } from "../failure-counts";
import type { ReservationOutcome } from "../reservation-coordinator.types";
import type { ReservationRefInput } from "../sku-inventory.types";
import type { SkuGateway, SkuInputs, SkuMethod } from "./gateway";
import { expiryOf, linesOf, partsOf, readRow, shortLines, skuListOf, unreachable, updateRow, viewOf, type Answer, type Row, type SkuOutcome } from "./rows";

export class SagaSteps {
  readonly #sql: SqlStorage;
  readonly #skus: SkuGateway;
  readonly #now: () => number;
  /** Makes sure the alarm fires by the recovery of the row's pending step (before every fan-out that changes stock). */
  readonly #armForPending: (row: Row) => Promise<void>;
  /** Finishes an amendment left pending (`pending_op` `amend`); set by the store to reservation-coordinator/amendments.ts. */
  recoverAmendment: (row: Row) => Promise<Failure | null> = async () => null;

  constructor(sql: SqlStorage, skus: SkuGateway, now: () => number, armForPending: (row: Row) => Promise<void>) {
    this.#sql = sql;
    this.#skus = skus;
    this.#now = now;
    this.#armForPending = armForPending;
  }

  /** Fans a new attempt's lines out to its SKUs; if any SKU refuses or cannot be reached, undoes what was held. */
  async runReserve(row: Row): Promise<ReservationOutcome> {
    const parts = partsOf(row);
    const outcomes = await this.#fanOut(
      row,
      parts.map((p) => p.sku),
      "applyReservation",
      (sku) => {
        const part = parts.find((p) => p.sku === sku)!;
        return {
          sku,
          reservationId: row.id,
          attempt: row.attempt,
          type: row.type,
          lines: part.lines,
          expiresAt: expiryOf(row),
          reference: row.reference,
          policy: part.policy,
          actor: row.actor,
        };
      },
    );
    if (outcomes.every((o) => o.result.ok)) {
      const done: Row = {
        ...row,
        status: "active",
        lines_json: JSON.stringify(linesOf(outcomes)),
        pending_op: null,
        pending_since: null,
        updated_at: this.#now(),
      };
      const answer: Answer = { ok: true, reservation: viewOf(done) };
      this.#update(row.id, {
        status: done.status,
        lines_json: done.lines_json,
        pending_op: null,
        pending_since: null,
        updated_at: done.updated_at,
        answer_json: JSON.stringify(answer),
      });
      return { ...answer, replayed: false };
    }
    const short = shortLines(outcomes);
    const final = short.length > 0 && outcomes.every((o) => o.result.ok || o.result.code === "insufficient_stock");
    // A SKU that does not exist or is discontinued (its object's master facts) refuses the
    // whole order, as the Worker's own check did before: answered, never stored (status
    // `aborted`), so a retry after the SKU is created or reactivated is decided afresh.
    const refusedByMaster = masterRefusals(outcomes);
    const answer: Failure =
      refusedByMaster ??
      (final
        ? fail("insufficient_stock", "not enough stock for every line; nothing was held", short)
        : fail("retry_later", "a SKU could not be reached; nothing was held, retry with the same Idempotency-Key", unreachable(outcomes)));
    // Only SKUs that took their lines, or whose answer never came, may hold anything; a SKU
    // that answered with a refusal rolled its transaction back and needs no release.
    const toRelease = outcomes.filter((o) => o.result.ok || o.result.code === "unreachable").map((o) => o.sku);
    const undone = this.#update(row.id, {
      status: final ? "failed" : "aborted",
      ...(toRelease.length > 0 ? { pending_op: "undo" as const } : { pending_op: null, pending_since: null }),
      ...(final ? { answer_json: JSON.stringify(answer) } : {}),
    });
    if (toRelease.length > 0) await this.undo(undone, toRelease);
    return answer;
  }

  /** Releases every SKU's part of the current attempt. Null when all confirmed, else what did not. */
  async undo(row: Row, skus: string[] = skuListOf(row)): Promise<Failure | null> {
    const outcomes = await this.#fanOut(row, skus, "release", (sku) => ({
      sku,
      reservationId: row.id,
      attempt: row.attempt,
      reason: "compensation",
      type: row.type,
      actor: row.actor,
    }));
    if (!outcomes.every((o) => o.result.ok)) return fail("retry_later", "the undo did not reach every SKU", unreachable(outcomes));
    this.#update(row.id, { pending_op: null, pending_since: null });
    return null;
  }

  async release(row: Row, reason: "release" | "expire" = "release"): Promise<ReservationOutcome> {
    const refused = this.#notApplicable(row, "release");
    if (refused !== null) return refused;
    const pending = this.#update(row.id, { pending_op: reason });
    const outcomes = await this.#fanOut(pending, skuListOf(row), "release", (sku) => ({
      sku,
      reservationId: row.id,
      attempt: row.attempt,
      reason,
      type: row.type,
      actor: reason === "expire" ? "system:expiry" : row.actor,
    }));
    if (!outcomes.every((o) => o.result.ok)) {
      return fail("retry_later", "the release is recorded and will finish shortly", unreachable(outcomes));
    }
    return this.#answer(this.#update(row.id, { status: reason === "expire" ? "expired" : "released", pending_op: null, pending_since: null }));
  }

  async promote(row: Row, ttlSeconds: number): Promise<ReservationOutcome> {
    const refused = this.#notApplicable(row, "promote");
    if (refused !== null) return refused;
    const expiresAt = this.#now() + ttlSeconds * 1000;
    const pending = this.#update(row.id, { pending_op: "promote" });
    const outcomes = await this.#fanOut(pending, skuListOf(row), "promote", (sku) => ({
      sku,
      reservationId: row.id,
      attempt: row.attempt,
      expiresAt,
      policy: partsOf(row).find((p) => p.sku === sku)!.policy,
      actor: row.actor,
    }));
    if (outcomes.every((o) => o.result.ok)) {
      return this.#answer(
        this.#update(row.id, {
          type: "hard",
          expires_at: expiresAt,
          ttl_seconds: ttlSeconds,
          lines_json: JSON.stringify(linesOf(outcomes)),
          pending_op: null,
          pending_since: null,
        }),
      );
    }
    if (outcomes.some((o) => !o.result.ok && o.result.code === "reservation_expired")) {
      return this.#expireAll(row);
    }
    const demoted = await this.#fanOut(pending, skuListOf(row), "demote", (sku) => ({
      sku,
      reservationId: row.id,
      attempt: row.attempt,
      expiresAt: expiryOf(row),
      actor: row.actor,
    }));
    if (demoted.every((o) => o.result.ok)) this.#update(row.id, { pending_op: null, pending_since: null });
    const short = shortLines(outcomes);
    return short.length > 0
      ? fail("insufficient_stock", "not enough stock to promote every line; the hold is unchanged", short)
      : fail("retry_later", "a SKU could not be reached; the hold is unchanged", unreachable(outcomes));
  }

  async commit(row: Row): Promise<ReservationOutcome> {
    const refused = this.#notApplicable(row, "commit");
    if (refused !== null) return refused;
    const pending = this.#update(row.id, { pending_op: "commit" });
    const outcomes = await this.#fanOut(pending, skuListOf(row), "commit", (sku) => this.#ref(row, sku));
    if (outcomes.every((o) => o.result.ok)) {
      return this.#answer(this.#update(row.id, { status: "committed", lines_json: JSON.stringify(linesOf(outcomes)), pending_op: null, pending_since: null }));
    }
    if (outcomes.some((o) => !o.result.ok && o.result.code === "reservation_expired")) {
      return this.#expireAll(row);
    }
    const undone = await this.#fanOut(pending, skuListOf(row), "uncommit", (sku) => this.#ref(row, sku));
    if (undone.every((o) => o.result.ok)) this.#update(row.id, { pending_op: null, pending_since: null });
    const short = shortLines(outcomes);
    return short.length > 0
      ? fail("insufficient_stock", "some backordered units are not on hand yet; nothing was committed", short)
      : fail("retry_later", "a SKU could not be reached; nothing was committed", unreachable(outcomes));
  }

  async fulfil(row: Row): Promise<ReservationOutcome> {
    // Fulfilling an active reservation commits it first.
    if (row.status === "active") {
      const committed = await this.commit(row);
      if (!committed.ok) return committed;
      row = this.#row(row.id)!;
    }
    const refused = this.#notApplicable(row, "fulfil");
    if (refused !== null) return refused;
    const pending = this.#update(row.id, { pending_op: "fulfil" });
    const outcomes = await this.#fanOut(pending, skuListOf(row), "fulfil", (sku) => this.#ref(row, sku));
    if (!outcomes.every((o) => o.result.ok)) {
      return fail("retry_later", "the shipment is recorded and will finish shortly", unreachable(outcomes));
    }
    return this.#answer(this.#update(row.id, { status: "fulfilled", pending_op: null, pending_since: null }));
  }

  /**
   * Brings the lines' backordered and pre-ordered figures up to date from the SKU objects
   * (arrivals cover them there, without the coordinator). Best effort: a SKU that cannot be
   * reached leaves the stored lines as they are.
   */
  async refreshLines(row: Row): Promise<Row> {
    const outcomes = await this.#fanOut(row, skuListOf(row), "lookupReservation", (sku) => this.#ref(row, sku));
    if (!outcomes.every((o) => o.result.ok)) return row;
    const lines = JSON.stringify(linesOf(outcomes));
    if (lines === row.lines_json) return row;
    return this.#update(row.id, { lines_json: lines });
  }

  /** One SKU found the reservation expired: expire it everywhere so no line stays held. */
  async #expireAll(row: Row): Promise<ReservationOutcome> {
    const released = await this.release({ ...row, status: "active" }, "expire");
    return released.ok ? fail("reservation_expired", `reservation ${row.id} has expired`) : released;
  }

  async expireIfDue(row: Row): Promise<Row> {
    if (row.expires_at === null || row.expires_at > this.#now() || decideStep("expire", row).kind !== "apply") return row;
    await this.release(row, "expire");
    return this.#row(row.id)!;
  }

  /** Re-runs an operation a crash or a fault left unfinished; answers its failure, if it did not finish. */
  async recover(row: Row): Promise<Failure | null> {
    const failed = (outcome: ReservationOutcome): Failure | null => (outcome.ok ? null : outcome);
    switch (row.pending_op) {
      case "reserve":
        return this.undo(this.#update(row.id, { status: "aborted", pending_op: "undo" }));
      case "undo":
        return this.undo(row);
      case "release":
      case "expire":
        return failed(await this.release(row, row.pending_op));
      case "promote":
        return failed(await this.promote(row, row.ttl_seconds));
      case "commit":
        return failed(await this.commit(row));
      case "fulfil":
        return failed(await this.fulfil(row));
      case "amend":
        return this.recoverAmendment(row);
      case null:
        return null;
    }
  }

  // --------------------------------------------------------------- helpers

  /**
   * What the shared state machine (domain/reservation-lifecycle.ts) says about `step`: null
   * when it is to be applied, else the answer (the reservation as it stands if the step was
   * already taken, or the refusal).
   */
  #notApplicable(row: Row, step: ReservationStep): ReservationOutcome | null {
    const decision = decideStep(step, row);
    if (decision.kind === "apply") return null;
    return decision.kind === "already" ? this.#answer(row) : refusalFailure(row.id, row, decision.refusal);
  }

  /** Calls `method` on every SKU of `row`'s reservation at once; `row` as stored, its step recorded as pending (but for a lookup). */
  async #fanOut<M extends SkuMethod>(row: Row, skus: string[], method: M, inputFor: (sku: string) => SkuInputs[M]): Promise<SkuOutcome[]> {
    // The recovery alarm is armed before any SKU is called, so a crash from here on is
    // finished or undone by it. A lookup records no step and needs none.
    if (method !== "lookupReservation") await this.#armForPending(row);
    const inputs = skus.map((sku) => inputFor(sku));
    const settled = await Promise.allSettled(skus.map((sku, i) => this.#skus.call(sku, method, inputs[i]!)));
    return settled.map((s, i) => {
      const sku = skus[i]!;
      if (s.status === "fulfilled") return { sku, result: s.value };
      // The call itself failed (the object unreachable, overloaded, reset): log and count it.
      const error = causeOf(s.reason);
      const reservationId = inputs[i]!.reservationId;
      countFailure(this.#sql, "sku_call", this.#now(), error, `${reservationId} ${method} ${sku}`);
      logFailure({ event: "coordinator.sku_call_failed", reservationId, sku, method, error });
      return { sku, result: { ok: false as const, code: "unreachable" as const, message: s.reason instanceof Error ? s.reason.message : "SKU call failed" } };
    });
  }

  #ref(row: Row, sku: string): ReservationRefInput {
    return { sku, reservationId: row.id, attempt: row.attempt, actor: row.actor };
  }

  #row(id: string): Row | undefined {
    return readRow(this.#sql, id);
  }

  /** Updates the row; answers it as updated (it exists: the caller holds its lock and read it). */
  #update(id: string, fields: Partial<Omit<Row, "id">>): Row {
    return updateRow(this.#sql, this.#now(), id, fields)!;
  }

  #answer(row: Row): ReservationOutcome {
    return { ok: true, reservation: viewOf(row), replayed: false };
  }
}

/** Refusals by the SKU objects' master facts, most telling code first: one failure listing every refused SKU, or null. */
function masterRefusals(outcomes: SkuOutcome[]): Failure | null {
  const refused = outcomes.flatMap((o) =>
    !o.result.ok && (o.result.code === "sku_not_found" || o.result.code === "sku_unavailable")
      ? [{ sku: o.sku, code: o.result.code, message: o.result.message }]
      : [],
  );
  if (refused.length === 0) return null;
  const notFound = refused.some((r) => r.code === "sku_not_found");
  return fail(notFound ? "sku_not_found" : "sku_unavailable", notFound ? "some SKUs do not exist" : "some SKUs cannot be reserved", refused);
}
