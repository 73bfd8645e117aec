/**
 * SQLite schema of the ReservationCoordinator Durable Object (see STORAGE-SCHEMA.md).
 */
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
];
