/**
 * The EVENTS consumer's D1 writes. Events are applied in ONE D1 batch (a transaction) per
 * consumer chunk and read database: their webhook deliveries first (`webhook_deliveries`, in
 * the same read database), their effects on `inventory_levels`, `alerts` and `daily_sales`,
 * and last their `processed_events` rows. Every effect is conditional
 * on the event's `processed_events` row not existing yet, so a redelivered event changes
 * nothing, and a batch that fails leaves nothing behind. Projection rows and alerts also
 * apply in per-SKU sequence order (older events ignored).
 *
 * Most events go through a handful of multi-row statements for the whole batch
 * (`eventBatchStatements`): one upsert of the newest level per SKU × location, one resolve
 * per alert kind, one cursor upsert, one insert per sales table, one for webhook deliveries
 * and one for the dedupe rows, each reading the batch's rows from one bound JSON parameter.
 * The SKUs whose events open alerts (threshold events, expiries) keep one statement list per
 * event (`eventStatements`) in batch order, since opening and resolving must interleave.
 */
import { and, eq, inArray, isNull, lt, sql, type SQL } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { alertCursors, alerts, dailySales, inventoryLevels, locationDailyLoad, processedEvents, webhookDeliveries } from "../d1/schema";
import type { AlertDecision } from "../domain/alerts";
import type { InventoryEvent } from "../domain/events";
import type { LevelStatus } from "../domain/inventory-levels";
import { excluded, guardedRow, inJson, rowOf, runStatements, StatementTemplate, statementOf } from "./d1-sql";
import { type DeliveryEventRow, deliveryInserts, type NewDelivery } from "./webhooks";
import { readFactsOf } from "./read-facts";
import { byPartition, readDb, skuReadHomes } from "./read-partitions";

/** What an event needs from the SKU's master data (null: unknown SKU), with the row its read database keeps of them. */
export interface SkuFacts {
  vendorId: string;
  /** The vendor's stored read partition (`vendors.read_partition`; null: its home). */
  readPartition: number | null;
  reorderPoint: number;
  allowBackorder: boolean;
  /** The vendor's rows are being moved to another read database (`read_moves`): its events wait. */
  moving: boolean;
}

/** Master data of several SKUs (one `DB` read per 500, then their read databases' rows), with their vendors' read placement (absent: unknown SKU). Uncached: an event may follow a master-data change closely. */
export async function skuFactsMany(env: Env, skuIds: readonly string[]): Promise<Map<string, SkuFacts>> {
  return new Map(
    (await readFactsOf(env, skuIds)).map((f) => [
      f.sku,
      { vendorId: f.vendorId, readPartition: f.readPartition, reorderPoint: f.reorderPoint, allowBackorder: f.allowBackorder, moving: f.moving },
    ]),
  );
}

/** A named value of a statement template (`StatementTemplate`), bound per use. */
const p = sql.placeholder;

/** The guard that makes a statement a no-op for an applied event (placeholder `eventId`). */
const NOT_APPLIED = sql`NOT EXISTS (SELECT 1 FROM ${processedEvents} WHERE ${processedEvents.eventId} = ${p("eventId")})`;

/** Alert decisions apply only to events newer than the SKU's alert cursor (placeholders `sequence`, `sku`). */
const NEWER_FOR_ALERTS = sql`${p("sequence")} > COALESCE((SELECT ${alertCursors.lastSequence} FROM ${alertCursors} WHERE ${alertCursors.sku} = ${p("sku")}), 0)`;

/** A random id with a prefix, made by SQLite per inserted row (`alr_` + 24 hex). */
function randomId(prefix: "alr_"): SQL {
  return sql`${sql.raw(`'${prefix}'`)} || lower(hex(randomblob(12)))`;
}

/** `alerts.kind IN` the kinds of a JSON array bound as placeholder `kinds`. */
const KIND_IN = inJson(alerts.kind, p("kinds"));

export interface EventWrites {
  /** The projection row for an `inventory.updated` event. */
  level?: { locationId: string; counts: NonNullable<InventoryEvent["after"]>; status: LevelStatus };
  alerts: AlertDecision[];
  /** Bump the SKU's alert cursor to this event's sequence. */
  alertRelevant: boolean;
  sales: { day: string; locationId: string; units: number }[];
  reorderPoint: number;
  occurredAtMs: number;
  now: number;
}

export type { NewDelivery };

const l = inventoryLevels;
/** A level row replaces the held one only when its event is newer. */
const LEVEL_UPSERT = {
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
};
const CURSOR_UPSERT = {
  target: alertCursors.sku,
  set: { lastSequence: sql`MAX(${alertCursors.lastSequence}, ${excluded(alertCursors.lastSequence)})` },
};
const ds = dailySales;
const ld = locationDailyLoad;
const pe = processedEvents;

/** The counts of a level row, by column. */
const COUNT_KEYS = ["onHand", "reserved", "softHeld", "committed", "inTransit", "damaged", "onHold", "available"] as const;

/** One event's statements (`eventStatements`), each built once. */
const ONE = {
  level: new StatementTemplate<(typeof COUNT_KEYS)[number] | "sku" | "locationId" | "status" | "sequence" | "eventId" | "updatedAt" | "now">((d) =>
    d
      .insert(l)
      .select(
        guardedRow(
          l,
          {
            sku: p("sku"),
            locationId: p("locationId"),
            onHand: p("onHand"),
            reserved: p("reserved"),
            softHeld: p("softHeld"),
            committed: p("committed"),
            inTransit: p("inTransit"),
            damaged: p("damaged"),
            onHold: p("onHold"),
            available: p("available"),
            status: p("status"),
            lastSequence: p("sequence"),
            lastEventId: p("eventId"),
            updatedAt: p("updatedAt"),
            projectedAt: p("now"),
          },
          NOT_APPLIED,
        ),
      )
      .onConflictDoUpdate(LEVEL_UPSERT),
  ),
  openAlert: new StatementTemplate<"sku" | "locationId" | "kind" | "available" | "reorderPoint" | "occurredAt" | "eventId" | "sequence">((d) =>
    d
      .insert(alerts)
      .select(
        guardedRow(
          alerts,
          {
            id: randomId("alr_"),
            sku: p("sku"),
            locationId: p("locationId"),
            kind: p("kind"),
            status: "open",
            available: p("available"),
            reorderPoint: p("reorderPoint"),
            occurrences: 1,
            openedAt: p("occurredAt"),
            updatedAt: p("occurredAt"),
            openedEventId: p("eventId"),
            lastEventId: p("eventId"),
            lastSequence: p("sequence"),
          },
          sql`${NOT_APPLIED} AND ${NEWER_FOR_ALERTS}`,
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
  ),
  /** Resolves whatever the SKU's projected total; `resolveAbove` only when it is above `above`. */
  resolveAlerts: resolveTemplate(false),
  resolveAbove: resolveTemplate(true),
  cursor: new StatementTemplate<"sku" | "sequence" | "eventId">((d) =>
    d
      .insert(alertCursors)
      .select(guardedRow(alertCursors, { sku: p("sku"), lastSequence: p("sequence") }, NOT_APPLIED))
      .onConflictDoUpdate(CURSOR_UPSERT),
  ),
  sale: new StatementTemplate<"sku" | "locationId" | "day" | "units" | "now" | "eventId">((d) =>
    d
      .insert(ds)
      .select(
        guardedRow(ds, { sku: p("sku"), locationId: p("locationId"), day: p("day"), units: p("units"), fulfilments: 1, updatedAt: p("now") }, NOT_APPLIED),
      )
      .onConflictDoUpdate({
        target: [ds.sku, ds.locationId, ds.day],
        set: { units: sql`${ds.units} + ${excluded(ds.units)}`, fulfilments: sql`${ds.fulfilments} + 1`, updatedAt: excluded(ds.updatedAt) },
      }),
  ),
  // The location's load today (docs/allocation.md, balanced): the same units, per location.
  load: new StatementTemplate<"locationId" | "day" | "units" | "now" | "eventId">((d) =>
    d
      .insert(ld)
      .select(guardedRow(ld, { locationId: p("locationId"), day: p("day"), units: p("units"), updatedAt: p("now") }, NOT_APPLIED))
      .onConflictDoUpdate({
        target: [ld.day, ld.locationId],
        set: { units: sql`${ld.units} + ${excluded(ld.units)}`, updatedAt: excluded(ld.updatedAt) },
      }),
  ),
  processed: new StatementTemplate<"eventId" | "type" | "sku" | "sequence" | "now">((d) =>
    d
      .insert(pe)
      .values({ eventId: p("eventId"), type: p("type"), sku: p("sku"), sequence: p("sequence"), processedAt: p("now") })
      .onConflictDoNothing({ target: pe.eventId }),
  ),
};

/** An alert resolve of one event, and with `byTotal` only while the SKU's projected total is above `above`. */
function resolveTemplate(byTotal: boolean) {
  return new StatementTemplate<"resolution" | "occurredAt" | "eventId" | "sequence" | "sku" | "kinds" | "above">((d) =>
    d
      .update(alerts)
      .set({
        status: "resolved",
        resolution: sql`${p("resolution")}`,
        resolvedAt: sql`${p("occurredAt")}`,
        updatedAt: sql`${p("occurredAt")}`,
        resolvedEventId: sql`${p("eventId")}`,
        lastEventId: sql`${p("eventId")}`,
        lastSequence: sql`${p("sequence")}`,
      })
      .where(
        and(
          eq(alerts.sku, p("sku")),
          eq(alerts.status, "open"),
          KIND_IN,
          NOT_APPLIED,
          NEWER_FOR_ALERTS,
          byTotal
            ? sql`(SELECT COALESCE(SUM(${inventoryLevels.available}), 0) FROM ${inventoryLevels} WHERE ${inventoryLevels.sku} = ${p("sku")}) > ${p("above")}`
            : undefined,
        ),
      ),
  );
}

/** Builds the event's statements for its read database; the last one records it as applied. */
export function eventStatements(db: D1Database, event: InventoryEvent, w: EventWrites): D1PreparedStatement[] {
  const statements: D1PreparedStatement[] = [];
  const ids = { eventId: event.id, sku: event.sku, sequence: event.sequence };

  if (w.level !== undefined) {
    const c = w.level.counts;
    statements.push(
      ONE.level.bind(db, {
        ...ids,
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
        updatedAt: w.occurredAtMs,
        now: w.now,
      }),
    );
  }

  for (const decision of w.alerts) {
    if (decision.action === "open") {
      statements.push(
        ONE.openAlert.bind(db, {
          ...ids,
          locationId: event.locationId,
          kind: decision.kind,
          available: decision.available,
          reorderPoint: w.reorderPoint,
          occurredAt: w.occurredAtMs,
        }),
      );
    } else {
      const template = decision.whenProjectedTotalAbove === null ? ONE.resolveAlerts : ONE.resolveAbove;
      statements.push(
        template.bind(db, {
          ...ids,
          resolution: decision.resolution,
          occurredAt: w.occurredAtMs,
          kinds: JSON.stringify(decision.kinds),
          above: decision.whenProjectedTotalAbove,
        }),
      );
    }
  }
  if (w.alertRelevant) statements.push(ONE.cursor.bind(db, ids));

  for (const sale of w.sales) {
    const values = { eventId: event.id, sku: event.sku, locationId: sale.locationId, day: sale.day, units: sale.units, now: w.now };
    statements.push(ONE.sale.bind(db, values), ONE.load.bind(db, values));
  }

  statements.push(ONE.processed.bind(db, { ...ids, type: event.type, now: w.now }));
  return statements;
}

/** Whether the event's last statement (its processed_events row) inserted a row. */
function appliedBy(results: readonly D1Result[]): boolean {
  return results[results.length - 1]!.meta.changes > 0;
}

/** An event and the writes it needs (decided by `services/event-projection.ts`). */
export interface EventWithWrites {
  event: InventoryEvent;
  writes: EventWrites;
}

/** What applying an event in a batch did: whether this batch applied it. */
export interface EventBatchOutcome {
  applied: boolean;
}

/**
 * Whether an event's writes fit the batched statements: its only alert decisions (if any) are
 * the resolves by projected total that every `inventory.updated` carries. Those of a SKU's
 * updates in one batch come to the same as one resolve by the newest of them on the total
 * after the batch, as long as nothing opens an alert of the SKU in between; events that open
 * (or resolve regardless of the total) need their own place in the order.
 */
function batchable(w: EventWrites): boolean {
  return w.alerts.every((a) => a.action === "resolve" && a.whenProjectedTotalAbove !== null);
}

/** The batch's rows, one bound JSON parameter (placeholder `rows`), as `json_each(?) AS ev`. */
const ROWS = sql`json_each(${p("rows")}) AS ev`;

/** A field of the current batch row (`ev.value ->> 'key'`): qualified, so a nested `json_each` cannot shadow it. */
function field(key: string): SQL {
  return sql.raw(`ev.value ->> '${key.replace(/'/g, "''")}'`);
}

/** The batch row's event is not applied yet (its dedupe row is written by the batch's last statement). */
const FRESH = sql`NOT EXISTS (SELECT 1 FROM ${processedEvents} WHERE ${processedEvents.eventId} = ${field("id")})`;

/** The batched events' statements (`batchedStatements`), each built once; `rows` is their JSON array. */
const MANY = {
  levels: new StatementTemplate<"rows" | "now">((d) => {
    const values = rowOf(l, {
      sku: field("sku"),
      locationId: field("locationId"),
      onHand: field("onHand"),
      reserved: field("reserved"),
      softHeld: field("softHeld"),
      committed: field("committed"),
      inTransit: field("inTransit"),
      damaged: field("damaged"),
      onHold: field("onHold"),
      available: field("available"),
      status: field("status"),
      lastSequence: field("sequence"),
      lastEventId: field("id"),
      updatedAt: field("updatedAt"),
      projectedAt: p("now"),
    });
    return d
      .insert(l)
      .select(sql`select ${sql.join(Object.values(values), sql`, `)} from ${ROWS} where ${FRESH}`)
      .onConflictDoUpdate(LEVEL_UPSERT);
  }),
  // Per SKU, the newest of its fresh events that carry the decision, if newer than the SKU's
  // alert cursor. Aliases differ from every alerts column, so the update's references stay
  // unambiguous; SQLite takes a max() query's other columns from the row holding the max.
  resolves: new StatementTemplate<"rows" | "resolution" | "kinds">((d) =>
    d
      .update(alerts)
      .set({
        status: "resolved",
        resolution: sql`${p("resolution")}`,
        resolvedAt: sql`j.j_at`,
        updatedAt: sql`j.j_at`,
        resolvedEventId: sql`j.j_id`,
        lastEventId: sql`j.j_id`,
        lastSequence: sql`j.j_seq`,
      })
      .from(
        sql`(select ${field("sku")} as j_sku, ${field("id")} as j_id, max(${field("sequence")}) as j_seq, ${field("at")} as j_at, ${field(
          "above",
        )} as j_above from ${ROWS} where ${FRESH} group by ${field("sku")}) as j`,
      )
      .where(
        and(
          sql`${alerts.sku} = j.j_sku`,
          eq(alerts.status, "open"),
          KIND_IN,
          sql`j.j_seq > COALESCE((SELECT ${alertCursors.lastSequence} FROM ${alertCursors} WHERE ${alertCursors.sku} = j.j_sku), 0)`,
          sql`(SELECT COALESCE(SUM(${inventoryLevels.available}), 0) FROM ${inventoryLevels} WHERE ${inventoryLevels.sku} = j.j_sku) > j.j_above`,
        ),
      ),
  ),
  cursors: new StatementTemplate<"rows">((d) =>
    d
      .insert(alertCursors)
      .select(sql`select ${field("sku")}, max(${field("sequence")}) from ${ROWS} where ${FRESH} group by ${field("sku")}`)
      .onConflictDoUpdate(CURSOR_UPSERT),
  ),
  // Sales add up: one row per SKU × location × day (and per location × day), summed over the fresh events.
  sales: new StatementTemplate<"rows" | "now">((d) =>
    d
      .insert(ds)
      .select(
        sql`select ${field("sku")}, ${field("locationId")}, ${field("day")}, sum(${field("units")}), count(*), ${p("now")} from ${ROWS} where ${FRESH} group by ${field(
          "sku",
        )}, ${field("locationId")}, ${field("day")}`,
      )
      .onConflictDoUpdate({
        target: [ds.sku, ds.locationId, ds.day],
        set: {
          units: sql`${ds.units} + ${excluded(ds.units)}`,
          fulfilments: sql`${ds.fulfilments} + ${excluded(ds.fulfilments)}`,
          updatedAt: excluded(ds.updatedAt),
        },
      }),
  ),
  loads: new StatementTemplate<"rows" | "now">((d) =>
    d
      .insert(ld)
      .select(
        sql`select ${field("locationId")}, ${field("day")}, sum(${field("units")}), ${p("now")} from ${ROWS} where ${FRESH} group by ${field("locationId")}, ${field("day")}`,
      )
      .onConflictDoUpdate({
        target: [ld.day, ld.locationId],
        set: { units: sql`${ld.units} + ${excluded(ld.units)}`, updatedAt: excluded(ld.updatedAt) },
      }),
  ),
  processed: new StatementTemplate<"rows" | "now">((d) =>
    d
      .insert(pe)
      .select(sql`select ${field("id")}, ${field("type")}, ${field("sku")}, ${field("sequence")}, ${p("now")} from ${ROWS} where true`)
      .onConflictDoNothing({ target: pe.eventId })
      .returning({ eventId: pe.eventId }),
  ),
};

/** The statements of the batched events, and how to read their outcomes from the batch results. */
interface BatchedStatements {
  statements: D1PreparedStatement[];
  outcomes: (results: readonly D1Result[]) => Map<string, EventBatchOutcome>;
}

/** Multi-row statements for events that are all `batchable`, none of them a duplicate (see the module comment). */
function batchedStatements(db: D1Database, items: readonly EventWithWrites[], now: number): BatchedStatements {
  const statements: D1PreparedStatement[] = [];

  // Levels: only the newest event of each SKU × location can win (the upsert keeps the higher
  // sequence, and an applied event's sequence is already at or below the row's), so one row each.
  const newest = new Map<string, EventWithWrites>();
  for (const item of items) {
    if (item.writes.level === undefined) continue;
    const key = `${item.event.sku}\u0000${item.writes.level.locationId}`;
    const held = newest.get(key);
    if (held === undefined || item.event.sequence > held.event.sequence) newest.set(key, item);
  }
  if (newest.size > 0) {
    const rows = [...newest.values()].map(({ event, writes }) => ({
      id: event.id,
      sku: event.sku,
      locationId: writes.level!.locationId,
      ...writes.level!.counts,
      status: writes.level!.status,
      sequence: event.sequence,
      updatedAt: writes.occurredAtMs,
    }));
    statements.push(MANY.levels.bind(db, { rows: JSON.stringify(rows), now }));
  }

  // Resolves by projected total (after the levels above), one per resolution and kinds.
  const resolves = new Map<string, { decision: Extract<AlertDecision, { action: "resolve" }>; rows: object[] }>();
  for (const { event, writes } of items) {
    for (const decision of writes.alerts) {
      if (decision.action !== "resolve") continue;
      const key = `${decision.resolution}:${decision.kinds.join(",")}`;
      const entry = resolves.get(key) ?? { decision, rows: [] };
      entry.rows.push({ id: event.id, sku: event.sku, sequence: event.sequence, at: writes.occurredAtMs, above: decision.whenProjectedTotalAbove });
      resolves.set(key, entry);
    }
  }
  for (const { decision, rows } of resolves.values()) {
    statements.push(MANY.resolves.bind(db, { rows: JSON.stringify(rows), resolution: decision.resolution, kinds: JSON.stringify(decision.kinds) }));
  }

  const cursorRows = items.filter((i) => i.writes.alertRelevant).map(({ event }) => ({ id: event.id, sku: event.sku, sequence: event.sequence }));
  if (cursorRows.length > 0) statements.push(MANY.cursors.bind(db, { rows: JSON.stringify(cursorRows) }));

  const saleRows = items.flatMap(({ event, writes }) =>
    writes.sales.map((sale) => ({ id: event.id, sku: event.sku, locationId: sale.locationId, day: sale.day, units: sale.units })),
  );
  if (saleRows.length > 0) {
    const values = { rows: JSON.stringify(saleRows), now };
    statements.push(MANY.sales.bind(db, values), MANY.loads.bind(db, values));
  }

  const eventRows = items.map(({ event }) => ({ id: event.id, type: event.type, sku: event.sku, sequence: event.sequence }));
  const processedAt = statements.length;
  statements.push(MANY.processed.bind(db, { rows: JSON.stringify(eventRows), now }));

  return {
    statements,
    outcomes: (results) => {
      const applied = new Set((results[processedAt]!.results as Record<string, string>[]).map((r) => r[pe.eventId.name]));
      return new Map(items.map(({ event }) => [event.id, { applied: applied.has(event.id) }]));
    },
  };
}

/**
 * Applies events, in order, in one D1 batch (one transaction): the SKUs whose events are all
 * `batchable` through the multi-row statements, the others one statement list per event in
 * batch order. An event id repeated in the batch is applied once (its later copies report
 * `applied: false`, as a redelivery would). Returns, per event, whether this call applied it,
 * and how many statements the batch held (the load counters, services/load-counters.ts). If
 * the batch fails, nothing was written.
 */
export async function applyEventBatch(
  db: D1Database,
  items: readonly EventWithWrites[],
  now: number,
  deliveries?: EventDeliveries,
): Promise<{ outcomes: EventBatchOutcome[]; statements: number; created: Map<string, NewDelivery[]> }> {
  const first = new Map<string, EventWithWrites>();
  for (const item of items) if (!first.has(item.event.id)) first.set(item.event.id, item);
  const unique = [...first.values()];
  const perEventSkus = new Set(unique.filter((i) => !batchable(i.writes)).map((i) => i.event.sku));
  const batched = unique.filter((i) => !perEventSkus.has(i.event.sku));
  const perEvent = unique.filter((i) => perEventSkus.has(i.event.sku)).map((i) => ({ id: i.event.id, built: eventStatements(db, i.event, i.writes) }));

  // The deliveries first: their guard reads `processed_events` as it was before this batch.
  const fanOut =
    deliveries !== undefined && deliveries.pairs.length > 0
      ? [
          statementOf(
            db,
            deliveryInserts(
              db,
              deliveries.partition,
              deliveries.events,
              deliveries.pairs,
              now,
              sql`NOT EXISTS (SELECT 1 FROM ${processedEvents} WHERE ${processedEvents.eventId} = ev.value ->> 'id')`,
            ),
          ),
        ]
      : [];
  const many = batched.length > 0 ? batchedStatements(db, batched, now) : null;
  const statements = [...fanOut, ...(many?.statements ?? []), ...perEvent.flatMap((p) => p.built)];
  const all = await runStatements(db, statements);
  const created = byEvent(fanOut.length > 0 ? deliveryRowsOf(all[0]!) : []);
  const results = all.slice(fanOut.length);

  const outcomes = many?.outcomes(results) ?? new Map<string, EventBatchOutcome>();
  let offset = many?.statements.length ?? 0;
  for (const { id, built } of perEvent) {
    outcomes.set(id, { applied: appliedBy(results.slice(offset, offset + built.length)) });
    offset += built.length;
  }
  const seen = new Set<string>();
  return {
    outcomes: items.map(({ event }) => {
      if (seen.has(event.id)) return { applied: false };
      seen.add(event.id);
      return outcomes.get(event.id)!;
    }),
    statements: statements.length,
    created,
  };
}

/** The deliveries a `deliveryInserts` statement run through D1 returned (rows keyed by column name). */
function deliveryRowsOf(result: D1Result): { id: string; subscriptionId: string; eventId: string }[] {
  const wd = webhookDeliveries;
  return (result.results as Record<string, string>[]).map((r) => ({
    id: r[wd.id.name]!,
    subscriptionId: r[wd.subscriptionId.name]!,
    eventId: r[wd.eventId.name]!,
  }));
}

/**
 * The webhook deliveries of a batch's events, for its read database (read partition
 * `partition`): the events (each with its message) and the (subscription, event index) pairs
 * to create. Created in the batch's transaction, only for events it applies, so a redelivered
 * event creates none (not even after its vendor's rows moved to another database, as its
 * dedupe row moved with them), and an event applied has all of its deliveries.
 */
export interface EventDeliveries {
  partition: number;
  events: readonly DeliveryEventRow[];
  pairs: readonly (readonly [string, number])[];
}

/** Deliveries grouped by their event's id. */
function byEvent(rows: readonly { id: string; subscriptionId: string; eventId: string }[]): Map<string, NewDelivery[]> {
  const out = new Map<string, NewDelivery[]>();
  for (const r of rows) {
    const list = out.get(r.eventId) ?? [];
    list.push({ id: r.id, subscriptionId: r.subscriptionId });
    out.set(r.eventId, list);
  }
  return out;
}

/** The deliveries of these events not sent to WEBHOOKS yet (a redelivered event sends them), by event id, in one query. */
export async function unsentDeliveriesOf(db: D1Database, eventIds: readonly string[]): Promise<Map<string, NewDelivery[]>> {
  if (eventIds.length === 0) return new Map();
  const wd = webhookDeliveries;
  const rows = await drizzle(db)
    .select({ id: wd.id, subscriptionId: wd.subscriptionId, eventId: wd.eventId })
    .from(wd)
    .where(and(inJson(wd.eventId, [...new Set(eventIds)]), isNull(wd.enqueuedAt), eq(wd.status, "pending")))
    .all();
  return byEvent(rows);
}

/**
 * Which of these events the consumer has applied (their dedupe rows exist): one read of `DB`
 * for where their SKUs live, then one query per read database involved (in parallel).
 */
export async function appliedEventIdsOf(env: Env, events: readonly { sku: string; id: string }[]): Promise<Set<string>> {
  if (events.length === 0) return new Set();
  const homes = await skuReadHomes(
    env,
    events.map((e) => e.sku),
  );
  const groups = byPartition(events, (e) => homes.get(e.sku)!.partition);
  const pe = processedEvents;
  const found = await Promise.all(
    [...groups].map(([p, list]) =>
      drizzle(readDb(env, p))
        .select({ eventId: pe.eventId })
        .from(pe)
        .where(inJson(pe.eventId, [...new Set(list.map((e) => e.id))]))
        .all(),
    ),
  );
  return new Set(found.flat().map((r) => r.eventId));
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
