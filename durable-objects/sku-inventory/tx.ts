/**
 * The explicit transaction context of the SKU object. A `Tx` is created only by
 * `Tx.run`, inside `ctx.storage.transactionSync`, and is passed to every function that
 * changes counts or writes ledger, outbox or reservation rows; it carries what the running
 * transaction has touched and the events it will write. No module keeps transaction state
 * of its own, so a count cannot change outside a transaction: without a `Tx` there is no
 * way to call `change()`, and a `Tx` kept past its transaction refuses to be used.
 *
 * At the end of the transaction the runner checks the invariants of every location the
 * transaction touched (against `line_totals`), adds a threshold event when total available
 * crossed the reorder point or zero, and writes the events to the outbox; a breach, or a
 * `Rollback` thrown by the work, rolls everything back and becomes the failure answered.
 */
import type { InventoryEvent } from "../../domain/events";
import { fail, type Failure } from "../../domain/failures";
import { applyDelta, checkInvariants, type LineSums, type Quantities, QUANTITY_FIELDS, ZERO_QUANTITIES } from "../../domain/quantities";
import { serveBackorders } from "./backorders";
import { reconcileLots } from "./lots";
import { servePreorders } from "./preorders";
import { lineSums, quantities, totals } from "./counts";
import { thresholdEvent, writeOutbox } from "./outbox";
import type { SkuDb } from "./rows";

/** An event of the running transaction before it gets its SKU-wide sequence (outbox.ts). */
export type PendingEvent = Omit<InventoryEvent, "id" | "sequence" | "sku">;

/** Thrown inside a transaction to roll it back and answer with a failure value. */
export class Rollback extends Error {
  constructor(readonly failure: Failure) {
    super(failure.message);
  }
}

export class Tx {
  readonly db: SkuDb;
  /** The time of the change (ms), from the object's clock. */
  readonly now: number;
  readonly #touched = new Set<string>();
  readonly #events: PendingEvent[] = [];
  /** Each location's counts as read or written in this transaction (`change()` is their only writer). */
  readonly #stock = new Map<string, Quantities>();
  /** The sum of every `change()`'s delta: the totals before the transaction are the totals after, less this. */
  #moved: Quantities = { ...ZERO_QUANTITIES };
  #open = true;

  private constructor(db: SkuDb, now: number) {
    this.db = db;
    this.now = now;
  }

  /** The storage to write to, while the transaction runs. */
  get sql(): SqlStorage {
    this.#check();
    return this.db.sql;
  }

  /**
   * Runs `fn` in one synchronous transaction with a fresh `Tx`. Returns its result, or the
   * failure of a `Rollback` (or of an invariant breach), with nothing written.
   */
  static run<T>(db: SkuDb, now: number, fn: (tx: Tx) => T): T | Failure {
    let tx: Tx | null = null;
    let totalsAfter: Quantities | null = null;
    try {
      const outcome = db.storage.transactionSync(() => {
        const current = new Tx(db, now);
        tx = current;
        db.epoch += 1;
        const result = fn(current);
        // Units that arrived anywhere this transaction touched cover waiting backorders first
        // (backorders.ts), then waiting pre-orders (preorders.ts); lots follow the units (lots.ts).
        // The line sums read to find backorders still hold for the invariants below when nothing
        // was covered there and neither pre-orders nor lots may move lines afterwards.
        const sums = new Map<string, LineSums>();
        for (const locationId of current.#touched) {
          const read = lineSums(db.sql, locationId);
          if (serveBackorders(current, locationId, read).length === 0) sums.set(locationId, read);
        }
        const inbound = db.inbound.get(db.sql);
        if (inbound.preorders || inbound.lots) sums.clear();
        if (inbound.preorders) for (const locationId of current.#touched) servePreorders(current, locationId);
        if (inbound.lots) for (const locationId of current.#touched) reconcileLots(current, locationId);
        for (const locationId of current.#touched) {
          const breaches = checkInvariants(current.quantities(locationId), sums.get(locationId) ?? lineSums(db.sql, locationId));
          if (breaches.length > 0) {
            throw new Rollback(fail("invariant_violation", `invariant broken at ${locationId}; change rolled back`, breaches));
          }
        }
        if (current.#touched.size > 0) {
          // The totals as the last committed transaction left them (read once per instance), plus this one's changes.
          const after = db.totals === null ? totals(db.sql) : applyDelta(db.totals, current.#moved);
          const before = { ...after };
          for (const f of QUANTITY_FIELDS) before[f] -= current.#moved[f];
          thresholdEvent(current, before, after);
          totalsAfter = after;
        }
        writeOutbox(current);
        return result;
      });
      if (totalsAfter !== null) db.totals = totalsAfter;
      return outcome;
    } catch (error) {
      // The rolled-back transaction may have remembered a policy (or flags) that storage no longer has.
      db.totals = null;
      db.policy.forget();
      db.inbound.forget();
      db.meta.forget();
      if (error instanceof Rollback) return error.failure;
      throw error;
    } finally {
      const ended = tx as Tx | null;
      if (ended !== null) ended.#close();
    }
  }

  /** One location's counts, read once per transaction and kept current by `change()` (a copy: the caller may change it). */
  quantities(locationId: string): Quantities {
    this.#check();
    let q = this.#stock.get(locationId);
    if (q === undefined) {
      q = quantities(this.db.sql, locationId);
      this.#stock.set(locationId, q);
    }
    return { ...q };
  }

  /** Records what `change()` wrote at a location: its counts now, and the delta applied. */
  changed(locationId: string, after: Quantities, delta: Quantities): void {
    this.#check();
    this.#stock.set(locationId, { ...after });
    this.#moved = applyDelta(this.#moved, delta);
    this.#touched.add(locationId);
  }

  /** Marks a location changed: its invariants are checked before the transaction commits. */
  touch(locationId: string): void {
    this.#check();
    this.#touched.add(locationId);
  }

  /** Adds an event to those the transaction writes to the outbox. */
  emit(event: PendingEvent): void {
    this.#check();
    this.#events.push(event);
  }

  /** The events of the transaction so far, in order. */
  get events(): readonly PendingEvent[] {
    return this.#events;
  }

  #check(): void {
    if (!this.#open) throw new Error("this transaction has ended; changes need a running transaction");
  }

  #close(): void {
    this.#open = false;
  }
}
