/**
 * Transfers between locations (issue 14): a document of one or more SKUs moves units from
 * one location's sellable stock to in transit at another; receipts (in full or in part,
 * damaged and short reported) put them on hand there — covering backorders first — and a
 * cancel sends what is outstanding back. Exact counts and ledger rows per SKU, idempotent
 * retries, all-or-nothing create with compensation, the sweeper undoing a create a crash
 * interrupted, bad input a 4xx that touches nothing, operators only.
 */
import { createExecutionContext, createScheduledController } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { insertTransfer } from "../repositories/transfers";
import { CRONS, handleScheduled } from "../workers/scheduled";
import { transferIdFor } from "../services/transfers";
import { api, createSku, expectConsistent, seedBasics, setOnHand, skuObject, type Keys } from "./support/fixtures";

let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
  for (const sku of ["TR-1", "TR-2", "TR-3", "TR-4", "TR-5", "TR-6", "TR-7", "TR-8", "TR-9", "TR-D1"]) await createSku(sku);
  await createSku("TR-BO", { allowBackorder: true });
});

const create = (body: unknown, idempotencyKey: string, key = keys.operator) => api("POST", "/api/v2/transfers", { key, body, idempotencyKey });
const receive = (id: string, lines: unknown[], idempotencyKey: string) =>
  api("POST", `/api/v2/transfers/${id}/receive`, { key: keys.operator, body: { lines }, idempotencyKey });
const at = async (sku: string, locationId: string) => {
  const l = (await skuObject(sku).snapshot()).locations.find((x) => x.locationId === locationId);
  return l === undefined ? null : { onHand: l.onHand, inTransit: l.inTransit, damaged: l.damaged, available: l.available };
};
const ops = async (sku: string) =>
  (await skuObject(sku).ledger(0, 100))
    .filter((e) => e.op !== "set")
    .map((e) => `${e.op}@${e.locationId}:${e.delta.onHand}/${e.delta.inTransit}/${e.delta.damaged}`);

describe("create, receive, cancel", () => {
  it("a two-SKU transfer: units leave L1's sellable stock and are in transit to L2; a retry replays; another body under the key is 422", async () => {
    await setOnHand(keys, "TR-1", "L1", 10);
    await setOnHand(keys, "TR-2", "L1", 4);
    const body = {
      fromLocationId: "L1",
      toLocationId: "L2",
      expectedAt: "2026-12-03T10:00:00Z",
      reference: "TO-1",
      lines: [
        { sku: "TR-1", quantity: 6 },
        { sku: "TR-2", quantity: 4 },
      ],
    };
    const res = await create(body, "tr-a");
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({
      status: "in_transit",
      fromLocationId: "L1",
      toLocationId: "L2",
      expectedAt: "2026-12-03T10:00:00.000Z",
      reference: "TO-1",
      failure: null,
    });
    expect(res.body.id).toMatch(/^trf_[0-9a-z]{26}$/);
    expect(res.body.lines).toEqual([
      { lineNo: 0, sku: "TR-1", quantity: 6, received: 0, damaged: 0, short: 0, returned: 0, status: "in_transit", outstanding: 6 },
      { lineNo: 1, sku: "TR-2", quantity: 4, received: 0, damaged: 0, short: 0, returned: 0, status: "in_transit", outstanding: 4 },
    ]);
    expect(await at("TR-1", "L1")).toEqual({ onHand: 4, inTransit: 0, damaged: 0, available: 4 });
    expect(await at("TR-1", "L2")).toEqual({ onHand: 0, inTransit: 6, damaged: 0, available: 0 });
    expect(await ops("TR-1")).toEqual(["transfer_out@L1:-6/0/0", "transfer_in_transit@L2:0/6/0"]);

    const again = await create(body, "tr-a");
    expect(again.status).toBe(200);
    expect(again.headers.get("Idempotent-Replayed")).toBe("true");
    expect(again.body.id).toBe(res.body.id);
    expect(await ops("TR-1")).toHaveLength(2);
    expect((await create({ ...body, reference: "TO-other" }, "tr-a")).status).toBe(422);

    const detail = await api("GET", `/api/v2/transfers/${res.body.id}`, { key: keys.operator });
    expect(detail.body).toEqual(res.body);
    const list = await api("GET", "/api/v2/transfers?status=in_transit", { key: keys.operator });
    expect(list.body.items.map((t: { id: string }) => t.id)).toContain(res.body.id);
    await expectConsistent("TR-1");
    await expectConsistent("TR-2");
  });

  it("receipts in part (good, damaged, short) then in full; a retried receipt changes nothing; too many units is 409", async () => {
    await setOnHand(keys, "TR-3", "L1", 10);
    const t = await create({ fromLocationId: "L1", toLocationId: "L2", lines: [{ sku: "TR-3", quantity: 8 }] }, "tr-b");
    const first = await receive(t.body.id, [{ sku: "TR-3", received: 5, damaged: 1 }], "rcpt-1");
    expect(first.status).toBe(200);
    expect(first.body.status).toBe("partially_received");
    expect(first.body.lines[0]).toMatchObject({ received: 5, damaged: 1, short: 0, outstanding: 2, status: "partially_received" });
    expect(await at("TR-3", "L2")).toEqual({ onHand: 6, inTransit: 2, damaged: 1, available: 5 });

    const retry = await receive(t.body.id, [{ sku: "TR-3", received: 5, damaged: 1 }], "rcpt-1");
    expect(retry.status).toBe(200);
    expect(await at("TR-3", "L2")).toEqual({ onHand: 6, inTransit: 2, damaged: 1, available: 5 });

    const tooMany = await receive(t.body.id, [{ sku: "TR-3", received: 3 }], "rcpt-2");
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.error.code).toBe("invalid_state");

    const rest = await receive(t.body.id, [{ sku: "TR-3", received: 1, short: 1 }], "rcpt-3");
    expect(rest.body.status).toBe("received");
    expect(rest.body.lines[0]).toMatchObject({ received: 6, damaged: 1, short: 1, outstanding: 0, status: "received" });
    expect(await at("TR-3", "L2")).toEqual({ onHand: 7, inTransit: 0, damaged: 1, available: 6 });
    expect(await at("TR-3", "L1")).toEqual({ onHand: 2, inTransit: 0, damaged: 0, available: 2 });
    expect(await ops("TR-3")).toEqual([
      "transfer_out@L1:-8/0/0",
      "transfer_in_transit@L2:0/8/0",
      "transfer_receive@L2:5/-5/0",
      "transfer_receive@L2:1/-1/1",
      "transfer_receive@L2:1/-1/0",
      "transfer_short@L2:0/-1/0",
    ]);
    expect((await api("POST", `/api/v2/transfers/${t.body.id}/cancel`, { key: keys.operator, body: {} })).status).toBe(409);
    await expectConsistent("TR-3");
  });

  it("a cancel sends what is outstanding back to the origin, after a partial receipt too; a second cancel changes nothing", async () => {
    await setOnHand(keys, "TR-4", "L1", 10);
    const t = await create({ fromLocationId: "L1", toLocationId: "L2", lines: [{ sku: "TR-4", quantity: 7 }] }, "tr-c");
    await receive(t.body.id, [{ sku: "TR-4", received: 3 }], "rcpt-c");
    const cancelled = await api("POST", `/api/v2/transfers/${t.body.id}/cancel`, { key: keys.operator, body: { reason: "truck_cancelled" } });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body).toMatchObject({ status: "cancelled", lines: [{ received: 3, returned: 4, status: "cancelled", outstanding: 0 }] });
    expect(await at("TR-4", "L1")).toEqual({ onHand: 7, inTransit: 0, damaged: 0, available: 7 });
    expect(await at("TR-4", "L2")).toEqual({ onHand: 3, inTransit: 0, damaged: 0, available: 3 });
    const again = await api("POST", `/api/v2/transfers/${t.body.id}/cancel`, { key: keys.operator, body: {} });
    expect(again.status).toBe(200);
    expect(await ops("TR-4")).toHaveLength(5);
    await expectConsistent("TR-4");
  });

  it("a receipt retried after the transfer was cancelled replays its answer and moves nothing; a new receipt is 409", async () => {
    // Found by the inbound crash drill (bench/lib/inbound-drill.mjs, seed 777): a receipt whose
    // answer was lost, retried once someone had cancelled the rest, answered 409 `invalid_state`,
    // so the client could not tell that its receipt had applied.
    await setOnHand(keys, "TR-9", "L1", 10);
    const t = await create({ fromLocationId: "L1", toLocationId: "L2", lines: [{ sku: "TR-9", quantity: 6 }] }, "tr-rc");
    const first = await receive(t.body.id, [{ sku: "TR-9", received: 2, damaged: 1 }], "rcpt-rc-1");
    expect(first.status).toBe(200);
    expect((await api("POST", `/api/v2/transfers/${t.body.id}/cancel`, { key: keys.operator, body: {} })).status).toBe(200);
    const before = await ops("TR-9");

    const retry = await receive(t.body.id, [{ sku: "TR-9", received: 2, damaged: 1 }], "rcpt-rc-1");
    expect(retry.status).toBe(200);
    expect(retry.body).toMatchObject({ status: "cancelled", lines: [{ received: 2, damaged: 1, short: 0, returned: 3, outstanding: 0, status: "cancelled" }] });
    const other = await receive(t.body.id, [{ sku: "TR-9", received: 1 }], "rcpt-rc-2");
    expect(other.status).toBe(409);
    expect(other.body.error).toMatchObject({ code: "invalid_state", details: { status: "cancelled" } });
    expect(await ops("TR-9")).toEqual(before);
    expect(await at("TR-9", "L2")).toEqual({ onHand: 3, inTransit: 0, damaged: 1, available: 2 });
    await expectConsistent("TR-9");
  });

  it("units received at the destination cover its backorders first", async () => {
    await setOnHand(keys, "TR-BO", "L1", 5);
    const order = await api("POST", "/api/v2/inventory/reserve", {
      key: keys.checkout,
      idempotencyKey: "tr-bo-order",
      body: { type: "hard", reference: "o-trbo", items: [{ sku: "TR-BO", quantity: 3, locationId: "L2" }] },
    });
    expect(order.body.lines[0].backordered).toBe(3);
    const t = await create({ fromLocationId: "L1", toLocationId: "L2", lines: [{ sku: "TR-BO", quantity: 5 }] }, "tr-bo");
    await receive(t.body.id, [{ sku: "TR-BO", received: 2 }], "rcpt-bo-1");
    let line = await skuObject("TR-BO").getReservation(order.body.id);
    expect("reservation" in line && line.reservation.lines[0]!.backordered).toBe(1);
    await receive(t.body.id, [{ sku: "TR-BO", received: 3 }], "rcpt-bo-2");
    line = await skuObject("TR-BO").getReservation(order.body.id);
    expect("reservation" in line && line.reservation.lines[0]!.backordered).toBe(0);
    expect(await at("TR-BO", "L2")).toMatchObject({ onHand: 5, available: 2 });
    await expectConsistent("TR-BO");
  });
});

describe("drafts", () => {
  it("a draft moves nothing until shipped; shipping twice moves once; a draft cancelled outright moves nothing; a short draft ships as a 409 and is undone", async () => {
    await setOnHand(keys, "TR-D1", "L1", 10);
    const draft = await create({ fromLocationId: "L1", toLocationId: "L2", draft: true, lines: [{ sku: "TR-D1", quantity: 4 }] }, "tr-draft");
    expect(draft.status).toBe(201);
    expect(draft.body).toMatchObject({ status: "draft", lines: [{ status: "pending", outstanding: 0 }] });
    expect(await ops("TR-D1")).toEqual([]);
    const ship = await api("POST", `/api/v2/transfers/${draft.body.id}/ship`, { key: keys.operator });
    expect(ship.status).toBe(200);
    expect(ship.body).toMatchObject({ status: "in_transit", lines: [{ status: "in_transit", outstanding: 4 }] });
    expect((await api("POST", `/api/v2/transfers/${draft.body.id}/ship`, { key: keys.operator })).body.status).toBe("in_transit");
    expect(await ops("TR-D1")).toEqual(["transfer_out@L1:-4/0/0", "transfer_in_transit@L2:0/4/0"]);

    const other = await create({ fromLocationId: "L1", toLocationId: "L2", draft: true, lines: [{ sku: "TR-D1", quantity: 1 }] }, "tr-draft-2");
    expect((await api("POST", `/api/v2/transfers/${other.body.id}/cancel`, { key: keys.operator, body: {} })).body.status).toBe("cancelled");
    expect((await api("POST", `/api/v2/transfers/${other.body.id}/ship`, { key: keys.operator })).status).toBe(200);
    expect(await ops("TR-D1")).toHaveLength(2);

    const short = await create({ fromLocationId: "L1", toLocationId: "L2", draft: true, lines: [{ sku: "TR-D1", quantity: 99 }] }, "tr-draft-3");
    const refused = await api("POST", `/api/v2/transfers/${short.body.id}/ship`, { key: keys.operator });
    expect(refused.status).toBe(409);
    expect(refused.body.error.code).toBe("insufficient_stock");
    expect(await at("TR-D1", "L1")).toEqual({ onHand: 6, inTransit: 0, damaged: 0, available: 6 });
    await expectConsistent("TR-D1");
  });
});

describe("all or nothing", () => {
  it("one short SKU: 409 naming it, the lines already created are sent back, the document is cancelled; a retry gets the same 409", async () => {
    await setOnHand(keys, "TR-5", "L1", 10);
    await setOnHand(keys, "TR-6", "L1", 2);
    const body = {
      fromLocationId: "L1",
      toLocationId: "L2",
      lines: [
        { sku: "TR-5", quantity: 6 },
        { sku: "TR-6", quantity: 3 },
      ],
    };
    const res = await create(body, "tr-short");
    expect(res.status).toBe(409);
    expect(res.body.error).toMatchObject({ code: "insufficient_stock", details: { cause: [{ sku: "TR-6", locationId: "L1", requested: 3, available: 2 }] } });
    expect(await at("TR-5", "L1")).toEqual({ onHand: 10, inTransit: 0, damaged: 0, available: 10 });
    expect(await at("TR-5", "L2")).toEqual({ onHand: 0, inTransit: 0, damaged: 0, available: 0 });
    expect(await ops("TR-5")).toEqual(["transfer_out@L1:-6/0/0", "transfer_in_transit@L2:0/6/0", "transfer_cancel@L2:0/-6/0", "transfer_return@L1:6/0/0"]);
    expect(await ops("TR-6")).toEqual([]);
    const id = res.body.error.details.transferId;
    expect((await api("GET", `/api/v2/transfers/${id}`, { key: keys.operator })).body).toMatchObject({
      status: "cancelled",
      failure: { code: "insufficient_stock" },
    });
    const retry = await create(body, "tr-short");
    expect(retry.status).toBe(409);
    expect(await ops("TR-5")).toHaveLength(4);
    await expectConsistent("TR-5");
    await expectConsistent("TR-6");
  });

  it("the sweeper undoes a create a crash left half done, and a late create of the missing line moves nothing", async () => {
    await setOnHand(keys, "TR-7", "L1", 10);
    await setOnHand(keys, "TR-8", "L1", 10);
    const id = await transferIdFor("operator", "tr-crash");
    const now = Date.now();
    await insertTransfer(env.DB, {
      id,
      fromLocationId: "L1",
      toLocationId: "L2",
      expectedAt: null,
      reference: null,
      principal: "operator",
      idempotencyKey: "tr-crash",
      requestHash: "h",
      createdBy: "operator:test",
      lines: [
        { sku: "TR-7", quantity: 4 },
        { sku: "TR-8", quantity: 5 },
      ],
      now,
    });
    const policy = { allowBackorder: false, softBufferPct: 10, reorderPoint: 0 };
    const line = (sku: string, n: number, quantity: number) => ({
      sku,
      actor: "operator:test",
      transferId: `${id}:${n}`,
      fromLocationId: "L1",
      toLocationId: "L2",
      quantity,
      expectedAt: null,
      reference: null,
      policy,
    });
    expect((await skuObject("TR-7").createTransfer(line("TR-7", 0, 4))).ok).toBe(true);
    // The Worker died here. Within the lease the sweeper leaves it alone (positive control below).
    await handleScheduled(createScheduledController({ cron: CRONS.sweep, scheduledTime: now + 30_000 }), env, createExecutionContext());
    expect((await api("GET", `/api/v2/transfers/${id}`, { key: keys.operator })).body.status).toBe("creating");

    await handleScheduled(createScheduledController({ cron: CRONS.sweep, scheduledTime: now + 120_000 }), env, createExecutionContext());
    const doc = await api("GET", `/api/v2/transfers/${id}`, { key: keys.operator });
    expect(doc.body).toMatchObject({ status: "cancelled", failure: { code: "interrupted" } });
    expect(await at("TR-7", "L1")).toEqual({ onHand: 10, inTransit: 0, damaged: 0, available: 10 });
    expect(await at("TR-7", "L2")).toEqual({ onHand: 0, inTransit: 0, damaged: 0, available: 0 });
    const late = await skuObject("TR-8").createTransfer(line("TR-8", 1, 5));
    expect(late).toMatchObject({ ok: false, code: "invalid_state" });
    expect(await at("TR-8", "L1")).toEqual({ onHand: 10, inTransit: 0, damaged: 0, available: 10 });
    await expectConsistent("TR-7");
    await expectConsistent("TR-8");
  });
});

describe("bad input and access", () => {
  it("is a 4xx with field paths and moves nothing; vendors and checkout keys are refused", async () => {
    const before = await skuObject("TR-1").ledger(0, 100);
    const good = { fromLocationId: "L1", toLocationId: "L2", lines: [{ sku: "TR-1", quantity: 1 }] };
    const cases: unknown[] = [
      { ...good, toLocationId: "L1" },
      { ...good, toLocationId: "NOPE" },
      { ...good, lines: [{ sku: "NO-SUCH", quantity: 1 }] },
      {
        ...good,
        lines: [
          { sku: "TR-1", quantity: 1 },
          { sku: "TR-1", quantity: 2 },
        ],
      },
      { ...good, lines: [] },
      { ...good, lines: [{ sku: "TR-1", quantity: 0 }] },
      { ...good, expectedAt: "tomorrow" },
      { ...good, extra: 1 },
    ];
    for (const [i, body] of cases.entries()) {
      const res = await create(body, `bad-${i}`);
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.error.code).toBe("invalid_request");
    }
    expect((await api("POST", "/api/v2/transfers", { key: keys.operator, body: good })).status).toBe(400);
    expect((await create(good, "v", keys.vendor)).status).toBe(403);
    expect((await create(good, "c", keys.checkout)).status).toBe(403);
    expect((await api("GET", "/api/v2/transfers/not-an-id", { key: keys.operator })).status).toBe(400);
    expect((await api("GET", `/api/v2/transfers/trf_${"0".repeat(26)}`, { key: keys.operator })).status).toBe(404);
    expect((await receive(`trf_${"0".repeat(26)}`, [{ sku: "TR-1", received: 1 }], "r404")).status).toBe(404);
    expect((await api("GET", "/api/v2/transfers?status=lost", { key: keys.operator })).status).toBe(400);
    expect(await skuObject("TR-1").ledger(0, 100)).toEqual(before);
  });
});
