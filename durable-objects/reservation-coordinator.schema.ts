/**
 * SQLite schema of the ReservationCoordinator Durable Object (see STORAGE-SCHEMA.md).
 */
import { FAILURE_COUNTS_TABLE } from "./failure-counts";
import type { SqlMigration } from "./sql-migrations";

export const COORDINATOR_MIGRATIONS: readonly SqlMigration[] = [
  {
    version: 1,
    name: "reservations",
    statements: [
      `CREATE TABLE reservations (
        id TEXT PRIMARY KEY,
        request_hash TEXT NOT NULL,
        principal TEXT NOT NULL,
        actor TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('soft', 'hard')),
        status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'committed', 'fulfilled', 'released', 'expired', 'failed', 'aborted')),
        reference TEXT NOT NULL,
        ttl_seconds INTEGER NOT NULL,
        expires_at INTEGER,
        parts_json TEXT NOT NULL,
        lines_json TEXT NOT NULL DEFAULT '[]',
        answer_json TEXT,
        pending_op TEXT,
        pending_since INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      )`,
      `CREATE INDEX reservations_pending ON reservations (pending_since) WHERE pending_op IS NOT NULL`,
      `CREATE INDEX reservations_expiry ON reservations (expires_at) WHERE status = 'active'`,
      `CREATE INDEX reservations_finished ON reservations (updated_at)
         WHERE status IN ('fulfilled', 'released', 'expired', 'failed', 'aborted')`,
    ],
  },
  {
    version: 2,
    name: "alarm_backoff",
    statements: [
      // Alarm work on a reservation that failed (a recovery or an expiry the SKU objects did
      // not all confirm) is retried with backoff (failure-counts.ts): how often it failed and
      // when it is tried next. Cleared whenever the pending operation finishes.
      `ALTER TABLE reservations ADD COLUMN alarm_attempts INTEGER NOT NULL DEFAULT 0`,
      `ALTER TABLE reservations ADD COLUMN alarm_retry_at INTEGER`,
      `CREATE INDEX reservations_alarm_retry ON reservations (alarm_retry_at) WHERE alarm_retry_at IS NOT NULL`,
      `CREATE INDEX reservations_pending_fresh ON reservations (pending_since) WHERE pending_op IS NOT NULL AND alarm_retry_at IS NULL`,
      `CREATE INDEX reservations_expiry_idle ON reservations (expires_at)
         WHERE status = 'active' AND pending_op IS NULL AND alarm_retry_at IS NULL`,
      FAILURE_COUNTS_TABLE,
    ],
  },
  {
    version: 3,
    name: "amendments",
    statements: [
      // Amendments of a reservation (domain/reservation-amendments.ts), one row each, keyed by
      // the id the Worker derives from the caller's Idempotency-Key: the intent is written
      // before any SKU is called, and the first answer is replayed to a retry.
      `CREATE TABLE amendments (
        reservation_id TEXT NOT NULL,
        id TEXT NOT NULL,
        request_hash TEXT NOT NULL,
        actor TEXT NOT NULL,
        kind TEXT NOT NULL,
        amendment_json TEXT NOT NULL,
        skus_json TEXT NOT NULL DEFAULT '[]',
        status TEXT NOT NULL CHECK (status IN ('pending', 'applied', 'refused')),
        phase TEXT CHECK (phase IN ('apply', 'prepare', 'confirm', 'abort')),
        expires_at INTEGER,
        ttl_seconds INTEGER,
        answer_json TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (reservation_id, id)
      )`,
      `ALTER TABLE reservations ADD COLUMN pending_amendment TEXT`,
    ],
  },
  {
    version: 4,
    name: "preorder_type",
    statements: [
      // A reservation may be a pre-order (issue 14): the type's CHECK is rebuilt, so the table
      // is copied over as it is (no other table references it) with its indexes.
      `CREATE TABLE reservations_v4 (
        id TEXT PRIMARY KEY,
        request_hash TEXT NOT NULL,
        principal TEXT NOT NULL,
        actor TEXT NOT NULL,
        attempt INTEGER NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('soft', 'hard', 'preorder')),
        status TEXT NOT NULL CHECK (status IN ('pending', 'active', 'committed', 'fulfilled', 'released', 'expired', 'failed', 'aborted')),
        reference TEXT NOT NULL,
        ttl_seconds INTEGER NOT NULL,
        expires_at INTEGER,
        parts_json TEXT NOT NULL,
        lines_json TEXT NOT NULL DEFAULT '[]',
        answer_json TEXT,
        pending_op TEXT,
        pending_since INTEGER,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        alarm_attempts INTEGER NOT NULL DEFAULT 0,
        alarm_retry_at INTEGER,
        pending_amendment TEXT
      )`,
      `INSERT INTO reservations_v4 (id, request_hash, principal, actor, attempt, type, status, reference, ttl_seconds, expires_at,
         parts_json, lines_json, answer_json, pending_op, pending_since, created_at, updated_at, alarm_attempts, alarm_retry_at, pending_amendment)
       SELECT id, request_hash, principal, actor, attempt, type, status, reference, ttl_seconds, expires_at,
         parts_json, lines_json, answer_json, pending_op, pending_since, created_at, updated_at, alarm_attempts, alarm_retry_at, pending_amendment
       FROM reservations`,
      `DROP TABLE reservations`,
      `ALTER TABLE reservations_v4 RENAME TO reservations`,
      `CREATE INDEX reservations_pending ON reservations (pending_since) WHERE pending_op IS NOT NULL`,
      `CREATE INDEX reservations_expiry ON reservations (expires_at) WHERE status = 'active'`,
      `CREATE INDEX reservations_finished ON reservations (updated_at)
         WHERE status IN ('fulfilled', 'released', 'expired', 'failed', 'aborted')`,
      `CREATE INDEX reservations_alarm_retry ON reservations (alarm_retry_at) WHERE alarm_retry_at IS NOT NULL`,
      `CREATE INDEX reservations_pending_fresh ON reservations (pending_since) WHERE pending_op IS NOT NULL AND alarm_retry_at IS NULL`,
      `CREATE INDEX reservations_expiry_idle ON reservations (expires_at)
         WHERE status = 'active' AND pending_op IS NULL AND alarm_retry_at IS NULL`,
    ],
  },
  {
    version: 5,
    name: "key_claims",
    statements: [
      // Idempotency-Keys of direct (single-SKU) reservations (issue 11): the reservation itself
      // lives in its SKU's object; the key's coordinator shard keeps which request the key was
      // first used with, so the same key reused for another order (another SKU, or several) is
      // refused. Pruned FINISHED_RETENTION_MS after the claim.
      `CREATE TABLE key_claims (
        id TEXT PRIMARY KEY,
        request_hash TEXT NOT NULL,
        target TEXT NOT NULL,
        created_at INTEGER NOT NULL
      )`,
      `CREATE INDEX key_claims_created ON key_claims (created_at)`,
    ],
  },
  {
    version: 6,
    name: "key_claims_without_rowid",
    statements: [
      // The same table clustered on its key (issue 11): a claim, written for every direct
      // reservation, is one B-tree entry and its created_at index, not a rowid row, its key's
      // automatic index and created_at's.
      `CREATE TABLE key_claims_v6 (
        id TEXT PRIMARY KEY,
        request_hash TEXT NOT NULL,
        target TEXT NOT NULL,
        created_at INTEGER NOT NULL
      ) WITHOUT ROWID`,
      `INSERT INTO key_claims_v6 (id, request_hash, target, created_at) SELECT id, request_hash, target, created_at FROM key_claims`,
      `DROP TABLE key_claims`,
      `ALTER TABLE key_claims_v6 RENAME TO key_claims`,
      `CREATE INDEX key_claims_created ON key_claims (created_at)`,
    ],
  },
];
