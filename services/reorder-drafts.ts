/**
 * Purchase orders drafted from reorder suggestions (issue 15), one vendor × receiving location
 * group at a time: by an operator (`POST /api/v2/reorder-suggestions/draft-purchase-order`)
 * or automatically after the nightly run (REORDER `draft` messages), each taking up to
 * PO_LINES_MAX of the group's open suggestions, most urgent first.
 *
 * Never two orders for the same need, and a repeated step replays the same order:
 * 1. the suggestions to take are **claimed** (`accepted`, `closed_by = draft:<claim>`, only
 *    those still open), the claim being a hash of their ids, so two drafters never hold the
 *    same suggestion and a retry over the same open set makes the same claim;
 * 2. the purchase order is created with the Idempotency-Key `reorder-<claim>` (principal
 *    `operator`, so the operator's and the automatic path make the same order), and submitted
 *    when the vendor's `autoSubmitPurchaseOrders` says so (automatic path only);
 * 3. the claim is **linked** (`closed_by = po:<id>`).
 * A step that died between 1 and 3 leaves a pending claim; the next draft of the group
 * finishes it first (same lines, same key: the order is replayed, not made twice).
 * Suggestions no order can take (the SKU is gone, discontinued or another vendor's now; the
 * location is unknown) are closed `resolved` (`reorder-draft:<why>`); the next run plans the
 * SKU again.
 *
 * When the automatic drafts start: after a nightly run's chunks are all planned, one `draft`
 * message per group (services/reorder-runs.ts); and the per-minute sweep sends one for each
 * group whose open suggestions have not changed for DRAFT_SETTLE_MS (a lost draft message, a
 * crash, a low-stock SKU planned during the day), except while a run is under way.
 *
 * Split by vendor (issue 19 item 2): a vendor's suggestions and its planning settings live in
 * its read database, so one group's draft reads and writes that database (and `DB` for the
 * master data, locations and the purchase order); the lists of groups, and of suggestions
 * across vendors, read every read database and merge them in key order (domain/keyset-merge.ts).
 */
import { compareKeys, mergeSortedPages } from "../domain/keyset-merge";
import { draftLines } from "../domain/replenishment";
import type { DraftMessage } from "../domain/reorder-messages";
import type { VendorPlanningSettingsBody } from "../domain/schemas/planning";
import { PO_LINES_MAX } from "../domain/schemas/purchase-orders";
import { sha256Hex } from "../domain/hashing";
import { allLocations } from "../repositories/locations";
import { dismissSuggestion, findSuggestion, listSuggestions, type SuggestionFilter, type SuggestionRow } from "../repositories/planning";
import {
  claimedBy,
  claimSuggestions,
  closeUnorderable,
  type DraftGroup,
  groupsWithOpenSuggestions,
  linkClaim,
  openSuggestionsOf,
  pendingClaims,
  runInFlight,
  settledGroups,
} from "../repositories/planning-drafts";
import { readDbs, skuReadDb, vendorReadDb, vendorReadPartition, withoutMovedCopies } from "../repositories/read-partitions";
import { assertVendorsNotMoving } from "./read-moves";
import { upsertVendorPlanning, vendorPlanningOf } from "../repositories/planning-vendors";
import { findVendor } from "../repositories/vendors";
import type { PurchaseOrder } from "../repositories/purchase-orders";
import { findSkus } from "../repositories/skus";
import { ApiError } from "./api-error";
import { actorOf, type Principal } from "./principal";
import { createPurchaseOrder, submitPurchaseOrder } from "./purchase-orders";
import { sendReorderMessages } from "./reorder-queue";

/** A group's suggestions are drafted by the sweep once none of them changed for this long. */
export const DRAFT_SETTLE_MS = 15 * 60_000;
/** Draft messages the sweep sends per tick for settled groups. */
export const SETTLED_GROUPS_PER_SWEEP = 100;
/** Open suggestions of one group read per draft (a group holds at most one per SKU of the vendor). */
const GROUP_READ_MAX = 10_000;
/** The reference drafted orders carry (part of the order's request hash: keep it stable). */
const DRAFT_REFERENCE = "reorder suggestions";

/** Who drafts the automatic orders: an operator-scoped system principal (`operator:key_system-reorder`). */
export const REORDER_SYSTEM_PRINCIPAL: Readonly<Principal> = Object.freeze({ keyId: "system-reorder", scope: "operator", vendorId: null, channel: null });

/** What one draft did. */
export interface DraftOutcome {
  /** The order drafted (or replayed); null when the group had nothing to order. */
  purchaseOrder: PurchaseOrder | null;
  /** The suggestions it took (accepted and linked to it). */
  accepted: string[];
  /** Open suggestions of the group still waiting (more than one order's lines). */
  left: number;
  /** Suggestions closed because no order can take them. */
  closed: string[];
  /** Whether the order was submitted (auto-submit). */
  submitted: boolean;
}

/** The claim of a set of suggestions: a hash of their ids, sorted. */
async function claimOf(ids: readonly string[]): Promise<string> {
  return (await sha256Hex(`reorder\n${[...ids].sort().join(",")}`)).slice(0, 32);
}

/**
 * Which of the suggestions an order to `group` can take; the others with why not. The
 * location must exist, each SKU exist, be active and belong to the group's vendor.
 */
async function orderable(env: Env, group: DraftGroup, rows: readonly SuggestionRow[]): Promise<{ ok: SuggestionRow[]; not: Map<string, string[]> }> {
  const not = new Map<string, string[]>();
  const add = (why: string, id: string) => not.set(why, [...(not.get(why) ?? []), id]);
  const { byId } = await allLocations(env.DB);
  if (!byId.has(group.locationId)) {
    for (const r of rows) add("unknown_location", r.id);
    return { ok: [], not };
  }
  const skus = await findSkus(
    env,
    rows.map((r) => r.sku),
  );
  const ok: SuggestionRow[] = [];
  for (const r of rows) {
    const sku = skus.get(r.sku);
    if (sku === undefined) add("unknown_sku", r.id);
    else if (sku.status !== "active") add("discontinued", r.id);
    else if (sku.vendorId !== group.vendorId) add("other_vendor", r.id);
    else ok.push(r);
  }
  return { ok, not };
}

async function closeAll(db: D1Database, not: Map<string, string[]>, now: number): Promise<string[]> {
  const closed: string[] = [];
  for (const [why, ids] of not) {
    await closeUnorderable(db, ids, why, now);
    closed.push(...ids);
  }
  return closed;
}

/**
 * Finishes a claim: creates (or replays) its purchase order, submits it if asked, links the
 * suggestions. Null if the claim holds nothing (another drafter finished it).
 */
async function finishClaim(
  env: Env,
  db: D1Database,
  principal: Principal,
  group: DraftGroup,
  claim: string,
  submit: boolean,
  now: number,
): Promise<{ po: PurchaseOrder; accepted: string[]; closed: string[] } | null> {
  const held = await claimedBy(db, group, claim);
  if (held.length === 0) return null;
  const { ok, not } = await orderable(env, group, held);
  // Master data moved under a pending claim: those lines cannot be ordered; the rest can, under a claim of their own.
  const closed = await closeAll(db, not, now);
  if (ok.length === 0) return null;
  const lines = draftLines(ok, PO_LINES_MAX).take;
  let po: PurchaseOrder;
  try {
    ({ po } = await createPurchaseOrder(
      env,
      principal,
      { vendorId: group.vendorId, locationId: group.locationId, reference: DRAFT_REFERENCE, lines: lines.map((s) => ({ sku: s.sku, quantity: s.quantity })) },
      // The key of the lines actually ordered: the claim itself unless master data moved under it (then the same on every retry).
      `reorder-${await claimOf(lines.map((s) => s.id))}`,
    ));
  } catch (error) {
    // A refusal of the order itself (master data changed between the check and the write) would
    // refuse every retry too: close the claim's suggestions instead of holding them forever.
    if (error instanceof ApiError && error.status === 400) {
      await closeUnorderable(
        db,
        lines.map((s) => s.id),
        "refused",
        now,
      );
      console.warn(JSON.stringify({ event: "reorder.draft_refused", ...group, claim, code: error.code }));
      return null;
    }
    throw error;
  }
  if (submit) po = await submitPurchaseOrder(env, po);
  await linkClaim(db, group, claim, po.id, now);
  return { po, accepted: lines.map((s) => s.id), closed };
}

/**
 * Drafts one purchase order for the group (see the module comment): a pending claim first,
 * else up to PO_LINES_MAX open suggestions, most urgent first. `submit`: submit it at once.
 */
export async function draftPurchaseOrder(env: Env, principal: Principal, group: DraftGroup, options: { submit: boolean; now: number }): Promise<DraftOutcome> {
  const { submit, now } = options;
  await assertVendorNotMoving(env, group.vendorId);
  // The group's suggestions: all in its vendor's read database.
  const db = await vendorReadDb(env, group.vendorId);
  const closed: string[] = [];
  let done: { po: PurchaseOrder; accepted: string[]; closed: string[] } | null = null;
  for (const claim of await pendingClaims(db, group, 5)) {
    done = await finishClaim(env, db, principal, group, claim, submit, now);
    if (done !== null) break;
  }
  if (done === null) {
    const open = await openSuggestionsOf(db, group, GROUP_READ_MAX);
    const { ok, not } = await orderable(env, group, open);
    closed.push(...(await closeAll(db, not, now)));
    const { take } = draftLines(ok, PO_LINES_MAX);
    if (take.length > 0) {
      const claim = await claimOf(take.map((s) => s.id));
      await claimSuggestions(
        db,
        take.map((s) => s.id),
        claim,
        now,
      );
      done = await finishClaim(env, db, principal, group, claim, submit, now);
    }
  }
  const left = (await openSuggestionsOf(db, group, GROUP_READ_MAX)).length;
  if (done === null) return { purchaseOrder: null, accepted: [], left, closed, submitted: false };
  return { purchaseOrder: done.po, accepted: done.accepted, left, closed: [...closed, ...done.closed], submitted: done.po.status === "submitted" };
}

/**
 * An operator's draft (`POST /api/v2/reorder-suggestions/draft-purchase-order`): stays a draft
 * for the operator to submit; 409 when the group has nothing open.
 */
export async function draftForOperator(env: Env, principal: Principal, group: DraftGroup): Promise<DraftOutcome & { purchaseOrder: PurchaseOrder }> {
  const outcome = await draftPurchaseOrder(env, principal, group, { submit: false, now: Date.now() });
  if (outcome.purchaseOrder === null) {
    throw new ApiError(409, "nothing_to_order", `no open reorder suggestions for vendor ${group.vendorId} at ${group.locationId}`, group);
  }
  return { ...outcome, purchaseOrder: outcome.purchaseOrder };
}

/**
 * The REORDER `draft` message: drafts one order for the group as the system, submitted when
 * the vendor auto-submits; when the group has more open suggestions than one order takes,
 * sends itself again (`more`), so each invocation does one order's work.
 */
export async function draftForGroup(env: Env, message: DraftMessage, now: number): Promise<DraftOutcome> {
  const group = { vendorId: message.vendorId, locationId: message.locationId };
  const { autoSubmitPurchaseOrders } = await vendorPlanningOf(await vendorReadDb(env, group.vendorId), group.vendorId);
  const outcome = await draftPurchaseOrder(env, REORDER_SYSTEM_PRINCIPAL, group, { submit: autoSubmitPurchaseOrders, now });
  if (outcome.purchaseOrder !== null && outcome.left > 0) await sendDrafts(env, [group], "more");
  console.log(
    JSON.stringify({
      event: "reorder.drafted",
      ...group,
      reason: message.reason,
      purchaseOrderId: outcome.purchaseOrder?.id ?? null,
      lines: outcome.accepted.length,
      submitted: outcome.submitted,
      left: outcome.left,
      closed: outcome.closed.length,
    }),
  );
  return outcome;
}

/** Sends one `draft` message per group, each to its group's REORDER partition. */
export async function sendDrafts(env: Env, groups: readonly DraftGroup[], reason: DraftMessage["reason"]): Promise<void> {
  await sendReorderMessages(
    env,
    groups.map((g) => ({ v: 1, kind: "draft", ...g, reason }) satisfies DraftMessage),
  );
}

/**
 * The sweep's share (every minute): a draft message for each group whose open suggestions
 * have not changed for DRAFT_SETTLE_MS, at most SETTLED_GROUPS_PER_SWEEP — unless a nightly
 * run is under way (its own drafts follow it). Returns the groups sent.
 */
export async function sweepSettledGroups(env: Env, now: number): Promise<DraftGroup[]> {
  if (await runInFlight(env.DB)) return [];
  // Each read database's settled groups (a vendor's are all in one), the first of them in (vendor, location) order.
  const pages = await Promise.all(readDbs(env).map((db) => settledGroups(db, now - DRAFT_SETTLE_MS, SETTLED_GROUPS_PER_SWEEP)));
  const groups = uniqueGroups(mergeSortedPages(pages, compareGroups, SETTLED_GROUPS_PER_SWEEP));
  if (groups.length > 0) {
    await sendDrafts(env, groups, "sweep");
    console.log(JSON.stringify({ event: "reorder.drafts_swept", groups: groups.length }));
  }
  return groups;
}

const compareGroups = (a: DraftGroup, b: DraftGroup) => compareKeys([a.vendorId, a.locationId], [b.vendorId, b.locationId]);

/** Sorted groups without repeats (a moved vendor's group may be in its old database a while too). */
function uniqueGroups(sorted: readonly DraftGroup[]): DraftGroup[] {
  return sorted.filter((g, i) => i === 0 || compareGroups(sorted[i - 1]!, g) !== 0);
}

/**
 * The groups with open suggestions after `after` in (vendor, location) order, at most `limit`:
 * each read database's page from the same cursor, merged (one cursor for all of them).
 */
export async function groupsWithOpenSuggestionsAcross(env: Env, after: DraftGroup | null, limit: number): Promise<DraftGroup[]> {
  const pages = await Promise.all(readDbs(env).map((db) => groupsWithOpenSuggestions(db, after, limit)));
  return uniqueGroups(mergeSortedPages(pages, compareGroups, limit));
}

/** 503 while the vendor's read-model rows are being moved (services/read-moves.ts): a write now could land behind the copy. */
function assertVendorNotMoving(env: Env, vendorId: string): Promise<void> {
  return assertVendorsNotMoving(env, [vendorId], { vendorId });
}

/**
 * A page of suggestions in list order (vendor, location, id), at most `filter.limit`: a
 * vendor's (or one SKU's) from its read database; everyone's from every read database,
 * merged in that order under one cursor.
 */
export async function listSuggestionsAcross(env: Env, filter: SuggestionFilter): Promise<SuggestionRow[]> {
  if (filter.vendorId !== undefined) return listSuggestions(await vendorReadDb(env, filter.vendorId), filter);
  if (filter.sku !== undefined) return listSuggestions(await skuReadDb(env, filter.sku), filter);
  const pages = await withoutMovedCopies(
    env,
    await Promise.all(readDbs(env).map((db) => listSuggestions(db, filter))),
    (s) => s.id,
    (s) => s.vendorId,
  );
  return mergeSortedPages(pages, (a, b) => compareKeys([a.vendorId, a.locationId ?? "", a.id], [b.vendorId, b.locationId ?? "", b.id]), filter.limit);
}

/** A suggestion found by id, with the read database it lives in. */
export interface LocatedSuggestion {
  suggestion: SuggestionRow;
  db: D1Database;
}

/**
 * The suggestion with this id, looked for in every read database at once (ids are random, so
 * unique across them); of two copies (a moved vendor's, before the old one is deleted) the one
 * in the vendor's database now.
 */
export async function locateSuggestion(env: Env, id: string): Promise<LocatedSuggestion | null> {
  const found = await Promise.all(readDbs(env).map(async (db, p) => ({ db, p, suggestion: await findSuggestion(db, id) })));
  const hits = found.filter((f) => f.suggestion !== null);
  if (hits.length === 0) return null;
  const home = hits.length === 1 ? hits[0]!.p : await vendorReadPartition(env, hits[0]!.suggestion!.vendorId);
  const hit = hits.find((h) => h.p === home) ?? hits[0]!;
  return { db: hit.db, suggestion: hit.suggestion! };
}

/** Dismisses a located open suggestion (503 while its vendor is moved); returns it as stored now. */
export async function dismissLocated(env: Env, located: LocatedSuggestion, by: string, now: number): Promise<SuggestionRow> {
  await assertVendorNotMoving(env, located.suggestion.vendorId);
  await dismissSuggestion(located.db, located.suggestion.id, by, now);
  return (await findSuggestion(located.db, located.suggestion.id))!;
}

/** A vendor's planning settings as the API shows them; 404 for an unknown vendor. */
export async function vendorPlanningSettings(env: Env, vendorId: string) {
  if ((await findVendor(env.DB, vendorId)) === undefined) throw new ApiError(404, "vendor_not_found", `no vendor ${vendorId}`, { vendorId });
  const s = await vendorPlanningOf(await vendorReadDb(env, vendorId), vendorId);
  return {
    vendorId,
    autoSubmitPurchaseOrders: s.autoSubmitPurchaseOrders,
    updatedBy: s.updatedBy,
    updatedAt: s.updatedAt === null ? null : new Date(s.updatedAt).toISOString(),
  };
}

/** Sets a vendor's planning settings (omitted fields keep their values); answers them as `vendorPlanningSettings`. */
export async function setVendorPlanningSettings(env: Env, principal: Principal, vendorId: string, body: VendorPlanningSettingsBody) {
  const vendor = await findVendor(env.DB, vendorId);
  if (vendor === undefined) throw new ApiError(404, "vendor_not_found", `no vendor ${vendorId}`, { vendorId });
  await assertVendorNotMoving(env, vendorId);
  await upsertVendorPlanning(await vendorReadDb(env, vendorId), { id: vendor.id, name: vendor.name }, body, actorOf(principal), Date.now());
  return vendorPlanningSettings(env, vendorId);
}
