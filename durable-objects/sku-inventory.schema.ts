/**
 * SQLite schema of the SkuInventory Durable Object, newest last. Documented table by table
 * in `durable-objects/STORAGE-SCHEMA.md`; change both together.
 */
import { FAILURE_COUNTS_TABLE } from "./failure-counts";
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
      // Running sums of live reservation lines per location, kept by triggers on the line
      // and reservation tables (not by the code that moves the counts), so comparing them
      // with the counts before every commit is an independent O(1) check.
      `CREATE TABLE line_totals (
        location_id TEXT PRIMARY KEY,
        active_hard INTEGER NOT NULL DEFAULT 0,
        active_soft INTEGER NOT NULL DEFAULT 0,
        committed INTEGER NOT NULL DEFAULT 0,
        backordered INTEGER NOT NULL DEFAULT 0
      )`,
      `CREATE TRIGGER line_totals_on_insert AFTER INSERT ON reservation_lines BEGIN
        INSERT INTO line_totals (location_id) VALUES (NEW.location_id) ON CONFLICT (location_id) DO NOTHING;
        UPDATE line_totals SET
          active_hard = active_hard + NEW.quantity * COALESCE((SELECT status = 'active' AND type = 'hard' FROM reservations WHERE id = NEW.reservation_id), 0),
          active_soft = active_soft + NEW.quantity * COALESCE((SELECT status = 'active' AND type = 'soft' FROM reservations WHERE id = NEW.reservation_id), 0),
          committed = committed + NEW.quantity * COALESCE((SELECT status = 'committed' FROM reservations WHERE id = NEW.reservation_id), 0),
          backordered = backordered + NEW.backordered * COALESCE((SELECT status IN ('active', 'committed') FROM reservations WHERE id = NEW.reservation_id), 0)
        WHERE location_id = NEW.location_id;
      END`,
      `CREATE TRIGGER line_totals_on_delete AFTER DELETE ON reservation_lines BEGIN
        UPDATE line_totals SET
          active_hard = active_hard - OLD.quantity * COALESCE((SELECT status = 'active' AND type = 'hard' FROM reservations WHERE id = OLD.reservation_id), 0),
          active_soft = active_soft - OLD.quantity * COALESCE((SELECT status = 'active' AND type = 'soft' FROM reservations WHERE id = OLD.reservation_id), 0),
          committed = committed - OLD.quantity * COALESCE((SELECT status = 'committed' FROM reservations WHERE id = OLD.reservation_id), 0),
          backordered = backordered - OLD.backordered * COALESCE((SELECT status IN ('active', 'committed') FROM reservations WHERE id = OLD.reservation_id), 0)
        WHERE location_id = OLD.location_id;
      END`,
      `CREATE TRIGGER line_totals_on_line_update AFTER UPDATE OF quantity, backordered ON reservation_lines BEGIN
        UPDATE line_totals SET
          active_hard = active_hard + (NEW.quantity - OLD.quantity) * COALESCE((SELECT status = 'active' AND type = 'hard' FROM reservations WHERE id = NEW.reservation_id), 0),
          active_soft = active_soft + (NEW.quantity - OLD.quantity) * COALESCE((SELECT status = 'active' AND type = 'soft' FROM reservations WHERE id = NEW.reservation_id), 0),
          committed = committed + (NEW.quantity - OLD.quantity) * COALESCE((SELECT status = 'committed' FROM reservations WHERE id = NEW.reservation_id), 0),
          backordered = backordered + (NEW.backordered - OLD.backordered) * COALESCE((SELECT status IN ('active', 'committed') FROM reservations WHERE id = NEW.reservation_id), 0)
        WHERE location_id = NEW.location_id;
      END`,
      `CREATE TRIGGER line_totals_on_reservation_update AFTER UPDATE OF type, status ON reservations BEGIN
        UPDATE line_totals SET
          active_hard = line_totals.active_hard + l.quantity * ((NEW.status = 'active' AND NEW.type = 'hard') - (OLD.status = 'active' AND OLD.type = 'hard')),
          active_soft = line_totals.active_soft + l.quantity * ((NEW.status = 'active' AND NEW.type = 'soft') - (OLD.status = 'active' AND OLD.type = 'soft')),
          committed = line_totals.committed + l.quantity * ((NEW.status = 'committed') - (OLD.status = 'committed')),
          backordered = line_totals.backordered + l.backordered * ((NEW.status IN ('active', 'committed')) - (OLD.status IN ('active', 'committed')))
        FROM reservation_lines l
        WHERE l.reservation_id = NEW.id AND line_totals.location_id = l.location_id;
      END`,
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
  {
    version: 2,
    name: "outbox",
    statements: [
      // Events written in the same transaction as the change they describe; the alarm sends
      // them to the EVENTS queue and deletes them only once the send succeeded.
      `CREATE TABLE outbox (
        sequence INTEGER PRIMARY KEY,
        event_json TEXT NOT NULL,
        created_at INTEGER NOT NULL,
        attempts INTEGER NOT NULL DEFAULT 0,
        next_attempt_at INTEGER NOT NULL
      )`,
      `CREATE INDEX outbox_due ON outbox (next_attempt_at)`,
    ],
  },
  {
    version: 3,
    name: "vendor_sync",
    statements: [
      // Per location: the vendor's last accepted feed value and our on-hand's standing
      // offset from it (local movements since then add to it). See domain/sync.ts.
      `CREATE TABLE sync_state (
        location_id TEXT PRIMARY KEY,
        vendor_on_hand INTEGER NOT NULL,
        local_offset INTEGER NOT NULL,
        last_job_id TEXT NOT NULL,
        last_synced_at INTEGER NOT NULL
      )`,
      `CREATE TABLE sync_reviews (
        id TEXT PRIMARY KEY,
        location_id TEXT NOT NULL,
        job_id TEXT NOT NULL,
        mode TEXT NOT NULL CHECK (mode IN ('absolute', 'delta')),
        vendor_quantity INTEGER NOT NULL,
        on_hand_at_review INTEGER NOT NULL,
        proposed INTEGER NOT NULL,
        reason TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('open', 'accepted', 'rejected', 'superseded')),
        created_at INTEGER NOT NULL,
        resolved_at INTEGER,
        resolved_by TEXT
      )`,
      `CREATE INDEX sync_reviews_open ON sync_reviews (location_id) WHERE status = 'open'`,
    ],
  },
  {
    version: 4,
    name: "expiry_backoff",
    statements: [
      // An expiry that failed is retried with backoff (failure-counts.ts): how often it
      // failed and when it is tried next. A reservation is due at MAX(expires_at, retry).
      `ALTER TABLE reservations ADD COLUMN expiry_attempts INTEGER NOT NULL DEFAULT 0`,
      `ALTER TABLE reservations ADD COLUMN expiry_retry_at INTEGER`,
      `CREATE INDEX reservations_due_fresh ON reservations (expires_at) WHERE status = 'active' AND expiry_retry_at IS NULL`,
      `CREATE INDEX reservations_expiry_retry ON reservations (expiry_retry_at) WHERE status = 'active' AND expiry_retry_at IS NOT NULL`,
      FAILURE_COUNTS_TABLE,
    ],
  },
  {
    version: 5,
    name: "outbox_confirmation",
    statements: [
      // A sent event stays until the EVENTS consumer has applied it (D1 processed_events):
      // sent_at is when it was last sent, resends how often it had to be sent again because
      // the queue lost it. next_attempt_at is then when to check (outbox.ts).
      `ALTER TABLE outbox ADD COLUMN sent_at INTEGER`,
      `ALTER TABLE outbox ADD COLUMN resends INTEGER NOT NULL DEFAULT 0`,
    ],
  },
  {
    version: 6,
    name: "transfers",
    statements: [
      // One row per transfer line of this SKU (sku-inventory/transfers.ts). A row with
      // status 'cancelled' and quantity 0 is a tombstone: a cancel reached this SKU before
      // (or instead of) the create, so a late create moves nothing.
      `CREATE TABLE transfers (
        id TEXT PRIMARY KEY,
        from_location TEXT NOT NULL,
        to_location TEXT NOT NULL,
        quantity INTEGER NOT NULL CHECK (quantity >= 0),
        received INTEGER NOT NULL DEFAULT 0,
        damaged INTEGER NOT NULL DEFAULT 0,
        short INTEGER NOT NULL DEFAULT 0,
        returned INTEGER NOT NULL DEFAULT 0,
        status TEXT NOT NULL CHECK (status IN ('in_transit', 'partially_received', 'received', 'cancelled')),
        expected_at INTEGER,
        reference TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      )`,
      `CREATE INDEX transfers_open ON transfers (to_location) WHERE status IN ('in_transit', 'partially_received')`,
      // Each receipt applied to a transfer line, with its answer: a retried receipt replays it.
      `CREATE TABLE transfer_receipts (
        transfer_id TEXT NOT NULL,
        receipt_id TEXT NOT NULL,
        received INTEGER NOT NULL,
        damaged INTEGER NOT NULL,
        short INTEGER NOT NULL,
        created_at INTEGER NOT NULL,
        PRIMARY KEY (transfer_id, receipt_id)
      )`,
    ],
  },
  {
    version: 7,
    name: "master_facts",
    statements: [
      // The SKU's master facts (sku-inventory/master.ts), one row: what a stock change or a
      // reservation needs of D1 `skus`, pushed on every master-data write (newer version
      // wins) or filled from D1 once, so no request reads D1 to change stock. An object
      // created before v7 has no row until its first fill or push.
      `CREATE TABLE master (
        id INTEGER PRIMARY KEY CHECK (id = 1),
        sku TEXT NOT NULL,
        vendor_id TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('active', 'discontinued')),
        allow_backorder INTEGER NOT NULL,
        soft_buffer_pct INTEGER NOT NULL,
        reorder_point INTEGER NOT NULL,
        lead_time_days INTEGER NOT NULL,
        version INTEGER NOT NULL,
        updated_at INTEGER NOT NULL,
        source TEXT NOT NULL CHECK (source IN ('push', 'fill')),
        received_at INTEGER NOT NULL
      )`,
    ],
  },
  {
    version: 8,
    name: "preorders_lots",
    statements: [
      // Pre-ordered units still waiting for an arrival (sku-inventory/preorders.ts), one row
      // per pre-order line; `seq` is the queue (first come, first served). The units already
      // arrived are an ordinary reservation line (and in `reserved`); these are in no bucket.
      `CREATE TABLE preorder_lines (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        reservation_id TEXT NOT NULL,
        location_id TEXT NOT NULL,
        placed INTEGER NOT NULL CHECK (placed > 0),
        waiting INTEGER NOT NULL CHECK (waiting >= 0),
        created_at INTEGER NOT NULL,
        UNIQUE (reservation_id, location_id)
      )`,
      `CREATE INDEX preorder_lines_queue ON preorder_lines (location_id, seq) WHERE waiting > 0`,
      // Lots of perishable units (sku-inventory/lots.ts): sellable units of a lot at a
      // location, its expiry, and when the alarm raised its expiring alert and expired it.
      `CREATE TABLE lots (
        location_id TEXT NOT NULL,
        lot TEXT NOT NULL,
        expires_at INTEGER NOT NULL,
        units INTEGER NOT NULL CHECK (units >= 0),
        received_at INTEGER NOT NULL,
        alerted_at INTEGER,
        expired_at INTEGER,
        PRIMARY KEY (location_id, lot)
      )`,
      `CREATE INDEX lots_fefo ON lots (location_id, expires_at, lot) WHERE units > 0`,
      // Every change of a lot's units (receipt, pick, expiry), with the ledger row it belongs to.
      `CREATE TABLE lot_moves (
        seq INTEGER PRIMARY KEY AUTOINCREMENT,
        at INTEGER NOT NULL,
        location_id TEXT NOT NULL,
        lot TEXT NOT NULL,
        delta INTEGER NOT NULL,
        op TEXT NOT NULL,
        ledger_seq INTEGER,
        reservation_id TEXT,
        reference TEXT
      )`,
      `CREATE INDEX lot_moves_ledger ON lot_moves (ledger_seq)`,
    ],
  },
  {
    version: 9,
    name: "expected_arrivals",
    statements: [
      // Lines of confirmed purchase orders not shipped yet (sku-inventory/expected-arrivals.ts):
      // units a vendor promised for a date, in no quantity bucket. Pre-orders count the
      // `expected` ones with a date like open transfer lines; the ship step turns one into its
      // transfer line (`shipped`) in the transaction that puts the units in transit.
      `CREATE TABLE expected_arrivals (
        id TEXT PRIMARY KEY,
        location_id TEXT NOT NULL,
        quantity INTEGER NOT NULL CHECK (quantity >= 0),
        expected_at INTEGER,
        status TEXT NOT NULL CHECK (status IN ('expected', 'shipped', 'cancelled')),
        reference TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      )`,
      `CREATE INDEX expected_arrivals_open ON expected_arrivals (location_id) WHERE status = 'expected'`,
    ],
  },
  {
    version: 10,
    name: "direct_reservations",
    statements: [
      // Single-SKU reservations taken here directly, without a coordinator (sku-inventory/direct.ts):
      // who owns the reservation, the request its Idempotency-Key was first used with, the TTL
      // a promote falls back on, and the first answer (replayed for a retry). NULL on
      // reservations a coordinator drives.
      `ALTER TABLE reservations ADD COLUMN principal TEXT`,
      `ALTER TABLE reservations ADD COLUMN request_hash TEXT`,
      `ALTER TABLE reservations ADD COLUMN ttl_seconds INTEGER`,
      `ALTER TABLE reservations ADD COLUMN answer_json TEXT`,
    ],
  },
  {
    version: 11,
    name: "shard_ops",
    statements: [
      // Hot-SKU shards (sku-inventory/shards.ts): in a shard object, its operations on the main
      // object recorded before each call (allot, return, ship), deleted when finished; the
      // alarm re-runs what a crash left. The shard's place is the meta key `shard`.
      `CREATE TABLE shard_ops (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL CHECK (kind IN ('allot', 'return', 'ship')),
        location_id TEXT NOT NULL,
        units INTEGER NOT NULL CHECK (units >= 0),
        reservation_id TEXT,
        reference TEXT,
        actor TEXT,
        created_at INTEGER NOT NULL
      )`,
    ],
  },
  {
    version: 12,
    name: "drop_reservations_due",
    statements: [
      // Since v4 the two partial indexes below cover every active reservation (with a failed
      // expiry or without one), so this one only made each new reservation write an index
      // entry more (issue 11); the expiry's query reads the two (due-work.ts).
      `DROP INDEX reservations_due`,
    ],
  },
];
