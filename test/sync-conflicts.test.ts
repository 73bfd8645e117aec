/**
 * The conflict rule (domain/sync.ts) through the whole pipeline: a reservation and a
 * shipment made here after the vendor's last sync survive an absolute feed (reserved
 * unchanged, on-hand = feed + local movements); a large disagreement is held for review
 * (a `sync.conflict` event, a row in the review list that operators resolve and the vendor
 * may read), accepting applies it, rejecting keeps our count; a newer feed value
 * supersedes an open review; a value below what is reserved is held too.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { api, expectConsistent, seedBasics, skuObject, type Keys } from "./support/fixtures";
import { eventually } from "./support/event-fixtures";
import { createSkus, postFeed, waitForJob } from "./support/sync-fixtures";
import { readDbOfSku } from "./support/read-model";

let keys: Keys;

beforeAll(async () => {
  keys = await seedBasics();
  await createSkus(keys.operator, ["CF-1", "CF-2", "CF-3", "CF-4"], "V1");
});

async function level(sku: string, locationId = "L1") {
  return (await skuObject(sku).snapshot()).locations.find((l) => l.locationId === locationId)!;
}

/** Posts an absolute feed of one value and waits for its job. */
async function feed(sku: string, quantity: number, locationId = "L1") {
  const res = await postFeed(keys.vendor, [{ sku, locationId, quantity }]);
  expect(res.status).toBe(202);
  return waitForJob(keys.vendor, res.body.jobId);
}

async function reserve(sku: string, quantity: number, key: string) {
  const res = await api("POST", "/api/v2/inventory/reserve", {
    key: keys.checkout,
    idempotencyKey: key,
    body: { type: "hard", reference: key, items: [{ sku, quantity, locationId: "L1" }] },
  });
  expect(res.status).toBe(201);
  return res.body.id as string;
}

const reviews = async (key: string, query = "") => (await api("GET", `/api/v2/sync/reviews${query}`, { key })).body.items as any[];

describe("absolute feeds keep local movements", () => {
  it("a reservation and a shipment made after the vendor's last sync survive the next feed", async () => {
    expect(await feed("CF-1", 100)).toMatchObject({ status: "completed", counts: { applied: 1 } });
    const kept = await reserve("CF-1", 5, "cf-order-a");
    const shipped = await reserve("CF-1", 3, "cf-order-b");
    expect((await api("POST", "/api/v2/inventory/fulfil", { key: keys.checkout, body: { reservationId: shipped } })).status).toBe(200);
    expect(await level("CF-1")).toMatchObject({ onHand: 97, reserved: 5, available: 92 });

    // The vendor, knowing nothing of the shipment, reports 98 (it sold 2 elsewhere).
    expect(await feed("CF-1", 98)).toMatchObject({ status: "completed", counts: { applied: 1, conflicts: 0 } });
    // 98 − 3 shipped here = 95; the 5 reserved stay reserved.
    expect(await level("CF-1")).toMatchObject({ onHand: 95, reserved: 5, available: 90 });
    expect((await api("GET", `/api/v2/reservations/${kept}`, { key: keys.checkout })).body).toMatchObject({ status: "active", lines: [{ quantity: 5 }] });
    await expectConsistent("CF-1");
  });

  it("a large disagreement is held for review (sync.conflict, review list); accepting applies it", async () => {
    const job = await feed("CF-1", 40);
    expect(job).toMatchObject({ status: "completed", counts: { applied: 0, conflicts: 1, errors: 0 } });
    expect(await level("CF-1")).toMatchObject({ onHand: 95, reserved: 5 });

    const open = await reviews(keys.operator, `?status=open&jobId=${job.jobId}`);
    expect(open).toEqual([
      expect.objectContaining({
        jobId: job.jobId,
        item: 0,
        vendorId: "V1",
        sku: "CF-1",
        locationId: "L1",
        mode: "absolute",
        vendorQuantity: 40,
        onHandAtReview: 95,
        proposed: 37,
        reason: "large_change",
        status: "open",
      }),
    ]);
    const reviewId = open[0].id as string;
    // The vendor reads its own SKUs' reviews, cannot resolve them; another vendor sees none.
    expect((await reviews(keys.vendor, "?status=open")).map((r) => r.id)).toContain(reviewId);
    expect(await reviews(keys.otherVendor)).toEqual([]);
    expect((await api("GET", "/api/v2/sync/reviews?vendorId=V1", { key: keys.otherVendor })).status).toBe(403);
    expect((await api("POST", `/api/v2/sync/reviews/${reviewId}/accept`, { key: keys.vendor })).status).toBe(403);
    // The conflict went out as an event, through the outbox and the EVENTS queue.
    await eventually(
      async () =>
        (await (await readDbOfSku("CF-1")).prepare("SELECT 1 FROM processed_events WHERE sku = 'CF-1' AND type = 'sync.conflict'").first()) ?? undefined,
      "the sync.conflict event",
    );

    const accepted = await api("POST", `/api/v2/sync/reviews/${reviewId}/accept`, { key: keys.operator });
    expect(accepted.status).toBe(200);
    expect(accepted.body).toMatchObject({
      review: { id: reviewId, status: "accepted", resolvedBy: expect.stringMatching(/^operator:/) },
      level: { onHand: 37, reserved: 5, available: 32 },
    });
    expect(await level("CF-1")).toMatchObject({ onHand: 37, reserved: 5 });
    expect((await reviews(keys.operator, `?jobId=${job.jobId}`))[0].status).toBe("accepted");
    const again = await api("POST", `/api/v2/sync/reviews/${reviewId}/accept`, { key: keys.operator });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe("review_closed");
    await expectConsistent("CF-1");
  });

  it("rejecting keeps our count, and the same value next time is no conflict", async () => {
    await feed("CF-2", 50);
    const job = await feed("CF-2", 5);
    expect(job.counts.conflicts).toBe(1);
    const [review] = await reviews(keys.operator, `?jobId=${job.jobId}`);
    const rejected = await api("POST", `/api/v2/sync/reviews/${review.id}/reject`, { key: keys.operator });
    expect(rejected.status).toBe(200);
    expect(rejected.body).toMatchObject({ review: { status: "rejected" }, level: { onHand: 50 } });
    expect(await feed("CF-2", 5)).toMatchObject({ counts: { unchanged: 1, conflicts: 0 } });
    expect(await level("CF-2")).toMatchObject({ onHand: 50 });
  });

  it("a newer feed value supersedes an open review; a value below what is reserved is held too", async () => {
    await feed("CF-3", 60);
    const first = await feed("CF-3", 500);
    const second = await feed("CF-3", 900);
    const listed = await reviews(keys.operator, "?sku=CF-3");
    expect(listed.map((r) => [r.jobId, r.status])).toEqual([
      [first.jobId, "superseded"],
      [second.jobId, "open"],
    ]);
    const stale = await api("POST", `/api/v2/sync/reviews/${listed[0].id}/accept`, { key: keys.operator });
    expect(stale.status).toBe(409);
    expect(await level("CF-3")).toMatchObject({ onHand: 60 });

    await feed("CF-4", 60);
    await reserve("CF-4", 50, "cf-order-c");
    // 40 would leave fewer units than the 50 reserved.
    const below = await feed("CF-4", 40);
    expect(below.counts.conflicts).toBe(1);
    expect((await reviews(keys.operator, `?jobId=${below.jobId}`))[0]).toMatchObject({ reason: "below_committed", proposed: 40, onHandAtReview: 60 });
    expect(await level("CF-4")).toMatchObject({ onHand: 60, reserved: 50 });
    await expectConsistent("CF-4");
  });
});
