/**
 * The EVENTS consumer's D1 writes. One event becomes one D1 batch (a transaction): its
 * effects on `inventory_levels`, `alerts`, `daily_sales` and `webhook_deliveries`, and last
 * its `processed_events` row. Every effect is conditional on that row not existing yet, so
 * a redelivered event changes nothing, and a batch that fails leaves nothing behind.
 * Projection rows and alerts also apply in per-SKU sequence order (older events ignored).
 */
import { and, eq, inArray, isNull, lt, or, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import {
  alertCursors,
  alerts,
  dailySales,
  inventoryLevels,
  locationDailyLoad,
  processedEvents,
  skus,
  webhookDeliveries,
  webhookSubscriptions,
} from "../d1/schema";
import type { AlertDecision } from "../domain/alerts";
import type { InventoryEvent } from "../domain/events";
import type { LevelStatus } from "../domain/inventory-levels";
import { type D1Write, excluded, guardedRow, inJson, runBatch } from "./d1-sql";

/** What an event needs from the SKU's master data (null: unknown SKU). */
export interface SkuFacts {
  vendorId: string;
  reorderPoint: number;
  allowBackorder: boolean;
}

const FACTS = { sku: skus.sku, vendorId: skus.vendorId, reorderPoint: skus.reorderPoint, allowBackorder: skus.allowBackorder };

/** Reads the SKU's owner and thresholds, uncached (an event may follow a master-data change closely). */
export async function skuFacts(db: D1Database, sku: string): Promise<SkuFacts | null> {
  const row = await drizzle(db).select(FACTS).from(skus).where(eq(skus.sku, sku)).get();
  return row === undefined ? null : { vendorId: row.vendorId, reorderPoint: row.reorderPoint, allowBackorder: row.allowBackorder };
}

/** Master data of several SKUs in one query (absent: unknown SKU). */
export async function skuFactsMany(db: D1Database, skuIds: readonly string[]): Promise<Map<string, SkuFacts>> {
  const unique = [...new Set(skuIds)];
  const results = await drizzle(db).select(FACTS).from(skus).where(inJson(skus.sku, unique)).all();
  return new Map(results.map((r) => [r.sku, { vendorId: r.vendorId, reorderPoint: r.reorderPoint, allowBackorder: r.allowBackorder }]));
}

/** The guard that makes a statement a no-op for an applied event. */
function notApplied(eventId: string): SQL {
  return sql`NOT EXISTS (SELECT 1 FROM ${processedEvents} WHERE ${processedEvents.eventId} = ${eventId})`;
}

/** Alert decisions apply only to events newer than the SKU's alert cursor. */
function newerForAlerts(sku: string, sequence: number): SQL {
  return sql`${sequence} > COALESCE((SELECT ${alertCursors.lastSequence} FROM ${alertCursors} WHERE ${alertCursors.sku} = ${sku}), 0)`;
}

/** A random id with a prefix, made by SQLite per inserted row (`alr_` / `whd_` + 24 hex). */
function randomId(prefix: "alr_" | "whd_"): SQL {
  return sql`${sql.raw(`'${prefix}'`)} || lower(hex(randomblob(12)))`;
}

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

/** A batch of an event's statements; `deliveriesAt` is the index of the webhook deliveries' insert. */
export interface EventStatements {
  statements: D1Write[];
  deliveriesAt: number;
}

/** Builds the event's statements; the last one records it as applied. */
export function eventStatements(db: D1Database, event: InventoryEvent, w: EventWrites): EventStatements {
  const d = drizzle(db);
  const statements: D1Write[] = [];
  const fresh = notApplied(event.id);

  if (w.level !== undefined) {
    const c = w.level.counts;
    const l = inventoryLevels;
    statements.push(
      d
        .insert(l)
        .select(
          guardedRow(
            l,
            {
              sku: event.sku,
              locationId: w.level.locationId,
              onHand: c.onHand,
              reserved: c.reserved,
              softHeld: c.softHeld,
              committed: c.committed,
              inTransit: c.inTransit,
              damaged: c.damaged,
              onHold: c.onHold,
              available: c.available,
              status: w.level.status,
              lastSequence: event.sequence,
              lastEventId: event.id,
              updatedAt: w.occurredAtMs,
              projectedAt: w.now,
            },
            fresh,
          ),
        )
        .onConflictDoUpdate({
          target: [l.sku, l.locationId],
          set: {
            onHand: excluded(l.onHand),
            reserved: excluded(l.reserved),
            softHeld: excluded(l.softHeld),
            committed: excluded(l.committed),
            inTransit: excluded(l.inTransit),
            damaged: excluded(l.damaged),
            onHold: excluded(l.onHold),
            available: excluded(l.available),
            status: excluded(l.status),
            lastSequence: excluded(l.lastSequence),
            lastEventId: excluded(l.lastEventId),
            updatedAt: excluded(l.updatedAt),
            projectedAt: excluded(l.projectedAt),
          },
          setWhere: sql`${excluded(l.lastSequence)} > ${l.lastSequence}`,
        }),
    );
  }

  for (const decision of w.alerts) {
    const newer = newerForAlerts(event.sku, event.sequence);
    if (decision.action === "open") {
      statements.push(
        d
          .insert(alerts)
          .select(
            guardedRow(
              alerts,
              {
                id: randomId("alr_"),
                sku: event.sku,
                locationId: event.locationId,
                kind: decision.kind,
                status: "open",
                available: decision.available,
                reorderPoint: w.reorderPoint,
                occurrences: 1,
                openedAt: w.occurredAtMs,
                updatedAt: w.occurredAtMs,
                openedEventId: event.id,
                lastEventId: event.id,
                lastSequence: event.sequence,
              },
              sql`${fresh} AND ${newer}`,
            ),
          )
          .onConflictDoUpdate({
            // The partial unique index alerts_one_open: at most one open alert per SKU and kind.
            target: [alerts.sku, alerts.kind],
            targetWhere: sql`${alerts.status} = 'open'`,
            set: {
              available: excluded(alerts.available),
              reorderPoint: excluded(alerts.reorderPoint),
              occurrences: sql`${alerts.occurrences} + 1`,
              updatedAt: excluded(alerts.updatedAt),
              lastEventId: excluded(alerts.lastEventId),
              lastSequence: excluded(alerts.lastSequence),
            },
          }),
      );
    } else {
      const projected =
        decision.whenProjectedTotalAbove === null
          ? undefined
          : sql`(SELECT COALESCE(SUM(${inventoryLevels.available}), 0) FROM ${inventoryLevels} WHERE ${inventoryLevels.sku} = ${event.sku}) > ${decision.whenProjectedTotalAbove}`;
      statements.push(
        d
          .update(alerts)
          .set({
            status: "resolved",
            resolution: decision.resolution,
            resolvedAt: w.occurredAtMs,
            updatedAt: w.occurredAtMs,
            resolvedEventId: event.id,
            lastEventId: event.id,
            lastSequence: event.sequence,
          })
          .where(and(eq(alerts.sku, event.sku), eq(alerts.status, "open"), inJson(alerts.kind, decision.kinds), fresh, newer, projected)),
      );
    }
  }
  if (w.alertRelevant) {
    statements.push(
      d
        .insert(alertCursors)
        .select(guardedRow(alertCursors, { sku: event.sku, lastSequence: event.sequence }, fresh))
        .onConflictDoUpdate({
          target: alertCursors.sku,
          set: { lastSequence: sql`MAX(${alertCursors.lastSequence}, ${excluded(alertCursors.lastSequence)})` },
        }),
    );
  }

  for (const sale of w.sales) {
    const ds = dailySales;
    statements.push(
      d
        .insert(ds)
        .select(guardedRow(ds, { sku: event.sku, locationId: sale.locationId, day: sale.day, units: sale.units, fulfilments: 1, updatedAt: w.now }, fresh))
        .onConflictDoUpdate({
          target: [ds.sku, ds.locationId, ds.day],
          set: { units: sql`${ds.units} + ${excluded(ds.units)}`, fulfilments: sql`${ds.fulfilments} + 1`, updatedAt: excluded(ds.updatedAt) },
        }),
    );
    // The location's load today (docs/allocation.md, balanced): the same units, per location.
    const ld = locationDailyLoad;
    statements.push(
      d
        .insert(ld)
        .select(guardedRow(ld, { locationId: sale.locationId, day: sale.day, units: sale.units, updatedAt: w.now }, fresh))
        .onConflictDoUpdate({
          target: [ld.day, ld.locationId],
          set: { units: sql`${ld.units} + ${excluded(ld.units)}`, updatedAt: excluded(ld.updatedAt) },
        }),
    );
  }

  const deliveriesAt = statements.length;
  const s = webhookSubscriptions;
  const wd = webhookDeliveries;
  statements.push(
    d
      .insert(wd)
      .select(
        guardedRow(
          wd,
          {
            id: randomId("whd_"),
            subscriptionId: sql`${s.id}`,
            eventId: event.id,
            eventType: event.type,
            sku: event.sku,
            status: "pending",
            attempts: 0,
            createdAt: w.now,
            updatedAt: w.now,
          },
          and(
            isNull(s.deletedAt),
            isNull(s.disabledAt),
            or(isNull(s.vendorId), sql`${s.vendorId} = ${w.webhooks.vendorId}`),
            sql`EXISTS (SELECT 1 FROM json_each(${s.eventTypes}) WHERE value = ${event.type})`,
            fresh,
          )!,
          s,
        ),
      )
      .onConflictDoNothing({ target: [wd.subscriptionId, wd.eventId] })
      .returning({ id: wd.id, subscriptionId: wd.subscriptionId }),
  );

  statements.push(
    d
      .insert(processedEvents)
      .values({ eventId: event.id, type: event.type, sku: event.sku, sequence: event.sequence, processedAt: w.now })
      .onConflictDoNothing({ target: processedEvents.eventId }),
  );
  return { statements, deliveriesAt };
}

/** Whether the event's last statement (its processed_events row) inserted a row, and the deliveries it created. */
function outcomeOf(results: readonly unknown[], deliveriesAt: number): { applied: boolean; deliveries: NewDelivery[] } {
  const marker = results[results.length - 1] as D1Result;
  return { applied: marker.meta.changes > 0, deliveries: (results[deliveriesAt] as NewDelivery[] | undefined) ?? [] };
}

/**
 * Applies an event's statements in one batch. Returns whether this call applied it (false:
 * it had been applied before) and the webhook deliveries it created.
 */
export async function applyEventStatements(db: D1Database, built: EventStatements): Promise<{ applied: boolean; deliveries: NewDelivery[] }> {
  return outcomeOf(await runBatch(db, built.statements), built.deliveriesAt);
}

/**
 * Applies several events' statements, in order, in one batch (one transaction). Returns, per
 * event, whether this call applied it and the webhook deliveries it created.
 */
export async function applyEventStatementsMany(db: D1Database, built: readonly EventStatements[]): Promise<{ applied: boolean; deliveries: NewDelivery[] }[]> {
  const results = await runBatch(
    db,
    built.flatMap((b) => b.statements),
  );
  let offset = 0;
  return built.map((b) => {
    const mine = results.slice(offset, offset + b.statements.length);
    offset += b.statements.length;
    return outcomeOf(mine, b.deliveriesAt);
  });
}

/** Deletes up to `limit` dedupe records older than `before` (ms); returns how many. */
export async function pruneProcessedEvents(db: D1Database, before: number, limit = 1000): Promise<number> {
  const d = drizzle(db);
  const pe = processedEvents;
  const result = await d
    .delete(pe)
    .where(inArray(pe.eventId, d.select({ eventId: pe.eventId }).from(pe).where(lt(pe.processedAt, before)).limit(limit)))
    .run();
  return result.meta.changes;
}
