/**
 * D1 master data and read models (drizzle schema). D1 is never the source of truth for
 * counts: those live in the SkuInventory Durable Objects. Migrations in `d1/migrations/`
 * are generated from this file with `npm run db:generate` (drizzle-kit 0.31, flat files).
 */
import { sql } from "drizzle-orm";
import { check, index, integer, primaryKey, real, sqliteTable, sqliteView, text, uniqueIndex } from "drizzle-orm/sqlite-core";
import { ALERT_KINDS } from "../domain/alerts";
import { LEVEL_STATUSES } from "../domain/inventory-levels";
import { SYNC_JOB_SOURCES, SYNC_JOB_STATUSES } from "../domain/sync-jobs";

const createdAt = () => integer("created_at", { mode: "number" }).notNull().default(sql`(unixepoch('subsec') * 1000)`);
const updatedAt = () => integer("updated_at", { mode: "number" }).notNull().default(sql`(unixepoch('subsec') * 1000)`);

/** Sellers whose SKUs we hold. `status = suspended` blocks their keys' writes. */
export const vendors = sqliteTable("vendors", {
  id: text("id").primaryKey(),
  name: text("name").notNull(),
  status: text("status", { enum: ["active", "suspended"] })
    .notNull()
    .default("active"),
  /**
   * Which read database (`READ_<n>`) holds the projection rows of this vendor's SKUs (issue
   * 19 item 2; repositories/read-partitions.ts). Null: its home partition, the jump hash of its
   * id over M. Set only by the re-partitioning procedure (which pins every vendor's current
   * partition before M changes, then moves vendors one by one).
   */
  readPartition: integer("read_partition"),
  createdAt: createdAt(),
  updatedAt: updatedAt(),
});

/** Stocking locations: fulfilment centres, warehouses, stores, dropship points. */
export const locations = sqliteTable(
  "locations",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    type: text("type", { enum: ["fulfillment_center", "warehouse", "store", "dropship"] }).notNull(),
    countryCode: text("country_code").notNull(),
    city: text("city").notNull(),
    latitude: real("latitude").notNull(),
    longitude: real("longitude").notNull(),
    canShip: integer("can_ship", { mode: "boolean" }).notNull().default(true),
    canPickup: integer("can_pickup", { mode: "boolean" }).notNull().default(false),
    /** Lower number = preferred when allocation ties. */
    priority: integer("priority").notNull().default(100),
    /** Storage capacity in units; informational until allocation strategies land. */
    capacityUnits: integer("capacity_units").notNull().default(0),
    active: integer("active", { mode: "boolean" }).notNull().default(true),
    // Order routing (domain/allocation-locations.ts RoutingLocation; docs/allocation.md).
    /** Euro cents per shipment (picking, packing, label). */
    shippingBase: integer("shipping_base").notNull().default(450),
    /** Euro cents per km of great-circle distance (fractions allowed). */
    shippingPerKm: real("shipping_per_km").notNull().default(0.5),
    /** Euro cents per unit shipped. */
    shippingPerUnit: integer("shipping_per_unit").notNull().default(50),
    /** Hours from an order's release until it is packed. */
    handlingHours: real("handling_hours").notNull().default(4),
    /** The carrier's daily collection, local hour in (0, 24] (16.5 = 16:30). */
    cutoffHour: real("cutoff_hour").notNull().default(17),
    /** Fixed offset of local time from UTC, minutes (no daylight saving). */
    utcOffsetMinutes: integer("utc_offset_minutes").notNull().default(0),
    /** Units the location can ship per day. */
    dailyCapacity: integer("daily_capacity").notNull().default(10000),
    /** Units already due to ship today (set by operations; routing's load ratio). */
    currentLoad: integer("current_load").notNull().default(0),
    /** Share of shipments delivered on time, 0..1. */
    onTimeRate: real("on_time_rate").notNull().default(0.95),
    /** Share of shipments picked without error, 0..1. */
    accuracyRate: real("accuracy_rate").notNull().default(0.99),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  // The routing columns' ranges are checked by the API (LocationBody), not by CHECK
  // constraints: adding a constraint makes drizzle-kit rebuild the table.
  (t) => [check("locations_lat", sql`${t.latitude} BETWEEN -90 AND 90`), check("locations_lng", sql`${t.longitude} BETWEEN -180 AND 180`)],
);

/** A product groups SKUs (variants); owned by one vendor. */
export const products = sqliteTable(
  "products",
  {
    id: text("id").primaryKey(),
    vendorId: text("vendor_id")
      .notNull()
      .references(() => vendors.id),
    name: text("name").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("products_vendor").on(t.vendorId)],
);

/**
 * Which vendor owns each SKU (issue 19 item 3), in `DB`: the one global record of a SKU id, so
 * two vendors can never both create it, and the way from a SKU id to its vendor's read database
 * (repositories/read-partitions.ts `skuReadHomes`). The SKU's master row itself (`skus`) lives
 * in that database, beside the rest of the vendor's data. ~50 B per row: 2.5 GB at 50M SKUs.
 */
export const skuDirectory = sqliteTable("sku_directory", {
  sku: text("sku").primaryKey(),
  vendorId: text("vendor_id")
    .notNull()
    .references(() => vendors.id),
});
export type SkuDirectoryRow = typeof skuDirectory.$inferSelect;

/**
 * Sellable unit. Thresholds drive alerts and replenishment; flags drive reservation rules.
 * Partitioned (issue 19 item 3): a SKU's row lives in its vendor's read database (`READ_<n>`,
 * repositories/read-partitions.ts), its owner is recorded in `DB`'s `sku_directory`, and its
 * product in `DB`'s `products` — hence no foreign keys here (those tables' rows are elsewhere).
 */
export const skus = sqliteTable(
  "skus",
  {
    sku: text("sku").primaryKey(),
    productId: text("product_id").notNull(),
    vendorId: text("vendor_id").notNull(),
    name: text("name").notNull(),
    status: text("status", { enum: ["active", "discontinued"] })
      .notNull()
      .default("active"),
    reorderPoint: integer("reorder_point").notNull().default(0),
    safetyStock: integer("safety_stock").notNull().default(0),
    maxStock: integer("max_stock"),
    leadTimeDays: integer("lead_time_days").notNull().default(7),
    allowBackorder: integer("allow_backorder", { mode: "boolean" }).notNull().default(false),
    /** Soft (cart) holds may total available × (1 + pct/100). */
    softBufferPct: integer("soft_buffer_pct").notNull().default(10),
    perishable: integer("perishable", { mode: "boolean" }).notNull().default(false),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [
    index("skus_vendor").on(t.vendorId, t.sku),
    index("skus_product").on(t.productId),
    check("skus_thresholds", sql`${t.reorderPoint} >= 0 AND ${t.safetyStock} >= 0 AND ${t.leadTimeDays} >= 0`),
    check("skus_buffer", sql`${t.softBufferPct} BETWEEN 0 AND 100`),
  ],
);

/**
 * Which version of each SKU's master facts (status, owner, policy, lead time) its SKU object
 * has acknowledged (issue 19 item 3; durable-objects/sku-inventory/master.ts). `version` is
 * raised by triggers on `skus` (migration 0010, hand-written below the generated part), so
 * every write path counts, whichever module writes; `acked_version` by the push after a write
 * (services/sku-master.ts). The per-minute sweep pushes every row whose acknowledged version
 * is behind: a push lost after the D1 commit is repaired without an operator.
 */
export const skuMasterPush = sqliteTable(
  "sku_master_push",
  {
    sku: text("sku")
      .primaryKey()
      .references(() => skus.sku),
    version: integer("version").notNull().default(1),
    ackedVersion: integer("acked_version").notNull().default(0),
  },
  (t) => [index("sku_master_push_behind").on(t.sku).where(sql`${t.ackedVersion} < ${t.version}`)],
);

/**
 * Each SKU's master facts as the read model's lists filter and show them (owner, name,
 * thresholds, status), in the read database of its vendor: a view over that database's `skus`
 * rows (issue 19 item 3) with their push `version`, so it is always as current as the master
 * row and needs no copy, push or repair (migration 0021; until then a table the master-facts
 * push and every EVENTS batch wrote). Empty in `DB`.
 */
export const readSkuFacts = sqliteView("read_sku_facts", {
  sku: text("sku").notNull(),
  vendorId: text("vendor_id").notNull(),
  productId: text("product_id").notNull(),
  name: text("name").notNull(),
  status: text("status", { enum: ["active", "discontinued"] }).notNull(),
  reorderPoint: integer("reorder_point").notNull(),
  safetyStock: integer("safety_stock").notNull(),
  leadTimeDays: integer("lead_time_days").notNull(),
  allowBackorder: integer("allow_backorder", { mode: "boolean" }).notNull(),
  version: integer("version").notNull(),
  updatedAt: integer("updated_at", { mode: "number" }).notNull(),
}).existing();

/**
 * Moves of a vendor's read-model rows from one read database to another (issue 19 item 2:
 * the re-partitioning procedure, services/read-moves.ts). `draining`: the vendor's events wait
 * (the EVENTS consumer retries them) until batches already under way have committed;
 * `copying`: its rows are copied to the new database (`cursor`: where the copy stands, so a
 * crashed step resumes); `switched`: `vendors.read_partition` names the new database and
 * events flow there, the old rows stay until every isolate's cached placement has expired;
 * `done`: the old rows are deleted. One open move per vendor. Advanced by the per-minute cron.
 */
export const readMoves = sqliteTable(
  "read_moves",
  {
    id: text("id").primaryKey(),
    vendorId: text("vendor_id").notNull(),
    fromPartition: integer("from_partition").notNull(),
    toPartition: integer("to_partition").notNull(),
    state: text("state", { enum: ["draining", "copying", "switched", "done"] }).notNull(),
    /** JSON `{table, rowid}`: the copy or the cleanup goes on after this row. */
    cursor: text("cursor"),
    rowsCopied: integer("rows_copied").notNull().default(0),
    rowsDeleted: integer("rows_deleted").notNull().default(0),
    requestedBy: text("requested_by").notNull(),
    /** When the current state began (ms). */
    stateAt: integer("state_at", { mode: "number" }).notNull(),
    createdAt: integer("created_at", { mode: "number" }).notNull(),
    updatedAt: integer("updated_at", { mode: "number" }).notNull(),
  },
  (t) => [uniqueIndex("read_moves_open_vendor").on(t.vendorId).where(sql`${t.state} <> 'done'`), index("read_moves_vendor").on(t.vendorId, t.createdAt)],
);
export type ReadMoveRow = typeof readMoves.$inferSelect;

/**
 * API keys, stored as SHA-256 hashes of the full key. The key's id is part of the key, so a
 * lookup is by primary key and the hash is compared in constant time.
 */
export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: text("id").primaryKey(),
    name: text("name").notNull(),
    scope: text("scope", { enum: ["checkout", "vendor", "operator"] }).notNull(),
    vendorId: text("vendor_id").references(() => vendors.id),
    /**
     * Checkout keys only, optional: the storefront (sales channel) the key belongs to. A
     * channel's reservations and idempotency keys are its own (principal `checkout:<channel>`);
     * keys without one share the principal `checkout`. Only set for checkout keys (the API
     * refuses it for other scopes; a plain column keeps the migration an ADD COLUMN).
     */
    channel: text("channel"),
    keyHash: text("key_hash").notNull(),
    createdAt: createdAt(),
    revokedAt: integer("revoked_at", { mode: "number" }),
    /** Who revoked it (`operator:key_…` or `vendor:V1:key_…`); null while it is live. */
    revokedBy: text("revoked_by"),
  },
  (t) => [uniqueIndex("api_keys_hash").on(t.keyHash), check("api_keys_vendor_scope", sql`(${t.scope} = 'vendor') = (${t.vendorId} IS NOT NULL)`)],
);

/*
 * Read models fed by the EVENTS queue consumer (`queues/events.consumer.ts`); see
 * `d1/README.md`. Every event's effects and its `processed_events` row commit in one D1
 * batch, so a redelivered event changes nothing.
 */

/** Events already applied (dedupe by event id). Pruned after PROCESSED_EVENTS_RETENTION_MS. */
export const processedEvents = sqliteTable(
  "processed_events",
  {
    eventId: text("event_id").primaryKey(),
    type: text("type").notNull(),
    sku: text("sku").notNull(),
    sequence: integer("sequence").notNull(),
    processedAt: integer("processed_at").notNull(),
  },
  (t) => [index("processed_events_age").on(t.processedAt)],
);

/**
 * Projection of each SKU × location's counts (from `inventory.updated` events' `after`),
 * for lists, dashboards and analytics. Never the source of truth: the SKU objects are.
 * `last_sequence` is the SKU's event sequence applied last; older events are ignored.
 */
export const inventoryLevels = sqliteTable(
  "inventory_levels",
  {
    sku: text("sku").notNull(),
    locationId: text("location_id").notNull(),
    onHand: integer("on_hand").notNull(),
    reserved: integer("reserved").notNull(),
    softHeld: integer("soft_held").notNull(),
    committed: integer("committed").notNull(),
    inTransit: integer("in_transit").notNull(),
    damaged: integer("damaged").notNull(),
    onHold: integer("on_hold").notNull(),
    available: integer("available").notNull(),
    status: text("status", { enum: LEVEL_STATUSES }).notNull(),
    lastSequence: integer("last_sequence").notNull(),
    lastEventId: text("last_event_id").notNull(),
    /** When the change happened (the event's `occurredAt`), ms. */
    updatedAt: integer("updated_at", { mode: "number" }).notNull(),
    /** When this row was last written by the consumer, ms. */
    projectedAt: integer("projected_at", { mode: "number" }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.sku, t.locationId] }),
    index("inventory_levels_location").on(t.locationId, t.sku),
    index("inventory_levels_status").on(t.status, t.sku, t.locationId),
    index("inventory_levels_updated").on(t.updatedAt),
  ],
);

/** Units shipped per SKU × location × UTC day, from `reservation.fulfilled` events. */
/**
 * Units shipped per location and UTC day, from fulfilment events (the EVENTS consumer, once
 * per event with daily_sales): the `balanced` strategy's load is a location's configured
 * `current_load` plus what it shipped today (docs/allocation.md).
 */
export const locationDailyLoad = sqliteTable(
  "location_daily_load",
  {
    locationId: text("location_id").notNull(),
    /** `YYYY-MM-DD`, UTC, of the event's `occurredAt`. */
    day: text("day").notNull(),
    units: integer("units").notNull(),
    updatedAt: integer("updated_at", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.day, t.locationId] })],
);

export const dailySales = sqliteTable(
  "daily_sales",
  {
    sku: text("sku").notNull(),
    locationId: text("location_id").notNull(),
    /** `YYYY-MM-DD`, UTC, of the event's `occurredAt`. */
    day: text("day").notNull(),
    units: integer("units").notNull(),
    /** Fulfilled reservations that shipped units here that day. */
    fulfilments: integer("fulfilments").notNull(),
    updatedAt: integer("updated_at", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.sku, t.locationId, t.day] }), index("daily_sales_day").on(t.day)],
);

/** Low-stock and out-of-stock alerts (rules in `domain/alerts.ts`); at most one open per SKU and kind. */
export const alerts = sqliteTable(
  "alerts",
  {
    id: text("id").primaryKey(),
    sku: text("sku").notNull(),
    /** Null: about the SKU as a whole (threshold events are SKU-level). */
    locationId: text("location_id"),
    kind: text("kind", { enum: ALERT_KINDS }).notNull(),
    status: text("status", { enum: ["open", "resolved"] }).notNull(),
    /** Total available when last opened or updated. */
    available: integer("available").notNull(),
    reorderPoint: integer("reorder_point").notNull(),
    /** Threshold events folded into this alert while it was open. */
    occurrences: integer("occurrences").notNull().default(1),
    openedAt: integer("opened_at", { mode: "number" }).notNull(),
    updatedAt: integer("updated_at", { mode: "number" }).notNull(),
    resolvedAt: integer("resolved_at", { mode: "number" }),
    resolution: text("resolution", { enum: ["back_in_stock", "above_reorder_point", "moving", "no_stock", "overstock", "discontinued"] }),
    openedEventId: text("opened_event_id").notNull(),
    lastEventId: text("last_event_id").notNull(),
    resolvedEventId: text("resolved_event_id"),
    lastSequence: integer("last_sequence").notNull(),
    /** An operator saw it (`POST /api/v2/alerts/{id}/acknowledge`); the alert stays open until the stock recovers. */
    acknowledgedAt: integer("acknowledged_at", { mode: "number" }),
    acknowledgedBy: text("acknowledged_by"),
    /** Hidden from the open list until then (`POST /api/v2/alerts/{id}/snooze`), ms. */
    snoozedUntil: integer("snoozed_until", { mode: "number" }),
  },
  (t) => [
    uniqueIndex("alerts_one_open").on(t.sku, t.kind).where(sql`status = 'open'`),
    index("alerts_status").on(t.status, t.openedAt),
    index("alerts_sku").on(t.sku, t.openedAt),
  ],
);

/** Per SKU, the sequence of the last alert-relevant event applied (alert decisions apply in order). */
export const alertCursors = sqliteTable("alert_cursors", {
  sku: text("sku").primaryKey(),
  lastSequence: integer("last_sequence").notNull(),
});

/**
 * Webhook subscriptions: a vendor's (events about its SKUs only) or operator-wide
 * (`vendor_id` null, every event). The secret is an HMAC key and must be readable to sign,
 * so it is stored as issued (not hashed) and only ever returned on create and rotation.
 */
export const webhookSubscriptions = sqliteTable(
  "webhook_subscriptions",
  {
    id: text("id").primaryKey(),
    vendorId: text("vendor_id").references(() => vendors.id),
    url: text("url").notNull(),
    description: text("description"),
    /** JSON array of event types. */
    eventTypes: text("event_types").notNull(),
    secret: text("secret").notNull(),
    secretRotatedAt: integer("secret_rotated_at", { mode: "number" }),
    /** Deliveries in a row that failed after all their retries; reset by any success. */
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    disabledAt: integer("disabled_at", { mode: "number" }),
    disabledReason: text("disabled_reason"),
    deletedAt: integer("deleted_at", { mode: "number" }),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("webhook_subscriptions_vendor").on(t.vendorId, t.id)],
);

/**
 * One row per (subscription, event): the delivery log. A delivery lives in the read database
 * of the vendor its event is about (issue 19; the id says which: `whd_r<i>_…`, see
 * domain/webhook-store.ts), written there beside the event's read-model rows, so deliveries
 * grow with the read databases and not in `DB`. Its subscription is in `DB`, hence no foreign
 * key (migration 0023). Rows made before 0023 (ids `whd_<hex>`) stay in `DB` until the
 * retention sweep deletes them.
 */
export const webhookDeliveries = sqliteTable(
  "webhook_deliveries",
  {
    id: text("id").primaryKey(),
    subscriptionId: text("subscription_id").notNull(),
    eventId: text("event_id").notNull(),
    eventType: text("event_type").notNull(),
    sku: text("sku"),
    status: text("status", { enum: ["pending", "delivered", "failed"] }).notNull(),
    /** HTTP attempts made so far. */
    attempts: integer("attempts").notNull().default(0),
    lastStatusCode: integer("last_status_code"),
    lastError: text("last_error"),
    /**
     * The class of the last failure (`http_4xx`, `timeout`, `network_error`, `url_refused`, …,
     * `domain/webhook-targets.ts`): all a vendor is shown; the status and error are for operators.
     */
    lastFailure: text("last_failure"),
    /** When its WEBHOOKS message was sent; null until then (a redelivered event sends the rest). */
    enqueuedAt: integer("enqueued_at", { mode: "number" }),
    /**
     * While pending: the event part of its WEBHOOKS message (`{eventId, eventType, payload}`,
     * JSON), so the sweeper can send it again if the queue lost it; cleared when it ends.
     */
    payload: text("payload"),
    /** How many times its WEBHOOKS message was sent (the first send and the sweeper's re-drives). */
    sends: integer("sends").notNull().default(0),
    lastAttemptAt: integer("last_attempt_at", { mode: "number" }),
    deliveredAt: integer("delivered_at", { mode: "number" }),
    failedAt: integer("failed_at", { mode: "number" }),
    createdAt: integer("created_at", { mode: "number" }).notNull(),
    updatedAt: integer("updated_at", { mode: "number" }).notNull(),
  },
  (t) => [
    uniqueIndex("webhook_deliveries_once").on(t.subscriptionId, t.eventId),
    index("webhook_deliveries_log").on(t.subscriptionId, t.createdAt, t.id),
    index("webhook_deliveries_event").on(t.eventId),
    // The sweeper's scan: pending deliveries by their last activity.
    index("webhook_deliveries_pending").on(t.updatedAt).where(sql`${t.status} = 'pending'`),
    // Retention: finished deliveries by age (services/webhook-sweeper.ts deletes the expired).
    index("webhook_deliveries_finished").on(t.createdAt).where(sql`${t.status} <> 'pending'`),
  ],
);

/** Messages that ended in a dead-letter queue, for operators. */
export const deadLetters = sqliteTable(
  "dead_letters",
  {
    /** The queue the message failed on (not the dead-letter queue). */
    queue: text("queue").notNull(),
    messageId: text("message_id").notNull(),
    deadLetterQueue: text("dead_letter_queue").notNull(),
    /** The message body as JSON text (truncated to 64 KiB). */
    body: text("body").notNull(),
    /** The last error, as recorded by the consumer on the final attempt (null if unknown). */
    error: text("error"),
    /** Attempts made on the original queue. */
    attempts: integer("attempts"),
    /** When the consumer gave up on its final attempt, ms. */
    failedAt: integer("failed_at", { mode: "number" }),
    /** When the dead-letter consumer received it, ms. */
    receivedAt: integer("received_at", { mode: "number" }),
    /**
     * When an operator replayed it (`POST /api/v2/dead-letters/{id}/replay`), ms; set once, so
     * a second replay answers the first one's result and sends nothing.
     */
    replayedAt: integer("replayed_at", { mode: "number" }),
    /** Who replayed it (`operator:key_…`). */
    replayedBy: text("replayed_by"),
    /** What the replay reopened before sending: `sync_chunk`, `webhook_delivery` or `none`. */
    replayReopened: text("replay_reopened", { enum: ["sync_chunk", "webhook_delivery", "none"] }),
  },
  (t) => [primaryKey({ columns: [t.queue, t.messageId] }), index("dead_letters_received").on(t.receivedAt)],
);

/*
 * Vendor sync jobs (`POST /api/v2/inventory/sync`, issue 5); see `d1/README.md`. The Worker
 * records a job, its chunks and the items rejected up front in one batch; the SYNC consumer
 * records each chunk's outcomes, once, in one batch with the job's recomputed counters.
 */

/** One sync request. Keyed by (principal, Idempotency-Key): the id is derived from both. */
export const syncJobs = sqliteTable(
  "sync_jobs",
  {
    id: text("id").primaryKey(),
    vendorId: text("vendor_id")
      .notNull()
      .references(() => vendors.id),
    /** Who sent it: `vendor:<id>` or `operator` (idempotency keys are scoped to it). */
    principal: text("principal").notNull(),
    idempotencyKey: text("idempotency_key").notNull(),
    /** SHA-256 of the request (vendor, mode, items): the same key with another body is refused. */
    requestHash: text("request_hash").notNull(),
    /** The ledger actor of the changes (`vendor:V1:key_…`). */
    actor: text("actor").notNull(),
    mode: text("mode", { enum: ["absolute", "delta"] }).notNull(),
    /** The vendor's file format: json, csv (ours), or the detected vendor format (issue 16). */
    source: text("source", { enum: SYNC_JOB_SOURCES }).notNull(),
    status: text("status", { enum: SYNC_JOB_STATUSES }).notNull(),
    /** Items (rows) in the request; `accepted` were queued, `rejected` failed the up-front checks. */
    received: integer("received").notNull(),
    accepted: integer("accepted").notNull(),
    rejected: integer("rejected").notNull(),
    applied: integer("applied").notNull().default(0),
    unchanged: integer("unchanged").notNull().default(0),
    conflicts: integer("conflicts").notNull().default(0),
    /** Item errors, the rejected ones included. */
    errors: integer("errors").notNull().default(0),
    chunksTotal: integer("chunks_total").notNull(),
    chunksDone: integer("chunks_done").notNull().default(0),
    createdAt: integer("created_at", { mode: "number" }).notNull(),
    /** When the first chunk started. */
    startedAt: integer("started_at", { mode: "number" }),
    /** When the last chunk was recorded. */
    completedAt: integer("completed_at", { mode: "number" }),
    updatedAt: integer("updated_at", { mode: "number" }).notNull(),
  },
  (t) => [
    uniqueIndex("sync_jobs_idempotency").on(t.principal, t.idempotencyKey),
    index("sync_jobs_vendor").on(t.vendorId, t.createdAt),
    check("sync_jobs_counts", sql`${t.accepted} + ${t.rejected} = ${t.received} AND ${t.chunksDone} <= ${t.chunksTotal}`),
  ],
);

/** One SYNC queue message of a job. `status` leaves `queued` exactly once. */
export const syncJobChunks = sqliteTable(
  "sync_job_chunks",
  {
    jobId: text("job_id")
      .notNull()
      .references(() => syncJobs.id),
    chunkIndex: integer("chunk_index").notNull(),
    itemCount: integer("item_count").notNull(),
    status: text("status", { enum: ["queued", "done", "failed"] }).notNull(),
    applied: integer("applied").notNull().default(0),
    unchanged: integer("unchanged").notNull().default(0),
    conflicts: integer("conflicts").notNull().default(0),
    errors: integer("errors").notNull().default(0),
    /** When its message was last sent to SYNC (null: not yet; a retry of the request or the sweeper sends it). */
    enqueuedAt: integer("enqueued_at", { mode: "number" }),
    finishedAt: integer("finished_at", { mode: "number" }),
    /** Why the chunk failed (dead-lettered, or lost on every send), for operators. */
    error: text("error"),
    /**
     * The chunk's SYNC message (JSON) while it is `queued`, so the sweeper can send it again
     * when the queue lost it; cleared once the chunk is recorded or failed.
     */
    payload: text("payload"),
    /** How many times its message was sent (the first send and the sweeper's re-drives). */
    sends: integer("sends").notNull().default(0),
    /**
     * The events its SKU objects handed to the chunk to send (`handOffEvents`), as a JSON
     * array of `{sku, id}`, while the sweeper has not seen the EVENTS consumer apply them all
     * (the payload is kept as long, so the objects can be replayed to send them again).
     */
    eventIds: text("event_ids"),
    /** When the sweeper checks those events next (null: nothing to check), ms. */
    eventsCheckAt: integer("events_check_at", { mode: "number" }),
    /** Checks that found some of them missing so far. */
    eventChecks: integer("event_checks").notNull().default(0),
  },
  (t) => [
    primaryKey({ columns: [t.jobId, t.chunkIndex] }),
    // The sweeper's scan: queued chunks by when they were last sent.
    index("sync_job_chunks_queued_sent").on(t.enqueuedAt).where(sql`${t.status} = 'queued'`),
    // The sweeper's event check: chunks whose handed-off events are due for a check.
    index("sync_job_chunks_events_check").on(t.eventsCheckAt).where(sql`${t.eventsCheckAt} IS NOT NULL`),
  ],
);

/** One failed item of a job (rejected up front, or failed in the consumer). */
export const syncJobErrors = sqliteTable(
  "sync_job_errors",
  {
    jobId: text("job_id")
      .notNull()
      .references(() => syncJobs.id),
    /** 0-based position of the item in the request (the data row for CSV). */
    itemIndex: integer("item_index").notNull(),
    /** CSV: the line the row starts on (1 = header). JSON: the client's `row`, if sent. */
    row: integer("row"),
    sku: text("sku"),
    locationId: text("location_id"),
    /** The quantity as sent, as text. */
    quantity: text("quantity"),
    code: text("code").notNull(),
    message: text("message").notNull(),
    createdAt: integer("created_at", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.jobId, t.itemIndex] })],
);

/**
 * Feed values held for an operator's review (a mirror of the SKU objects' `sync_reviews`,
 * which decide; accept/reject go to the object and update this row).
 */
export const syncReviews = sqliteTable(
  "sync_reviews",
  {
    /** The review id the SKU object gave (`srv_…`). */
    id: text("id").primaryKey(),
    jobId: text("job_id").notNull(),
    itemIndex: integer("item_index").notNull(),
    vendorId: text("vendor_id").notNull(),
    sku: text("sku").notNull(),
    locationId: text("location_id").notNull(),
    mode: text("mode", { enum: ["absolute", "delta"] }).notNull(),
    vendorQuantity: integer("vendor_quantity").notNull(),
    onHandAtReview: integer("on_hand_at_review").notNull(),
    proposed: integer("proposed").notNull(),
    reason: text("reason", { enum: ["large_change", "below_committed"] }).notNull(),
    status: text("status", { enum: ["open", "accepted", "rejected", "superseded"] }).notNull(),
    createdAt: integer("created_at", { mode: "number" }).notNull(),
    resolvedAt: integer("resolved_at", { mode: "number" }),
    resolvedBy: text("resolved_by"),
  },
  (t) => [
    index("sync_reviews_status").on(t.status, t.createdAt, t.id),
    index("sync_reviews_vendor").on(t.vendorId, t.status, t.createdAt, t.id),
    index("sync_reviews_location").on(t.sku, t.locationId).where(sql`status = 'open'`),
    index("sync_reviews_job").on(t.jobId),
  ],
);

/*
 * Planning (issue 15): forecasts, replenishment settings and reorder suggestions, written by
 * the REORDER consumer (`queues/reorder.consumer.ts`); see `d1/README.md`.
 */

/**
 * Per-SKU planning settings: the category (forecast pools), unit cost and price (EOQ, ABC,
 * turnover) and overrides of the replenishment policy. No row, or a null column: the
 * default (`domain/planning-defaults.ts`; lead time and max stock fall back to `skus`). No
 * foreign key, so settings may be loaded before the SKU exists (demo seeding).
 */
export const skuPlanning = sqliteTable(
  "sku_planning",
  {
    sku: text("sku").primaryKey(),
    category: text("category"),
    unitCost: real("unit_cost"),
    unitPrice: real("unit_price"),
    serviceLevel: real("service_level"),
    leadTimeDays: real("lead_time_days"),
    leadTimeSdDays: real("lead_time_sd_days"),
    minimumOrderQuantity: integer("minimum_order_quantity"),
    packSize: integer("pack_size"),
    maxStock: integer("max_stock"),
    orderingCost: real("ordering_cost"),
    holdingRate: real("holding_rate"),
    /** Alert thresholds (null: the defaults of `domain/analytics.ts`): overstock after this many days without a sale… */
    overstockNoSaleDays: integer("overstock_no_sale_days"),
    /** …slow-moving after this many. */
    slowMovingNoSaleDays: integer("slow_moving_no_sale_days"),
    updatedAt: integer("updated_at", { mode: "number" }).notNull(),
  },
  (t) => [
    check("sku_planning_service_level", sql`${t.serviceLevel} IS NULL OR (${t.serviceLevel} > 0 AND ${t.serviceLevel} < 1)`),
    check("sku_planning_positive", sql`coalesce(${t.unitCost}, 0) >= 0 AND coalesce(${t.unitPrice}, 0) >= 0 AND coalesce(${t.packSize}, 1) >= 1`),
  ],
);

/**
 * One row per SKU: its fitted forecast model (a few dozen numbers as JSON, not 90 rows), what
 * the API shows without refitting (horizon totals with intervals, stockout day) and the last
 * replenishment plan. Refit when `origin` is older than the job's origin (yesterday).
 */
export const forecasts = sqliteTable(
  "forecasts",
  {
    sku: text("sku").primaryKey(),
    vendorId: text("vendor_id").notNull(),
    /** The last day of sales the model saw (`YYYY-MM-DD`); forecasts start the day after. */
    origin: text("origin").notNull(),
    method: text("method").notNull(),
    reason: text("reason").notNull(),
    demandClass: text("demand_class").notNull(),
    /** The `ForecastModel`, JSON. */
    model: text("model").notNull(),
    /** 7/30/90-day totals with 80 %/95 % intervals, JSON (`HorizonForecast[]`). */
    horizons: text("horizons").notNull(),
    fittedAt: integer("fitted_at", { mode: "number" }).notNull(),
    /** Units the previous model expected over the days since its origin, and what sold (forecast accuracy). */
    accuracyForecast: real("accuracy_forecast"),
    accuracyActual: real("accuracy_actual"),
    /** From the last plan: the stock position, expected stockout day and the plan (JSON `ReplenishmentPlan`). */
    stockPosition: integer("stock_position"),
    stockoutDay: text("stockout_day"),
    daysUntilStockout: integer("days_until_stockout"),
    plan: text("plan"),
    plannedAt: integer("planned_at", { mode: "number" }),
  },
  (t) => [index("forecasts_vendor").on(t.vendorId, t.sku), index("forecasts_origin").on(t.origin)],
);

/**
 * Reorder suggestions (drafts until purchase orders exist): at most one open per SKU, so a
 * redelivered job or a second run refreshes it instead of adding another. `location_id` is
 * where the order should go (the SKU's main location); lists group by vendor and location.
 */
export const reorderSuggestions = sqliteTable(
  "reorder_suggestions",
  {
    id: text("id").primaryKey(),
    sku: text("sku").notNull(),
    vendorId: text("vendor_id").notNull(),
    locationId: text("location_id"),
    status: text("status", { enum: ["open", "accepted", "dismissed", "resolved"] }).notNull(),
    urgency: text("urgency", { enum: ["critical", "high", "medium", "low", "none"] }).notNull(),
    quantity: integer("quantity").notNull(),
    stockPosition: integer("stock_position").notNull(),
    reorderPoint: real("reorder_point").notNull(),
    safetyStock: real("safety_stock").notNull(),
    economicOrderQuantity: real("economic_order_quantity").notNull(),
    stockoutDay: text("stockout_day"),
    daysUntilStockout: integer("days_until_stockout"),
    /** The forecast origin it was computed from. */
    origin: text("origin").notNull(),
    unitCost: real("unit_cost"),
    createdAt: integer("created_at", { mode: "number" }).notNull(),
    updatedAt: integer("updated_at", { mode: "number" }).notNull(),
    closedAt: integer("closed_at", { mode: "number" }),
    closedBy: text("closed_by"),
  },
  (t) => [
    uniqueIndex("reorder_suggestions_one_open").on(t.sku).where(sql`status = 'open'`),
    index("reorder_suggestions_list").on(t.status, t.vendorId, t.locationId, t.id),
    index("reorder_suggestions_sku").on(t.sku, t.createdAt),
    // Suggestions claimed by a purchase order being drafted (`closed_by` = `draft:<claim>`) until it is linked (`po:<id>`).
    index("reorder_suggestions_claims").on(t.vendorId, t.locationId, t.closedBy).where(sql`status = 'accepted' AND closed_by LIKE 'draft:%'`),
  ],
);

/**
 * Nightly REORDER runs, one per origin day: the keyset cursor over `skus` (the last SKU
 * enqueued), advanced by each cron tick until every SKU is enqueued.
 */
export const reorderRuns = sqliteTable("reorder_runs", {
  origin: text("origin").primaryKey(),
  cursor: text("cursor").notNull().default(""),
  status: text("status", { enum: ["running", "done"] }).notNull(),
  chunks: integer("chunks").notNull().default(0),
  skus: integer("skus").notNull().default(0),
  startedAt: integer("started_at", { mode: "number" }).notNull(),
  finishedAt: integer("finished_at", { mode: "number" }),
  /** Chunk messages planned (each counted once: `reorder_run_chunks`) and when the last one was. */
  plannedChunks: integer("planned_chunks").notNull().default(0),
  lastPlannedAt: integer("last_planned_at", { mode: "number" }),
  /**
   * Drafting purchase orders after the run: null until every chunk is planned (or the run
   * stalled); `enqueuing` while draft messages are sent per vendor × location in keyset pages
   * after `draft_cursor`; `done` once all are sent (`drafts` of them).
   */
  draftStatus: text("draft_status", { enum: ["enqueuing", "done"] }),
  draftCursor: text("draft_cursor"),
  drafts: integer("drafts").notNull().default(0),
});

/**
 * Transfer documents between two locations (issue 14): one row per document, its SKU lines in
 * `transfer_lines`. The counts move in the SKU objects (a transfer line per SKU, keyed
 * `<id>:<line_no>`); this is the document, its status and the figures the objects answered.
 * `draft`: written, nothing moved yet (shipped later by `POST /transfers/{id}/ship`).
 * `creating`: the per-SKU creates are under way (a document left so by a crash is undone by
 * the sweeper after a minute); `cancelled` with `failure_json`: a create failed and the
 * lines already created were cancelled (the stored answer to a retry).
 */
export const transfers = sqliteTable(
  "transfers",
  {
    id: text("id").primaryKey(),
    status: text("status", { enum: ["draft", "creating", "in_transit", "partially_received", "received", "cancelled"] }).notNull(),
    fromLocationId: text("from_location_id").notNull(),
    toLocationId: text("to_location_id").notNull(),
    /** When the units are expected at the destination (ms), if known. */
    expectedAt: integer("expected_at", { mode: "number" }),
    reference: text("reference"),
    /** Who created it (the API key's principal) and with which Idempotency-Key: a retry finds the document. */
    principal: text("principal").notNull(),
    idempotencyKey: text("idempotency_key").notNull(),
    requestHash: text("request_hash").notNull(),
    createdBy: text("created_by").notNull(),
    /** Why the create failed (the error envelope's code, message, details), if it did. */
    failureJson: text("failure_json"),
    createdAt: integer("created_at", { mode: "number" }).notNull(),
    updatedAt: integer("updated_at", { mode: "number" }).notNull(),
  },
  (t) => [
    uniqueIndex("transfers_idempotency").on(t.principal, t.idempotencyKey),
    index("transfers_status").on(t.status, t.id),
    index("transfers_creating").on(t.updatedAt).where(sql`${t.status} = 'creating'`),
  ],
);

/** The SKU lines of a transfer, with the figures the SKU object last answered. */
export const transferLines = sqliteTable(
  "transfer_lines",
  {
    transferId: text("transfer_id")
      .notNull()
      .references(() => transfers.id, { onDelete: "cascade" }),
    lineNo: integer("line_no").notNull(),
    sku: text("sku").notNull(),
    quantity: integer("quantity").notNull(),
    received: integer("received").notNull().default(0),
    damaged: integer("damaged").notNull().default(0),
    short: integer("short").notNull().default(0),
    returned: integer("returned").notNull().default(0),
    /** `pending` until the SKU object created it; then the object's line status. */
    status: text("status", { enum: ["pending", "in_transit", "partially_received", "received", "cancelled"] })
      .notNull()
      .default("pending"),
  },
  (t) => [primaryKey({ columns: [t.transferId, t.lineNo] }), index("transfer_lines_sku").on(t.sku)],
);

/**
 * Purchase orders to a vendor for one receiving location (issue 14): draft → submitted →
 * confirmed (by the vendor) → shipped (each line in transit at the location, in its SKU's
 * object) → partially_received → received, or closed short / cancelled. `shipping`: the
 * per-SKU in-transit steps are under way (the sweeper finishes one a crash left so).
 */
export const purchaseOrders = sqliteTable(
  "purchase_orders",
  {
    id: text("id").primaryKey(),
    vendorId: text("vendor_id").notNull(),
    locationId: text("location_id").notNull(),
    status: text("status", {
      enum: ["draft", "submitted", "confirming", "confirmed", "shipping", "shipped", "partially_received", "received", "closed", "cancelled"],
    }).notNull(),
    /** When the goods are expected at the location (ms), if known. */
    expectedAt: integer("expected_at", { mode: "number" }),
    reference: text("reference"),
    /** The vendor's shipment id (856 BSN02) the order shipped under, when shipped by a ship notice. */
    shipmentId: text("shipment_id"),
    principal: text("principal").notNull(),
    idempotencyKey: text("idempotency_key").notNull(),
    requestHash: text("request_hash").notNull(),
    createdBy: text("created_by").notNull(),
    createdAt: integer("created_at", { mode: "number" }).notNull(),
    updatedAt: integer("updated_at", { mode: "number" }).notNull(),
  },
  (t) => [
    uniqueIndex("purchase_orders_idempotency").on(t.principal, t.idempotencyKey),
    index("purchase_orders_vendor").on(t.vendorId, t.id),
    index("purchase_orders_status").on(t.status, t.id),
    index("purchase_orders_shipping").on(t.updatedAt).where(sql`${t.status} = 'shipping'`),
  ],
);

/** The SKU lines of a purchase order, with the figures the SKU object last answered. */
export const purchaseOrderLines = sqliteTable(
  "purchase_order_lines",
  {
    purchaseOrderId: text("purchase_order_id")
      .notNull()
      .references(() => purchaseOrders.id, { onDelete: "cascade" }),
    lineNo: integer("line_no").notNull(),
    sku: text("sku").notNull(),
    /** Units due: as ordered, then as the vendor confirmed (855) or shipped (856). */
    quantity: integer("quantity").notNull(),
    /** As first ordered, once the vendor changed `quantity`; null while unchanged. */
    orderedQuantity: integer("ordered_quantity"),
    /** The line's own expected arrival (ms) from the vendor's 855/856; null: the order's `expected_at`. */
    expectedAt: integer("expected_at", { mode: "number" }),
    received: integer("received").notNull().default(0),
    damaged: integer("damaged").notNull().default(0),
    short: integer("short").notNull().default(0),
    /** `open` until shipped; then the SKU object's line status. */
    status: text("status", { enum: ["open", "in_transit", "partially_received", "received", "cancelled"] })
      .notNull()
      .default("open"),
  },
  (t) => [primaryKey({ columns: [t.purchaseOrderId, t.lineNo] }), index("purchase_order_lines_sku").on(t.sku)],
);

/**
 * X12 control numbers we issue, per trading partner (`vendor:<vendor id>`): the last one used.
 * Interchanges we send a partner (850s, 997s) take the next one, so they increase per vendor.
 */
export const x12ControlNumbers = sqliteTable("x12_control_numbers", {
  partner: text("partner").primaryKey(),
  last: integer("last").notNull(),
});

/**
 * The 850 interchanges issued for a purchase order, one per version of its content (a hash
 * of the 850's segments between ST and SE): a re-download of the same version is the same
 * interchange (control number and creation time), byte for byte.
 */
export const purchaseOrderX12 = sqliteTable(
  "purchase_order_x12",
  {
    purchaseOrderId: text("purchase_order_id")
      .notNull()
      .references(() => purchaseOrders.id, { onDelete: "cascade" }),
    contentHash: text("content_hash").notNull(),
    controlNumber: integer("control_number").notNull(),
    createdAt: integer("created_at", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.purchaseOrderId, t.contentHash] })],
);

/**
 * A vendor's sync settings (issue 16): the validated `VendorSyncSettings` as JSON
 * (`domain/vendor-sync-settings.ts`), with the columns the per-minute pull sweep filters on
 * copied out of it, the pull's auth header (the secret is stored as given, like a webhook
 * secret, and only ever shown masked: `pull_auth_hint`), and the pull's cursor: the
 * validators of the last fetched response (ETag, Last-Modified), the hash of the last
 * ingested body and its job, and when the next fetch is due.
 */
export const vendorSyncSettings = sqliteTable(
  "vendor_sync_settings",
  {
    vendorId: text("vendor_id")
      .primaryKey()
      .references(() => vendors.id),
    /** The settings as validated, JSON. */
    settings: text("settings").notNull(),
    enabled: integer("enabled", { mode: "boolean" }).notNull(),
    method: text("method", { enum: ["push_api", "push_csv", "pull_url", "edi"] }).notNull(),
    /** Minutes between pulls (the tier's, or the custom interval). */
    intervalMinutes: integer("interval_minutes").notNull(),
    pullAuthHeader: text("pull_auth_header"),
    pullAuthSecret: text("pull_auth_secret"),
    /** What the API shows of the secret (`••••9f2c`). */
    pullAuthHint: text("pull_auth_hint"),
    /** When the next pull is due (ms); null when the vendor is not pulled. */
    nextPullAt: integer("next_pull_at", { mode: "number" }),
    /** A sweep run took this pull until then (ms): another run skips it meanwhile. */
    pullLeaseUntil: integer("pull_lease_until", { mode: "number" }),
    lastPullAt: integer("last_pull_at", { mode: "number" }),
    /** `ingested`, `not_modified`, `same_content` or `failed`. */
    lastPullOutcome: text("last_pull_outcome"),
    lastPullError: text("last_pull_error"),
    lastPullStatus: integer("last_pull_status"),
    pullEtag: text("pull_etag"),
    pullLastModified: text("pull_last_modified"),
    /** SHA-256 of the last body ingested, and its job. */
    pullContentHash: text("pull_content_hash"),
    pullJobId: text("pull_job_id"),
    /** Raised by every PUT (the answer's `version`). */
    version: integer("version").notNull().default(1),
    updatedBy: text("updated_by").notNull(),
    createdAt: createdAt(),
    updatedAt: updatedAt(),
  },
  (t) => [index("vendor_sync_settings_due").on(t.nextPullAt).where(sql`${t.nextPullAt} IS NOT NULL`)],
);

/**
 * Sync health per vendor and method (`domain/vendor-sync-health.ts`'s `SyncHealthState`):
 * the last attempt, success and failure, the failures in a row and whether `sync.failed`
 * was raised for the current streak (`alerted`, with the event id sent).
 */
export const vendorSyncHealth = sqliteTable(
  "vendor_sync_health",
  {
    vendorId: text("vendor_id")
      .notNull()
      .references(() => vendors.id),
    method: text("method", { enum: ["push_api", "push_csv", "pull_url", "edi"] }).notNull(),
    monitoredSince: integer("monitored_since", { mode: "number" }).notNull(),
    lastAttemptAt: integer("last_attempt_at", { mode: "number" }),
    lastSuccessAt: integer("last_success_at", { mode: "number" }),
    lastFailureAt: integer("last_failure_at", { mode: "number" }),
    consecutiveFailures: integer("consecutive_failures").notNull().default(0),
    failingSince: integer("failing_since", { mode: "number" }),
    lastError: text("last_error"),
    alerted: integer("alerted", { mode: "boolean" }).notNull().default(false),
    /** The `sync.failed` event of the current streak, once raised. */
    alertEventId: text("alert_event_id"),
    /** The job of the last attempt, when it made one. */
    lastJobId: text("last_job_id"),
    updatedAt: updatedAt(),
  },
  (t) => [primaryKey({ columns: [t.vendorId, t.method] })],
);

/*
 * Automatic purchase orders from the nightly run (issue 15): per-vendor planning settings and
 * the chunks of a run that have been planned (so the run knows when its suggestions are all
 * written and the per-vendor × location drafts may start).
 */

/** A vendor's planning settings. No row: the defaults (drafts wait for an operator). */
export const vendorPlanning = sqliteTable("vendor_planning", {
  /** No foreign key since 0019: the table lives in the vendor's read database (issue 19), which has no `vendors` rows. */
  vendorId: text("vendor_id").primaryKey(),
  /** Purchase orders drafted from the nightly run are submitted at once (no operator approval). */
  autoSubmitPurchaseOrders: integer("auto_submit_purchase_orders", { mode: "boolean" }).notNull().default(false),
  updatedBy: text("updated_by").notNull(),
  updatedAt: integer("updated_at", { mode: "number" }).notNull(),
});

/**
 * The chunk messages of a nightly run that were planned, by their number in the run: a
 * redelivered chunk is counted once (`reorder_runs.planned_chunks`). Rows of runs whose
 * drafts are all enqueued are pruned by the sweep.
 */
export const reorderRunChunks = sqliteTable(
  "reorder_run_chunks",
  {
    origin: text("origin").notNull(),
    seq: integer("seq").notNull(),
    plannedAt: integer("planned_at", { mode: "number" }).notNull(),
  },
  (t) => [primaryKey({ columns: [t.origin, t.seq] })],
);

export type VendorRow = typeof vendors.$inferSelect;
export type LocationRow = typeof locations.$inferSelect;
export type SkuRow = typeof skus.$inferSelect;
export type ReadSkuFactsRow = typeof readSkuFacts.$inferSelect;
export type ApiKeyRow = typeof apiKeys.$inferSelect;
export type InventoryLevelRow = typeof inventoryLevels.$inferSelect;
export type AlertRow = typeof alerts.$inferSelect;
export type WebhookSubscriptionRow = typeof webhookSubscriptions.$inferSelect;
export type WebhookDeliveryRow = typeof webhookDeliveries.$inferSelect;
export type DeadLetterRow = typeof deadLetters.$inferSelect;
export type SyncJobRow = typeof syncJobs.$inferSelect;
export type SyncJobChunkRow = typeof syncJobChunks.$inferSelect;
export type SyncJobErrorRow = typeof syncJobErrors.$inferSelect;
export type SyncReviewRow = typeof syncReviews.$inferSelect;
export type SkuPlanningRow = typeof skuPlanning.$inferSelect;
export type ForecastRow = typeof forecasts.$inferSelect;
export type ReorderSuggestionRow = typeof reorderSuggestions.$inferSelect;
export type TransferRow = typeof transfers.$inferSelect;
export type TransferLineRow = typeof transferLines.$inferSelect;
export type PurchaseOrderRow = typeof purchaseOrders.$inferSelect;
export type PurchaseOrderLineRow = typeof purchaseOrderLines.$inferSelect;
export type VendorSyncSettingsRow = typeof vendorSyncSettings.$inferSelect;
export type VendorSyncHealthRow = typeof vendorSyncHealth.$inferSelect;
export type VendorPlanningRow = typeof vendorPlanning.$inferSelect;

/**
 * Hot-SKU shards (issue 11): SKUs whose single-SKU reservations are spread over `shards` shard
 * objects (durable-objects/sku-inventory/shards.ts). Only sharded SKUs have a row; the Worker
 * keeps the whole table in an isolate cache (a few rows: hot SKUs only), so the reservation
 * path reads no D1 row per request.
 */
export const skuShards = sqliteTable("sku_shards", {
  sku: text("sku")
    .primaryKey()
    .references(() => skuDirectory.sku),
  shards: integer("shards").notNull(),
  updatedAt: integer("updated_at", { mode: "number" }).notNull(),
});
export type SkuShardsRow = typeof skuShards.$inferSelect;
