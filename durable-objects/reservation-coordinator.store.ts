/**
 * The saga behind every reservation: record the lines, fan out to the SKU objects, and
 * compensate when any SKU says no, so an order holds every line or none. Kept apart from
 * the Durable Object class so none of it is callable over RPC.
 *
 * Crash safety: the intent (`pending_op`) is written before any SKU is called, and the
 * output gate holds those calls until the write is durable. If the object dies mid-way,
 * its alarm re-runs the pending operation after RECOVERY_DELAY_MS: an interrupted
 * reservation is undone (its client never got an answer), any other operation is finished.
 * Every SKU call is idempotent, so re-running a fan-out is always safe.
 */
import { fail, type Failure, type ShortLine } from "../domain/failures";
import { decideStep, refusalFailure, type ReservationStep } from "../domain/reservation-lifecycle";
import type { ReservationType } from "../domain/reservation-rules";
import { migrateSchema } from "./sql-migrations";
import { COORDINATOR_MIGRATIONS } from "./reservation-coordinator.schema";
import type {
  CoordinatorReserveInput,
  LookupInput,
  PublicStatus,
  ReservationLineView,
  ReservationOutcome,
  ReservationView,
  SkuPart,
  TransitionInput,
  TransitionOp,
} from "./reservation-coordinator.types";
import type { SkuInventory } from "./sku-inventory";
import type { ReservationRefInput, ReservationResult } from "./sku-inventory.types";

/** How long a pending operation may run before the alarm takes it over (ms). */
export const RECOVERY_DELAY_MS = 15_000;
/** Finished reservations (and their idempotent answers) are kept this long (ms). */
export const FINISHED_RETENTION_MS = 7 * 24 * 60 * 60 * 1000;

type Status = PublicStatus | "failed" | "aborted";
type Op = "reserve" | "undo" | "promote" | "commit" | "fulfil" | "release" | "expire";

type Row = {
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
};

/** A stored answer to a reserve request, replayed for retries with the same key. */
type Answer = { ok: true; reservation: ReservationView } | Failure;

/** What one SKU said to a fan-out call. */
type SkuOutcome = { sku: string; result: ReservationResult | Failure | { ok: false; code: "unreachable"; message: string } };

/** The SKU object's RPC methods the saga calls. */
export type SkuMethod = "applyReservation" | "release" | "promote" | "demote" | "commit" | "uncommit" | "fulfil";
/** Each method's input, taken from the SKU object's own RPC signature (a field added there must be sent here). */
export type SkuInputs = { [M in SkuMethod]: Parameters<SkuInventory[M]>[0] };
/** Each method's answer, likewise. */
export type SkuAnswers = { [M in SkuMethod]: Awaited<ReturnType<SkuInventory[M]>> };

/** The SKU objects, as the coordinator calls them (the live binding, or a test double). */
export interface SkuGateway {
  call<M extends SkuMethod>(sku: string, method: M, input: SkuInputs[M]): Promise<SkuAnswers[M]>;
}

export class ReservationCoordinatorStore {
  readonly #storage: DurableObjectStorage;
  readonly #sql: SqlStorage;
  readonly #skus: SkuGateway;
  /** One operation at a time per reservation; other reservations proceed in parallel. */
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #recoveryDelayMs: number;
  /** The alarm time last set, so it is written only when it moves. */
  #alarmAt: number | null;

  constructor(storage: DurableObjectStorage, skus: SkuGateway, alarmAt: number | null, recoveryDelayMs = RECOVERY_DELAY_MS) {
    this.#storage = storage;
    this.#sql = storage.sql;
    this.#skus = skus;
    this.#alarmAt = alarmAt;
    this.#recoveryDelayMs = recoveryDelayMs;
    migrateSchema(storage, COORDINATOR_MIGRATIONS);
  }

  /** Sets the one alarm to exactly the earliest due work, or deletes it (from the alarm handler). */
  async schedule(): Promise<void> {
    const next = this.nextDueAt();
    if (next === this.#alarmAt) return;
    if (next === null) await this.#storage.deleteAlarm();
    else await this.#storage.setAlarm(next);
    this.#alarmAt = next;
  }

  /**
   * Makes sure the alarm fires no later than the earliest due work. On the hot path the
   * alarm is only ever moved earlier: an alarm that fires early finds nothing to do and
   * re-arms precisely, which is cheaper than a storage write per reservation.
   */
  async #armBy(): Promise<void> {
    const next = this.nextDueAt();
    if (next === null || (this.#alarmAt !== null && this.#alarmAt <= next)) return;
    await this.#storage.setAlarm(next);
    this.#alarmAt = next;
  }

  /** Forgets the remembered alarm time (the alarm just fired). */
  alarmFired(): void {
    this.#alarmAt = null;
  }

  /** Creates the reservation, or replays the first answer to the same key. */
  reserve(input: CoordinatorReserveInput): Promise<ReservationOutcome> {
    return this.#locked(input.id, async () => {
      const now = Date.now();
      let row = this.#row(input.id);
      if (row !== undefined && row.request_hash !== input.requestHash) {
        return fail("idempotency_conflict", "this Idempotency-Key was already used with a different request");
      }
      if (row !== undefined && row.answer_json !== null) {
        return { ...(JSON.parse(row.answer_json) as Answer), replayed: true } as ReservationOutcome;
      }
      if (row === undefined) {
        this.#sql.exec(
          `INSERT INTO reservations (id, request_hash, principal, actor, attempt, type, status, reference, ttl_seconds,
             expires_at, parts_json, pending_op, pending_since, created_at, updated_at)
           VALUES (?, ?, ?, ?, 1, ?, 'pending', ?, ?, ?, ?, 'reserve', ?, ?, ?)`,
          input.id,
          input.requestHash,
          input.principal,
          input.actor,
          input.type,
          input.reference,
          input.ttlSeconds,
          now + input.ttlSeconds * 1000,
          JSON.stringify(input.parts),
          now,
          now,
          now,
        );
      } else if (row.status === "aborted") {
        // An earlier attempt never answered (crash or transient fault): finish undoing it,
        // then try again under a new attempt number.
        if (row.pending_op === "undo" && !(await this.#undo(row))) {
          return fail("retry_later", "an earlier attempt is still being undone; retry shortly");
        }
        this.#sql.exec(
          `UPDATE reservations SET attempt = attempt + 1, status = 'pending', expires_at = ?, pending_op = 'reserve',
             pending_since = ?, updated_at = ? WHERE id = ?`,
          now + row.ttl_seconds * 1000,
          now,
          now,
          row.id,
        );
      }
      row = this.#row(input.id)!;
      return this.#runReserve(row);
    });
  }

  /** Promotes, commits, fulfils or releases every line, or none. */
  transition(op: TransitionOp, input: TransitionInput): Promise<ReservationOutcome> {
    return this.#locked(input.id, async () => {
      let row = this.#visibleRow(input);
      if (row === undefined) return fail("reservation_not_found", `no reservation ${input.id}`);
      if (row.pending_op !== null) row = await this.#recover(row);
      row = await this.#expireIfDue(row);
      switch (op) {
        case "release":
          return this.#release(row);
        case "promote":
          return this.#promote(row, input.ttlSeconds ?? row.ttl_seconds);
        case "commit":
          return this.#commit(row);
        case "fulfil":
          return this.#fulfil(row);
      }
    });
  }

  /** The reservation as it stands (expired if its time has come). */
  get(input: LookupInput): Promise<ReservationOutcome> {
    return this.#locked(input.id, async () => {
      let row = this.#visibleRow(input);
      if (row === undefined) return fail("reservation_not_found", `no reservation ${input.id}`);
      row = await this.#expireIfDue(row);
      return { ok: true, reservation: this.#view(row), replayed: false };
    });
  }

  /**
   * Alarm work: take over operations stuck longer than RECOVERY_DELAY_MS, expire what is
   * due, prune old rows. Returns the next time there is work, or null.
   */
  async runDueWork(now: number): Promise<number | null> {
    const stuck = this.#sql
      .exec<Row>("SELECT * FROM reservations WHERE pending_op IS NOT NULL AND pending_since <= ? LIMIT 100", now - this.#recoveryDelayMs)
      .toArray();
    const due = this.#sql
      .exec<Row>("SELECT * FROM reservations WHERE status = 'active' AND expires_at <= ? LIMIT 100", now)
      .toArray();
    const tasks = new Map<string, "recover" | "expire">();
    for (const row of due) tasks.set(row.id, "expire");
    for (const row of stuck) tasks.set(row.id, "recover");
    await Promise.allSettled(
      [...tasks].map(([id, kind]) =>
        // A reservation with an operation in flight in this instance is left to it.
        this.#locks.has(id)
          ? undefined
          : this.#locked(id, async () => {
              const row = this.#row(id);
              if (row === undefined) return;
              if (kind === "recover" && row.pending_op !== null) await this.#recover(row);
              else await this.#expireIfDue(row);
            }),
      ),
    );
    this.#sql.exec(
      `DELETE FROM reservations WHERE status IN ('fulfilled', 'released', 'expired', 'failed', 'aborted')
         AND pending_op IS NULL AND updated_at <= ?`,
      now - FINISHED_RETENTION_MS,
    );
    return this.nextDueAt();
  }

  /** When the alarm should next fire, or null. */
  nextDueAt(): number | null {
    return this.#sql
      .exec<{ next: number | null }>(
        `SELECT MIN(t) AS next FROM (
           SELECT MIN(pending_since) + ? AS t FROM reservations WHERE pending_op IS NOT NULL
           UNION ALL SELECT MIN(expires_at) FROM reservations WHERE status = 'active'
           UNION ALL SELECT MIN(updated_at) + ? FROM reservations
             WHERE status IN ('fulfilled', 'released', 'expired', 'failed', 'aborted'))`,
        this.#recoveryDelayMs,
        FINISHED_RETENTION_MS,
      )
      .one().next;
  }

  // ------------------------------------------------------------ operations

  async #runReserve(row: Row): Promise<ReservationOutcome> {
    const parts = this.#parts(row);
    const outcomes = await this.#fanOut(parts.map((p) => p.sku), "applyReservation", (sku) => {
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
    });
    if (outcomes.every((o) => o.result.ok)) {
      const done: Row = { ...row, status: "active", lines_json: JSON.stringify(linesOf(outcomes)), pending_op: null, pending_since: null, updated_at: Date.now() };
      const answer: Answer = { ok: true, reservation: this.#view(done) };
      this.#update(row.id, { status: done.status, lines_json: done.lines_json, pending_op: null, pending_since: null, updated_at: done.updated_at, answer_json: JSON.stringify(answer) });
      return { ...answer, replayed: false };
    }
    const short = shortLines(outcomes);
    const final = short.length > 0 && outcomes.every((o) => o.result.ok || o.result.code === "insufficient_stock");
    const answer: Failure = final
      ? fail("insufficient_stock", "not enough stock for every line; nothing was held", short)
      : fail("retry_later", "a SKU could not be reached; nothing was held, retry with the same Idempotency-Key", unreachable(outcomes));
    // Only SKUs that took their lines, or whose answer never came, may hold anything; a SKU
    // that answered with a refusal rolled its transaction back and needs no release.
    const toRelease = outcomes.filter((o) => o.result.ok || o.result.code === "unreachable").map((o) => o.sku);
    this.#update(row.id, {
      status: final ? "failed" : "aborted",
      ...(toRelease.length > 0 ? { pending_op: "undo" as const } : { pending_op: null, pending_since: null }),
      ...(final ? { answer_json: JSON.stringify(answer) } : {}),
    });
    if (toRelease.length > 0) await this.#undo(this.#row(row.id)!, toRelease);
    return answer;
  }

  /** Releases every SKU's part of the current attempt. True when all confirmed. */
  async #undo(row: Row, skus: string[] = this.#skuList(row)): Promise<boolean> {
    const outcomes = await this.#fanOut(skus, "release", (sku) => ({
      sku,
      reservationId: row.id,
      attempt: row.attempt,
      reason: "compensation",
      type: row.type,
      actor: row.actor,
    }));
    const done = outcomes.every((o) => o.result.ok);
    if (done) this.#update(row.id, { pending_op: null, pending_since: null });
    return done;
  }

  async #release(row: Row, reason: "release" | "expire" = "release"): Promise<ReservationOutcome> {
    const refused = this.#notApplicable(row, "release");
    if (refused !== null) return refused;
    this.#update(row.id, { pending_op: reason });
    const outcomes = await this.#fanOut(this.#skuList(row), "release", (sku) => ({
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
    this.#update(row.id, { status: reason === "expire" ? "expired" : "released", pending_op: null, pending_since: null });
    return this.#answer(this.#row(row.id)!);
  }

  async #promote(row: Row, ttlSeconds: number): Promise<ReservationOutcome> {
    const refused = this.#notApplicable(row, "promote");
    if (refused !== null) return refused;
    const expiresAt = Date.now() + ttlSeconds * 1000;
    this.#update(row.id, { pending_op: "promote" });
    const outcomes = await this.#fanOut(this.#skuList(row), "promote", (sku) => ({
      sku,
      reservationId: row.id,
      attempt: row.attempt,
      expiresAt,
      policy: this.#parts(row).find((p) => p.sku === sku)!.policy,
      actor: row.actor,
    }));
    if (outcomes.every((o) => o.result.ok)) {
      this.#update(row.id, {
        type: "hard",
        expires_at: expiresAt,
        ttl_seconds: ttlSeconds,
        lines_json: JSON.stringify(linesOf(outcomes)),
        pending_op: null,
        pending_since: null,
      });
      return this.#answer(this.#row(row.id)!);
    }
    if (outcomes.some((o) => !o.result.ok && o.result.code === "reservation_expired")) {
      return this.#expireAll(row);
    }
    const demoted = await this.#fanOut(this.#skuList(row), "demote", (sku) => ({
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

  async #commit(row: Row): Promise<ReservationOutcome> {
    const refused = this.#notApplicable(row, "commit");
    if (refused !== null) return refused;
    this.#update(row.id, { pending_op: "commit" });
    const outcomes = await this.#fanOut(this.#skuList(row), "commit", (sku) => this.#ref(row, sku));
    if (outcomes.every((o) => o.result.ok)) {
      this.#update(row.id, { status: "committed", lines_json: JSON.stringify(linesOf(outcomes)), pending_op: null, pending_since: null });
      return this.#answer(this.#row(row.id)!);
    }
    if (outcomes.some((o) => !o.result.ok && o.result.code === "reservation_expired")) {
      return this.#expireAll(row);
    }
    const undone = await this.#fanOut(this.#skuList(row), "uncommit", (sku) => this.#ref(row, sku));
    if (undone.every((o) => o.result.ok)) this.#update(row.id, { pending_op: null, pending_since: null });
    const short = shortLines(outcomes);
    return short.length > 0
      ? fail("insufficient_stock", "some backordered units are not on hand yet; nothing was committed", short)
      : fail("retry_later", "a SKU could not be reached; nothing was committed", unreachable(outcomes));
  }

  async #fulfil(row: Row): Promise<ReservationOutcome> {
    // Fulfilling an active reservation commits it first.
    if (row.status === "active") {
      const committed = await this.#commit(row);
      if (!committed.ok) return committed;
      row = this.#row(row.id)!;
    }
    const refused = this.#notApplicable(row, "fulfil");
    if (refused !== null) return refused;
    this.#update(row.id, { pending_op: "fulfil" });
    const outcomes = await this.#fanOut(this.#skuList(row), "fulfil", (sku) => this.#ref(row, sku));
    if (!outcomes.every((o) => o.result.ok)) {
      return fail("retry_later", "the shipment is recorded and will finish shortly", unreachable(outcomes));
    }
    this.#update(row.id, { status: "fulfilled", pending_op: null, pending_since: null });
    return this.#answer(this.#row(row.id)!);
  }

  /** One SKU found the reservation expired: expire it everywhere so no line stays held. */
  async #expireAll(row: Row): Promise<ReservationOutcome> {
    const released = await this.#release({ ...row, status: "active" }, "expire");
    return released.ok ? fail("reservation_expired", `reservation ${row.id} has expired`) : released;
  }

  async #expireIfDue(row: Row): Promise<Row> {
    if (row.expires_at === null || row.expires_at > Date.now() || decideStep("expire", row).kind !== "apply") return row;
    await this.#release(row, "expire");
    return this.#row(row.id)!;
  }

  /** Re-runs an operation a crash or a fault left unfinished. */
  async #recover(row: Row): Promise<Row> {
    switch (row.pending_op) {
      case "reserve":
        this.#update(row.id, { status: "aborted", pending_op: "undo" });
        await this.#undo(this.#row(row.id)!);
        break;
      case "undo":
        await this.#undo(row);
        break;
      case "release":
      case "expire":
        await this.#release(row, row.pending_op);
        break;
      case "promote":
        await this.#promote(row, row.ttl_seconds);
        break;
      case "commit":
        await this.#commit(row);
        break;
      case "fulfil":
        await this.#fulfil(row);
        break;
      case null:
        break;
    }
    return this.#row(row.id)!;
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

  async #fanOut<M extends SkuMethod>(skus: string[], method: M, inputFor: (sku: string) => SkuInputs[M]): Promise<SkuOutcome[]> {
    // The recovery alarm is armed before any SKU is called, so a crash from here on is
    // finished or undone by it.
    await this.#armBy();
    const settled = await Promise.allSettled(skus.map((sku) => this.#skus.call(sku, method, inputFor(sku))));
    return settled.map((s, i) => ({
      sku: skus[i]!,
      result:
        s.status === "fulfilled"
          ? s.value
          : { ok: false as const, code: "unreachable" as const, message: s.reason instanceof Error ? s.reason.message : "SKU call failed" },
    }));
  }

  #ref(row: Row, sku: string): ReservationRefInput {
    return { sku, reservationId: row.id, attempt: row.attempt, actor: row.actor };
  }

  /** Runs `fn` as the only operation on reservation `id`, then makes sure the alarm is armed. */
  #locked<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const previous = this.#locks.get(id) ?? Promise.resolve();
    const body = async () => {
      try {
        return await fn();
      } finally {
        await this.#armBy();
      }
    };
    const run = previous.then(body, body);
    const tail = run.then(
      () => undefined,
      () => undefined,
    );
    this.#locks.set(id, tail);
    void tail.then(() => {
      if (this.#locks.get(id) === tail) this.#locks.delete(id);
    });
    return run;
  }

  #row(id: string): Row | undefined {
    return this.#sql.exec<Row>("SELECT * FROM reservations WHERE id = ?", id).toArray()[0];
  }

  /** The row if it exists for this caller and ever became a reservation the client saw. */
  #visibleRow(input: LookupInput): Row | undefined {
    const row = this.#row(input.id);
    if (row === undefined || row.status === "failed" || row.status === "aborted") return undefined;
    if (!input.anyPrincipal && row.principal !== input.principal) return undefined;
    return row;
  }

  #parts(row: Row): SkuPart[] {
    return JSON.parse(row.parts_json) as SkuPart[];
  }

  #skuList(row: Row): string[] {
    return this.#parts(row).map((p) => p.sku);
  }

  #update(id: string, fields: Partial<Omit<Row, "id">>): void {
    const now = Date.now();
    const set: Record<string, unknown> = { updated_at: now, ...fields };
    if (fields.pending_op !== undefined && fields.pending_op !== null && fields.pending_since === undefined) {
      set.pending_since = now;
    }
    const columns = Object.keys(set);
    this.#sql.exec(
      `UPDATE reservations SET ${columns.map((c) => `${c} = ?`).join(", ")} WHERE id = ?`,
      ...columns.map((c) => set[c] as SqlStorageValue),
      id,
    );
  }

  #answer(row: Row): ReservationOutcome {
    return { ok: true, reservation: this.#view(row), replayed: false };
  }

  #view(row: Row): ReservationView {
    const status: PublicStatus = row.status === "failed" || row.status === "aborted" ? "released" : row.status;
    return {
      id: row.id,
      type: row.type,
      status,
      reference: row.reference,
      expiresAt: status === "active" || status === "pending" ? row.expires_at : null,
      createdAt: row.created_at,
      updatedAt: row.updated_at,
      lines: JSON.parse(row.lines_json) as ReservationLineView[],
    };
  }
}

/** When the reservation expires: every reserve records it; the TTL from creation is the fallback the column type asks for. */
function expiryOf(row: Row): number {
  return row.expires_at ?? row.created_at + row.ttl_seconds * 1000;
}

function linesOf(outcomes: SkuOutcome[]): ReservationLineView[] {
  return outcomes.flatMap((o) =>
    o.result.ok && "reservation" in o.result
      ? o.result.reservation.lines.map((l) => ({ sku: o.sku, locationId: l.locationId, quantity: l.quantity, backordered: l.backordered }))
      : [],
  );
}

function shortLines(outcomes: SkuOutcome[]): ShortLine[] {
  return outcomes.flatMap((o) =>
    !o.result.ok && o.result.code === "insufficient_stock" && "details" in o.result ? (o.result.details as ShortLine[]) : [],
  );
}

function unreachable(outcomes: SkuOutcome[]): { sku: string; code: string }[] {
  return outcomes.filter((o) => !o.result.ok).map((o) => ({ sku: o.sku, code: (o.result as { code: string }).code }));
}
