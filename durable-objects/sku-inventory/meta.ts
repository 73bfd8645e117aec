/**
 * The object's `meta` and `idempotency` tables: which SKU it holds, the reservation rules
 * last sent with a request (for changes no request brings, such as expiry), the live
 * feed's view settings, and the first answers replayed for repeated idempotency keys.
 */
import type { PublicViewConfig } from "../../domain/availability";
import { fail, type Failure } from "../../domain/failures";
import type { SkuPolicy } from "../sku-inventory.types";
import type { Tx } from "./tx";

/** Idempotency records are kept this long (ms); a retry later than this is a new request. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;

/**
 * The stored policy, read once. Written only inside a transaction; the transaction runner
 * forgets it when the transaction rolls back, so it never holds a value storage does not.
 */
export class PolicyCache {
  #value: SkuPolicy | null = null;

  /** The reservation rules last stored, or null if no request has brought any yet. */
  get(sql: SqlStorage): SkuPolicy | null {
    if (this.#value === null) {
      const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'policy'").toArray()[0];
      if (row !== undefined) this.#value = JSON.parse(row.value) as SkuPolicy;
    }
    return this.#value;
  }

  /** Called by the transaction runner on rollback. */
  forget(): void {
    this.#value = null;
  }

  /** Remembers the reservation rules sent with a request (written only when they change). */
  remember(tx: Tx, policy: SkuPolicy): void {
    const current = this.get(tx.sql);
    if (current !== null && JSON.stringify(current) === JSON.stringify(policy)) return;
    tx.sql.exec("INSERT INTO meta (key, value) VALUES ('policy', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", JSON.stringify(policy));
    this.#value = policy;
  }
}

/**
 * What every change needs from `meta`, read once per instance: which SKU the object holds
 * (written once, never changed: first write wins) and its last event sequence. The sequence is
 * not stored on its own (since session 13): every event ever written is either still in the
 * outbox or was deleted by a confirmation, which first raises `applied_seq` to at least its
 * sequence (`eventsConfirmed`), so the last one is the highest of the outbox's sequences,
 * `applied_seq` and the `event_seq` objects wrote before. The runner forgets both when a
 * transaction rolls back, so the cache never holds what storage does not; a change then costs
 * no statement for either.
 */
export class MetaCache {
  #sku: string | null = null;
  #eventSequence: number | null = null;

  /** The SKU this object holds, if it has been told. */
  sku(sql: SqlStorage): string | null {
    this.#sku ??= skuOf(sql);
    return this.#sku;
  }

  /** Records which SKU this object holds (first write wins; nothing to write once it is known). */
  rememberSku(tx: Tx, sku: string): void {
    if (this.sku(tx.sql) !== null) return;
    storeSku(tx.sql, sku);
    this.#sku = sku;
  }

  /** The last event sequence written (0 before the first event). */
  eventSequence(sql: SqlStorage): number {
    this.#eventSequence ??= lastEventSequence(sql);
    return this.#eventSequence;
  }

  /** The transaction wrote events up to `sequence` (their outbox rows are its record). */
  eventsWritten(sequence: number): void {
    this.#eventSequence = sequence;
  }

  /** Called by the transaction runner on rollback. */
  forget(): void {
    this.#sku = null;
    this.#eventSequence = null;
  }
}

/**
 * The last event sequence in storage: the outbox's highest, the highest a confirmation
 * deleted (`applied_seq`), or `event_seq` (written with every event before session 13).
 */
export function lastEventSequence(sql: SqlStorage): number {
  return sql
    .exec<{ sequence: number }>(
      `SELECT MAX(
         COALESCE((SELECT MAX(sequence) FROM outbox), 0),
         COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'applied_seq'), 0),
         COALESCE((SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'event_seq'), 0)
       ) AS sequence`,
    )
    .one().sequence;
}

/** Writes which SKU this object holds (first write wins). */
export function storeSku(sql: SqlStorage, sku: string): void {
  sql.exec("INSERT INTO meta (key, value) VALUES ('sku', ?) ON CONFLICT (key) DO NOTHING", sku);
}

/** Records which SKU this object holds (first write wins), in the running transaction. */
export function rememberSku(tx: Tx, sku: string): void {
  tx.db.meta.rememberSku(tx, sku);
}

/** The SKU this object holds, if it has been told. */
export function skuOf(sql: SqlStorage): string | null {
  return sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'sku'").toArray()[0]?.value ?? null;
}

/** The live feed's view settings, as the Worker last sent them. */
export function liveConfig(sql: SqlStorage): PublicViewConfig | null {
  const row = sql.exec<{ value: string }>("SELECT value FROM meta WHERE key = 'live_config'").toArray()[0];
  return row === undefined ? null : (JSON.parse(row.value) as PublicViewConfig);
}

export function setLiveConfig(sql: SqlStorage, config: PublicViewConfig): void {
  sql.exec("INSERT INTO meta (key, value) VALUES ('live_config', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", JSON.stringify(config));
}

/**
 * The stored first answer to `key` (marked `replayed`), a conflict if the key came with
 * another request, or null for a new key.
 */
export function idempotentReplay<T extends { replayed: boolean }>(sql: SqlStorage, key: string, requestHash: string): T | Failure | null {
  const row = sql.exec<{ request_hash: string; response_json: string }>("SELECT request_hash, response_json FROM idempotency WHERE key = ?", key).toArray()[0];
  if (row === undefined) return null;
  if (row.request_hash !== requestHash) {
    return fail("idempotency_conflict", "this Idempotency-Key was already used with a different request");
  }
  const stored = JSON.parse(row.response_json) as T;
  return { ...stored, replayed: true };
}

/** Stores the first answer to `key`, in the transaction that made it. */
export function recordIdempotency(tx: Tx, key: string, requestHash: string, response: unknown): void {
  tx.sql.exec("INSERT INTO idempotency (key, request_hash, response_json, created_at) VALUES (?, ?, ?, ?)", key, requestHash, JSON.stringify(response), tx.now);
}
