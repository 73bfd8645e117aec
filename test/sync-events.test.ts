/**
 * Vendor sync moves on-hand like any other change, so every value it applies leaves one
 * `inventory.updated` event in the outbox (issue 18, gap 2: only `sync.conflict` events
 * were checked, so a sync that applied values silently, leaving the projection, alerts and
 * webhooks behind, went unnoticed). The objects are RecordingSkuInventory (test-only
 * subclass): their flushed events go to an in-memory recorder.
 */
import { runDurableObjectAlarm } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import type { InventoryEvent } from "../domain/events";
import type { SyncApplyInput } from "../durable-objects/sku-sync.types";

const policy = { allowBackorder: false, softBufferPct: 10, reorderPoint: 0 };
const object = (sku: string) => env.RECORDING_SKU.getByName(sku);
const actor = "vendor:V1:key_test";
let n = 0;

function feed(sku: string, items: [string, number][], mode: "absolute" | "delta" = "absolute"): SyncApplyInput {
  const jobId = `job-se-${++n}`;
  return {
    sku,
    jobId,
    chunkIndex: 0,
    mode,
    items: items.map(([locationId, quantity], itemIndex) => ({ itemIndex, locationId, quantity })),
    actor,
    policy,
    idempotencyKey: `sync:${jobId}:0:${sku}`,
    requestHash: JSON.stringify([mode, items]),
  };
}

/** Runs the alarm until the outbox is empty; returns this SKU's `inventory.updated` events sent meanwhile. */
async function updates(sku: string): Promise<InventoryEvent[]> {
  for (let i = 0; i < 5 && (await object(sku).outboxSize()) > 0; i++) await runDurableObjectAlarm(object(sku));
  expect(await object(sku).outboxSize()).toBe(0);
  return (await object(sku).takeRecordedEvents()).filter((e) => e.sku === sku && e.type === "inventory.updated");
}

/** The ledger rows this SKU's syncs wrote, by seq. */
async function syncLedger(sku: string) {
  return new Map((await object(sku).ledger(0, 1000)).filter((r) => r.op === "sync").map((r) => [r.seq, r]));
}

describe("sync emits inventory.updated", () => {
  it("an absolute feed: one event per applied location with before/after and the job as cause; none for unchanged or held values", async () => {
    await object("SE-1").takeRecordedEvents();
    const first = feed("SE-1", [
      ["L1", 100],
      ["L2", 7],
    ]);
    expect(await object("SE-1").applySync(first)).toMatchObject({ ok: true, outcomes: [{ outcome: "applied" }, { outcome: "applied" }] });
    const events = await updates("SE-1");
    expect(events.map((e) => [e.locationId, e.before?.onHand, e.after?.onHand, e.after?.available])).toEqual([
      ["L1", 0, 100, 100],
      ["L2", 0, 7, 7],
    ]);
    const ledger = await syncLedger("SE-1");
    for (const e of events) {
      expect(e.cause).toMatchObject({ op: "sync", reason: "sync_absolute", reference: first.jobId, actor, reservationId: null });
      // Each event points at the ledger row of its own change.
      expect(ledger.get(e.cause.ledgerSeq!)).toMatchObject({ locationId: e.locationId, delta: { onHand: e.after!.onHand - e.before!.onHand } });
    }

    // A small change is applied (an event); the same value again and a large disagreement
    // (held for review) change nothing, so they send no update.
    await object("SE-1").applySync(feed("SE-1", [["L1", 104]]));
    expect((await updates("SE-1")).map((e) => [e.before?.onHand, e.after?.onHand, e.cause.reason])).toEqual([[100, 104, "sync_absolute"]]);
    const quiet = await object("SE-1").applySync(
      feed("SE-1", [
        ["L1", 104],
        ["L2", 500],
      ]),
    );
    expect(quiet).toMatchObject({ ok: true, outcomes: [{ outcome: "unchanged" }, { outcome: "conflict" }] });
    expect(await updates("SE-1")).toEqual([]);
  });

  it("a delta feed: one event per applied value", async () => {
    await object("SE-2").applySync(feed("SE-2", [["L1", 20]]));
    await updates("SE-2");
    const delta = feed("SE-2", [["L1", -3]], "delta");
    expect(await object("SE-2").applySync(delta)).toMatchObject({ ok: true, outcomes: [{ outcome: "applied", before: 20, after: 17 }] });
    const events = await updates("SE-2");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      locationId: "L1",
      cause: { op: "sync", reason: "sync_delta", reference: delta.jobId, actor },
      before: { onHand: 20, available: 20 },
      after: { onHand: 17, available: 17 },
    });
  });

  it("accepting a held value: one event for the change it applies, none for rejecting", async () => {
    await object("SE-3").applySync(
      feed("SE-3", [
        ["L1", 40],
        ["L2", 40],
      ]),
    );
    const held = await object("SE-3").applySync(
      feed("SE-3", [
        ["L1", 200],
        ["L2", 200],
      ]),
    );
    const [toAccept, toReject] = (held as { outcomes: { reviewId: string }[] }).outcomes.map((o) => o.reviewId);
    await updates("SE-3");

    const accepted = await object("SE-3").resolveSyncReview({ sku: "SE-3", reviewId: toAccept!, decision: "accept", actor: "operator:t", policy });
    expect(accepted).toMatchObject({ ok: true, level: { onHand: 200 } });
    const events = await updates("SE-3");
    expect(events).toHaveLength(1);
    expect(events[0]).toMatchObject({
      locationId: "L1",
      cause: { op: "sync", reason: "sync_review_accepted", reference: toAccept, actor: "operator:t" },
      before: { onHand: 40 },
      after: { onHand: 200 },
    });

    const rejected = await object("SE-3").resolveSyncReview({ sku: "SE-3", reviewId: toReject!, decision: "reject", actor: "operator:t", policy });
    expect(rejected).toMatchObject({ ok: true, level: { onHand: 40 } });
    expect(await updates("SE-3")).toEqual([]);
    expect((await object("SE-3").verify()).ok).toBe(true);
  });
});
