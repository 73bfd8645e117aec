/**
 * SQLite schema of the SkuInventory Durable Object, newest last. Documented table by table
 * in `durable-objects/STORAGE-SCHEMA.md`; change both together.
 */
import type { SqlMigration } from "./sql-migrations";

export const SKU_INVENTORY_MIGRATIONS: readonly SqlMigration[] = [
  {
    version: 1,
    name: "counts_reservations_ledger",
    statements: [
      `CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)`,
      `CREATE TABLE stock (
        location_id TEXT PRIMARY KEY,
        on_hand INTEGER NOT NULL DEFAULT 0,
        reserved INTEGER NOT NULL DEFAULT 0,
        soft_held INTEGER NOT NULL DEFAULT 0,
        committed INTEGER NOT NULL DEFAULT 0,
        in_transit INTEGER NOT NULL DEFAULT 0,
        damaged INTEGER NOT NULL DEFAULT 0,
        on_hold INTEGER NOT NULL DEFAULT 0,
        updated_at INTEGER NOT NULL
      )`,
      `CREATE TABLE reservations (
        id TEXT PRIMARY KEY,
        attempt INTEGER NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('soft', 'hard')),
        status TEXT NOT NULL CHECK (status IN ('active', 'committed', 'fulfilled', 'released', 'expired')),
        reference TEXT,
        expires_at INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      )`,
      `CREATE INDEX reservations_due ON reservations (expires_at) WHERE status = 'active'`,
      `CREATE INDEX reservations_terminal ON reservations (updated_at) WHERE status IN ('fulfilled', 'released', 'expired')`,
      `CREATE TABLE reservation_lines (
        reservation_id TEXT NOT NULL REFERENCES reservations (id) ON DELETE CASCADE,
        location_id TEXT NOT NULL,
        quantity INTEGER NOT NULL CHECK (quantity > 0),
        backordered INTEGER NOT NULL DEFAULT 0 CHECK (backordered >= 0),
        PRIMARY KEY (reservation_id, location_id)
      )`,
      `CREATE INDEX reservation_lines_location ON reservation_lines (location_id)`,
      `CREATE TABLE ledger (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        location_id TEXT NOT NULL,
        op TEXT NOT NULL,
        reason TEXT,
        actor TEXT NOT NULL,
        reference TEXT,
        reservation_id TEXT,
        idempotency_key TEXT,
        d_on_hand INTEGER NOT NULL DEFAULT 0,
        d_reserved INTEGER NOT NULL DEFAULT 0,
        d_soft_held INTEGER NOT NULL DEFAULT 0,
        d_committed INTEGER NOT NULL DEFAULT 0,
        d_in_transit INTEGER NOT NULL DEFAULT 0,
        d_damaged INTEGER NOT NULL DEFAULT 0,
        d_on_hold INTEGER NOT NULL DEFAULT 0,
        before_json TEXT NOT NULL,
        after_json TEXT NOT NULL
      )`,
      `CREATE TABLE idempotency (
        key TEXT PRIMARY KEY,
        request_hash TEXT NOT NULL,
        response_json TEXT NOT NULL,
        created_at INTEGER NOT NULL
      )`,
      `CREATE INDEX idempotency_age ON idempotency (created_at)`,
    ],
  },
];
