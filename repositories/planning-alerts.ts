/**
 * Overstock and slow-moving alerts (issue 15), opened and resolved by the nightly REORDER run
 * in the same `alerts` table the EVENTS consumer writes low-stock alerts to (at most one open
 * per SKU and kind: the partial unique index `alerts_one_open`). They are SKU-level
 * (`location_id` null) and carry the run's origin as their event ids (`reorder-run:<day>`), so
 * a run repeated for the same day changes nothing and each night the condition still holds
 * counts one more occurrence. The EVENTS consumer never touches these kinds.
 *
 * `alerts` and `daily_sales` are read-model tables (issue 19 item 2): every `db` here is the
 * read database of the SKUs' vendor, never `DB`.
 */
import { and, eq, lte, max, gt, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { alerts, dailySales } from "../d1/schema";
import type { MovementAlertKind, MovementAlertResolution } from "../domain/analytics";
import { type D1Write, excluded, guardedRow, inJson } from "./d1-sql";

/** The event id a run's alert writes carry. */
const runTag = (origin: string) => `reorder-run:${origin}`;

/** Each SKU's last day with a sale on or before `to` (SKUs that never sold are absent). */
export async function lastSaleDays(readDb: D1Database, ids: readonly string[], to: string): Promise<Map<string, string>> {
  const ds = dailySales;
  const rows = await drizzle(readDb)
    .select({ sku: ds.sku, day: max(ds.day) })
    .from(ds)
    .where(and(inJson(ds.sku, [...new Set(ids)]), lte(ds.day, to), gt(ds.units, 0)))
    .groupBy(ds.sku)
    .all();
  return new Map(rows.filter((r) => r.day !== null).map((r) => [r.sku, r.day!]));
}

/** Opens the SKU's `kind` alert, or counts one more night on the open one (once per origin). */
export function openMovementAlertStatement(
  readDb: D1Database,
  a: { sku: string; kind: MovementAlertKind; available: number; reorderPoint: number; origin: string; at: number },
): D1Write {
  const t = alerts;
  return drizzle(readDb)
    .insert(t)
    .select(
      guardedRow(
        t,
        {
          id: sql`'alr_' || lower(hex(randomblob(12)))`,
          sku: a.sku,
          locationId: null,
          kind: a.kind,
          status: "open",
          available: a.available,
          reorderPoint: a.reorderPoint,
          occurrences: 1,
          openedAt: a.at,
          updatedAt: a.at,
          openedEventId: runTag(a.origin),
          lastEventId: runTag(a.origin),
          lastSequence: 0,
        },
        sql`1`,
      ),
    )
    .onConflictDoUpdate({
      target: [t.sku, t.kind],
      targetWhere: sql`${t.status} = 'open'`,
      set: {
        available: excluded(t.available),
        reorderPoint: excluded(t.reorderPoint),
        occurrences: sql`${t.occurrences} + 1`,
        updatedAt: excluded(t.updatedAt),
        lastEventId: excluded(t.lastEventId),
      },
      setWhere: sql`${t.lastEventId} IS NOT ${excluded(t.lastEventId)}`,
    });
}

/** Resolves the SKU's open `kind` alert, if any. */
export function resolveMovementAlertStatement(
  readDb: D1Database,
  r: { sku: string; kind: MovementAlertKind; resolution: MovementAlertResolution; origin: string; at: number },
): D1Write {
  const t = alerts;
  return drizzle(readDb)
    .update(t)
    .set({ status: "resolved", resolution: r.resolution, resolvedAt: r.at, updatedAt: r.at, resolvedEventId: runTag(r.origin), lastEventId: runTag(r.origin) })
    .where(and(eq(t.sku, r.sku), eq(t.kind, r.kind), eq(t.status, "open")));
}
