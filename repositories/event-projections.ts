/**
 * The EVENTS consumer's D1 writes. One event becomes one D1 batch (a transaction): its
 * effects on `inventory_levels`, `alerts`, `daily_sales` and `webhook_deliveries`, and last
 * its `processed_events` row. Every effect is conditional on that row not existing yet, so
 * a redelivered event changes nothing, and a batch that fails leaves nothing behind.
 * Projection rows and alerts also apply in per-SKU sequence order (older events ignored).
 */
import type { AlertDecision } from "../domain/alerts";
import type { InventoryEvent } from "../domain/events";
import type { LevelStatus } from "../domain/inventory-levels";

/** What an event needs from the SKU's master data (null: unknown SKU). */
export interface SkuFacts {
  vendorId: string;
  reorderPoint: number;
  allowBackorder: boolean;
}

/** Reads the SKU's owner and thresholds, uncached (an event may follow a master-data change closely). */
export async function skuFacts(db: D1Database, sku: string): Promise<SkuFacts | null> {
  const row = await db
    .prepare("SELECT vendor_id, reorder_point, allow_backorder FROM skus WHERE sku = ?")
    .bind(sku)
    .first<{ vendor_id: string; reorder_point: number; allow_backorder: number }>();
  return row === null ? null : { vendorId: row.vendor_id, reorderPoint: row.reorder_point, allowBackorder: row.allow_backorder === 1 };
}

/** Master data of several SKUs in one query (absent: unknown SKU). */
export async function skuFactsMany(db: D1Database, skus: readonly string[]): Promise<Map<string, SkuFacts>> {
  const unique = [...new Set(skus)];
  const { results } = await db
    .prepare("SELECT sku, vendor_id, reorder_point, allow_backorder FROM skus WHERE sku IN (SELECT value FROM json_each(?))")
    .bind(JSON.stringify(unique))
    .all<{ sku: string; vendor_id: string; reorder_point: number; allow_backorder: number }>();
  return new Map(results.map((r) => [r.sku, { vendorId: r.vendor_id, reorderPoint: r.reorder_point, allowBackorder: r.allow_backorder === 1 }]));
}

/** `?1` is always the event id: the guard that makes a statement a no-op for an applied event. */
const NOT_APPLIED = "NOT EXISTS (SELECT 1 FROM processed_events WHERE event_id = ?1)";
/** `?2` is the SKU and `?3` the event's sequence: alert decisions apply only to newer events. */
const NEWER_FOR_ALERTS = "?3 > COALESCE((SELECT last_sequence FROM alert_cursors WHERE sku = ?2), 0)";

export interface EventWrites {
  /** The projection row for an `inventory.updated` event. */
  level?: { locationId: string; counts: NonNullable<InventoryEvent["after"]>; status: LevelStatus };
  alerts: AlertDecision[];
  /** Bump the SKU's alert cursor to this event's sequence. */
  alertRelevant: boolean;
  sales: { day: string; locationId: string; units: number }[];
  /** Fan out to matching webhook subscriptions; `vendorId` of the SKU (null: unknown SKU, operator-wide only). */
  webhooks: { vendorId: string | null };
  reorderPoint: number;
  occurredAtMs: number;
  now: number;
}

/** A webhook delivery created for this event. */
export interface NewDelivery {
  id: string;
  subscriptionId: string;
}

/** Builds the event's statements; the last one records it as applied. */
export function eventStatements(db: D1Database, event: InventoryEvent, w: EventWrites): { statements: D1PreparedStatement[]; deliveriesAt: number } {
  const statements: D1PreparedStatement[] = [];
  const base = [event.id, event.sku, event.sequence] as const;

  if (w.level !== undefined) {
    const c = w.level.counts;
    statements.push(
      db
        .prepare(
          `INSERT INTO inventory_levels (sku, location_id, on_hand, reserved, soft_held, committed, in_transit, damaged, on_hold,
             available, status, last_sequence, last_event_id, updated_at, projected_at)
           SELECT ?2, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?3, ?1, ?14, ?15 WHERE ${NOT_APPLIED}
           ON CONFLICT (sku, location_id) DO UPDATE SET
             on_hand = excluded.on_hand, reserved = excluded.reserved, soft_held = excluded.soft_held,
             committed = excluded.committed, in_transit = excluded.in_transit, damaged = excluded.damaged,
             on_hold = excluded.on_hold, available = excluded.available, status = excluded.status,
             last_sequence = excluded.last_sequence, last_event_id = excluded.last_event_id,
             updated_at = excluded.updated_at, projected_at = excluded.projected_at
           WHERE excluded.last_sequence > inventory_levels.last_sequence`,
        )
        .bind(
          ...base,
          w.level.locationId,
          c.onHand,
          c.reserved,
          c.softHeld,
          c.committed,
          c.inTransit,
          c.damaged,
          c.onHold,
          c.available,
          w.level.status,
          w.occurredAtMs,
          w.now,
        ),
    );
  }

  for (const decision of w.alerts) {
    if (decision.action === "open") {
      statements.push(
        db
          .prepare(
            `INSERT INTO alerts (id, sku, location_id, kind, status, available, reorder_point, occurrences, opened_at, updated_at,
               opened_event_id, last_event_id, last_sequence)
             SELECT 'alr_' || lower(hex(randomblob(12))), ?2, ?4, ?5, 'open', ?6, ?7, 1, ?8, ?8, ?1, ?1, ?3
             WHERE ${NOT_APPLIED} AND ${NEWER_FOR_ALERTS}
             ON CONFLICT (sku, kind) WHERE status = 'open' DO UPDATE SET
               available = excluded.available, reorder_point = excluded.reorder_point, occurrences = alerts.occurrences + 1,
               updated_at = excluded.updated_at, last_event_id = excluded.last_event_id, last_sequence = excluded.last_sequence`,
          )
          .bind(...base, event.locationId, decision.kind, decision.available, w.reorderPoint, w.occurredAtMs),
      );
    } else {
      const projected = decision.whenProjectedTotalAbove === null ? "" : "AND (SELECT COALESCE(SUM(available), 0) FROM inventory_levels WHERE sku = ?2) > ?7";
      statements.push(
        db
          .prepare(
            `UPDATE alerts SET status = 'resolved', resolution = ?4, resolved_at = ?5, updated_at = ?5, resolved_event_id = ?1,
               last_event_id = ?1, last_sequence = ?3
             WHERE sku = ?2 AND status = 'open' AND kind IN (SELECT value FROM json_each(?6))
               AND ${NOT_APPLIED} AND ${NEWER_FOR_ALERTS} ${projected}`,
          )
          // D1 refuses more bound values than the statement's highest parameter number.
          .bind(
            ...base,
            decision.resolution,
            w.occurredAtMs,
            JSON.stringify(decision.kinds),
            ...(decision.whenProjectedTotalAbove === null ? [] : [decision.whenProjectedTotalAbove]),
          ),
      );
    }
  }
  if (w.alertRelevant) {
    statements.push(
      db
        .prepare(
          `INSERT INTO alert_cursors (sku, last_sequence) SELECT ?2, ?3 WHERE ${NOT_APPLIED}
           ON CONFLICT (sku) DO UPDATE SET last_sequence = MAX(alert_cursors.last_sequence, excluded.last_sequence)`,
        )
        .bind(...base),
    );
  }

  for (const sale of w.sales) {
    statements.push(
      db
        .prepare(
          `INSERT INTO daily_sales (sku, location_id, day, units, fulfilments, updated_at)
           SELECT ?2, ?4, ?5, ?6, 1, ?7 WHERE ${NOT_APPLIED}
           ON CONFLICT (sku, location_id, day) DO UPDATE SET
             units = daily_sales.units + excluded.units, fulfilments = daily_sales.fulfilments + 1, updated_at = excluded.updated_at`,
        )
        .bind(...base, sale.locationId, sale.day, sale.units, w.now),
    );
  }

  const deliveriesAt = statements.length;
  statements.push(
    db
      .prepare(
        `INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, sku, status, attempts, created_at, updated_at)
         SELECT 'whd_' || lower(hex(randomblob(12))), s.id, ?1, ?4, ?2, 'pending', 0, ?6, ?6
         FROM webhook_subscriptions s
         WHERE s.deleted_at IS NULL AND s.disabled_at IS NULL
           AND (s.vendor_id IS NULL OR s.vendor_id = ?5)
           AND EXISTS (SELECT 1 FROM json_each(s.event_types) WHERE value = ?4)
           AND ${NOT_APPLIED}
         ON CONFLICT (subscription_id, event_id) DO NOTHING
         RETURNING id, subscription_id`,
      )
      .bind(...base, event.type, w.webhooks.vendorId, w.now),
  );

  statements.push(
    db
      .prepare(
        `INSERT INTO processed_events (event_id, type, sku, sequence, processed_at) VALUES (?1, ?4, ?2, ?3, ?5)
         ON CONFLICT (event_id) DO NOTHING`,
      )
      .bind(...base, event.type, w.now),
  );
  return { statements, deliveriesAt };
}

/**
 * Applies an event's statements in one batch. Returns whether this call applied it (false:
 * it had been applied before) and the webhook deliveries it created.
 */
export async function applyEventStatements(
  db: D1Database,
  built: { statements: D1PreparedStatement[]; deliveriesAt: number },
): Promise<{ applied: boolean; deliveries: NewDelivery[] }> {
  const results = await db.batch<{ id: string; subscription_id: string }>(built.statements);
  const marker = results[results.length - 1]!;
  const deliveries = (results[built.deliveriesAt]?.results ?? []).map((r) => ({ id: r.id, subscriptionId: r.subscription_id }));
  return { applied: marker.meta.changes > 0, deliveries };
}

/**
 * Applies several events' statements, in order, in one batch (one transaction). Returns, per
 * event, whether this call applied it and the webhook deliveries it created.
 */
export async function applyEventStatementsMany(
  db: D1Database,
  built: readonly { statements: D1PreparedStatement[]; deliveriesAt: number }[],
): Promise<{ applied: boolean; deliveries: NewDelivery[] }[]> {
  const results = await db.batch<{ id: string; subscription_id: string }>(built.flatMap((b) => b.statements));
  let offset = 0;
  return built.map((b) => {
    const mine = results.slice(offset, offset + b.statements.length);
    offset += b.statements.length;
    return {
      applied: mine[mine.length - 1]!.meta.changes > 0,
      deliveries: (mine[b.deliveriesAt]?.results ?? []).map((r) => ({ id: r.id, subscriptionId: r.subscription_id })),
    };
  });
}

/** Deletes up to `limit` dedupe records older than `before` (ms); returns how many. */
export async function pruneProcessedEvents(db: D1Database, before: number, limit = 1000): Promise<number> {
  const result = await db
    .prepare("DELETE FROM processed_events WHERE event_id IN (SELECT event_id FROM processed_events WHERE processed_at < ? LIMIT ?)")
    .bind(before, limit)
    .run();
  return result.meta.changes;
}
