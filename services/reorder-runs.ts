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
 */
import { REORDER_CHUNK_SKUS, type ReorderMessage } from "../domain/reorder-messages";
import { activeSkusAfter, advanceRun, runningRun, startRun } from "../repositories/planning";
import { originBefore } from "./reorder-planning";

/** Chunk messages per cron tick: 1,000 × 100 SKUs = 100,000 SKUs a minute. */
export const REORDER_CHUNKS_PER_TICK = 1_000;
/** The REORDER queue takes at most this many messages per sendBatch. */
const SEND_BATCH_MAX = 100;

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
  const skus = await activeSkusAfter(env.DB, run.cursor, chunksPerTick * REORDER_CHUNK_SKUS);
  const messages: ReorderMessage[] = [];
  for (let i = 0; i < skus.length; i += REORDER_CHUNK_SKUS) {
    messages.push({ v: 1, kind: "chunk", origin: run.origin, skus: skus.slice(i, i + REORDER_CHUNK_SKUS) });
  }
  for (let i = 0; i < messages.length; i += SEND_BATCH_MAX) {
    await env.REORDER.sendBatch(messages.slice(i, i + SEND_BATCH_MAX).map((body) => ({ body, contentType: "json" as const })));
  }
  const done = skus.length < chunksPerTick * REORDER_CHUNK_SKUS;
  const to = skus.length > 0 ? skus[skus.length - 1]! : run.cursor;
  await advanceRun(env.DB, run.origin, run.cursor, to, messages.length, skus.length, done, now);
  console.log(JSON.stringify({ event: "reorder.run_tick", origin: run.origin, chunks: messages.length, skus: skus.length, done }));
  return { origin: run.origin, chunks: messages.length, skus: skus.length, done };
}

/** Enqueues one SKU for planning now (after its low-stock event). */
export async function enqueueSku(env: Env, sku: string, reason: "low_stock" | "manual", now: number): Promise<void> {
  const body: ReorderMessage = { v: 1, kind: "sku", origin: originBefore(now), sku, reason };
  await env.REORDER.send(body, { contentType: "json" });
}
