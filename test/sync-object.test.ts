/**
 * The SKU object's side of vendor sync (domain/sync.ts): absolute feeds keep the movements
 * made here, small differences apply, large ones wait for review, accepting or rejecting a
 * review, delta feeds, and replay of a redelivered chunk. Calls the object directly.
 */
import { env } from "cloudflare:workers";
import { describe, expect, it } from "vitest";
import { decideSync } from "../domain/sync";
import type { SyncApplyInput } from "../durable-objects/sku-sync.types";

const policy = { allowBackorder: false, softBufferPct: 10, reorderPoint: 0 };
const object = (sku: string) => env.SKU_INVENTORY.getByName(sku);
let chunk = 0;

function feed(sku: string, items: [string, number][], mode: "absolute" | "delta" = "absolute", jobId = `job-${++chunk}`): SyncApplyInput {
  return {
    sku,
    jobId,
    chunkIndex: 0,
    mode,
    items: items.map(([locationId, quantity], itemIndex) => ({ itemIndex, locationId, quantity })),
    actor: "vendor:V1:key_test",
    policy,
    idempotencyKey: `sync:${jobId}:0:${sku}`,
    requestHash: JSON.stringify(items),
  };
}

const level = async (sku: string, locationId = "L1") => (await object(sku).snapshot()).locations.find((l) => l.locationId === locationId)!;

describe("the conflict rule", () => {
  it("decides: unchanged, small apply, large review, below committed, empty first load", () => {
    const at = (onHand: number, offset = 0, floor = 0, firstSync = false) => ({ onHand, offset, floor, firstSync });
    expect(decideSync("absolute", 100, at(100))).toEqual({ action: "unchanged", proposed: 100 });
    expect(decideSync("absolute", 110, at(100))).toEqual({ action: "apply", proposed: 110 });
    expect(decideSync("absolute", 126, at(100))).toEqual({ action: "review", proposed: 126, reason: "large_change" });
    expect(decideSync("absolute", 112, at(100, -10))).toEqual({ action: "apply", proposed: 102 });
    expect(decideSync("absolute", 20, at(100, 0, 30))).toEqual({ action: "review", proposed: 20, reason: "below_committed" });
    expect(decideSync("absolute", 5000, at(0, 0, 0, true))).toEqual({ action: "apply", proposed: 5000 });
    expect(decideSync("delta", -3, at(2))).toEqual({ action: "error", code: "would_go_negative", proposed: -1 });
    expect(decideSync("delta", 500, at(2))).toEqual({ action: "apply", proposed: 502 });
  });
});

describe("applySync", () => {
  it("loads an empty location, then keeps local reservations and sales when the next feed arrives", async () => {
    const first = await object("SY-1").applySync(feed("SY-1", [["L1", 100]]));
    expect(first).toMatchObject({ ok: true, outcomes: [{ outcome: "applied", before: 0, after: 100 }] });

    // After the vendor's sync: a hard reservation of 30 here, 10 of it shipped.
    const now = Date.now();
    expect(
      (
        await object("SY-1").applyReservation({
          sku: "SY-1",
          actor: "checkout:t",
          reservationId: "sy1-r",
          attempt: 1,
          type: "hard",
          lines: [{ locationId: "L1", quantity: 30 }],
          expiresAt: now + 3_600_000,
          reference: "o",
          policy,
        })
      ).ok,
    ).toBe(true);
    expect(
      (
        await object("SY-1").applyReservation({
          sku: "SY-1",
          actor: "checkout:t",
          reservationId: "sy1-s",
          attempt: 1,
          type: "hard",
          lines: [{ locationId: "L1", quantity: 10 }],
          expiresAt: now + 3_600_000,
          reference: "o2",
          policy,
        })
      ).ok,
    ).toBe(true);
    await object("SY-1").commit({ sku: "SY-1", actor: "checkout:t", reservationId: "sy1-s", attempt: 1 });
    await object("SY-1").fulfil({ sku: "SY-1", actor: "checkout:t", reservationId: "sy1-s", attempt: 1 });
    expect(await level("SY-1")).toMatchObject({ onHand: 90, reserved: 30 });

    // The vendor, unaware of our sale, restocked 5 at its end and now reports 105.
    const next = await object("SY-1").applySync(feed("SY-1", [["L1", 105]]));
    expect(next).toMatchObject({ ok: true, outcomes: [{ outcome: "applied", before: 90, after: 95 }] });
    expect(await level("SY-1")).toMatchObject({ onHand: 95, reserved: 30, available: 65 });
    expect((await object("SY-1").verify()).ok).toBe(true);
  });

  it("holds a large disagreement for review; accepting applies it with today's local movements", async () => {
    await object("SY-2").applySync(feed("SY-2", [["L1", 40]]));
    const held = await object("SY-2").applySync(feed("SY-2", [["L1", 200]]));
    expect(held).toMatchObject({ ok: true, outcomes: [{ outcome: "conflict", reason: "large_change", onHand: 40, vendorQuantity: 200, proposed: 200 }] });
    expect((await level("SY-2")).onHand).toBe(40);
    const reviewId = (held as { outcomes: { reviewId: string }[] }).outcomes[0]!.reviewId;
    expect(await object("SY-2").syncReviews("open")).toEqual([expect.objectContaining({ id: reviewId, status: "open", vendorQuantity: 200 })]);

    // Before the operator looks, 2 units are written off here.
    await object("SY-2").adjustStock({
      sku: "SY-2",
      actor: "operator:t",
      locationId: "L1",
      delta: -2,
      reason: "damage",
      idempotencyKey: "sy2-dmg",
      requestHash: "d",
      policy,
    });
    const accepted = await object("SY-2").resolveSyncReview({ sku: "SY-2", reviewId, decision: "accept", actor: "operator:t", policy });
    expect(accepted).toMatchObject({ ok: true, review: { status: "accepted" }, level: { onHand: 198 } });
    const again = await object("SY-2").resolveSyncReview({ sku: "SY-2", reviewId, decision: "accept", actor: "operator:t", policy });
    expect(again).toMatchObject({ ok: false, code: "review_closed" });
    expect((await object("SY-2").verify()).ok).toBe(true);
  });

  it("rejecting keeps our count, and the same feed value next time is no conflict", async () => {
    await object("SY-3").applySync(feed("SY-3", [["L1", 50]]));
    const held = await object("SY-3").applySync(feed("SY-3", [["L1", 5]]));
    const reviewId = (held as { outcomes: { reviewId: string }[] }).outcomes[0]!.reviewId;
    expect(await object("SY-3").resolveSyncReview({ sku: "SY-3", reviewId, decision: "reject", actor: "operator:t", policy })).toMatchObject({
      ok: true,
      level: { onHand: 50 },
    });
    expect(await object("SY-3").applySync(feed("SY-3", [["L1", 5]]))).toMatchObject({ outcomes: [{ outcome: "unchanged", onHand: 50 }] });
    expect(await object("SY-3").applySync(feed("SY-3", [["L1", 7]]))).toMatchObject({ outcomes: [{ outcome: "applied", before: 50, after: 52 }] });
  });

  it("never lets a feed take on-hand below what is reserved", async () => {
    await object("SY-4").applySync(feed("SY-4", [["L1", 20]]));
    await object("SY-4").applyReservation({
      sku: "SY-4",
      actor: "checkout:t",
      reservationId: "sy4-r",
      attempt: 1,
      type: "hard",
      lines: [{ locationId: "L1", quantity: 15 }],
      expiresAt: Date.now() + 3_600_000,
      reference: "o",
      policy,
    });
    const res = await object("SY-4").applySync(feed("SY-4", [["L1", 12]]));
    expect(res).toMatchObject({ outcomes: [{ outcome: "conflict", reason: "below_committed", proposed: 12 }] });
    const reviewId = (res as { outcomes: { reviewId: string }[] }).outcomes[0]!.reviewId;
    expect(await object("SY-4").resolveSyncReview({ sku: "SY-4", reviewId, decision: "accept", actor: "operator:t", policy })).toMatchObject({
      ok: false,
      code: "would_go_negative",
    });
    expect(await level("SY-4")).toMatchObject({ onHand: 20, reserved: 15 });
  });

  it("delta feeds apply as given; a delta below zero is an item error; a redelivered chunk replays", async () => {
    await object("SY-5").applySync(feed("SY-5", [["L1", 10]]));
    const input = feed(
      "SY-5",
      [
        ["L1", 4],
        ["L2", -1],
      ],
      "delta",
      "job-delta",
    );
    const first = await object("SY-5").applySync(input);
    expect(first).toMatchObject({
      replayed: false,
      outcomes: [
        { itemIndex: 0, outcome: "applied", before: 10, after: 14 },
        { itemIndex: 1, outcome: "error", code: "would_go_negative" },
      ],
    });
    const ledger = (await object("SY-5").ledger(0, 100)).length;
    const replay = await object("SY-5").applySync(input);
    expect(replay).toMatchObject({ replayed: true, outcomes: (first as { outcomes: unknown[] }).outcomes });
    expect((await object("SY-5").ledger(0, 100)).length).toBe(ledger);
    expect((await level("SY-5")).onHand).toBe(14);
    expect(await object("SY-5").applySync({ ...input, requestHash: "other" })).toMatchObject({ ok: false, code: "idempotency_conflict" });
  });
});
