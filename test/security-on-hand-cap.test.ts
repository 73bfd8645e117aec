/**
 * The documented on-hand cap (1,000,000,000 units per SKU and location, issue 12 finding C)
 * holds on every path that moves on-hand: a PATCH delta, a PATCH set, a delta feed, an
 * absolute feed whose local offset would carry it over, and accepting a held review. Each
 * refusal is a clear 409 `on_hand_limit` (or the item error `on_hand_limit`), never a 500,
 * and changes nothing; the cap itself is reachable exactly.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { checkInvariants, ZERO_QUANTITIES } from "../domain/quantities";
import { LIMITS } from "../domain/reservation-rules";
import { decideSync } from "../domain/sync";
import { api, expectConsistent, seedBasics, skuObject, type Keys } from "./support/fixtures";
import { allErrors, createSkus, postFeed, waitForJob } from "./support/sync-fixtures";

const CAP = LIMITS.onHandMax;
let keys: Keys;

beforeAll(async () => {
  keys = await seedBasics();
  await createSkus(keys.operator, ["CAP-1", "CAP-2", "CAP-3", "CAP-4", "CAP-5"], "V1");
});

const patch = (sku: string, body: Record<string, unknown>) =>
  api("PATCH", `/api/v2/inventory/${sku}`, { key: keys.operator, body: { locationId: "L1", ...body } });
const onHand = async (sku: string) => (await skuObject(sku).snapshot()).locations.find((l) => l.locationId === "L1")?.onHand ?? 0;
const ledgerLength = async (sku: string) => (await skuObject(sku).ledger(0, 1000)).length;

async function feed(sku: string, quantity: number, mode: "absolute" | "delta" = "absolute") {
  const res = await postFeed(keys.vendor, [{ sku, locationId: "L1", quantity }], { mode });
  expect(res.status).toBe(202);
  return waitForJob(keys.vendor, res.body.jobId);
}

describe("the rule in domain/", () => {
  it("checkInvariants names on-hand above the cap; decideSync refuses a feed value that would pass it", () => {
    expect(checkInvariants({ ...ZERO_QUANTITIES, onHand: CAP }, { activeHard: 0, activeSoft: 0, committed: 0, backordered: 0 })).toEqual([]);
    expect(checkInvariants({ ...ZERO_QUANTITIES, onHand: CAP + 1 }, { activeHard: 0, activeSoft: 0, committed: 0, backordered: 0 })).toEqual([
      { invariant: "on_hand_max", detail: `onHand ${CAP + 1} is above the limit of ${CAP}` },
    ]);
    const position = { onHand: CAP - 10, floor: 0, offset: 0, firstSync: false };
    expect(decideSync("delta", 10, position)).toEqual({ action: "apply", proposed: CAP });
    expect(decideSync("delta", 11, position)).toEqual({ action: "error", code: "on_hand_limit", proposed: CAP + 1 });
    expect(decideSync("absolute", 11, { ...position, offset: CAP - 10 })).toEqual({ action: "error", code: "on_hand_limit", proposed: CAP + 1 });
  });
});

describe("PATCH /api/v2/inventory/{sku}", () => {
  it("a delta may reach the cap exactly; one unit more is a 409 on_hand_limit that changes nothing", async () => {
    expect((await patch("CAP-1", { onHand: CAP - 5, reason: "initial" })).status).toBe(200);
    const exact = await patch("CAP-1", { delta: 5, reason: "restock" });
    expect(exact.status).toBe(200);
    expect(exact.body.level.onHand).toBe(CAP);
    const rows = await ledgerLength("CAP-1");

    const over = await patch("CAP-1", { delta: 1, reason: "restock" });
    expect(over.status).toBe(409);
    expect(over.body.error).toMatchObject({ code: "on_hand_limit", details: { limit: CAP } });
    expect(over.body.error.message).toContain("1,000,000,000");
    expect(await onHand("CAP-1")).toBe(CAP);
    expect(await ledgerLength("CAP-1")).toBe(rows);

    const big = await patch("CAP-1", { delta: LIMITS.adjustDeltaMax, reason: "restock" });
    expect(big.status).toBe(409);
    expect(big.body.error.code).toBe("on_hand_limit");
    await expectConsistent("CAP-1");
  });

  it("set: the cap is accepted, above it is a 400 with the field path", async () => {
    expect((await patch("CAP-2", { onHand: CAP, reason: "initial" })).status).toBe(200);
    const over = await patch("CAP-2", { onHand: CAP + 1, reason: "initial" });
    expect(over.status).toBe(400);
    expect(over.body.error.details[0].path).toEqual(["body", "onHand"]);
    expect(await onHand("CAP-2")).toBe(CAP);
  });
});

describe("vendor sync", () => {
  it("a delta feed that would pass the cap is the item error on_hand_limit; on-hand is unchanged", async () => {
    expect((await patch("CAP-3", { onHand: CAP - 10, reason: "initial" })).status).toBe(200);
    const job = await feed("CAP-3", 11, "delta");
    expect(job).toMatchObject({ status: "failed", counts: { applied: 0, errors: 1 } });
    const [error] = await allErrors(keys.vendor, job.jobId);
    expect(error).toMatchObject({ sku: "CAP-3", locationId: "L1", code: "on_hand_limit" });
    expect(error.message).toContain("1,000,000,000");
    expect(await onHand("CAP-3")).toBe(CAP - 10);
    // Positive control: up to the cap applies.
    expect(await feed("CAP-3", 10, "delta")).toMatchObject({ status: "completed", counts: { applied: 1 } });
    expect(await onHand("CAP-3")).toBe(CAP);
    await expectConsistent("CAP-3");
  });

  it("an absolute feed whose local offset would carry on-hand past the cap is refused the same way", async () => {
    expect(await feed("CAP-4", 0)).toMatchObject({ status: "completed" });
    // A local movement of CAP − 10 units: the next feed value is applied on top of it.
    expect((await patch("CAP-4", { onHand: CAP - 10, reason: "cycle_count" })).status).toBe(200);
    const job = await feed("CAP-4", 11);
    expect(job).toMatchObject({ status: "failed", counts: { applied: 0, errors: 1 } });
    expect((await allErrors(keys.vendor, job.jobId))[0]).toMatchObject({ code: "on_hand_limit" });
    expect(await onHand("CAP-4")).toBe(CAP - 10);
    expect(await feed("CAP-4", 10)).toMatchObject({ status: "completed", counts: { applied: 1 } });
    expect(await onHand("CAP-4")).toBe(CAP);
  });

  it("accepting a held review that would now pass the cap is a 409 on_hand_limit; the review stays open", async () => {
    expect(await feed("CAP-5", 0)).toMatchObject({ status: "completed" });
    expect((await patch("CAP-5", { onHand: 100, reason: "cycle_count" })).status).toBe(200);
    const held = await feed("CAP-5", 1000);
    expect(held).toMatchObject({ counts: { conflicts: 1 } });
    const [review] = (await api("GET", `/api/v2/sync/reviews?status=open&jobId=${held.jobId}`, { key: keys.operator })).body.items;
    // Meanwhile a count here takes on-hand near the cap; accepting adds the vendor's movement on top.
    expect((await patch("CAP-5", { onHand: CAP - 500, reason: "cycle_count" })).status).toBe(200);
    const accept = await api("POST", `/api/v2/sync/reviews/${review.id}/accept`, { key: keys.operator });
    expect(accept.status).toBe(409);
    expect(accept.body.error).toMatchObject({ code: "on_hand_limit", details: { limit: CAP } });
    expect(await onHand("CAP-5")).toBe(CAP - 500);
    expect((await api("GET", `/api/v2/sync/reviews?status=open&jobId=${held.jobId}`, { key: keys.operator })).body.items).toHaveLength(1);
    // Positive control: rejecting it still works.
    expect((await api("POST", `/api/v2/sync/reviews/${review.id}/reject`, { key: keys.operator })).status).toBe(200);
    await expectConsistent("CAP-5");
  });
});
