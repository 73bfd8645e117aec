/**
 * Applying one SYNC chunk: for each SKU, check it against master data (it exists, belongs
 * to the job's vendor, its locations are active, its values in range), call its object's
 * `applySync` once with the SKU's items, send the events the objects handed over (all of the
 * chunk's in a few sendBatch calls, instead of one alarm and one send per object), and record
 * every item's outcome in D1 (applied, unchanged, conflict held for review, or error) in one
 * batch with the job's counters.
 * Item errors never fail the chunk. A redelivered chunk changes nothing twice: the objects
 * replay their stored outcomes for the same idempotency key, and the D1 batch writes only
 * while the chunk is still `queued`.
 */
import type { SkuRow } from "../d1/schema";
import { SyncChunkMessageSchema, SyncChunkRefSchema, type SyncChunkItem, type SyncChunkMessage } from "../domain/sync-chunks";
import { onHandLimitMessage } from "../domain/failures";
import { inRange, SYNC_ITEM_ERROR_CODES, type SyncItemError, type SyncItemErrorCode } from "../domain/sync-items";
import type { InventoryEvent } from "../domain/events";
import { CONFIRM_AFTER_MS, sendEventFlushesOf } from "../durable-objects/sku-inventory/outbox";
import type { SyncApplyResult, SyncItemOutcome } from "../durable-objects/sku-sync.types";
import { allLocations } from "../repositories/locations";
import { findSkus } from "../repositories/skus";
import { chunkState, failChunk, type HandedOffEvent, markJobRunning, recordChunk } from "../repositories/sync-jobs";
import { chunkReviewStatements, type NewSyncReview } from "../repositories/sync-reviews";
import { requestHash } from "../domain/hashing";
import { policyOf } from "./sku-access";
import { notifyIfFinished } from "./sync-jobs";
import { asDeclared } from "./sync-rpc";

/** A queue body that is not a chunk this consumer can apply. */
export class InvalidSyncMessageError extends Error {
  override name = "InvalidSyncMessageError";
}

/** Validates a queue body as a SYNC chunk message. */
export function parseSyncChunk(body: unknown): SyncChunkMessage {
  const parsed = SyncChunkMessageSchema.safeParse(body);
  if (!parsed.success) {
    const problems = parsed.error.issues.slice(0, 5).map((i) => `${i.path.join(".") || "(body)"}: ${i.message}`);
    throw new InvalidSyncMessageError(`invalid sync chunk: ${problems.join("; ")}`);
  }
  return parsed.data;
}

/** SKU objects called at once per chunk. */
const SKU_CONCURRENCY = 50;

/** Runs `fn` over `items` with at most `limit` calls in flight; results in input order. */
async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i]!);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * The mode whose range a chunk's quantities must be in. An `available` value may be
 * negative (a vendor that oversold, issue 16): the object turns it into an on-hand of at
 * least zero, and one below what is held here goes to review. So its range is the delta's.
 */
export function rangeModeOf(chunk: Pick<SyncChunkMessage, "mode" | "kind">): SyncChunkMessage["mode"] {
  return chunk.kind === "available" ? "delta" : chunk.mode;
}

/** What one SKU's items came to. */
interface SkuResult {
  outcomes: { item: SyncChunkItem; outcome: SyncItemOutcome | { outcome: "error"; code: SyncItemErrorCode; message: string } }[];
  /** True when the object answered with the stored outcomes of an earlier delivery. */
  replayed: boolean;
  /** The events the object handed over for this chunk to send (`handOffEvents`). */
  events: InventoryEvent[];
}

const KNOWN_CODES: ReadonlySet<string> = new Set(SYNC_ITEM_ERROR_CODES);

function errorOf(code: SyncItemErrorCode, message: string) {
  return { outcome: "error" as const, code, message };
}

/** Checks one SKU's items and applies the good ones through its object, in one call. */
async function applySku(
  env: Env,
  chunk: SyncChunkMessage,
  vendorId: string,
  group: SyncChunkMessage["skus"][number],
  row: SkuRow | undefined,
  locationActive: (id: string) => boolean,
): Promise<SkuResult> {
  if (row === undefined) {
    return { outcomes: group.items.map((item) => ({ item, outcome: errorOf("unknown_sku", `no SKU ${group.sku}`) })), replayed: false, events: [] };
  }
  if (row.vendorId !== vendorId) {
    return {
      outcomes: group.items.map((item) => ({ item, outcome: errorOf("forbidden_sku", `SKU ${group.sku} belongs to another vendor`) })),
      replayed: false,
      events: [],
    };
  }
  const local = new Map<number, ReturnType<typeof errorOf>>();
  for (const item of group.items) {
    if (!locationActive(item.l)) local.set(item.i, errorOf("unknown_location", `location ${item.l} does not exist or is inactive`));
    else if (!inRange(rangeModeOf(chunk), item.q)) local.set(item.i, errorOf("out_of_range", `quantity ${item.q} is out of range for ${chunk.mode} feeds`));
  }
  const toApply = group.items.filter((item) => !local.has(item.i));
  const fromObject = new Map<number, SyncItemOutcome>();
  let replayed = false;
  let events: InventoryEvent[] = [];
  if (toApply.length > 0) {
    const result = asDeclared<SyncApplyResult>(
      await env.SKU_INVENTORY.getByName(group.sku).applySync({
        sku: group.sku,
        jobId: chunk.jobId,
        chunkIndex: chunk.chunkIndex,
        mode: chunk.mode,
        items: toApply.map((item) => ({ itemIndex: item.i, locationId: item.l, quantity: item.q })),
        actor: chunk.actor,
        policy: policyOf(row),
        ...(chunk.kind === "available" ? { quantityKind: "available" as const } : {}),
        idempotencyKey: `sync:${chunk.jobId}:${chunk.chunkIndex}:${group.sku}`,
        // Over the SKU's items as queued, so a redelivery always matches the first delivery.
        requestHash: await requestHash(
          chunk.kind === "available" ? { mode: chunk.mode, kind: chunk.kind, items: group.items } : { mode: chunk.mode, items: group.items },
        ),
        handOffEvents: true,
      }),
    );
    if (!result.ok) {
      // Transient: let the queue try the chunk again (the SKUs done already will replay).
      if (result.code === "retry_later") throw new Error(`SKU ${group.sku}: ${result.message}`);
      for (const item of toApply) local.set(item.i, errorOf("sku_failed", `${result.code}: ${result.message}`));
    } else {
      replayed = result.replayed;
      events = result.events ?? [];
      for (const outcome of result.outcomes) fromObject.set(outcome.itemIndex, outcome);
    }
  }
  return {
    replayed,
    events,
    outcomes: group.items.map((item) => ({
      item,
      outcome: fromObject.get(item.i) ?? local.get(item.i) ?? errorOf("sku_failed", "the SKU's object reported no outcome for this item; send it again"),
    })),
  };
}

/** What handling a chunk did. */
export type ChunkHandling = "recorded" | "duplicate" | "unknown_job";

/**
 * Applies a chunk and records its outcomes (see the module comment). Throws when the chunk
 * should be tried again (a SKU object unavailable, D1 failing): nothing is lost, since
 * every SKU call is idempotent and nothing was recorded.
 */
export async function applySyncChunk(env: Env, chunk: SyncChunkMessage, now: () => number = Date.now): Promise<ChunkHandling> {
  const state = await chunkState(env.DB, chunk.jobId, chunk.chunkIndex);
  if (state === null) {
    console.warn(JSON.stringify({ event: "sync.unknown_chunk", jobId: chunk.jobId, chunkIndex: chunk.chunkIndex }));
    return "unknown_job";
  }
  if (state.status !== "queued") {
    // Recorded before: only make sure the completion webhook went out.
    await notifyIfFinished(env, chunk.jobId);
    return "duplicate";
  }
  if (state.jobStatus === "queued") await markJobRunning(env.DB, chunk.jobId, now());

  const [skuRows, { byId: locations }] = await Promise.all([
    findSkus(
      env,
      chunk.skus.map((s) => s.sku),
    ),
    allLocations(env.DB),
  ]);
  const locationActive = (id: string) => locations.get(id)?.active === true;
  // D1 knows whose job this is; the message only repeats it.
  const vendorId = state.vendorId;
  const results = await mapLimit(chunk.skus, SKU_CONCURRENCY, (group) => applySku(env, chunk, vendorId, group, skuRows.get(group.sku), locationActive));
  // The objects handed their events to this chunk: one flush message per SKU, a few sendBatch
  // calls per EVENTS partition. Before the chunk is recorded, so a failed send retries the
  // chunk, whose replayed SKUs hand their unconfirmed events over again.
  await sendEventFlushesOf(
    env,
    results.map((r) => r.events),
  );

  const at = now();
  const counts = { applied: 0, unchanged: 0, conflicts: 0, errors: 0 };
  const errors: SyncItemError[] = [];
  const reviews: NewSyncReview[] = [];
  const touched: { sku: string; locationId: string }[] = [];
  results.forEach((result, k) => {
    const sku = chunk.skus[k]!.sku;
    for (const { item, outcome } of result.outcomes) {
      if (outcome.outcome === "error") {
        counts.errors += 1;
        errors.push({
          itemIndex: item.i,
          row: item.r ?? null,
          sku,
          locationId: item.l,
          quantity: String(item.q),
          code: KNOWN_CODES.has(outcome.code) ? (outcome.code as SyncItemErrorCode) : "sku_failed",
          // The object words every decision error as going negative; the cap's message is the domain's.
          message:
            outcome.code === "on_hand_limit"
              ? onHandLimitMessage(item.l)
              : KNOWN_CODES.has(outcome.code)
                ? outcome.message
                : `${outcome.code}: ${outcome.message}`,
        });
        continue;
      }
      if (!result.replayed) touched.push({ sku, locationId: item.l });
      if (outcome.outcome === "applied") counts.applied += 1;
      else if (outcome.outcome === "unchanged") counts.unchanged += 1;
      else {
        counts.conflicts += 1;
        reviews.push({
          id: outcome.reviewId,
          jobId: chunk.jobId,
          itemIndex: item.i,
          vendorId,
          sku,
          locationId: item.l,
          mode: chunk.mode,
          vendorQuantity: outcome.vendorQuantity,
          onHandAtReview: outcome.onHand,
          proposed: outcome.proposed,
          reason: outcome.reason,
          createdAt: at,
        });
      }
    }
  });
  // The sweeper checks a minute on that the consumer applied them (services/sync-sweeper.ts).
  const handedOff: HandedOffEvent[] = results.flatMap((r) => r.events.map((e) => ({ sku: e.sku, id: e.id })));
  await recordChunk(
    env.DB,
    {
      jobId: chunk.jobId,
      chunkIndex: chunk.chunkIndex,
      counts,
      errors,
      extra: chunkReviewStatements(env.DB, chunk, touched, reviews, at),
      handedOff: { events: handedOff, checkAt: at + CONFIRM_AFTER_MS },
    },
    at,
  );
  await notifyIfFinished(env, chunk.jobId, at);
  return "recorded";
}

/**
 * Sends again events a recorded chunk's objects handed over (`missing`): each of their SKUs'
 * objects is called as the chunk called it (same idempotency key and request), so it only
 * replays its stored outcome and hands back this job's events it still keeps, of which the
 * missing ones go out as the chunk sent them. Returns how many events were sent (fewer than
 * asked when an object no longer keeps one: its own check found it applied). Throws when an
 * object or the queue is unavailable (the sweeper tries again).
 */
export async function resendHandedOffEvents(env: Env, chunk: SyncChunkMessage, missing: readonly HandedOffEvent[]): Promise<number> {
  const skus = new Set(missing.map((e) => e.sku));
  const ids = new Set(missing.map((e) => e.id));
  const groups = chunk.skus.filter((g) => skus.has(g.sku));
  if (groups.length === 0) return 0;
  const [skuRows, { byId: locations }] = await Promise.all([
    findSkus(
      env,
      groups.map((g) => g.sku),
    ),
    allLocations(env.DB),
  ]);
  const locationActive = (id: string) => locations.get(id)?.active === true;
  const results = await mapLimit(groups, SKU_CONCURRENCY, (group) => applySku(env, chunk, chunk.vendorId, group, skuRows.get(group.sku), locationActive));
  const events = results.map((r) => r.events.filter((e) => ids.has(e.id)));
  await sendEventFlushesOf(env, events);
  return events.reduce((n, list) => n + list.length, 0);
}

/**
 * A chunk that failed on every attempt (from the dead-letter queue): its items become
 * `chunk_failed` errors so the job can finish. Their state is unknown (some SKUs may have
 * been applied before the failure), so the vendor is told to send them again. A body too
 * broken to name its job changes nothing here (it is in `dead_letters`).
 */
export async function failSyncChunk(
  env: Env,
  body: unknown,
  reason: string,
  now = Date.now(),
  itemMessage = "this item's chunk failed on every attempt, so its outcome is unknown; send it again",
): Promise<boolean> {
  const full = SyncChunkMessageSchema.safeParse(body);
  const ref = full.success ? full.data : SyncChunkRefSchema.safeParse(body).data;
  if (ref === undefined) return false;
  const errors: SyncItemError[] = full.success
    ? full.data.skus.flatMap((group) =>
        group.items.map((item) => ({
          itemIndex: item.i,
          row: item.r ?? null,
          sku: group.sku,
          locationId: item.l,
          quantity: String(item.q),
          code: "chunk_failed" as const,
          message: itemMessage,
        })),
      )
    : [];
  await failChunk(env.DB, ref.jobId, ref.chunkIndex, errors, reason, now);
  await notifyIfFinished(env, ref.jobId, now);
  return true;
}
