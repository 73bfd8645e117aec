/**
 * The REORDER job for a set of SKUs (issue 15): refresh stale forecasts from `daily_sales`,
 * compute each SKU's replenishment plan against its object's stock, and open, refresh or
 * resolve its reorder suggestion and its overstock / slow-moving alert. Idempotent: a forecast is refitted only when older than
 * the job's origin, every write is conditional on a value changing, and a SKU has at most one
 * open suggestion, so running the same job twice changes nothing the second time.
 *
 * Split by vendor (issue 19 item 2): a SKU's `daily_sales`, `alerts`, planning settings,
 * forecast and suggestions are all in the read database of its vendor; `DB` gives the master
 * data and the units on order (purchase orders), and is not written. Reads go to each
 * database for its SKUs (`readBySku`); the writes are one batch per read database.
 */
import { unitsOnOrderBySku } from "./purchase-orders";
import { classifyStockMovement, movementAlerts, stockMovementOptions } from "../domain/analytics";
import { dayNumber, isoDay } from "../domain/forecasting/calendar";
import { dailyMeans, expectedStockout, fitForecastModels, forecastDemand, leadTimeDemand, type ForecastModel, type SalesHistory } from "../domain/forecasting";
import { poolsOf, resolvePolicy } from "../domain/planning-defaults";
import { planReplenishment, type ReplenishmentPlan, type StockPositionInput } from "../domain/replenishment";
import type { SkuSnapshot } from "../durable-objects/sku-inventory.types";
import { type D1Write, runBatch } from "../repositories/d1-sql";
import { readDb, vendorReadPartitions } from "../repositories/read-partitions";
import { vendorsMoving } from "../repositories/read-moves";
import { lastSaleDays, openMovementAlertStatement, resolveMovementAlertStatement } from "../repositories/planning-alerts";
import {
  findForecasts,
  planningSkus,
  resolveSuggestionStatement,
  salesByDay,
  saveForecastStatement,
  savePlanStatement,
  upsertSuggestionStatement,
  type PlanningSku,
  type StoredForecast,
} from "../repositories/planning";

/** Days of sales history a fit reads (a year and four weeks: a full season plus the calibration hold-out). */
export const HISTORY_DAYS = 392;

/** The last complete UTC day before `ms`: the origin of forecasts made at that time. */
export function originBefore(ms: number): string {
  return isoDay(Math.floor(ms / 86_400_000) - 1);
}

/** A SKU and its owner: enough to find its read database. */
export interface OwnedSku {
  sku: string;
  vendorId: string;
}

/**
 * The SKUs grouped by their read partition (their vendor's: `vendors.read_partition`, else
 * its home; cached per isolate), partitions in ascending order.
 */
export async function byReadPartition(env: Env, owned: readonly OwnedSku[]): Promise<Map<number, string[]>> {
  const partitions = await vendorReadPartitions(
    env,
    owned.map((s) => s.vendorId),
  );
  const out = new Map<number, string[]>();
  for (const s of owned) {
    const p = partitions.get(s.vendorId)!;
    const list = out.get(p);
    if (list === undefined) out.set(p, [s.sku]);
    else list.push(s.sku);
  }
  return new Map([...out].sort(([a], [b]) => a - b));
}

/**
 * Runs `read` in each read database over the SKUs it holds, in parallel, and merges the
 * answers: a SKU's rows are all in its vendor's database, so the maps do not overlap and the
 * merge is what one query over a single database answered.
 */
export async function readBySku<T>(
  env: Env,
  owned: readonly OwnedSku[],
  read: (db: D1Database, ids: string[]) => Promise<Map<string, T>>,
): Promise<Map<string, T>> {
  const parts = await Promise.all([...(await byReadPartition(env, owned))].map(([p, ids]) => read(readDb(env, p), ids)));
  return new Map(parts.flatMap((m) => [...m]));
}

/** What the job did, for logs and tests. */
export interface PlanningOutcome {
  skus: number;
  refitted: number;
  planned: number;
  suggested: number;
  resolved: number;
  skipped: number;
  /** Overstock / slow-moving alerts this job asked open (opened or still open). */
  movementAlerts: number;
}

/** A SKU's plan with the numbers the API and suggestions show. */
export interface SkuPlan {
  plan: ReplenishmentPlan;
  stockoutDay: string | null;
  daysUntilStockout: number | null;
  locationId: string | null;
  costKnown: boolean;
}

/**
 * Builds each SKU's history for the window ending on `origin`: from its first day with a
 * sale (a SKU's records begin when it sells) to the origin, zeros on days without sales;
 * empty without any sale in the window.
 */
function histories(skus: readonly PlanningSku[], sales: Map<string, Map<string, number>>, origin: string): SalesHistory[] {
  const end = dayNumber(origin);
  return skus.map((s) => {
    const days = sales.get(s.sku);
    const pools = poolsOf(s.vendorId, s.category);
    if (days === undefined || days.size === 0) return { sku: s.sku, pools, origin, units: [] };
    const first = Math.min(...[...days.keys()].map(dayNumber));
    const units = Array.from({ length: end - first + 1 }, (_, i) => days.get(isoDay(first + i)) ?? 0);
    return { sku: s.sku, pools, origin, units };
  });
}

/**
 * The previous model's accuracy over the days between its origin and the new one: what it
 * expected and what sold (null without a previous model or without elapsed days).
 */
function accuracyOf(previous: StoredForecast | undefined, history: SalesHistory): { forecast: number; actual: number } | null {
  if (previous === undefined) return null;
  const gap = dayNumber(history.origin) - dayNumber(previous.origin);
  if (gap <= 0 || gap > 28) return null;
  const model = JSON.parse(previous.model) as ForecastModel;
  const forecast = dailyMeans(model, gap).reduce((a, b) => a + b, 0);
  const actual = history.units.slice(-gap).reduce((a, b) => a + b, 0);
  return { forecast, actual };
}

/**
 * The stock position's parts from the SKU object's totals (backordered units are part of
 * `reserved`; shipped purchase orders are `inTransit` on the object) and the units of
 * purchase orders not yet shipped (`onOrder`, from D1).
 */
export function stockOf(snapshot: SkuSnapshot, onOrder = 0): StockPositionInput {
  const t = snapshot.totals;
  return {
    onHand: t.onHand,
    inTransit: t.inTransit,
    onOrder,
    reserved: t.reserved,
    committed: t.committed,
    backorders: 0,
    unsellable: t.damaged + t.onHold,
  };
}

/** Where an order for the SKU goes: its location with the most units on hand and inbound (ties by id); null if it has none. */
function receivingLocation(snapshot: SkuSnapshot): string | null {
  let best: { id: string; units: number } | null = null;
  for (const l of snapshot.locations) {
    const units = l.onHand + l.inTransit;
    if (best === null || units > best.units || (units === best.units && l.locationId < best.id)) best = { id: l.locationId, units };
  }
  return best?.id ?? null;
}

/** The plan of one SKU from its model and its object's snapshot. Pure. */
export function planSku(sku: PlanningSku, model: ForecastModel, snapshot: SkuSnapshot, onOrder = 0): SkuPlan {
  const policy = resolvePolicy(sku, sku.settings);
  const stock = stockOf(snapshot, onOrder);
  const position = stock.onHand + stock.inTransit + stock.onOrder - stock.reserved - stock.committed - stock.backorders - (stock.unsellable ?? 0);
  const lt = leadTimeDemand(model, policy.leadTimeDays);
  const L = Math.max(policy.leadTimeDays, 1e-9);
  const annualDemand = dailyMeans(model, 365).reduce((a, b) => a + b, 0);
  const stockout = expectedStockout(model, position);
  const plan = planReplenishment({
    stock,
    demand: {
      meanDailyDemand: lt.mean / L,
      dailyDemandSd: lt.sd / Math.sqrt(L),
      leadTimeDemand: lt,
      annualDemand,
      daysUntilStockout: stockout.daysUntil,
    },
    policy,
  });
  return {
    plan,
    stockoutDay: stockout.day,
    daysUntilStockout: stockout.daysUntil,
    locationId: receivingLocation(snapshot),
    costKnown: sku.settings.unitCost !== null,
  };
}

/**
 * The SKU's overstock / slow-moving alert writes (into `alertDb`, its read database) as of `origin` (`classifyStockMovement` over
 * the object's units on hand, the last sale and the SKU's thresholds; `movementAlerts`).
 */
function movementAlertWrites(
  alertDb: D1Database,
  s: PlanningSku,
  snapshot: SkuSnapshot,
  lastSaleDay: string | null,
  origin: string,
  now: number,
): { open: boolean; writes: D1Write[] } {
  const movement = classifyStockMovement(
    { onHand: snapshot.totals.onHand, lastSaleDay, oldestStockDay: null, firstStockedDay: isoDay(Math.floor(s.createdAt / 86_400_000)) },
    origin,
    stockMovementOptions(s.alertThresholds),
  );
  const { open, resolve } = movementAlerts(movement.class);
  const writes = resolve.map((r) => resolveMovementAlertStatement(alertDb, { sku: s.sku, ...r, origin, at: now }));
  if (open !== null) {
    writes.push(
      openMovementAlertStatement(alertDb, {
        sku: s.sku,
        kind: open,
        available: snapshot.totals.available,
        reorderPoint: 0,
        origin,
        at: now,
      }),
    );
  }
  return { open: open !== null, writes };
}

/** Reads one SKU object's snapshot over RPC (the object is the only source of counts). */
async function snapshotOf(env: Env, sku: string): Promise<SkuSnapshot> {
  return env.SKU_INVENTORY.getByName(sku).snapshot();
}

/**
 * Plans `skus` for the forecast `origin` (see the module comment). Unknown and discontinued
 * SKUs are skipped (a discontinued SKU's open suggestion is resolved).
 */
export async function planSkus(env: Env, skuIds: readonly string[], origin: string, now: number): Promise<PlanningOutcome> {
  const outcome: PlanningOutcome = { skus: skuIds.length, refitted: 0, planned: 0, suggested: 0, resolved: 0, skipped: 0, movementAlerts: 0 };
  const master = await planningSkus(env, skuIds);
  // A vendor whose rows are being copied to another read database takes no writes (they could
  // land behind the copy and be deleted with the old rows): the message is retried, as the
  // EVENTS consumer retries that vendor's events, until the move has switched.
  const moving = await vendorsMoving(
    env.DB,
    [...master.values()].map((s) => s.vendorId),
  );
  if (moving.size > 0) throw new Error(`the read model of vendor ${[...moving].sort().join(", ")} is being moved; the planning is retried`);
  const active = skuIds.map((s) => master.get(s)).filter((s): s is PlanningSku => s !== undefined && s.status === "active");
  outcome.skipped = skuIds.length - active.length;
  const stored = await readBySku(env, active, findForecasts);

  // Every write of a SKU goes to its vendor's read database: one batch per database.
  const partitions = await vendorReadPartitions(
    env,
    [...master.values()].map((s) => s.vendorId),
  );
  const batches = new Map<number, { db: D1Database; writes: D1Write[]; resolving: Set<number> }>();
  const batchOf = (s: PlanningSku) => {
    const p = partitions.get(s.vendorId)!;
    let b = batches.get(p);
    if (b === undefined) batches.set(p, (b = { db: readDb(env, p), writes: [], resolving: new Set() }));
    return b;
  };

  // Refit the SKUs whose model is older than the origin, together (pools are fitted over them).
  // The new model is written first in the SKU's batch, so the plan below updates its row.
  const stale = active.filter((s) => (stored.get(s.sku)?.origin ?? "") < origin);
  const models = new Map<string, ForecastModel>();
  for (const s of active) {
    const f = stored.get(s.sku);
    if (f !== undefined && f.origin >= origin) models.set(s.sku, JSON.parse(f.model) as ForecastModel);
  }
  if (stale.length > 0) {
    const from = isoDay(dayNumber(origin) - HISTORY_DAYS + 1);
    const sales = await readBySku(env, stale, (db, ids) => salesByDay(db, ids, from, origin));
    const hs = histories(stale, sales, origin);
    const fitted = fitForecastModels(hs).models;
    for (const [i, model] of fitted.entries()) {
      models.set(model.sku, model);
      const accuracy = accuracyOf(stored.get(model.sku), hs[i]!);
      const forecast = forecastDemand(model, 90);
      const b = batchOf(stale[i]!);
      b.writes.push(
        saveForecastStatement(b.db, {
          sku: model.sku,
          vendorId: stale[i]!.vendorId,
          origin,
          method: model.method,
          reason: model.reason,
          demandClass: model.demand.class,
          model: JSON.stringify(model),
          horizons: JSON.stringify(forecast.horizons),
          fittedAt: now,
          accuracyForecast: accuracy?.forecast ?? null,
          accuracyActual: accuracy?.actual ?? null,
        }),
      );
    }
    outcome.refitted = stale.length;
  }

  // Plan every SKU against its object's stock.
  const snapshots = await Promise.all(active.map((s) => snapshotOf(env, s.sku)));
  const onOrder = await unitsOnOrderBySku(
    env,
    active.map((s) => s.sku),
  );
  const lastSales = await readBySku(env, active, (db, ids) => lastSaleDays(db, ids, origin));
  for (const [i, s] of active.entries()) {
    const model = models.get(s.sku);
    const b = batchOf(s);
    const movement = movementAlertWrites(b.db, s, snapshots[i]!, lastSales.get(s.sku) ?? null, origin, now);
    b.writes.push(...movement.writes);
    if (movement.open) outcome.movementAlerts++;
    if (model === undefined) continue;
    const p = planSku(s, model, snapshots[i]!, onOrder.get(s.sku) ?? 0);
    outcome.planned++;
    b.writes.push(
      savePlanStatement(b.db, {
        sku: s.sku,
        stockPosition: p.plan.stockPosition,
        stockoutDay: p.stockoutDay,
        daysUntilStockout: p.daysUntilStockout,
        plan: JSON.stringify({ ...p.plan, locationId: p.locationId, costKnown: p.costKnown, origin }),
        at: now,
      }),
    );
    if (p.plan.shouldReorder && p.plan.orderQuantity > 0) {
      outcome.suggested++;
      b.writes.push(
        upsertSuggestionStatement(
          b.db,
          `rs_${crypto.randomUUID().replace(/-/g, "")}`,
          {
            sku: s.sku,
            vendorId: s.vendorId,
            locationId: p.locationId,
            urgency: p.plan.urgency,
            quantity: p.plan.orderQuantity,
            stockPosition: p.plan.stockPosition,
            reorderPoint: p.plan.reorderPoint,
            safetyStock: p.plan.safetyStock,
            economicOrderQuantity: p.plan.economicOrderQuantity,
            stockoutDay: p.stockoutDay,
            daysUntilStockout: p.daysUntilStockout,
            origin,
            unitCost: s.settings.unitCost,
          },
          now,
        ),
      );
    } else {
      b.resolving.add(b.writes.length);
      b.writes.push(resolveSuggestionStatement(b.db, s.sku, now));
    }
  }
  for (const s of master.values()) {
    if (s.status === "active") continue;
    const b = batchOf(s);
    b.resolving.add(b.writes.length);
    b.writes.push(resolveSuggestionStatement(b.db, s.sku, now));
    for (const kind of ["overstock", "slow_moving"] as const) {
      b.writes.push(resolveMovementAlertStatement(b.db, { sku: s.sku, kind, resolution: "discontinued", origin, at: now }));
    }
  }
  // A D1 batch is one transaction in ONE database; a SKU's forecast, plan, suggestion and
  // movement alerts are all in its vendor's read database, so each SKU's writes commit together.
  // The batches of different databases are independent: every statement is conditional and
  // keyed by the job's origin (a model is replaced only by a later origin, a plan changes only
  // when a value does, a SKU has at most one open suggestion, an alert counts a night once per
  // `reorder-run:<origin>` and is resolved only while open), so when one database fails the
  // message is redelivered, the batches that committed change nothing the second time and the
  // failed one is written: the state one clean run leaves.
  const results = await Promise.all([...batches.values()].map(async (b) => ({ b, results: b.writes.length === 0 ? [] : await runBatch(b.db, b.writes) })));
  for (const { b, results: rs } of results) {
    outcome.resolved += rs.filter((r, i) => b.resolving.has(i) && (r as D1Result).meta.changes > 0).length;
  }
  return outcome;
}
