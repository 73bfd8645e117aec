/**
 * Purchase orders over X12 (issue 16 item 2, "an 850 goes out for a PO and its 855 and 856
 * move the PO") and `purchase_order.*` webhooks (issue 14 item 3), through the Worker:
 * - `GET …/{id}/x12-850`: the exact interchange; the same version again is byte-identical
 *   (same control number), numbers increase per vendor, a cancelled order is a new version
 *   (BEG01 01); drafts 409, another vendor's 404;
 * - `POST …/edi` with the sample files of `fixtures/purchase-order-edi/samples.ts` (BOM +
 *   CRLF, `|:!` separators, newline-only, indented, several sets, a malformed set): the
 *   orders' states, lines and in-transit counts after each, the 997's exact sets; a failed
 *   set changes nothing; the same 856 twice ships once; another vendor's order is 403 before
 *   anything is applied; bad files are 4xx, never 500;
 * - every state change is one event per subscription (the order's vendor's and the
 *   operators', none to another vendor's) through the real WEBHOOKS queue, a retried step
 *   adds none, one per receipt; a send lost after the commit is sent by the sweeper.
 */
import { env, exports } from "cloudflare:workers";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { x12PoNumber } from "../domain/purchase-order-edi";
import { findPurchaseOrder } from "../repositories/purchase-orders";
import { queryAllDeliveryStores, readDbOfVendor } from "./support/read-model";
import { deliveryStoreFor } from "../services/webhook-fanout";
import { submitPurchaseOrder, sweepPurchaseOrders } from "../services/purchase-orders";
import { capturingQueue, eventually, mockOutboundFetch, webhookProducers, withEnv, type Received } from "./support/event-fixtures";
import { api, createSku, expectConsistent, seedBasics, skuObject, type Keys } from "./support/fixtures";
import { ack855Changes, ack855NewlineOnly, ship856Over, ship856TwoSets } from "./fixtures/purchase-order-edi/samples";

let keys: Keys;
let receiver: { received: Received[] };
let poA: string;
let poB: string;

beforeAll(async () => {
  keys = await seedBasics();
  receiver = mockOutboundFetch(() => 204);
  for (const sku of ["EDI-1", "EDI-2", "EDI-3"]) await createSku(sku);
  await createSku("EDI-V2", { vendorId: "V2" });
  const types = [
    "purchase_order.created",
    "purchase_order.submitted",
    "purchase_order.confirmed",
    "purchase_order.shipped",
    "purchase_order.received",
    "purchase_order.closed",
    "purchase_order.cancelled",
  ];
  for (const [key, path] of [
    [keys.vendor, "v1-po"],
    [keys.operator, "ops-po"],
    [keys.otherVendor, "v2-po"],
  ] as const) {
    const res = await api("POST", "/api/v2/webhooks", { key, body: { url: `http://127.0.0.1:9/${path}`, eventTypes: types } });
    expect(res.status).toBe(201);
  }
});
afterAll(() => {
  vi.restoreAllMocks();
});

const post = (path: string, key: string, body?: unknown, idempotencyKey?: string) =>
  api("POST", `/api/v2/purchase-orders${path}`, { key, ...(body !== undefined ? { body } : {}), ...(idempotencyKey ? { idempotencyKey } : {}) });
const sendEdi = (key: string, text: string, contentType = "application/edi-x12", query = "") =>
  api("POST", `/api/v2/purchase-orders/edi${query}`, { key, rawBody: text, headers: { "content-type": contentType } });
const getPo = async (id: string) => (await api("GET", `/api/v2/purchase-orders/${id}`, { key: keys.operator })).body;
const lineFacts = (po: {
  lines: { sku: string; quantity: number; orderedQuantity: number | null; expectedAt: string | null; status: string; inTransit: number }[];
}) => po.lines.map((l) => `${l.sku}:${l.quantity}/${l.orderedQuantity}:${l.expectedAt?.slice(0, 10) ?? "-"}:${l.status}:${l.inTransit}`);
const inTransit = async (sku: string) => (await skuObject(sku).snapshot()).locations.find((l) => l.locationId === "L2")?.inTransit ?? 0;
/** The 997's one set, ST to SE. */
const set997 = (x12: string) => x12.slice(x12.indexOf("ST*997"), x12.indexOf("GE*")).trim().split("\n");
const hooks = (poId: string, path?: string) =>
  receiver.received.filter((r) => JSON.parse(r.body).purchaseOrderId === poId && (path === undefined || r.url.endsWith(`/${path}`)));

/** A GET or POST whose answer may be X12 text rather than JSON. */
async function raw(method: string, path: string, key: string, init: { body?: string; headers?: Record<string, string> } = {}) {
  const res = await exports.default.fetch(
    new Request(`http://inventory.test${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...init.headers },
      ...(init.body !== undefined ? { body: init.body } : {}),
    }),
  );
  return { status: res.status, contentType: res.headers.get("content-type"), text: new TextDecoder().decode(await res.arrayBuffer()) };
}
const get850 = (id: string, key: string) => raw("GET", `/api/v2/purchase-orders/${id}/x12-850`, key);

async function draft(key: string, lines: { sku: string; quantity: number }[], vendorId = "V1") {
  const res = await post("", keys.operator, { vendorId, locationId: "L2", expectedAt: "2026-12-01T00:00:00Z", lines }, key);
  expect(res.status).toBe(201);
  return res.body.id as string;
}

describe("850 out", () => {
  it("an order as an 850: exact text, the same version again byte-identical, numbers increasing per vendor, cancellation a new version", async () => {
    poA = await draft("edi-a", [
      { sku: "EDI-1", quantity: 10 },
      { sku: "EDI-2", quantity: 8 },
      { sku: "EDI-3", quantity: 5 },
    ]);
    expect((await get850(poA, keys.vendor)).status).toBe(409); // a draft
    expect((await post(`/${poA}/submit`, keys.operator)).status).toBe(200);
    const res = await get850(poA, keys.vendor);
    expect([res.status, res.contentType]).toEqual([200, "application/edi-x12"]);
    // The 850 records live with the order, in its vendor's read database.
    const row = await (await readDbOfVendor("V1"))
      .prepare("SELECT control_number, created_at FROM purchase_order_x12 WHERE purchase_order_id = ?")
      .bind(poA)
      .first<{ control_number: number; created_at: number }>();
    expect(row!.control_number).toBe(1);
    const at = new Date(row!.created_at).toISOString();
    const [d6, d8, hm] = [at.slice(2, 10).replaceAll("-", ""), at.slice(0, 10).replaceAll("-", ""), at.slice(11, 16).replace(":", "")];
    const day = (await getPo(poA)).createdAt.slice(0, 10).replaceAll("-", "");
    const n = x12PoNumber(poA);
    expect(n).toHaveLength(22);
    expect(res.text).toBe(
      [
        `ISA*00*          *00*          *ZZ*EDGEINVENTORY  *ZZ*V1             *${d6}*${hm}*U*00401*000000001*0*P*>~`,
        `GS*PO*EDGEINVENTORY*V1*${d8}*${hm}*1*X*004010~`,
        "ST*850*0001~",
        `BEG*00*SA*${n}**${day}~`,
        "DTM*002*20261201~",
        "N1*ST*Berlin FC*92*L2~",
        "PO1*1*10*EA***BP*EDI-1~",
        "PO1*2*8*EA***BP*EDI-2~",
        "PO1*3*5*EA***BP*EDI-3~",
        "CTT*3*23~",
        "SE*9*0001~",
        "GE*1*1~",
        "IEA*1*000000001~",
        "",
      ].join("\n"),
    );
    // The same version again (another caller, later): the same interchange, byte for byte.
    expect((await get850(poA, keys.operator)).text).toBe(res.text);
    expect((await get850(poA, keys.otherVendor)).status).toBe(404);

    // The vendor's next orders take the next numbers; a cancelled order is a new version (BEG01 01).
    poB = await draft("edi-b", [{ sku: "EDI-1", quantity: 3 }]);
    await post(`/${poB}/submit`, keys.operator);
    const other = await draft("edi-c", [{ sku: "EDI-2", quantity: 1 }]);
    await post(`/${other}/submit`, keys.operator);
    expect((await get850(poB, keys.operator)).text).toContain("*000000002*0*P*>~");
    expect((await get850(other, keys.operator)).text).toContain("*000000003*0*P*>~");
    expect((await post(`/${other}/cancel`, keys.operator)).body.status).toBe("cancelled");
    const cancelled = (await get850(other, keys.operator)).text;
    expect(cancelled).toContain("*000000004*0*P*>~");
    expect(cancelled).toContain(`BEG*01*SA*${x12PoNumber(other)}**`);
    expect((await get850(other, keys.vendor)).text).toBe(cancelled);
  });
});

describe("855 and 856 in", () => {
  it("an 855 with a BOM and CRLF confirms with the vendor's changes; the same file again changes nothing", async () => {
    const res = await sendEdi(keys.vendor, ack855Changes(x12PoNumber(poA)));
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 1, rejected: 0, interchange: { senderId: "V1", controlNumber: "000000701" } });
    expect(res.body.sets).toEqual([
      {
        groupControlNumber: "701",
        transactionSetId: "855",
        setControlNumber: "0001",
        accepted: true,
        purchaseOrders: [{ id: poA, outcome: "confirmed", status: "confirmed" }],
        errors: [],
      },
    ]);
    expect(res.body.functionalAcknowledgment.controlNumber).toBe(5);
    expect(res.body.functionalAcknowledgment.x12).toContain("*ZZ*EDGEINVENTORY  *ZZ*V1             *");
    expect(res.body.functionalAcknowledgment.x12).toContain("*U*00401*000000005*0*P*>~");
    expect(set997(res.body.functionalAcknowledgment.x12)).toEqual(["ST*997*0001~", "AK1*PR*701~", "AK2*855*0001~", "AK5*A~", "AK9*A*1*1*1~", "SE*6*0001~"]);
    const po = await getPo(poA);
    expect(po).toMatchObject({ status: "confirmed", expectedAt: "2026-12-15T00:00:00.000Z" });
    expect(lineFacts(po)).toEqual(["EDI-1:10/null:2026-11-28:open:0", "EDI-2:6/8:2026-12-15:open:0", "EDI-3:0/5:-:cancelled:0"]);
    // Each SKU expects what the 855 committed (a cut line its new quantity and date; a rejected one nothing): pre-orders count it.
    expect(await skuObject("EDI-1").getExpectedArrival(`${poA}:0`)).toMatchObject({
      status: "expected",
      quantity: 10,
      expectedAt: Date.parse("2026-11-28T00:00:00Z"),
    });
    expect(await skuObject("EDI-2").getExpectedArrival(`${poA}:1`)).toMatchObject({
      status: "expected",
      quantity: 6,
      expectedAt: Date.parse("2026-12-15T00:00:00Z"),
    });
    expect(await skuObject("EDI-3").getExpectedArrival(`${poA}:2`)).toBeNull();

    const again = await sendEdi(keys.vendor, ack855Changes(x12PoNumber(poA)));
    expect(again.body.sets[0]).toMatchObject({ accepted: true, purchaseOrders: [{ id: poA, outcome: "unchanged", status: "confirmed" }] });
    expect(again.body.functionalAcknowledgment.controlNumber).toBe(6);
    expect(lineFacts(await getPo(poA))).toEqual(lineFacts(po));
  });

  it("an 856 in `|:!` with a good and a malformed set: the good one ships (in transit, dates), the malformed one changes nothing; the same 856 twice ships once", async () => {
    const before = await getPo(poB);
    const res = await sendEdi(keys.vendor, ship856TwoSets(x12PoNumber(poA), x12PoNumber(poB)), "text/plain; charset=utf-8");
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ accepted: 1, rejected: 1 });
    expect(
      res.body.sets.map((s: { setControlNumber: string; accepted: boolean; purchaseOrders: unknown[] }) => [s.setControlNumber, s.accepted, s.purchaseOrders]),
    ).toEqual([
      ["0001", true, [{ id: poA, outcome: "shipped", status: "shipped" }]],
      ["0002", false, []],
    ]);
    expect(res.body.sets[1].errors).toEqual([expect.objectContaining({ code: "malformed_segment", segmentId: "S#1", positionInSet: 8, line: 36 })]);
    expect(set997(res.body.functionalAcknowledgment.x12)).toEqual([
      "ST*997*0001~",
      "AK1*SH*702~",
      "AK2*856*0001~",
      "AK5*A~",
      "AK2*856*0002~",
      "AK3*S#1*8**1~",
      "AK5*R*5~",
      "AK9*P*2*2*1~",
      "SE*9*0001~",
    ]);
    const po = await getPo(poA);
    expect(po).toMatchObject({ status: "shipped", shipmentId: "SHIP-5521" });
    expect(await skuObject("EDI-2").getExpectedArrival(`${poA}:1`)).toMatchObject({ status: "shipped" });
    expect(lineFacts(po)).toEqual(["EDI-1:10/null:2026-11-27:in_transit:10", "EDI-2:5/8:2026-11-29:in_transit:5", "EDI-3:0/5:-:cancelled:0"]);
    expect([await inTransit("EDI-1"), await inTransit("EDI-2"), await inTransit("EDI-3")]).toEqual([10, 5, 0]);
    expect(await getPo(poB)).toEqual(before);

    // The same file again: the shipment is known, nothing ships twice; the malformed set is still refused.
    const again = await sendEdi(keys.vendor, ship856TwoSets(x12PoNumber(poA), x12PoNumber(poB)));
    expect(again.body.sets.map((s: { accepted: boolean; purchaseOrders: unknown[] }) => [s.accepted, s.purchaseOrders])).toEqual([
      [true, [{ id: poA, outcome: "unchanged", status: "shipped" }]],
      [false, []],
    ]);
    expect([await inTransit("EDI-1"), await inTransit("EDI-2"), await inTransit("EDI-3")]).toEqual([10, 5, 0]);
    const ledger = (await skuObject("EDI-1").ledger(0, 100)).map((e) => `${e.op}:${e.delta.inTransit}`);
    expect(ledger).toEqual(["po_in_transit:10"]);
    for (const sku of ["EDI-1", "EDI-2"]) await expectConsistent(sku);
  });

  it("newline-only terminators: an 855 accepting as ordered confirms; an unknown PO number is rejected at BAK03; an over-shipment is rejected at SN102 and ships nothing", async () => {
    const res = await sendEdi(keys.vendor, ack855NewlineOnly(x12PoNumber(poB)));
    expect(res.status).toBe(200);
    expect(res.body.sets.map((s: { accepted: boolean; purchaseOrders: unknown[] }) => [s.accepted, s.purchaseOrders])).toEqual([
      [true, [{ id: poB, outcome: "confirmed", status: "confirmed" }]],
      [false, []],
    ]);
    expect(res.body.sets[1].errors).toEqual([
      expect.objectContaining({ code: "unknown_purchase_order", segmentId: "BAK", positionInSet: 2, elementPosition: 3, line: 7 }),
    ]);
    expect(set997(res.body.functionalAcknowledgment.x12)).toEqual([
      "ST*997*0001~",
      "AK1*PR*703~",
      "AK2*855*0001~",
      "AK5*A~",
      "AK2*855*0002~",
      "AK3*BAK*2**8~",
      "AK4*3**7*po_0000000000000000000~",
      "AK5*R*5~",
      "AK9*P*2*2*1~",
      "SE*10*0001~",
    ]);
    expect(lineFacts(await getPo(poB))).toEqual(["EDI-1:3/null:-:open:0"]);

    const over = await sendEdi(keys.vendor, ship856Over(x12PoNumber(poB)));
    expect(over.status).toBe(200);
    expect(over.body).toMatchObject({ accepted: 0, rejected: 1 });
    expect(set997(over.body.functionalAcknowledgment.x12)).toEqual([
      "ST*997*0001~",
      "AK1*SH*704~",
      "AK2*856*0001~",
      "AK3*SN1*8**8~",
      "AK4*2**6*5~",
      "AK5*R*5~",
      "AK9*R*1*1*0~",
      "SE*8*0001~",
    ]);
    expect(await getPo(poB)).toMatchObject({ status: "confirmed", shipmentId: null });
    expect(await inTransit("EDI-1")).toBe(10); // only order A's
    // Accept: application/edi-x12 answers the 997 itself.
    const direct = await raw("POST", "/api/v2/purchase-orders/edi", keys.vendor, {
      body: ship856Over(x12PoNumber(poB)),
      headers: { "content-type": "application/edi-x12", accept: "application/edi-x12" },
    });
    expect([direct.status, direct.contentType]).toEqual([200, "application/edi-x12"]);
    expect(set997(direct.text)).toContain("AK4*2**6*5~");
  });

  it("a vendor acts on its own orders only (403 before anything applies); bad files are 4xx, never 500", async () => {
    const v2 = await draft("edi-v2", [{ sku: "EDI-V2", quantity: 2 }], "V2");
    await post(`/${v2}/submit`, keys.operator);
    const before = await getPo(v2);
    // V1's file naming V2's order (next to its own) is refused whole.
    const mixed = ack855NewlineOnly(x12PoNumber(poB)).replace("po_0000000000000000000", x12PoNumber(v2));
    const refused = await sendEdi(keys.vendor, mixed);
    expect([refused.status, refused.body.error.code]).toEqual([403, "forbidden"]);
    expect(await getPo(v2)).toEqual(before);
    // V2's key sending V1's order.
    expect((await sendEdi(keys.otherVendor, ship856Over(x12PoNumber(poB)))).status).toBe(403);
    expect((await sendEdi(keys.vendor, ship856Over(x12PoNumber(poB)), "application/edi-x12", "?vendorId=V2")).status).toBe(403);
    // An operator names the vendor; the same rule holds.
    expect((await sendEdi(keys.operator, ship856Over(x12PoNumber(poB)))).status).toBe(400);
    expect((await sendEdi(keys.operator, ship856Over(x12PoNumber(poB)), "application/edi-x12", "?vendorId=V2")).status).toBe(403);
    expect((await sendEdi(keys.operator, ship856Over(x12PoNumber(poB)), "application/edi-x12", "?vendorId=NOPE")).status).toBe(400);
    const ok = await sendEdi(keys.operator, ship856Over(x12PoNumber(poB)), "application/edi-x12", "?vendorId=V1");
    expect([ok.status, ok.body.rejected]).toEqual([200, 1]);
    expect((await sendEdi(keys.checkout, ship856Over(x12PoNumber(poB)))).status).toBe(403);

    const bad: [string, string, number, string][] = [
      ["not x12", "hello, world", 400, "malformed_x12"],
      ["empty", "", 400, "malformed_x12"],
      ["a cut ISA", "ISA*00*   *00", 400, "malformed_x12"],
      ["JSON", '{"a":1}', 415, "unsupported_media_type"],
    ];
    for (const [what, text, status, code] of bad) {
      const res = await sendEdi(keys.vendor, text, what === "JSON" ? "application/json" : "application/edi-x12");
      expect([what, res.status, res.body.error.code]).toEqual([what, status, code]);
    }
    const big = await sendEdi(keys.vendor, `ISA${"*".repeat(1024 * 1024)}`);
    expect([big.status, big.body.error.code]).toEqual([413, "payload_too_large"]);
    // A file whose sets are all broken still answers a 997 (R), and changes nothing.
    const broken = ship856Over(x12PoNumber(poB)).replace("SE*9*0001", "SE*7*0001");
    const res = await sendEdi(keys.vendor, broken);
    expect([res.status, res.body.accepted, res.body.sets[0].errors[0].code]).toEqual([200, 0, "se_segment_count"]);
    expect(set997(res.body.functionalAcknowledgment.x12)).toContain("AK5*R*4~");
    expect(await getPo(poB)).toMatchObject({ status: "confirmed" });
  });
});

describe("purchase_order.* webhooks", () => {
  it("each state change of order A reached the vendor's and the operators' subscriptions once, none another vendor's", async () => {
    const want = ["confirmed", "created", "shipped", "submitted"].map((s) => `purchase_order.${s}`);
    const seen = await eventually(async () => {
      const got = hooks(poA);
      return got.length >= 8 ? got : undefined;
    }, "order A's deliveries");
    for (const path of ["v1-po", "ops-po"]) {
      expect(
        hooks(poA, path)
          .map((h) => h.headers.get("x-edgeinventory-event"))
          .sort(),
      ).toEqual(want);
    }
    expect(seen.filter((h) => h.url.endsWith("/v2-po"))).toEqual([]);
    const confirmed = JSON.parse(hooks(poA, "v1-po").find((h) => h.headers.get("x-edgeinventory-event") === "purchase_order.confirmed")!.body);
    expect(confirmed).toMatchObject({
      id: `evt:po:${poA}:confirmed`,
      type: "purchase_order.confirmed",
      vendorId: "V1",
      purchaseOrderId: poA,
      source: "x12_855",
      purchaseOrder: { status: "confirmed", expectedAt: "2026-12-15T00:00:00.000Z" },
    });
    expect(confirmed.changes).toEqual([
      { lineNo: 0, sku: "EDI-1", quantity: { before: 10, after: 10 }, expectedAt: { before: null, after: "2026-11-28T00:00:00.000Z" }, cancelled: false },
      { lineNo: 1, sku: "EDI-2", quantity: { before: 8, after: 6 }, expectedAt: { before: null, after: "2026-12-15T00:00:00.000Z" }, cancelled: false },
      { lineNo: 2, sku: "EDI-3", quantity: { before: 5, after: 0 }, expectedAt: { before: null, after: null }, cancelled: true },
    ]);
    const shipped = JSON.parse(hooks(poA, "ops-po").find((h) => h.headers.get("x-edgeinventory-event") === "purchase_order.shipped")!.body);
    expect(shipped).toMatchObject({ shipmentId: "SHIP-5521", purchaseOrder: { status: "shipped" } });
  });

  it("one event per receipt (a retried receipt adds none), then closed; one delivery row per subscription and event", async () => {
    const r1 = await post(`/${poA}/receive`, keys.operator, { lines: [{ sku: "EDI-1", received: 6 }] }, "edi-a-r1");
    expect(r1.body.status).toBe("partially_received");
    expect((await post(`/${poA}/receive`, keys.operator, { lines: [{ sku: "EDI-1", received: 6 }] }, "edi-a-r1")).status).toBe(200);
    await post(`/${poA}/receive`, keys.operator, { lines: [{ sku: "EDI-2", received: 5 }] }, "edi-a-r2");
    expect((await post(`/${poA}/close`, keys.operator)).body.status).toBe("closed");
    expect((await post(`/${poA}/close`, keys.operator)).body.status).toBe("closed");
    // Both subscriptions: their deliveries may be consumed from different WEBHOOKS partitions, one later than the other.
    await eventually(async () => (hooks(poA, "ops-po").length >= 7 && hooks(poA, "v1-po").length >= 7 ? true : undefined), "receipts and close");
    const types = hooks(poA, "v1-po").map((h) => h.headers.get("x-edgeinventory-event"));
    expect(types.filter((t) => t === "purchase_order.received")).toHaveLength(2);
    expect(types.filter((t) => t === "purchase_order.closed")).toHaveLength(1);
    // All in the order's delivery store (the read database its id hashes to), none in `DB`.
    const rows = await deliveryStoreFor(env, poA)
      .db.prepare("SELECT event_type, count(*) AS n FROM webhook_deliveries WHERE event_id LIKE ? GROUP BY event_type ORDER BY event_type")
      .bind(`evt:po:${poA}:%`)
      .all<{ event_type: string; n: number }>();
    expect(await env.DB.prepare("SELECT count(*) AS n FROM webhook_deliveries WHERE event_id LIKE ?").bind(`evt:po:${poA}:%`).first()).toEqual({ n: 0 });
    expect(rows.results.map((r) => `${r.event_type}:${r.n}`)).toEqual([
      "purchase_order.closed:2",
      "purchase_order.confirmed:2",
      "purchase_order.created:2",
      "purchase_order.received:4",
      "purchase_order.shipped:2",
      "purchase_order.submitted:2",
    ]);
    const receipts = hooks(poA, "v1-po")
      .filter((h) => h.headers.get("x-edgeinventory-event") === "purchase_order.received")
      .map((h) => JSON.parse(h.body))
      .map((e) => [e.receipt.lines, e.purchaseOrder.status]);
    expect(receipts).toContainEqual([[{ sku: "EDI-1", received: 6, damaged: 0 }], "partially_received"]);
    // EDI-1 still has 4 units on the way.
    expect(receipts).toContainEqual([[{ sku: "EDI-2", received: 5, damaged: 0 }], "partially_received"]);
  });

  it("a send lost after the commit: the state change and its deliveries are in D1, and the sweeper sends them", async () => {
    const id = await draft("edi-lost", [{ sku: "EDI-2", quantity: 1 }]);
    const lost = capturingQueue();
    lost.failSends = 10;
    const po = (await findPurchaseOrder(await readDbOfVendor("V1"), id))!;
    const submitted = await submitPurchaseOrder(withEnv(webhookProducers(lost.queue)), po);
    expect(submitted.status).toBe("submitted");
    const pending = await queryAllDeliveryStores<{ n: number }>(
      "SELECT count(*) AS n FROM webhook_deliveries WHERE event_id = ? AND enqueued_at IS NULL",
      `evt:po:${id}:submitted`,
    );
    expect(pending.reduce((a, r) => a + r.n, 0)).toBe(2);
    // Within the grace period the sweeper leaves them (the request may still be sending).
    expect(await sweepPurchaseOrders(env, Date.now())).toBe(0);
    expect(hooks(id).filter((h) => h.headers.get("x-edgeinventory-event") === "purchase_order.submitted")).toEqual([]);
    await sweepPurchaseOrders(env, Date.now() + 61_000);
    const got = await eventually(async () => {
      const h = hooks(id).filter((x) => x.headers.get("x-edgeinventory-event") === "purchase_order.submitted");
      return h.length >= 2 ? h : undefined;
    }, "the swept deliveries");
    expect(got.map((h) => new URL(h.url).pathname).sort()).toEqual(["/ops-po", "/v1-po"]);
    // Submitting again is a no-op: no event.
    await submitPurchaseOrder(env, (await findPurchaseOrder(await readDbOfVendor("V1"), id))!);
    const n = (await queryAllDeliveryStores<{ n: number }>("SELECT count(*) AS n FROM webhook_deliveries WHERE event_id LIKE ?", `evt:po:${id}:%`)).reduce(
      (a, r) => a + r.n,
      0,
    );
    expect(n).toBe(4); // created ×2, submitted ×2
  });
});
