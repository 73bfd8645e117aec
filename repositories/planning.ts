/**
 * D1 reads and writes of the planning jobs (issue 15): SKU master data and planning settings,
 * daily sales histories, stored forecasts and plans, reorder suggestions and nightly runs.
 *
 * Where they live (issue 19 item 2: the features' tables split by vendor): `skus`, the
 * nightly runs and purchase orders are in `DB`; a SKU's planning settings (`sku_planning`),
 * forecast (`forecasts`), reorder suggestions (`reorder_suggestions`) and sales
 * (`daily_sales`) are in the read database of its vendor, beside its read model. Every
 * function here but `planningSkus` reads or writes the ONE database it is given.
 * Conditional upserts are drizzle upserts with `setWhere` (and `guardedRow` for the
 * dismissal quiet period); sets of SKUs are bound as one JSON parameter (`inJson`).
 */
import { and, asc, between, eq, gt, notExists, or, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { QueryBuilder } from "drizzle-orm/sqlite-core";
import { dailySales, forecasts, reorderRuns, reorderSuggestions, type ReorderSuggestionRow, skuPlanning, skus } from "../d1/schema";
import type { PlanningSettings } from "../domain/planning-defaults";
import { type D1Write, excluded, guardedRow, inJson } from "./d1-sql";
import { compareKeys, copiesAcrossPages, keepOneCopy, mergeSortedPages } from "../domain/keyset-merge";
import { ownedSkusByPartition, readDb, readDbs } from "./read-partitions";

/** What planning needs of a SKU: master data, category and settings (a left join on `sku_planning`). */
export interface PlanningSku {
  sku: string;
  vendorId: string;
  status: "active" | "discontinued";
  leadTimeDays: number;
  maxStock: number | null;
  category: string | null;
  unitPrice: number | null;
  /** When the SKU was created (ms): a SKU that never sold counts its days without a sale from then. */
  createdAt: number;
  settings: PlanningSettings;
  /** Per-SKU alert thresholds (null: the defaults). */
  alertThresholds: { overstockNoSaleDays: number | null; slowMovingNoSaleDays: number | null };
}

const PLANNING_MASTER_COLUMNS = {
  sku: skus.sku,
  vendorId: skus.vendorId,
  status: skus.status,
  leadTimeDays: skus.leadTimeDays,
  maxStock: skus.maxStock,
  createdAt: skus.createdAt,
};

const PLANNING_SETTINGS_COLUMNS = {
  sku: skuPlanning.sku,
  category: skuPlanning.category,
  unitPrice: skuPlanning.unitPrice,
  serviceLevel: skuPlanning.serviceLevel,
  pLeadTimeDays: skuPlanning.leadTimeDays,
  leadTimeSdDays: skuPlanning.leadTimeSdDays,
  minimumOrderQuantity: skuPlanning.minimumOrderQuantity,
  packSize: skuPlanning.packSize,
  pMaxStock: skuPlanning.maxStock,
  orderingCost: skuPlanning.orderingCost,
  unitCost: skuPlanning.unitCost,
  holdingRate: skuPlanning.holdingRate,
  overstockNoSaleDays: skuPlanning.overstockNoSaleDays,
  slowMovingNoSaleDays: skuPlanning.slowMovingNoSaleDays,
};

type PlanningMasterRow = Pick<PlanningSku, "sku" | "vendorId" | "status" | "leadTimeDays" | "maxStock" | "createdAt">;
type PlanningSettingsRow = Awaited<ReturnType<typeof planningSettingRows>>[number];

function planningSku(m: PlanningMasterRow, r: PlanningSettingsRow | undefined): PlanningSku {
  return {
    sku: m.sku,
    vendorId: m.vendorId,
    status: m.status,
    leadTimeDays: m.leadTimeDays,
    maxStock: m.maxStock,
    category: r?.category ?? null,
    unitPrice: r?.unitPrice ?? null,
    createdAt: m.createdAt,
    alertThresholds: { overstockNoSaleDays: r?.overstockNoSaleDays ?? null, slowMovingNoSaleDays: r?.slowMovingNoSaleDays ?? null },
    settings: {
      serviceLevel: r?.serviceLevel ?? null,
      leadTimeDays: r?.pLeadTimeDays ?? null,
      leadTimeSdDays: r?.leadTimeSdDays ?? null,
      minimumOrderQuantity: r?.minimumOrderQuantity ?? null,
      packSize: r?.packSize ?? null,
      maxStock: r?.pMaxStock ?? null,
      orderingCost: r?.orderingCost ?? null,
      unitCost: r?.unitCost ?? null,
      holdingRate: r?.holdingRate ?? null,
    },
  };
}

/** The `sku_planning` rows of these SKUs in one read database (their vendor's). */
function planningSettingRows(readDb: D1Database, ids: readonly string[]) {
  return drizzle(readDb)
    .select(PLANNING_SETTINGS_COLUMNS)
    .from(skuPlanning)
    .where(inJson(skuPlanning.sku, [...new Set(ids)]))
    .all();
}

/**
 * Master data and settings of the given SKUs (unknown SKUs are absent): both from each SKU's
 * vendor's read database, where its `skus` and `sku_planning` rows live (issue 19 items 2
 * and 3; one `DB` read for the owners, then two queries per database holding some of them, in
 * parallel), combined by SKU.
 */
export async function planningSkus(env: Env, ids: readonly string[]): Promise<Map<string, PlanningSku>> {
  const groups = await ownedSkusByPartition(env, ids);
  const out = new Map<string, PlanningSku>();
  const pages = await Promise.all(
    [...groups].map(async ([p, part]) => {
      const db = readDb(env, p);
      const [masters, settings] = await Promise.all([
        drizzle(db).select(PLANNING_MASTER_COLUMNS).from(skus).where(inJson(skus.sku, part)).all() as Promise<PlanningMasterRow[]>,
        planningSettingRows(db, part),
      ]);
      const bySku = new Map(settings.map((r) => [r.sku, r]));
      return masters.map((m) => planningSku(m, bySku.get(m.sku)));
    }),
  );
  for (const page of pages) for (const sku of page) out.set(sku.sku, sku);
  return out;
}

/**
 * Units sold per SKU and day (summed over locations) in [from, to], days with sales only.
 * `readDb`: the read database holding these SKUs' `daily_sales` (their vendor's, issue 19 item 2).
 */
export async function salesByDay(readDb: D1Database, ids: readonly string[], from: string, to: string): Promise<Map<string, Map<string, number>>> {
  const ds = dailySales;
  const results = await drizzle(readDb)
    .select({ sku: ds.sku, day: ds.day, units: sql<number>`SUM(${ds.units})` })
    .from(ds)
    .where(and(inJson(ds.sku, [...new Set(ids)]), between(ds.day, from, to)))
    .groupBy(ds.sku, ds.day)
    .all();
  const out = new Map<string, Map<string, number>>();
  for (const r of results) {
    let days = out.get(r.sku);
    if (days === undefined) out.set(r.sku, (days = new Map()));
    days.set(r.day, r.units);
  }
  return out;
}

/** A stored forecast row (JSON columns as text). */
export interface StoredForecast {
  sku: string;
  vendorId: string;
  origin: string;
  method: string;
  reason: string;
  demandClass: string;
  model: string;
  horizons: string;
  fittedAt: number;
  accuracyForecast: number | null;
  accuracyActual: number | null;
  stockPosition: number | null;
  stockoutDay: string | null;
  daysUntilStockout: number | null;
  plan: string | null;
  plannedAt: number | null;
}

/** Stored forecasts of the given SKUs (`db`: the read database of their vendor). */
export async function findForecasts(db: D1Database, ids: readonly string[]): Promise<Map<string, StoredForecast>> {
  const results: StoredForecast[] = await drizzle(db)
    .select()
    .from(forecasts)
    .where(inJson(forecasts.sku, [...new Set(ids)]))
    .all();
  return new Map(results.map((r) => [r.sku, r]));
}

/**
 * Stores a fitted model unless a model of the same or a later origin is there already (a
 * redelivered or concurrent job does not overwrite newer work).
 */
export function saveForecastStatement(
  db: D1Database,
  f: Pick<
    StoredForecast,
    "sku" | "vendorId" | "origin" | "method" | "reason" | "demandClass" | "model" | "horizons" | "fittedAt" | "accuracyForecast" | "accuracyActual"
  >,
): D1Write {
  const t = forecasts;
  return drizzle(db)
    .insert(t)
    .values(f)
    .onConflictDoUpdate({
      target: t.sku,
      set: {
        vendorId: excluded(t.vendorId),
        origin: excluded(t.origin),
        method: excluded(t.method),
        reason: excluded(t.reason),
        demandClass: excluded(t.demandClass),
        model: excluded(t.model),
        horizons: excluded(t.horizons),
        fittedAt: excluded(t.fittedAt),
        accuracyForecast: excluded(t.accuracyForecast),
        accuracyActual: excluded(t.accuracyActual),
      },
      setWhere: sql`${excluded(t.origin)} > ${t.origin}`,
    });
}

/** Records the latest plan on the SKU's forecast row (only changes when a value changed). */
export function savePlanStatement(
  db: D1Database,
  p: { sku: string; stockPosition: number; stockoutDay: string | null; daysUntilStockout: number | null; plan: string; at: number },
): D1Write {
  const t = forecasts;
  return drizzle(db)
    .update(t)
    .set({ stockPosition: p.stockPosition, stockoutDay: p.stockoutDay, daysUntilStockout: p.daysUntilStockout, plan: p.plan, plannedAt: p.at })
    .where(
      and(
        eq(t.sku, p.sku),
        or(
          sql`${t.stockPosition} IS NOT ${p.stockPosition}`,
          sql`${t.stockoutDay} IS NOT ${p.stockoutDay}`,
          sql`${t.daysUntilStockout} IS NOT ${p.daysUntilStockout}`,
          sql`${t.plan} IS NOT ${p.plan}`,
        ),
      ),
    );
}

/** The numbers of a reorder suggestion. */
export interface SuggestionValues {
  sku: string;
  vendorId: string;
  locationId: string | null;
  urgency: ReorderSuggestionRow["urgency"];
  quantity: number;
  stockPosition: number;
  reorderPoint: number;
  safetyStock: number;
  economicOrderQuantity: number;
  stockoutDay: string | null;
  daysUntilStockout: number | null;
  origin: string;
  unitCost: number | null;
}

/** A dismissed suggestion keeps new ones for its SKU away this long (the operator decided). */
export const DISMISS_QUIET_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * Opens a suggestion, or refreshes the SKU's open one (at most one open per SKU: the unique
 * partial index), changing nothing when its numbers are the same. No new one within
 * DISMISS_QUIET_MS of a dismissal.
 */
export function upsertSuggestionStatement(db: D1Database, id: string, v: SuggestionValues, now: number): D1Write {
  const t = reorderSuggestions;
  const dismissedLately = new QueryBuilder()
    .select({ one: sql`1` })
    .from(t)
    .where(and(eq(t.sku, v.sku), eq(t.status, "dismissed"), sql`${t.closedAt} > ${now} - ${DISMISS_QUIET_MS}`));
  const changed = (c: (typeof t)["quantity" | "urgency" | "stockPosition" | "reorderPoint" | "locationId" | "stockoutDay" | "origin"]) =>
    sql`${c} IS NOT ${excluded(c)}`;
  return drizzle(db)
    .insert(t)
    .select(
      guardedRow(
        t,
        {
          id,
          sku: v.sku,
          vendorId: v.vendorId,
          locationId: v.locationId,
          status: "open",
          urgency: v.urgency,
          quantity: v.quantity,
          stockPosition: v.stockPosition,
          reorderPoint: v.reorderPoint,
          safetyStock: v.safetyStock,
          economicOrderQuantity: v.economicOrderQuantity,
          stockoutDay: v.stockoutDay,
          daysUntilStockout: v.daysUntilStockout,
          origin: v.origin,
          unitCost: v.unitCost,
          createdAt: now,
          updatedAt: now,
        },
        notExists(dismissedLately),
      ),
    )
    .onConflictDoUpdate({
      // The partial unique index reorder_suggestions_one_open: at most one open suggestion per SKU.
      target: t.sku,
      targetWhere: sql`${t.status} = 'open'`,
      set: {
        vendorId: excluded(t.vendorId),
        locationId: excluded(t.locationId),
        urgency: excluded(t.urgency),
        quantity: excluded(t.quantity),
        stockPosition: excluded(t.stockPosition),
        reorderPoint: excluded(t.reorderPoint),
        safetyStock: excluded(t.safetyStock),
        economicOrderQuantity: excluded(t.economicOrderQuantity),
        stockoutDay: excluded(t.stockoutDay),
        daysUntilStockout: excluded(t.daysUntilStockout),
        origin: excluded(t.origin),
        unitCost: excluded(t.unitCost),
        updatedAt: excluded(t.updatedAt),
      },
      setWhere: or(
        changed(t.quantity),
        changed(t.urgency),
        changed(t.stockPosition),
        changed(t.reorderPoint),
        changed(t.locationId),
        changed(t.stockoutDay),
        changed(t.origin),
      ),
    });
}

/** Closes the SKU's open suggestion as `resolved` (its position is above the reorder point again). */
export function resolveSuggestionStatement(db: D1Database, sku: string, now: number): D1Write {
  const t = reorderSuggestions;
  return drizzle(db)
    .update(t)
    .set({ status: "resolved", closedAt: now, closedBy: "reorder-job", updatedAt: now })
    .where(and(eq(t.sku, sku), eq(t.status, "open")));
}

/** A suggestion as stored. */
export interface SuggestionRow extends SuggestionValues {
  id: string;
  status: "open" | "accepted" | "dismissed" | "resolved";
  createdAt: number;
  updatedAt: number;
  closedAt: number | null;
  closedBy: string | null;
}

export interface SuggestionFilter {
  status?: SuggestionRow["status"] | undefined;
  vendorId?: string | undefined;
  locationId?: string | undefined;
  urgency?: string | undefined;
  sku?: string | undefined;
  /** Keyset: rows after this (vendor, location, id) in list order. */
  after?: readonly [vendorId: string, locationKey: string, id: string] | undefined;
  limit: number;
}

/** Suggestions grouped by vendor and location (list order: vendor, location, id), at most `limit`. */
export async function listSuggestions(db: D1Database, f: SuggestionFilter): Promise<SuggestionRow[]> {
  const t = reorderSuggestions;
  const where: SQL[] = [];
  if (f.status !== undefined) where.push(eq(t.status, f.status));
  if (f.vendorId !== undefined) where.push(eq(t.vendorId, f.vendorId));
  if (f.locationId !== undefined) where.push(eq(t.locationId, f.locationId));
  if (f.urgency !== undefined) where.push(sql`${t.urgency} = ${f.urgency}`);
  if (f.sku !== undefined) where.push(eq(t.sku, f.sku));
  const locationKey = sql`coalesce(${t.locationId}, '')`;
  if (f.after !== undefined) {
    const [v, l, id] = f.after;
    where.push(sql`(${t.vendorId}, ${locationKey}, ${t.id}) > (${v}, ${l}, ${id})`);
  }
  return drizzle(db)
    .select()
    .from(t)
    .where(and(...where))
    .orderBy(asc(t.vendorId), locationKey, asc(t.id))
    .limit(f.limit)
    .all();
}

/** One suggestion by id. */
export async function findSuggestion(db: D1Database, id: string): Promise<SuggestionRow | null> {
  return (await drizzle(db).select().from(reorderSuggestions).where(eq(reorderSuggestions.id, id)).get()) ?? null;
}

/** Dismisses an open suggestion; false when it was not open. */
export async function dismissSuggestion(db: D1Database, id: string, by: string, now: number): Promise<boolean> {
  const t = reorderSuggestions;
  const r = await drizzle(db)
    .update(t)
    .set({ status: "dismissed", closedAt: now, closedBy: by, updatedAt: now })
    .where(and(eq(t.id, id), eq(t.status, "open")))
    .run();
  return r.meta.changes > 0;
}

/**
 * Active SKU ids after `cursor` in id order (the nightly run's keyset page), over every read
 * database (a SKU's master row is in its vendor's): each database's first `limit` after the
 * cursor, merged in id order and cut at `limit` — the same page one database holding them all
 * would give. A moved vendor's SKU in two databases (until the old rows are deleted) is kept
 * once, before the merge, so the page stays exact.
 */
export async function activeSkusAfter(env: Env, cursor: string, limit: number): Promise<string[]> {
  const pages = await Promise.all(
    readDbs(env).map(async (db) =>
      (
        await drizzle(db)
          .select({ sku: skus.sku })
          .from(skus)
          .where(and(gt(skus.sku, cursor), eq(skus.status, "active")))
          .orderBy(asc(skus.sku))
          .limit(limit)
          .all()
      ).map((r) => r.sku),
    ),
  );
  const once = keepOneCopy(
    pages,
    (sku) => sku,
    copiesAcrossPages(pages, (sku) => sku),
    new Map(),
  );
  return mergeSortedPages(once, (a, b) => compareKeys([a], [b]), limit);
}

/** A nightly run. */
export interface ReorderRun {
  origin: string;
  cursor: string;
  status: "running" | "done";
  chunks: number;
  skus: number;
  startedAt: number;
  finishedAt: number | null;
}

/** Starts the run for `origin` (no-op if it exists). */
export async function startRun(db: D1Database, origin: string, now: number): Promise<void> {
  // ON CONFLICT DO NOTHING: every value is set, so only the primary key can conflict.
  await drizzle(db).insert(reorderRuns).values({ origin, cursor: "", status: "running", startedAt: now }).onConflictDoNothing().run();
}

/** The oldest unfinished run, if any. */
export async function runningRun(db: D1Database): Promise<ReorderRun | null> {
  return (await drizzle(db).select().from(reorderRuns).where(eq(reorderRuns.status, "running")).orderBy(asc(reorderRuns.origin)).limit(1).get()) ?? null;
}

/** One run by origin. */
export async function findRun(db: D1Database, origin: string): Promise<ReorderRun | null> {
  return (await drizzle(db).select().from(reorderRuns).where(eq(reorderRuns.origin, origin)).get()) ?? null;
}

/**
 * Moves a run's cursor from `from` to `to` (compare-and-set: a concurrent tick that moved it
 * first wins, and this one's messages were duplicates the consumer ignores); `done` finishes it.
 */
export async function advanceRun(
  db: D1Database,
  origin: string,
  from: string,
  to: string,
  chunks: number,
  skus: number,
  done: boolean,
  now: number,
): Promise<boolean> {
  const t = reorderRuns;
  const r = await drizzle(db)
    .update(t)
    .set({
      cursor: to,
      chunks: sql`${t.chunks} + ${chunks}`,
      skus: sql`${t.skus} + ${skus}`,
      ...(done ? { status: "done" as const, finishedAt: now } : {}),
    })
    .where(and(eq(t.origin, origin), eq(t.cursor, from), eq(t.status, "running")))
    .run();
  return r.meta.changes > 0;
}

/**
 * A SKU that changed vendor (an operator's transfer), in its new vendor's read database after
 * its rows moved there: its forecast and its open suggestion name the new vendor, so the new
 * vendor's lists show them and the next purchase-order draft groups it with the new vendor's.
 * Closed suggestions keep the vendor they were decided for.
 */
export async function reassignSkuPlanning(readDb: D1Database, sku: string, vendorId: string): Promise<void> {
  const d = drizzle(readDb);
  await d.batch([
    d.update(forecasts).set({ vendorId }).where(eq(forecasts.sku, sku)),
    d
      .update(reorderSuggestions)
      .set({ vendorId })
      .where(and(eq(reorderSuggestions.sku, sku), eq(reorderSuggestions.status, "open"))),
  ]);
}
