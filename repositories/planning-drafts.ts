/**
 * D1 reads and writes of drafting purchase orders from reorder suggestions (issue 15): the
 * open suggestions of a vendor × receiving location group, claiming them for a purchase order
 * (`accepted`, `closed_by = draft:<claim>`) and linking them once it exists (`po:<id>`), the
 * groups a run or the sweep drafts, and the run's drafting phase (`reorder_runs.draft_*`,
 * `reorder_run_chunks`).
 */
import { and, asc, eq, inArray, isNotNull, isNull, notExists, or, sql } from "drizzle-orm";
import { drizzle } from "drizzle-orm/d1";
import { QueryBuilder } from "drizzle-orm/sqlite-core";
import { reorderRunChunks, reorderRuns, reorderSuggestions } from "../d1/schema";
import { guardedRow, inJson, runBatch } from "./d1-sql";
import type { ReorderRun, SuggestionRow } from "./planning";

/** A vendor × receiving location group of suggestions. */
export interface DraftGroup {
  vendorId: string;
  locationId: string;
}

const claimTag = (claim: string) => `draft:${claim}`;
const poTag = (purchaseOrderId: string) => `po:${purchaseOrderId}`;

/** The group's open suggestions (at most `limit`, by id). */
export async function openSuggestionsOf(db: D1Database, g: DraftGroup, limit: number): Promise<SuggestionRow[]> {
  const t = reorderSuggestions;
  return drizzle(db)
    .select()
    .from(t)
    .where(and(eq(t.status, "open"), eq(t.vendorId, g.vendorId), eq(t.locationId, g.locationId)))
    .orderBy(asc(t.id))
    .limit(limit)
    .all();
}

/** Claims the given suggestions (those still open) for the purchase order `claim` is drafting. */
export async function claimSuggestions(db: D1Database, ids: readonly string[], claim: string, now: number): Promise<void> {
  const t = reorderSuggestions;
  await drizzle(db)
    .update(t)
    .set({ status: "accepted", closedAt: now, closedBy: claimTag(claim), updatedAt: now })
    .where(and(inJson(t.id, ids), eq(t.status, "open")))
    .run();
}

/** The suggestions a claim holds, by id. */
export async function claimedBy(db: D1Database, g: DraftGroup, claim: string): Promise<SuggestionRow[]> {
  const t = reorderSuggestions;
  return drizzle(db)
    .select()
    .from(t)
    .where(and(eq(t.status, "accepted"), eq(t.vendorId, g.vendorId), eq(t.locationId, g.locationId), eq(t.closedBy, claimTag(claim))))
    .orderBy(asc(t.id))
    .all();
}

/** Claims of the group whose purchase order was never linked (a draft step that died half way). */
export async function pendingClaims(db: D1Database, g: DraftGroup, limit: number): Promise<string[]> {
  const t = reorderSuggestions;
  const rows = await drizzle(db)
    .selectDistinct({ closedBy: t.closedBy })
    .from(t)
    .where(and(eq(t.status, "accepted"), eq(t.vendorId, g.vendorId), eq(t.locationId, g.locationId), sql`${t.closedBy} LIKE 'draft:%'`))
    .orderBy(asc(t.closedBy))
    .limit(limit)
    .all();
  return rows.map((r) => r.closedBy!.slice("draft:".length));
}

/** Links a claim's suggestions to the purchase order drafted from them (`closed_by = po:<id>`). */
export async function linkClaim(db: D1Database, g: DraftGroup, claim: string, purchaseOrderId: string, now: number): Promise<void> {
  const t = reorderSuggestions;
  await drizzle(db)
    .update(t)
    .set({ closedBy: poTag(purchaseOrderId), updatedAt: now })
    .where(and(eq(t.status, "accepted"), eq(t.vendorId, g.vendorId), eq(t.locationId, g.locationId), eq(t.closedBy, claimTag(claim))))
    .run();
}

/**
 * Closes suggestions no purchase order can take (`resolved`, `closed_by = reorder-draft:<why>`):
 * open ones, or ones a claim holds. The next nightly run plans their SKUs again.
 */
export async function closeUnorderable(db: D1Database, ids: readonly string[], why: string, now: number): Promise<void> {
  if (ids.length === 0) return;
  const t = reorderSuggestions;
  await drizzle(db)
    .update(t)
    .set({ status: "resolved", closedAt: now, closedBy: `reorder-draft:${why}`, updatedAt: now })
    .where(and(inJson(t.id, ids), or(eq(t.status, "open"), and(eq(t.status, "accepted"), sql`${t.closedBy} LIKE 'draft:%'`))))
    .run();
}

/** Groups with open suggestions (and a receiving location) after `after`, in (vendor, location) order. */
export async function groupsWithOpenSuggestions(db: D1Database, after: DraftGroup | null, limit: number): Promise<DraftGroup[]> {
  const t = reorderSuggestions;
  const rows = await drizzle(db)
    .selectDistinct({ vendorId: t.vendorId, locationId: t.locationId })
    .from(t)
    .where(
      and(
        eq(t.status, "open"),
        isNotNull(t.locationId),
        after === null ? undefined : sql`(${t.vendorId}, ${t.locationId}) > (${after.vendorId}, ${after.locationId})`,
      ),
    )
    .orderBy(asc(t.vendorId), asc(t.locationId))
    .limit(limit)
    .all();
  return rows.map((r) => ({ vendorId: r.vendorId, locationId: r.locationId! }));
}

/** Groups whose open suggestions all last changed at or before `before` (settled), at most `limit`. */
export async function settledGroups(db: D1Database, before: number, limit: number): Promise<DraftGroup[]> {
  const t = reorderSuggestions;
  const rows = await drizzle(db)
    .select({ vendorId: t.vendorId, locationId: t.locationId })
    .from(t)
    .where(and(eq(t.status, "open"), isNotNull(t.locationId)))
    .groupBy(t.vendorId, t.locationId)
    .having(sql`MAX(${t.updatedAt}) <= ${before}`)
    .orderBy(asc(t.vendorId), asc(t.locationId))
    .limit(limit)
    .all();
  return rows.map((r) => ({ vendorId: r.vendorId, locationId: r.locationId! }));
}

// ---------------------------------------------------------------------------------------------
// The run's drafting phase
// ---------------------------------------------------------------------------------------------

/**
 * Counts chunk `seq` of the run as planned, once (a redelivered chunk changes nothing): the
 * counter rises only while the chunk's row is absent, then the row is written, in one batch.
 */
export async function recordChunkPlanned(db: D1Database, origin: string, seq: number, now: number): Promise<void> {
  const r = reorderRuns;
  const c = reorderRunChunks;
  const d = drizzle(db);
  const recorded = new QueryBuilder()
    .select({ one: sql`1` })
    .from(c)
    .where(and(eq(c.origin, origin), eq(c.seq, seq)));
  await runBatch(db, [
    d
      .update(r)
      .set({ plannedChunks: sql`${r.plannedChunks} + 1`, lastPlannedAt: now })
      .where(and(eq(r.origin, origin), notExists(recorded))),
    d
      .insert(c)
      .select(guardedRow(c, { origin, seq, plannedAt: now }, sql`1`))
      .onConflictDoNothing(),
  ]);
}

/**
 * Starts the run's drafting phase if it is due: every chunk enqueued (`done`) and either every
 * chunk planned, or (`stalledBefore`) nothing planned or enqueued since then (a lost chunk).
 * True for the one caller that started it.
 */
export async function startDrafting(db: D1Database, origin: string, stalledBefore: number | null): Promise<boolean> {
  const r = reorderRuns;
  const due =
    stalledBefore === null
      ? sql`${r.plannedChunks} >= ${r.chunks}`
      : or(sql`${r.plannedChunks} >= ${r.chunks}`, sql`MAX(coalesce(${r.lastPlannedAt}, 0), coalesce(${r.finishedAt}, 0)) <= ${stalledBefore}`);
  const res = await drizzle(db)
    .update(r)
    .set({ draftStatus: "enqueuing", draftCursor: "" })
    .where(and(eq(r.origin, origin), eq(r.status, "done"), isNull(r.draftStatus), due))
    .run();
  return res.meta.changes > 0;
}

/** Runs whose enqueuing finished and whose drafting has not started (oldest first). */
export async function undraftedRuns(db: D1Database, limit: number): Promise<ReorderRunDrafts[]> {
  const r = reorderRuns;
  return drizzle(db)
    .select()
    .from(r)
    .where(and(eq(r.status, "done"), isNull(r.draftStatus)))
    .orderBy(asc(r.origin))
    .limit(limit)
    .all();
}

/** A run with its drafting phase. */
export interface ReorderRunDrafts extends ReorderRun {
  plannedChunks: number;
  lastPlannedAt: number | null;
  draftStatus: "enqueuing" | "done" | null;
  draftCursor: string | null;
  drafts: number;
}

/** The oldest run sending its draft messages, if any. */
export async function draftingRun(db: D1Database): Promise<ReorderRunDrafts | null> {
  const r = reorderRuns;
  return (await drizzle(db).select().from(r).where(eq(r.draftStatus, "enqueuing")).orderBy(asc(r.origin)).limit(1).get()) ?? null;
}

/** Whether a run is still under way (enqueuing, planning, or sending its drafts). */
export async function runInFlight(db: D1Database): Promise<boolean> {
  const r = reorderRuns;
  const row = await drizzle(db)
    .select({ origin: r.origin })
    .from(r)
    .where(or(eq(r.status, "running"), isNull(r.draftStatus), eq(r.draftStatus, "enqueuing")))
    .limit(1)
    .get();
  return row !== undefined;
}

/** Moves the drafting cursor (compare-and-set, like `advanceRun`); `done` ends the phase. */
export async function advanceDrafting(db: D1Database, origin: string, from: string, to: string, drafts: number, done: boolean): Promise<boolean> {
  const r = reorderRuns;
  const res = await drizzle(db)
    .update(r)
    .set({ draftCursor: to, drafts: sql`${r.drafts} + ${drafts}`, ...(done ? { draftStatus: "done" as const } : {}) })
    .where(and(eq(r.origin, origin), eq(r.draftCursor, from), eq(r.draftStatus, "enqueuing")))
    .run();
  return res.meta.changes > 0;
}

/** Deletes up to `limit` chunk rows of runs whose drafts are all sent. Returns how many. */
export async function pruneRunChunks(db: D1Database, limit: number): Promise<number> {
  const c = reorderRunChunks;
  const r = reorderRuns;
  const doneRuns = new QueryBuilder().select({ origin: r.origin }).from(r).where(eq(r.draftStatus, "done"));
  const victims = new QueryBuilder().select({ rowid: sql`rowid` }).from(c).where(inArray(c.origin, doneRuns)).limit(limit);
  const res = await drizzle(db).delete(c).where(inArray(sql`rowid`, victims)).run();
  return res.meta.changes;
}

/** The group key a drafting cursor stores (`vendor` NUL `location`), and back. */
export function groupKey(g: DraftGroup): string {
  return `${g.vendorId}\u0000${g.locationId}`;
}
export function groupOfKey(key: string): DraftGroup | null {
  if (key === "") return null;
  const [vendorId, locationId] = key.split("\u0000");
  return { vendorId: vendorId!, locationId: locationId! };
}
