/**
 * The saga behind every reservation: record the lines, fan out to the SKU objects, and
 * compensate when any SKU says no, so an order holds every line or none. Kept apart from
 * the Durable Object class so none of it is callable over RPC. This class holds what is
 * per object (one lock per reservation, the alarm) and the entry points; the rest is in
 * `reservation-coordinator/`: `steps.ts` (the saga's steps and recovery), `amendments.ts`
 * (amendments of a live reservation, all or nothing across SKUs), `gateway.ts` (the
 * typed hop to a SKU object), `rows.ts` (the table), `due-work.ts` (the alarm's storage side).
 *
 * Crash safety: the intent (`pending_op`) is written before any SKU is called, and the
 * output gate holds those calls until the write is durable. If the object dies mid-way,
 * its alarm re-runs the pending operation after RECOVERY_DELAY_MS: an interrupted
 * reservation is undone (its client never got an answer), any other operation is finished.
 * Every SKU call is idempotent, so re-running a fan-out is always safe.
 */
import { fail, type Failure } from "../domain/failures";
import { alarmRetryDelayMs, causeOf } from "./failure-counts";
import { migrateSchema } from "./sql-migrations";
import { COORDINATOR_MIGRATIONS } from "./reservation-coordinator.schema";
import type {
  AmendInput,
  AmendmentOutcome,
  CoordinatorHealth,
  CoordinatorReserveInput,
  KeyClaimInput,
  KeyClaimOutcome,
  LookupInput,
  ReservationOutcome,
  TransitionInput,
  TransitionOp,
} from "./reservation-coordinator.types";
import { AmendmentSteps, pruneAmendments } from "./reservation-coordinator/amendments";
import {
  alarmTaskFailed,
  coordinatorHealth,
  dueTasks,
  FINISHED_RETENTION_MS,
  nextDueAt,
  pruneFinished,
  type AlarmTask,
} from "./reservation-coordinator/due-work";
import type { SkuGateway } from "./reservation-coordinator/gateway";
import { awaitsArrivals, expiryDue, readRow, viewOf, visibleRow, type Answer, type Row } from "./reservation-coordinator/rows";
import { SagaSteps } from "./reservation-coordinator/steps";

export { FINISHED_RETENTION_MS } from "./reservation-coordinator/due-work";
export type { SkuAnswers, SkuGateway, SkuInputs, SkuMethod } from "./reservation-coordinator/gateway";

/** How long a pending operation may run before the alarm takes it over (ms). */
export const RECOVERY_DELAY_MS = 15_000;

export class ReservationCoordinatorStore {
  readonly #storage: DurableObjectStorage;
  readonly #sql: SqlStorage;
  readonly #steps: SagaSteps;
  readonly #amendments: AmendmentSteps;
  /** One operation at a time per reservation; other reservations proceed in parallel. */
  readonly #locks = new Map<string, Promise<unknown>>();
  readonly #recoveryDelayMs: number;
  /** The object's clock (ms). */
  readonly #now: () => number;
  /** The alarm time last set, so it is written only when it moves. */
  #alarmAt: number | null;
  /** Alarm runs in a row that found work in flight in this instance (in memory: a crash ends that work). */
  #deferrals = 0;

  constructor(storage: DurableObjectStorage, skus: SkuGateway, alarmAt: number | null, recoveryDelayMs = RECOVERY_DELAY_MS, now: () => number = Date.now) {
    this.#storage = storage;
    this.#sql = storage.sql;
    this.#steps = new SagaSteps(storage.sql, skus, now, (row) => this.#armForPending(row));
    this.#amendments = new AmendmentSteps(storage.sql, skus, now, (row) => this.#armForPending(row), this.#steps);
    this.#steps.recoverAmendment = (row) => this.#amendments.recover(row);
    this.#alarmAt = alarmAt;
    this.#recoveryDelayMs = recoveryDelayMs;
    this.#now = now;
    migrateSchema(storage, COORDINATOR_MIGRATIONS);
  }

  /** Sets the one alarm to exactly `next` (from `runDueWork`), or deletes it (from the alarm handler). */
  async schedule(next: number | null): Promise<void> {
    if (next === this.#alarmAt) return;
    if (next === null) await this.#storage.deleteAlarm();
    else await this.#storage.setAlarm(next);
    this.#alarmAt = next;
  }

  /**
   * Sets the alarm to `next` when that is earlier than the alarm set (or none is set); never
   * moves it later. For new due work at `next` (a fan-out's recovery, a key claim's pruning)
   * this is all it takes, with nothing to read: every operation leaves the alarm no later
   * than all other due work (`#armAfterOperation`, `schedule`), or unset when there is none,
   * so moving it earlier to `next` keeps it no later than all of it. On the hot path the
   * alarm is only ever moved earlier: one that fires early finds nothing due and re-arms
   * precisely. (Inside an alarm run, which has forgotten its time, this may set it again; the
   * run then sets the exact time.)
   */
  async #moveEarlierTo(next: number | null): Promise<void> {
    if (next === null || (this.#alarmAt !== null && this.#alarmAt <= next)) return;
    await this.#storage.setAlarm(next);
    this.#alarmAt = next;
  }

  /**
   * After an operation on a reservation: the alarm no later than the earliest due work (read
   * here, the one place besides an alarm run that reads it). And when the alarm is set sooner
   * than that work, within the recovery delay (its steps armed it for their recovery and have
   * since finished), and nothing else is in flight here, it is moved to the due work: one
   * storage write now instead of an alarm run RECOVERY_DELAY_MS on that finds nothing due —
   * by then a coordinator used once has been evicted (workerd evicts after 10 s idle;
   * Cloudflare may hibernate it as soon) and must start again for it. With other operations
   * in flight the early alarm stays: they arm it again, and the last to finish moves it.
   */
  async #armAfterOperation(): Promise<void> {
    const next = this.nextDueAt();
    const early = this.#alarmAt !== null && (next === null || this.#alarmAt < next) && this.#alarmAt <= this.#now() + this.#recoveryDelayMs;
    // The map holds this operation's own chain until it ends: more entries are others in flight.
    if (early && this.#locks.size <= 1) return this.schedule(next);
    await this.#moveEarlierTo(next);
  }

  /** Before a fan-out for `row` (as stored, its step recorded as pending): the alarm no later than that step's recovery. */
  #armForPending(row: Row): Promise<void> {
    return this.#moveEarlierTo((row.pending_since ?? this.#now()) + this.#recoveryDelayMs);
  }

  /** Forgets the remembered alarm time (the alarm just fired). */
  alarmFired(): void {
    this.#alarmAt = null;
  }

  /** Creates the reservation, or replays the first answer to the same key. */
  reserve(input: CoordinatorReserveInput): Promise<ReservationOutcome> {
    return this.#locked(input.id, async () => {
      const now = this.#now();
      let row = this.#row(input.id);
      if (row !== undefined && row.request_hash !== input.requestHash) {
        return fail("idempotency_conflict", "this Idempotency-Key was already used with a different request");
      }
      // The key may have been used for a direct (single-SKU) reservation, which its SKU's object holds.
      const claim = this.#claim(input.id);
      if (row === undefined && claim !== undefined && claim.request_hash !== input.requestHash) {
        return fail("idempotency_conflict", "this Idempotency-Key was already used with a different request");
      }
      if (row !== undefined && row.answer_json !== null) {
        return { ...(JSON.parse(row.answer_json) as Answer), replayed: true } as ReservationOutcome;
      }
      if (row === undefined) {
        row = this.#sql
          .exec<Row>(
            `INSERT INTO reservations (id, request_hash, principal, actor, attempt, type, status, reference, ttl_seconds,
               expires_at, parts_json, pending_op, pending_since, created_at, updated_at)
             VALUES (?, ?, ?, ?, 1, ?, 'pending', ?, ?, ?, ?, 'reserve', ?, ?, ?) RETURNING *`,
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
          )
          .toArray()[0]!;
      } else if (row.status === "aborted") {
        // An earlier attempt never answered (crash or transient fault): finish undoing it,
        // then try again under a new attempt number.
        if (row.pending_op === "undo" && (await this.#steps.undo(row)) !== null) {
          return fail("retry_later", "an earlier attempt is still being undone; retry shortly");
        }
        // The next attempt takes this request's parts: a re-planned order's lines may differ.
        row = this.#sql
          .exec<Row>(
            `UPDATE reservations SET attempt = attempt + 1, status = 'pending', expires_at = ?, pending_op = 'reserve',
               pending_since = ?, updated_at = ?, parts_json = ? WHERE id = ? RETURNING *`,
            now + row.ttl_seconds * 1000,
            now,
            now,
            JSON.stringify(input.parts),
            row.id,
          )
          .toArray()[0]!;
      } else if (input.refusal !== undefined && (await this.#steps.undo(row)) !== null) {
        // A fan-out a crash interrupted may hold stock: it is undone before the refusal is stored.
        return fail("retry_later", "an earlier attempt is still being undone; retry shortly");
      }
      // `row` is as stored: just written (RETURNING), or read above with nothing written since
      // that the steps below use (a refusal's undo leaves only its id to them).
      if (input.refusal !== undefined) {
        this.#sql.exec(
          "UPDATE reservations SET status = 'failed', pending_op = NULL, pending_since = NULL, answer_json = ?, updated_at = ? WHERE id = ?",
          JSON.stringify(input.refusal),
          now,
          row.id,
        );
        return input.refusal;
      }
      const outcome = await this.#steps.runReserve(row);
      if (input.replannable === true && !outcome.ok && outcome.code === "insufficient_stock") {
        // Not the final answer: the caller plans again and sends the next attempt's parts.
        this.#sql.exec("UPDATE reservations SET status = 'aborted', answer_json = NULL WHERE id = ? AND status = 'failed'", row.id);
      }
      return outcome;
    });
  }

  /**
   * Claims an Idempotency-Key for a direct reservation (its SKU's object takes it, in parallel):
   * refused when the key was first used with another request, here or for another direct one.
   */
  claimKey(input: KeyClaimInput): Promise<KeyClaimOutcome> {
    // A new claim adds one piece of due work, its pruning: the alarm need only be armed that early.
    let pruneAt: number | null = null;
    const arm = () => (pruneAt === null ? Promise.resolve() : this.#moveEarlierTo(pruneAt));
    return this.#locked(
      input.id,
      async () => {
        // A new key (the common case) is claimed in one statement: the claim is written unless
        // the key has an order here or a claim already. Only then is either read.
        const now = this.#now();
        const claimed = this.#sql
          .exec(
            `INSERT INTO key_claims (id, request_hash, target, created_at)
             SELECT ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM reservations WHERE id = ?)
             ON CONFLICT (id) DO NOTHING RETURNING id`,
            input.id,
            input.requestHash,
            input.target,
            now,
            input.id,
          )
          .toArray();
        if (claimed.length > 0) {
          pruneAt = now + FINISHED_RETENTION_MS;
          return { ok: true, claim: "claimed" };
        }
        // The key's order here (coordinated) or its earlier claim, in one statement: the order wins.
        const [first] = this.#sql
          .exec<{ coordinated: number; request_hash: string }>(
            `SELECT 1 AS coordinated, request_hash FROM reservations WHERE id = ?
             UNION ALL SELECT 0, request_hash FROM key_claims WHERE id = ?
             ORDER BY coordinated DESC LIMIT 1`,
            input.id,
            input.id,
          )
          .toArray();
        if (first !== undefined && first.request_hash !== input.requestHash) {
          return fail("idempotency_conflict", "this Idempotency-Key was already used with a different request");
        }
        if (first?.coordinated === 1) return { ok: true, claim: "coordinated" };
        return { ok: true, claim: "claimed" };
      },
      arm,
    );
  }

  /** Promotes, commits, fulfils or releases every line, or none. */
  transition(op: TransitionOp, input: TransitionInput): Promise<ReservationOutcome> {
    return this.#locked(input.id, async () => {
      let row = visibleRow(this.#sql, input);
      if (row === undefined) return fail("reservation_not_found", `no reservation ${input.id}`);
      if (row.pending_op !== null) {
        await this.#steps.recover(row);
        row = this.#row(input.id)!;
      }
      row = await this.#steps.expireIfDue(row);
      switch (op) {
        case "release":
          return this.#steps.release(row);
        case "promote":
          return this.#steps.promote(row, input.ttlSeconds ?? row.ttl_seconds);
        case "commit":
          return this.#steps.commit(row);
        case "fulfil":
          return this.#steps.fulfil(row);
      }
    });
  }

  /**
   * Amends a reservation on every SKU it touches, all or nothing (reservation-coordinator/amendments.ts);
   * replays the first answer to a repeated amendment id.
   */
  amend(input: AmendInput): Promise<AmendmentOutcome> {
    return this.#locked(input.id, () => this.#amendments.amend(input));
  }

  /** The reservation as it stands (expired if its time has come). */
  get(input: LookupInput): Promise<ReservationOutcome> {
    return this.#locked(input.id, async () => {
      let row = visibleRow(this.#sql, input);
      if (row === undefined) return fail("reservation_not_found", `no reservation ${input.id}`);
      row = await this.#steps.expireIfDue(row);
      // Backordered and pre-ordered units are covered in the SKU objects as units arrive: ask them.
      if (row.pending_op === null && awaitsArrivals(row)) row = await this.#steps.refreshLines(row);
      return { ok: true, reservation: viewOf(row), replayed: false };
    });
  }

  /**
   * Alarm work: take over operations stuck longer than RECOVERY_DELAY_MS, expire what is
   * due, prune old rows. Returns when the alarm should next fire, or null.
   *
   * Nothing is skipped silently: a task that leaves its reservation unfinished (or throws)
   * is logged, counted and backed off on its row, so the reservation is due again at its
   * retry, not at a past time; a reservation whose operation is still in flight in this
   * instance is left to it (logged), and the alarm then waits with backoff instead of
   * firing again at once. An expiry is never run over a pending operation: that operation
   * is recovered first.
   */
  async runDueWork(): Promise<number | null> {
    const now = this.#now();
    const running: [string, AlarmTask, Promise<void>][] = [];
    let deferred = 0;
    for (const [id, task] of dueTasks(this.#sql, now, this.#recoveryDelayMs)) {
      if (this.#locks.has(id)) {
        // An operation on it is in flight in this instance: it is left to that operation.
        deferred += 1;
        console.warn(JSON.stringify({ event: "coordinator.alarm_task_deferred", reservationId: id, task, reason: "an operation on it is in flight" }));
        continue;
      }
      running.push([id, task, this.#locked(id, () => this.#runAlarmTask(id, task, now))]);
    }
    const settled = await Promise.allSettled(running.map(([, , run]) => run));
    settled.forEach((s, i) => {
      if (s.status === "fulfilled") return;
      const [id, task] = running[i]!;
      alarmTaskFailed(this.#sql, this.#now(), id, task, "exception", causeOf(s.reason));
    });
    pruneFinished(this.#sql, now);
    pruneAmendments(this.#sql);
    const next = this.nextDueAt();
    this.#deferrals = deferred > 0 ? this.#deferrals + 1 : 0;
    // What was left to an operation in flight is due again at once by its row; wait with
    // backoff instead (that operation re-arms the alarm when it finishes).
    const later = this.#now();
    return deferred > 0 && next !== null && next <= later ? later + alarmRetryDelayMs(this.#deferrals) : next;
  }

  /** One reservation's alarm work; a reservation still unfinished after it counts as a failure. */
  async #runAlarmTask(id: string, task: AlarmTask, now: number): Promise<void> {
    let row = this.#row(id);
    if (row === undefined) return;
    let failure: Failure | null = null;
    if (task === "recover" && row.pending_op !== null) {
      failure = await this.#steps.recover(row);
      row = this.#row(id)!;
    }
    if (expiryDue(row, now)) {
      const released = await this.#steps.release(row, "expire");
      failure = released.ok ? null : released;
      row = this.#row(id)!;
    }
    if (row.pending_op !== null || expiryDue(row, now)) {
      const error = failure === null ? `${row.pending_op ?? "expiry"} is unfinished` : causeOf(failure);
      alarmTaskFailed(this.#sql, this.#now(), id, task, failure?.code ?? "unfinished", error, failure?.details);
    }
  }

  /** When the alarm should next fire, or null. A reservation whose alarm work failed is due at its retry. */
  nextDueAt(): number | null {
    return nextDueAt(this.#sql, this.#recoveryDelayMs);
  }

  /** Failures of the coordinator's background work (counted, never reset) and what waits for a retry. */
  health(): CoordinatorHealth {
    return coordinatorHealth(this.#sql, this.#recoveryDelayMs);
  }

  /** Runs `fn` as the only operation on reservation `id`, then makes sure the alarm is armed (`#armAfterOperation`, unless `arm` says otherwise). */
  #locked<T>(id: string, fn: () => Promise<T>, arm: () => Promise<void> = () => this.#armAfterOperation()): Promise<T> {
    const previous = this.#locks.get(id) ?? Promise.resolve();
    const body = async () => {
      try {
        return await fn();
      } finally {
        await arm();
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
    return readRow(this.#sql, id);
  }

  #claim(id: string): { request_hash: string } | undefined {
    return this.#sql.exec<{ request_hash: string }>("SELECT request_hash FROM key_claims WHERE id = ?", id).toArray()[0];
  }
}
