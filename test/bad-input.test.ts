/**
 * Bad input is refused with the right 4xx and the one error envelope, never a 500, and never
 * reaches a Durable Object (DESIGN.md "Errors": "Bad input never reaches a DO").
 *
 * Proof that nothing was reached: before the table, SKU BAD-1 gets stock (so its object
 * exists) and we record the ids of every SkuInventory and ReservationCoordinator object,
 * BAD-1's snapshot and ledger, and the D1 master data. After each case all of them must be
 * unchanged. The last test is the positive control: a valid reservation on BAD-1 does change
 * them, so the "nothing changed" check can fail.
 */
import { listDurableObjectIds } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { LIMITS, TTL_SECONDS } from "../domain/reservation-rules";
import { api, createSku, seedBasics, setOnHand, skuObject, type ApiResponse, type Keys } from "./support/fixtures";
import { queryAllReadDbs } from "./support/read-model";

type Path = (string | number)[];
type KeyName = keyof Keys;

interface BadCase {
  name: string;
  method: string;
  path: string;
  key?: KeyName;
  body?: unknown;
  rawBody?: string;
  /** Sent as a byte stream without Content-Length (for limits checked while reading). */
  streamBody?: Uint8Array;
  headers?: Record<string, string>;
  /** Defaults to a fresh valid key on reserve; `null` sends none. */
  idempotencyKey?: string | null;
  status: number;
  code: string;
  /** Paths that must each appear in `error.details` (400 validation and 404 sku_not_found). */
  paths?: Path[];
  /** The `code` of the detail at `paths[0]`, when it matters. */
  detailCode?: string;
  /**
   * Not bad input but master data: since SKU objects keep their master facts (v7,
   * durable-objects/sku-inventory/master.ts) the object of this SKU refuses it (unknown or
   * discontinued), so that object — and for a reservation its coordinator, which stores no
   * answer — may exist afterwards. It holds nothing, and nothing else may change.
   */
  checkedByObject?: string;
}

const RESERVE = "/api/v2/inventory/reserve";
/** A well-formed reservation id that no reservation has (shard 00). */
const WELL_FORMED_RSV = `rsv_00${"a".repeat(26)}`;

const line = (sku = "BAD-1", quantity: unknown = 1, extra: Record<string, unknown> = {}) => ({ sku, quantity, ...extra });
const reserveBody = (over: Record<string, unknown> = {}) => ({ type: "hard", reference: "order-bad", items: [line()], ...over });
const without = (obj: Record<string, unknown>, key: string) => {
  const { [key]: _, ...rest } = obj;
  return rest;
};
const adjust = (over: Record<string, unknown> = {}) => ({ locationId: "L1", delta: 1, reason: "restock", ...over });
const skuBody = (over: Record<string, unknown> = {}) => ({ vendorId: "V1", productId: "P-NEW", name: "New SKU", ...over });
const locationBody = (over: Record<string, unknown> = {}) => ({
  name: "Lyon FC",
  type: "fulfillment_center",
  countryCode: "FR",
  city: "Lyon",
  latitude: 45.76,
  longitude: 4.84,
  ...over,
});
const batchItem = (i: number) => ({ sku: `BATCH-${i}`, vendorId: "V1", productId: "P-BATCH", name: `Batch ${i}` });

const reserveCase = (name: string, body: unknown, paths: Path[] | undefined, extra: Partial<BadCase> = {}): BadCase => ({
  name: `reserve: ${name}`,
  method: "POST",
  path: RESERVE,
  key: "checkout",
  body,
  status: 400,
  code: "invalid_request",
  ...(paths ? { paths } : {}),
  ...extra,
});

const AMEND = `/api/v2/reservations/${WELL_FORMED_RSV}/amend`;
const amendLine = (over: Record<string, unknown> = {}) => ({ sku: "BAD-1", locationId: "L1", quantity: 1, ...over });
/** `POST /api/v2/reservations/{id}/amend` on a well-formed id nobody holds: every case is refused before its coordinator. */
const amendCase = (name: string, body: unknown, paths: Path[] | undefined, extra: Partial<BadCase> = {}): BadCase => ({
  name: `amend: ${name}`,
  method: "POST",
  path: AMEND,
  key: "checkout",
  body,
  idempotencyKey: "amend-bad",
  status: 400,
  code: "invalid_request",
  ...(paths ? { paths } : {}),
  ...extra,
});
const change = (lines: unknown[]) => ({ kind: "change_quantity", lines });

const patchCase = (name: string, body: unknown, paths: Path[], extra: Partial<BadCase> = {}): BadCase => ({
  name: `PATCH inventory: ${name}`,
  method: "PATCH",
  path: "/api/v2/inventory/BAD-1",
  key: "operator",
  body,
  status: 400,
  code: "invalid_request",
  paths,
  ...extra,
});

const CASES: BadCase[] = [
  // --- POST /api/v2/inventory/reserve: headers ---
  reserveCase("missing Idempotency-Key", reserveBody(), [["headers", "idempotency-key"]], { idempotencyKey: null, detailCode: "required" }),
  reserveCase("Idempotency-Key of 129 characters", reserveBody(), [["headers", "idempotency-key"]], {
    idempotencyKey: "k".repeat(LIMITS.idempotencyKeyMaxLength + 1),
  }),
  reserveCase("Idempotency-Key with spaces", reserveBody(), [["headers", "idempotency-key"]], { idempotencyKey: "has spaces in it" }),
  // --- reserve: body shape ---
  reserveCase("missing type", without(reserveBody(), "type"), [["body", "type"]]),
  reserveCase("unknown type", reserveBody({ type: "layaway" }), [["body", "type"]]),
  reserveCase("missing reference", without(reserveBody(), "reference"), [["body", "reference"]]),
  reserveCase("blank reference", reserveBody({ reference: "   " }), [["body", "reference"]]),
  reserveCase("reference over 128 characters", reserveBody({ reference: "r".repeat(LIMITS.referenceMaxLength + 1) }), [["body", "reference"]]),
  reserveCase("missing items", without(reserveBody(), "items"), [["body", "items"]]),
  reserveCase("extra top-level field", reserveBody({ backorder: true }), [["body", "backorder"]], { detailCode: "unrecognized_keys" }),
  reserveCase("extra item field", reserveBody({ items: [line("BAD-1", 1, { price: 10 })] }), [["body", "items", 0, "price"]], {
    detailCode: "unrecognized_keys",
  }),
  reserveCase("empty items", reserveBody({ items: [] }), [["body", "items"]]),
  reserveCase("101 items", reserveBody({ items: Array.from({ length: LIMITS.linesPerReservation + 1 }, (_, i) => line(`BAD-${i + 1}`)) }), [["body", "items"]]),
  reserveCase("quantity 0", reserveBody({ items: [line("BAD-1", 0)] }), [["body", "items", 0, "quantity"]]),
  reserveCase("quantity -1", reserveBody({ items: [line("BAD-1", -1)] }), [["body", "items", 0, "quantity"]]),
  reserveCase("quantity 1.5", reserveBody({ items: [line("BAD-1", 1.5)] }), [["body", "items", 0, "quantity"]]),
  reserveCase("quantity 1,000,001", reserveBody({ items: [line("BAD-1", LIMITS.quantityMax + 1)] }), [["body", "items", 0, "quantity"]]),
  reserveCase('quantity as the string "3"', reserveBody({ items: [line("BAD-1", "3")] }), [["body", "items", 0, "quantity"]]),
  reserveCase("quantity null", reserveBody({ items: [line("BAD-1", null)] }), [["body", "items", 0, "quantity"]]),
  reserveCase("missing quantity on the second line", reserveBody({ items: [line("BAD-1", 1, { locationId: "L1" }), { sku: "BAD-1" }] }), [
    ["body", "items", 1, "quantity"],
  ]),
  reserveCase("unknown SKU (second line)", reserveBody({ items: [line("BAD-1"), line("NO-SUCH-SKU")] }), [["body", "items", 1, "sku"]], {
    status: 404,
    code: "sku_not_found",
    detailCode: "sku_not_found",
    checkedByObject: "NO-SUCH-SKU",
  }),
  reserveCase("malformed SKU id", reserveBody({ items: [line("bad sku!")] }), [["body", "items", 0, "sku"]]),
  reserveCase("unknown locationId", reserveBody({ items: [line("BAD-1", 1, { locationId: "L9" })] }), [["body", "items", 0, "locationId"]], {
    detailCode: "unknown_location",
  }),
  reserveCase(
    "inactive location L3",
    reserveBody({ items: [line("BAD-1", 1, { locationId: "L1" }), line("BAD-1", 1, { locationId: "L3" })] }),
    [["body", "items", 1, "locationId"]],
    {
      detailCode: "location_inactive",
    },
  ),
  reserveCase("discontinued SKU", reserveBody({ items: [line("BAD-DISC")] }), [["body", "items", 0, "sku"]], {
    status: 409,
    code: "sku_unavailable",
    detailCode: "sku_unavailable",
    checkedByObject: "BAD-DISC",
  }),
  reserveCase("duplicate (sku, location) lines", reserveBody({ items: [line("BAD-1", 1, { locationId: "L1" }), line("BAD-1", 2, { locationId: "L1" })] }), [
    ["body", "items", 1],
  ]),
  reserveCase("duplicate lines without location", reserveBody({ items: [line("BAD-1", 1), line("BAD-1", 2)] }), [["body", "items", 1]]),
  reserveCase("soft ttlSeconds below minimum", reserveBody({ type: "soft", ttlSeconds: TTL_SECONDS.soft.min - 1 }), [["body", "ttlSeconds"]]),
  reserveCase("soft ttlSeconds above maximum", reserveBody({ type: "soft", ttlSeconds: TTL_SECONDS.soft.max + 1 }), [["body", "ttlSeconds"]]),
  reserveCase("hard ttlSeconds below minimum", reserveBody({ type: "hard", ttlSeconds: TTL_SECONDS.hard.min - 1 }), [["body", "ttlSeconds"]]),
  reserveCase("hard ttlSeconds above maximum", reserveBody({ type: "hard", ttlSeconds: TTL_SECONDS.hard.max + 1 }), [["body", "ttlSeconds"]]),
  reserveCase("ttlSeconds 0", reserveBody({ ttlSeconds: 0 }), [["body", "ttlSeconds"]]),
  reserveCase("ttlSeconds fractional", reserveBody({ ttlSeconds: 120.5 }), [["body", "ttlSeconds"]]),
  // --- reserve: the body as bytes ---
  reserveCase("malformed JSON", undefined, undefined, { rawBody: '{"type":"hard",', headers: { "content-type": "application/json" }, code: "malformed_json" }),
  reserveCase("empty body", undefined, undefined, { rawBody: "", headers: { "content-type": "application/json" }, code: "malformed_json" }),
  reserveCase("body that is not UTF-8", undefined, undefined, {
    streamBody: new Uint8Array([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d]),
    headers: { "content-type": "application/json" },
    code: "malformed_json",
  }),
  reserveCase("content type text/plain", undefined, undefined, {
    rawBody: JSON.stringify(reserveBody()),
    headers: { "content-type": "text/plain" },
    status: 415,
    code: "unsupported_media_type",
  }),
  reserveCase("no content type", undefined, undefined, {
    streamBody: new TextEncoder().encode(JSON.stringify(reserveBody())),
    status: 415,
    code: "unsupported_media_type",
  }),
  reserveCase("body over 64 KiB", reserveBody({ reference: "r".repeat(70 * 1024) }), undefined, { status: 413, code: "payload_too_large" }),
  reserveCase("body over 64 KiB streamed without Content-Length", undefined, undefined, {
    streamBody: new TextEncoder().encode(JSON.stringify(reserveBody({ reference: "r".repeat(70 * 1024) }))),
    headers: { "content-type": "application/json" },
    status: 413,
    code: "payload_too_large",
  }),
  reserveCase("JSON array instead of object", [reserveBody()], [["body"]]),
  reserveCase("JSON null", null, undefined, { rawBody: "null", headers: { "content-type": "application/json" }, paths: [["body"]] }),
  reserveCase("deeply wrong types", { type: 5, reference: { id: 1 }, items: [{ sku: 7, quantity: [1], locationId: false }] }, [
    ["body", "type"],
    ["body", "reference"],
    ["body", "items", 0, "sku"],
    ["body", "items", 0, "quantity"],
    ["body", "items", 0, "locationId"],
  ]),
  reserveCase("items as an object", reserveBody({ items: { 0: line() } }), [["body", "items"]]),
  reserveCase("quantity 1e400 (parses to Infinity)", undefined, [["body", "items", 0, "quantity"]], {
    rawBody: '{"type":"hard","reference":"o","items":[{"sku":"BAD-1","quantity":1e400}]}',
    headers: { "content-type": "application/json" },
  }),
  reserveCase("__proto__ key", undefined, [["body", "__proto__"]], {
    rawBody: '{"type":"hard","reference":"o","items":[{"sku":"BAD-1","quantity":1}],"__proto__":{"admin":true}}',
    headers: { "content-type": "application/json" },
  }),
  reserveCase("JSON nested 30,000 levels deep", undefined, [["body"]], {
    rawBody: "[".repeat(30_000) + "]".repeat(30_000),
    headers: { "content-type": "application/json" },
  }),
  reserveCase("non-ASCII SKU id", reserveBody({ items: [line("SKÜ-1")] }), [["body", "items", 0, "sku"]]),

  // --- PATCH /api/v2/inventory/{sku} ---
  patchCase("both delta and onHand", adjust({ delta: 1, onHand: 5 }), [["body", "delta"]]),
  patchCase("neither delta nor onHand", without(adjust(), "delta"), [["body", "delta"]]),
  patchCase("delta 0", adjust({ delta: 0 }), [["body", "delta"]]),
  patchCase("delta fractional", adjust({ delta: 2.5 }), [["body", "delta"]]),
  patchCase("delta beyond the limit", adjust({ delta: -(LIMITS.adjustDeltaMax + 1) }), [["body", "delta"]]),
  patchCase("onHand negative", { locationId: "L1", onHand: -1, reason: "correction" }, [["body", "onHand"]]),
  patchCase("onHand fractional", { locationId: "L1", onHand: 1.5, reason: "correction" }, [["body", "onHand"]]),
  patchCase("unknown reason", adjust({ reason: "gift" }), [["body", "reason"]]),
  patchCase("missing locationId", without(adjust(), "locationId"), [["body", "locationId"]]),
  patchCase("unknown location", adjust({ locationId: "L9" }), [["body", "locationId"]], { detailCode: "unknown_location" }),
  patchCase("expectedOnHand negative", { locationId: "L1", onHand: 5, expectedOnHand: -1, reason: "cycle_count" }, [["body", "expectedOnHand"]]),
  patchCase("invalid sku in path", adjust(), [["path", "sku"]], { path: "/api/v2/inventory/bad%20sku!" }),
  patchCase("bad Idempotency-Key", adjust(), [["headers", "idempotency-key"]], { idempotencyKey: "x".repeat(129) }),
  {
    name: "PATCH inventory: unknown SKU",
    method: "PATCH",
    path: "/api/v2/inventory/NO-SUCH-SKU",
    key: "operator",
    body: adjust(),
    status: 404,
    code: "sku_not_found",
    checkedByObject: "NO-SUCH-SKU",
  },
  {
    name: "GET inventory: invalid sku in path",
    method: "GET",
    path: "/api/v2/inventory/bad%20sku!",
    key: "operator",
    status: 400,
    code: "invalid_request",
    paths: [["path", "sku"]],
  },
  {
    name: "GET inventory: sku with an encoded slash",
    method: "GET",
    path: "/api/v2/inventory/BAD-1%2Fledger",
    key: "operator",
    status: 400,
    code: "invalid_request",
    paths: [["path", "sku"]],
  },
  {
    name: "GET inventory: broken percent-encoding in sku",
    method: "GET",
    path: "/api/v2/inventory/BAD%E0%A4%A",
    key: "operator",
    status: 400,
    code: "invalid_request",
    paths: [["path", "sku"]],
  },
  { name: "GET inventory: unknown SKU", method: "GET", path: "/api/v2/inventory/NO-SUCH-SKU", key: "operator", status: 404, code: "sku_not_found" },

  // --- POST /api/v2/inventory/{release,commit,fulfil,promote} ---
  ...(["release", "commit", "fulfil"] as const).flatMap((op): BadCase[] => [
    {
      name: `${op}: malformed reservationId`,
      method: "POST",
      path: `/api/v2/inventory/${op}`,
      key: "checkout",
      body: { reservationId: "rsv_123" },
      status: 400,
      code: "invalid_request",
      paths: [["body", "reservationId"]],
    },
    {
      name: `${op}: missing reservationId`,
      method: "POST",
      path: `/api/v2/inventory/${op}`,
      key: "checkout",
      body: {},
      status: 400,
      code: "invalid_request",
      paths: [["body", "reservationId"]],
    },
  ]),
  {
    name: "release: reservationId as a number, plus an extra field",
    method: "POST",
    path: "/api/v2/inventory/release",
    key: "checkout",
    body: { reservationId: 42, force: true },
    status: 400,
    code: "invalid_request",
    paths: [
      ["body", "reservationId"],
      ["body", "force"],
    ],
  },
  {
    name: "promote: hard ttlSeconds above maximum",
    method: "POST",
    path: "/api/v2/inventory/promote",
    key: "checkout",
    body: { reservationId: WELL_FORMED_RSV, ttlSeconds: TTL_SECONDS.hard.max + 1 },
    status: 400,
    code: "invalid_request",
    paths: [["body", "ttlSeconds"]],
  },
  {
    name: "promote: malformed reservationId",
    method: "POST",
    path: "/api/v2/inventory/promote",
    key: "checkout",
    body: { reservationId: "RSV_00AAAAAAAAAAAAAAAAAAAAAAAAAA" },
    status: 400,
    code: "invalid_request",
    paths: [["body", "reservationId"]],
  },

  // --- POST /api/v2/reservations/{id}/amend ---
  amendCase("missing Idempotency-Key", change([amendLine()]), [["headers", "idempotency-key"]], { idempotencyKey: null, detailCode: "required" }),
  amendCase("malformed reservation id", change([amendLine()]), [["path", "id"]], { path: "/api/v2/reservations/rsv_123/amend" }),
  amendCase("missing kind", { lines: [amendLine()] }, [["body", "kind"]]),
  amendCase("unknown kind", { kind: "cancel_line", lines: [amendLine()] }, [["body", "kind"]]),
  amendCase("empty lines", change([]), [["body", "lines"]]),
  amendCase("101 lines", change(Array.from({ length: LIMITS.linesPerReservation + 1 }, (_, i) => amendLine({ sku: `BAD-${i + 1}` }))), [["body", "lines"]]),
  amendCase("quantity 0", change([amendLine({ quantity: 0 })]), [["body", "lines", 0, "quantity"]]),
  amendCase("quantity 1.5", { kind: "release_part", lines: [amendLine({ quantity: 1.5 })] }, [["body", "lines", 0, "quantity"]]),
  amendCase("quantity 1,000,001", { kind: "fulfil_part", lines: [amendLine({ quantity: LIMITS.quantityMax + 1 })] }, [["body", "lines", 0, "quantity"]]),
  amendCase("line without a location", change([{ sku: "BAD-1", quantity: 2 }]), [["body", "lines", 0, "locationId"]]),
  amendCase("malformed SKU", change([amendLine({ sku: "bad sku" })]), [["body", "lines", 0, "sku"]]),
  amendCase("the same line twice", change([amendLine(), amendLine({ quantity: 2 })]), [["body", "lines", 1]]),
  amendCase("extra field on a line", change([amendLine({ price: 3 })]), [["body", "lines", 0, "price"]], { detailCode: "unrecognized_keys" }),
  amendCase("lines on a refresh", { kind: "refresh_expiry", ttlSeconds: 600, lines: [amendLine()] }, [["body", "lines"]], { detailCode: "unrecognized_keys" }),
  amendCase("ttlSeconds below the minimum", { kind: "refresh_expiry", ttlSeconds: TTL_SECONDS.soft.min - 1 }, [["body", "ttlSeconds"]]),
  amendCase("ttlSeconds above the hard maximum", { kind: "refresh_expiry", ttlSeconds: TTL_SECONDS.hard.max + 1 }, [["body", "ttlSeconds"]]),
  amendCase("missing ttlSeconds", { kind: "refresh_expiry" }, [["body", "ttlSeconds"]]),
  amendCase("move to the same location", { kind: "move_line", sku: "BAD-1", fromLocationId: "L1", toLocationId: "L1" }, [["body", "toLocationId"]]),
  amendCase("move without a destination", { kind: "move_line", sku: "BAD-1", fromLocationId: "L1" }, [["body", "toLocationId"]]),
  amendCase("unknown location on a line", change([amendLine({ locationId: "NOWHERE" })]), [["body", "lines", 0, "locationId"]], {
    detailCode: "unknown_location",
  }),
  amendCase("inactive location on a quantity change", change([amendLine({ locationId: "L3" })]), [["body", "lines", 0, "locationId"]], {
    detailCode: "location_inactive",
  }),
  amendCase("move to an unknown location", { kind: "move_line", sku: "BAD-1", fromLocationId: "L1", toLocationId: "NOWHERE" }, [["body", "toLocationId"]], {
    detailCode: "unknown_location",
  }),
  amendCase("move to an inactive location", { kind: "move_line", sku: "BAD-1", fromLocationId: "L1", toLocationId: "L3" }, [["body", "toLocationId"]], {
    detailCode: "location_inactive",
  }),
  amendCase("malformed JSON", undefined, undefined, { rawBody: '{"kind":', headers: { "content-type": "application/json" }, code: "malformed_json" }),
  amendCase("no key", change([amendLine()]), undefined, { key: undefined, status: 401, code: "unauthorized" }),
  amendCase("a vendor key", change([amendLine()]), undefined, { key: "vendor", status: 403, code: "forbidden" }),

  // --- GET /api/v2/reservations/{id} ---
  {
    name: "GET reservation: malformed id",
    method: "GET",
    path: "/api/v2/reservations/rsv_not-a-reservation",
    key: "checkout",
    status: 400,
    code: "invalid_request",
    paths: [["path", "id"]],
  },
  {
    name: "GET reservation: id with a bad shard",
    method: "GET",
    path: `/api/v2/reservations/rsv_zz${"a".repeat(26)}`,
    key: "operator",
    status: 400,
    code: "invalid_request",
    paths: [["path", "id"]],
  },

  // --- PUT /api/v2/skus/{sku} ---
  {
    name: "PUT sku: missing productId",
    method: "PUT",
    path: "/api/v2/skus/BAD-NEW",
    key: "operator",
    body: without(skuBody(), "productId"),
    status: 400,
    code: "invalid_request",
    paths: [["body", "productId"]],
  },
  {
    name: "PUT sku: softBufferPct 101",
    method: "PUT",
    path: "/api/v2/skus/BAD-1",
    key: "operator",
    body: skuBody({ productId: "P-BAD-1", softBufferPct: 101 }),
    status: 400,
    code: "invalid_request",
    paths: [["body", "softBufferPct"]],
  },
  {
    name: "PUT sku: unknown vendorId",
    method: "PUT",
    path: "/api/v2/skus/BAD-NEW",
    key: "operator",
    body: skuBody({ vendorId: "V9" }),
    status: 400,
    code: "invalid_request",
    paths: [["body", "vendorId"]],
    detailCode: "unknown_vendor",
  },
  {
    name: "PUT sku: product owned by another vendor",
    method: "PUT",
    path: "/api/v2/skus/BAD-NEW",
    key: "operator",
    body: skuBody({ vendorId: "V2", productId: "P-BAD-1" }),
    status: 400,
    code: "invalid_request",
    paths: [["body", "productId"]],
    detailCode: "product_vendor_mismatch",
  },
  {
    name: "PUT sku: invalid sku in path",
    method: "PUT",
    path: "/api/v2/skus/-leading-dash",
    key: "operator",
    body: skuBody(),
    status: 400,
    code: "invalid_request",
    paths: [["path", "sku"]],
  },

  // --- POST /api/v2/skus/batch ---
  {
    name: "SKU batch: 10,001 items",
    method: "POST",
    path: "/api/v2/skus/batch",
    key: "operator",
    body: { items: Array.from({ length: LIMITS.skuBatchMax + 1 }, (_, i) => batchItem(i)) },
    status: 400,
    code: "invalid_request",
    paths: [["body", "items"]],
  },
  {
    name: "SKU batch: duplicate skus",
    method: "POST",
    path: "/api/v2/skus/batch",
    key: "operator",
    body: { items: [batchItem(1), batchItem(2), batchItem(1)] },
    status: 400,
    code: "invalid_request",
    paths: [["body", "items", 2, "sku"]],
  },
  {
    name: "SKU batch: empty items",
    method: "POST",
    path: "/api/v2/skus/batch",
    key: "operator",
    body: { items: [] },
    status: 400,
    code: "invalid_request",
    paths: [["body", "items"]],
  },
  {
    name: "SKU batch: one unknown vendor fails the whole batch",
    method: "POST",
    path: "/api/v2/skus/batch",
    key: "operator",
    body: { items: [batchItem(1), { ...batchItem(2), vendorId: "V9", productId: "P-BATCH-V9" }] },
    status: 400,
    code: "invalid_request",
    paths: [["body", "items", 1, "vendorId"]],
    detailCode: "unknown_vendor",
  },

  {
    name: "SKU batch: two new SKUs claim one new product for different vendors",
    method: "POST",
    path: "/api/v2/skus/batch",
    key: "operator",
    body: {
      items: [
        { ...batchItem(1), productId: "P-SHARED" },
        { ...batchItem(2), productId: "P-SHARED", vendorId: "V2" },
      ],
    },
    status: 400,
    code: "invalid_request",
    paths: [["body", "items", 1, "productId"]],
    detailCode: "product_vendor_mismatch",
  },
  {
    name: "SKU batch: new SKU without vendorId (operator key)",
    method: "POST",
    path: "/api/v2/skus/batch",
    key: "operator",
    body: { items: [{ sku: "BATCH-NOV", productId: "P-BATCH", name: "No vendor" }] },
    status: 400,
    code: "invalid_request",
    paths: [["body", "items", 0, "vendorId"]],
    detailCode: "required",
  },
  {
    name: "SKU batch: items is not an array",
    method: "POST",
    path: "/api/v2/skus/batch",
    key: "operator",
    body: { items: "all of them" },
    status: 400,
    code: "invalid_request",
    paths: [["body", "items"]],
  },

  // --- PUT /api/v2/locations/{id} ---
  {
    name: "PUT location: latitude 91",
    method: "PUT",
    path: "/api/v2/locations/L-LYON",
    key: "operator",
    body: locationBody({ latitude: 91 }),
    status: 400,
    code: "invalid_request",
    paths: [["body", "latitude"]],
  },
  {
    name: 'PUT location: countryCode "fra"',
    method: "PUT",
    path: "/api/v2/locations/L-LYON",
    key: "operator",
    body: locationBody({ countryCode: "fra" }),
    status: 400,
    code: "invalid_request",
    paths: [["body", "countryCode"]],
  },
  {
    name: "PUT location: unknown type",
    method: "PUT",
    path: "/api/v2/locations/L1",
    key: "operator",
    body: locationBody({ type: "spaceport" }),
    status: 400,
    code: "invalid_request",
    paths: [["body", "type"]],
  },

  // --- POST /api/v2/api-keys and /api/v2/vendors ---
  {
    name: "POST api-keys: vendor scope without vendorId",
    method: "POST",
    path: "/api/v2/api-keys",
    key: "operator",
    body: { name: "feed", scope: "vendor" },
    status: 400,
    code: "invalid_request",
    paths: [["body", "vendorId"]],
  },
  {
    name: "POST api-keys: checkout scope with a vendorId",
    method: "POST",
    path: "/api/v2/api-keys",
    key: "operator",
    body: { name: "till", scope: "checkout", vendorId: "V1" },
    status: 400,
    code: "invalid_request",
    paths: [["body", "vendorId"]],
  },
  {
    name: "POST api-keys: unknown vendor",
    method: "POST",
    path: "/api/v2/api-keys",
    key: "operator",
    body: { name: "feed", scope: "vendor", vendorId: "V9" },
    status: 400,
    code: "invalid_request",
    paths: [["body", "vendorId"]],
    detailCode: "unknown_vendor",
  },
  {
    name: "POST api-keys: unknown scope",
    method: "POST",
    path: "/api/v2/api-keys",
    key: "operator",
    body: { name: "root", scope: "admin" },
    status: 400,
    code: "invalid_request",
    paths: [["body", "scope"]],
  },
  {
    name: "POST vendors: missing name",
    method: "POST",
    path: "/api/v2/vendors",
    key: "operator",
    body: { id: "V-NEW" },
    status: 400,
    code: "invalid_request",
    paths: [["body", "name"]],
  },
  { name: "unknown route", method: "POST", path: "/api/v2/inventory/reserve/now", key: "checkout", body: reserveBody(), status: 404, code: "route_not_found" },
];

let keys: Keys;
let idempotencySeq = 0;

/** Calls the Worker with a case's request. */
async function send(c: BadCase): Promise<ApiResponse> {
  const headers: Record<string, string> = { ...c.headers };
  const idempotencyKey = c.idempotencyKey === undefined ? (c.path === RESERVE ? `bad-input-${++idempotencySeq}` : undefined) : c.idempotencyKey;
  if (idempotencyKey !== undefined && idempotencyKey !== null) headers["idempotency-key"] = idempotencyKey;
  const key = c.key === undefined ? undefined : keys[c.key];
  if (c.streamBody === undefined) {
    return api(c.method, c.path, {
      key: key ?? null,
      headers,
      ...(c.rawBody !== undefined ? { rawBody: c.rawBody } : c.body !== undefined ? { body: c.body } : {}),
    });
  }
  // A stream body has no Content-Length, so only the limit applied while reading can catch it.
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  const bytes = c.streamBody;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < bytes.byteLength; i += 4096) controller.enqueue(bytes.slice(i, i + 4096));
      controller.close();
    },
  });
  const response = await exports.default.fetch(new Request(`http://inventory.test${c.path}`, { method: c.method, headers, body: stream }));
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}

interface World {
  skuObjects: string[];
  coordinators: string[];
  snapshot: unknown;
  ledgerLength: number;
  d1: unknown;
}

/** Everything a request that reached a Durable Object (or wrote master data) would change. */
async function observe(): Promise<World> {
  const ids = async (ns: DurableObjectNamespace<any>) => (await listDurableObjectIds(ns)).map((id) => id.toString()).sort();
  const table = async (sql: string) => (await env.DB.prepare(sql).all()).results;
  return {
    skuObjects: await ids(env.SKU_INVENTORY),
    coordinators: await ids(env.RESERVATION_COORDINATOR),
    snapshot: await skuObject("BAD-1").snapshot(),
    ledgerLength: (await skuObject("BAD-1").ledger(0, 1000)).length,
    d1: {
      vendors: await table("SELECT * FROM vendors ORDER BY id"),
      locations: await table("SELECT * FROM locations ORDER BY id"),
      products: await table("SELECT * FROM products ORDER BY id"),
      skuDirectory: await table("SELECT * FROM sku_directory ORDER BY sku"),
      skus: (await queryAllReadDbs<{ sku: string }>("SELECT * FROM skus")).sort((a, b) => (a.sku < b.sku ? -1 : 1)),
      apiKeys: await table("SELECT * FROM api_keys ORDER BY id"),
    },
  };
}

let before: World;

/** Asserts the response is the error envelope the case expects. */
function expectEnvelope(c: BadCase, res: ApiResponse): void {
  const shown = `${c.method} ${c.path} → ${res.status} ${JSON.stringify(res.body)?.slice(0, 600)}`;
  expect(res.status, shown).not.toBe(500);
  expect(res.status, shown).toBe(c.status);
  expect(res.headers.get("content-type"), shown).toMatch(/^application\/json/);
  expect(Object.keys(res.body ?? {}), shown).toEqual(["error"]);
  expect(Object.keys(res.body.error).sort(), shown).toEqual(["code", "details", "message"]);
  expect(typeof res.body.error.message, shown).toBe("string");
  expect(res.body.error.code, shown).toBe(c.code);
  expect(res.body.error.message.length, shown).toBeGreaterThan(0);
  if (c.paths === undefined) return;
  const details: { path: Path; message: string; code?: string }[] = res.body.error.details;
  expect(Array.isArray(details), shown).toBe(true);
  for (const d of details) {
    expect(["body", "query", "path", "headers"], shown).toContain(d.path[0]);
    expect(typeof d.message, shown).toBe("string");
  }
  for (const p of c.paths) {
    expect(
      details.map((d) => d.path),
      `${shown}\nexpected a detail at ${JSON.stringify(p)}`,
    ).toContainEqual(p);
  }
  if (c.detailCode !== undefined) {
    expect(details.find((d) => JSON.stringify(d.path) === JSON.stringify(c.paths![0]))?.code, shown).toBe(c.detailCode);
  }
}

describe("bad input is refused before any Durable Object", () => {
  beforeAll(async () => {
    keys = await seedBasics();
    await createSku("BAD-1");
    await createSku("BAD-DISC", { status: "discontinued" });
    await setOnHand(keys, "BAD-1", "L1", 50);
    await setOnHand(keys, "BAD-1", "L2", 5);
    before = await observe();
    expect(before.skuObjects).toHaveLength(1);
    expect(before.coordinators).toHaveLength(0);
    expect(before.ledgerLength).toBe(2);
  });

  it("has at least 35 cases with distinct names", () => {
    expect(CASES.length).toBeGreaterThanOrEqual(35);
    expect(new Set(CASES.map((c) => c.name)).size).toBe(CASES.length);
  });

  it.each(CASES.map((c) => [c.name, c] as const))("%s", async (_name, c) => {
    const res = await send(c);
    expectEnvelope(c, res);
    const after = await observe();
    if (c.checkedByObject !== undefined) {
      const checked = env.SKU_INVENTORY.idFromName(c.checkedByObject).toString();
      expect(after.skuObjects.filter((id) => !before.skuObjects.includes(id))).toEqual(before.skuObjects.includes(checked) ? [] : [checked]);
      expect(after.coordinators.length - before.coordinators.length).toBeLessThanOrEqual(1);
      expect(await skuObject(c.checkedByObject).ledger(0, 10)).toEqual([]);
      before = { ...before, skuObjects: after.skuObjects, coordinators: after.coordinators };
    }
    expect(after).toEqual(before);
  });

  it("positive control: a valid reservation on BAD-1 does change what the cases check", async () => {
    const res = await api("POST", RESERVE, { key: keys.checkout, idempotencyKey: "bad-input-control", body: reserveBody({ items: [line("BAD-1", 3)] }) });
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const after = await observe();
    expect(after.coordinators).toHaveLength(before.coordinators.length + 1);
    expect(after.snapshot).not.toEqual(before.snapshot);
    expect(after).not.toEqual(before);
    expect(() => expect(after).toEqual(before)).toThrow();
  });
});
