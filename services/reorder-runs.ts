/**
 * The nightly REORDER run (issue 15): the nightly cron starts a run for yesterday's origin,
 * and each cron tick (that one, then the every-minute sweep) enqueues the next keyset pages of
 * active SKUs as chunk messages — REORDER_CHUNK_SKUS SKUs per message, at most
 * REORDER_CHUNKS_PER_TICK messages per tick — and moves the run's cursor, until every SKU is
 * enqueued. Bounded work per invocation whatever the catalogue's size; a SKU added during a
 * run is picked up if its id sorts after the cursor, else the next night.
 *
 * A lost message (local queues live in memory) costs its SKUs one night: the next run plans
 * them again; a duplicate (a tick that lost the cursor race) is a no-op in the consumer.
 *
 * Then the purchase orders: each chunk carries its number in the run (`seq`), and the consumer
 * counts it planned once (`reorder_run_chunks`). When every chunk is enqueued and planned — or
 * nothing was planned for DRAFT_SETTLE_MS (a lost chunk) — the run's drafting phase sends one
 * `draft` message per vendor × location group with open suggestions (services/reorder-drafts.ts),
 * DRAFT_GROUPS_PER_TICK groups per invocation in keyset pages; the sweep continues it.
 *
 * The run's state (`reorder_runs`, `reorder_run_chunks`) is in `DB`; the suggestions it
 * drafts from are in the read databases (each vendor's in its own, issue 19 item 2).
 */
import { REORDER_CHUNK_SKUS, type ReorderMessage } from "../domain/reorder-messages";
import { activeSkusAfter, advanceRun, runningRun, startRun } from "../repositories/planning";
import {
  advanceDrafting,
  draftingRun,
  groupKey,
  groupOfKey,
  pruneRunChunks,
  recordChunkPlanned,
  startDrafting,
  undraftedRuns,
} from "../repositories/planning-drafts";
import { DRAFT_SETTLE_MS, groupsWithOpenSuggestionsAcross, sendDrafts, sweepSettledGroups } from "./reorder-drafts";
import { originBefore } from "./reorder-planning";
import { reorderQueueFor, sendReorderMessages } from "./reorder-queue";

/** Draft messages (one per vendor × location group) a run sends per invocation: 10 sendBatch calls. */
export const DRAFT_GROUPS_PER_TICK = 1_000;
/** Chunk rows of finished runs deleted per sweep tick. */
const PRUNE_CHUNKS_PER_TICK = 5_000;

/** Chunk messages per cron tick: 1,000 × 100 SKUs = 100,000 SKUs a minute. */
export const REORDER_CHUNKS_PER_TICK = 1_000;

/** Starts the run for the day before `scheduledTime` (if not started) and runs its first tick. */
export async function startNightlyRun(env: Env, scheduledTime: number, chunksPerTick = REORDER_CHUNKS_PER_TICK): Promise<void> {
  await startRun(env.DB, originBefore(scheduledTime), scheduledTime);
  await continueRun(env, scheduledTime, chunksPerTick);
}

/** Enqueues the next pages of the oldest unfinished run, if any (see the module comment). */
export async function continueRun(
  env: Env,
  now: number,
  chunksPerTick = REORDER_CHUNKS_PER_TICK,
): Promise<{ origin: string; chunks: number; skus: number; done: boolean } | null> {
  const run = await runningRun(env.DB);
  if (run === null) return null;
  const skus = await activeSkusAfter(env, run.cursor, chunksPerTick * REORDER_CHUNK_SKUS);
  const messages: ReorderMessage[] = [];
  for (let i = 0; i < skus.length; i += REORDER_CHUNK_SKUS) {
    messages.push({ v: 1, kind: "chunk", origin: run.origin, skus: skus.slice(i, i + REORDER_CHUNK_SKUS), seq: run.chunks + messages.length });
  }
  // Each chunk to its REORDER partition (its first SKU's): the night spreads over all of them.
  await sendReorderMessages(env, messages);
  const done = skus.length < chunksPerTick * REORDER_CHUNK_SKUS;
  const to = skus.length > 0 ? skus[skus.length - 1]! : run.cursor;
  const moved = await advanceRun(env.DB, run.origin, run.cursor, to, messages.length, skus.length, done, now);
  console.log(JSON.stringify({ event: "reorder.run_tick", origin: run.origin, chunks: messages.length, skus: skus.length, done }));
  // Every chunk may have been planned before the run knew it was the last (or there were none).
  if (moved && done) await startRunDrafts(env, run.origin, null, now);
  return { origin: run.origin, chunks: messages.length, skus: skus.length, done };
}

/** Enqueues one SKU for planning now (after its low-stock event), on the SKU's REORDER partition. */
export async function enqueueSku(env: Env, sku: string, reason: "low_stock" | "manual", now: number): Promise<void> {
  const body: ReorderMessage = { v: 1, kind: "sku", origin: originBefore(now), sku, reason };
  await reorderQueueFor(env, body).send(body, { contentType: "json" });
}

/** After the consumer planned chunk `seq` of the run: counts it, and starts the drafts if it was the last. */
export async function chunkPlanned(env: Env, origin: string, seq: number, now: number): Promise<void> {
  await recordChunkPlanned(env.DB, origin, seq, now);
  await startRunDrafts(env, origin, null, now);
}

/**
 * Starts the run's drafting phase if due (`startDrafting`: planned, or stalled before
 * `stalledBefore`) and sends its first page of draft messages.
 */
async function startRunDrafts(env: Env, origin: string, stalledBefore: number | null, now: number): Promise<boolean> {
  if (!(await startDrafting(env.DB, origin, stalledBefore))) return false;
  console.log(JSON.stringify({ event: "reorder.run_drafting", origin, stalled: stalledBefore !== null }));
  await continueDrafts(env, now);
  return true;
}

/**
 * Sends the next page of draft messages of the oldest drafting run: the vendor × location
 * groups with open suggestions after its cursor, DRAFT_GROUPS_PER_TICK at most.
 */
export async function continueDrafts(
  env: Env,
  _now: number,
  groupsPerTick = DRAFT_GROUPS_PER_TICK,
): Promise<{ origin: string; groups: number; done: boolean } | null> {
  const run = await draftingRun(env.DB);
  if (run === null) return null;
  const from = run.draftCursor ?? "";
  // The groups are in the read databases (each vendor's in its own): merged under the run's one cursor.
  const groups = await groupsWithOpenSuggestionsAcross(env, groupOfKey(from), groupsPerTick);
  await sendDrafts(env, groups, "run");
  const done = groups.length < groupsPerTick;
  const to = groups.length > 0 ? groupKey(groups[groups.length - 1]!) : from;
  await advanceDrafting(env.DB, run.origin, from, to, groups.length, done);
  console.log(JSON.stringify({ event: "reorder.drafts_tick", origin: run.origin, groups: groups.length, done }));
  return { origin: run.origin, groups: groups.length, done };
}

/**
 * The run's part of the per-minute sweep: starts the drafting of runs whose chunks were all
 * planned, or stalled for DRAFT_SETTLE_MS (a chunk message lost: its SKUs wait for the next
 * night, the others are drafted); continues a drafting run; prunes finished runs' chunk rows.
 */
export async function sweepRunDrafts(env: Env, now: number): Promise<boolean> {
  let drafting = false;
  for (const run of await undraftedRuns(env.DB, 5)) drafting = (await startRunDrafts(env, run.origin, now - DRAFT_SETTLE_MS, now)) || drafting;
  if (!drafting) drafting = (await continueDrafts(env, now)) !== null;
  await pruneRunChunks(env.DB, PRUNE_CHUNKS_PER_TICK);
  return drafting;
}

/**
 * The per-minute sweep's drafting: the runs' phases first; then, in a tick where no run sent
 * drafts (its messages cover the same groups), groups left waiting (`sweepSettledGroups`).
 */
export async function sweepReorderDrafts(env: Env, now: number): Promise<void> {
  if (await sweepRunDrafts(env, now)) return;
  await sweepSettledGroups(env, now);
}
