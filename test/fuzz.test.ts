/**
 * Property-based bad-input fuzzing (fast-check): generated malformed bodies, headers, query
 * strings and path segments against every endpoint. Properties: never a 5xx; every error is
 * the one envelope; an input error (400, 401, 403, 413, 415) changed no Durable Object —
 * none was created and the seeded SKU's counts and ledger are as they were.
 */
import { listDurableObjectIds } from "cloudflare:test";
import { env, exports } from "cloudflare:workers";
import fc from "fast-check";
import { beforeAll, describe, expect, it } from "vitest";
import { api, createSku, seedBasics, setOnHand, skuObject, type Keys } from "./support/fixtures";

let keys: Keys;
let reservationId: string;

beforeAll(async () => {
  keys = await seedBasics();
  await createSku("FZ-1");
  await setOnHand(keys, "FZ-1", "L1", 50);
  const res = await api("POST", "/api/v2/inventory/reserve", {
    key: keys.checkout,
    idempotencyKey: "fz-seed",
    body: { type: "soft", reference: "fz", items: [{ sku: "FZ-1", quantity: 1, locationId: "L1" }] },
  });
  reservationId = res.body.id;
});

type KeyName = keyof Keys | null;
interface Endpoint {
  method: string;
  path: (segment: string) => string;
  key: KeyName;
  /** A valid body to mutate, when the endpoint takes one. */
  valid?: () => Record<string, unknown>;
}

const ENDPOINTS: Endpoint[] = [
  {
    method: "POST",
    path: () => "/api/v2/inventory/reserve",
    key: "checkout",
    valid: () => ({ type: "hard", reference: "o", items: [{ sku: "FZ-1", quantity: 1, locationId: "L1" }] }),
  },
  { method: "POST", path: () => "/api/v2/inventory/release", key: "checkout", valid: () => ({ reservationId }) },
  { method: "POST", path: () => "/api/v2/inventory/commit", key: "checkout", valid: () => ({ reservationId }) },
  { method: "POST", path: () => "/api/v2/inventory/fulfil", key: "checkout", valid: () => ({ reservationId }) },
  { method: "POST", path: () => "/api/v2/inventory/promote", key: "checkout", valid: () => ({ reservationId }) },
  { method: "PATCH", path: (s) => `/api/v2/inventory/${s}`, key: "operator", valid: () => ({ locationId: "L1", delta: 1, reason: "restock" }) },
  { method: "GET", path: (s) => `/api/v2/inventory/${s}`, key: "operator" },
  { method: "GET", path: (s) => `/api/v2/inventory/${s}/ledger`, key: "operator" },
  { method: "GET", path: (s) => `/api/v2/reservations/${s}`, key: "checkout" },
  { method: "PUT", path: (s) => `/api/v2/skus/${s}`, key: "operator", valid: () => ({ productId: "P-FZ", name: "fz" }) },
  {
    method: "POST",
    path: () => "/api/v2/skus/batch",
    key: "operator",
    valid: () => ({ items: [{ sku: "FZ-NEW", vendorId: "V1", productId: "P-FZ", name: "fz" }] }),
  },
  {
    method: "PUT",
    path: (s) => `/api/v2/locations/${s}`,
    key: "operator",
    valid: () => ({ name: "x", type: "store", countryCode: "FR", city: "x", latitude: 1, longitude: 1 }),
  },
  { method: "POST", path: () => "/api/v2/vendors", key: "operator", valid: () => ({ name: "v" }) },
  { method: "POST", path: () => "/api/v2/api-keys", key: "operator", valid: () => ({ name: "k", scope: "checkout" }) },
  { method: "GET", path: (s) => `/api/v2/availability/${s}`, key: null },
  { method: "GET", path: () => "/api/v2/availability", key: null },
];

/** A malformed variant of a valid body: a field replaced, removed, added, or the whole thing garbage. */
const mutatedBody = (valid: Record<string, unknown>) =>
  fc.oneof(
    fc.record({ field: fc.constantFrom(...Object.keys(valid)), value: fc.anything() }).map(({ field, value }) => JSON.stringify({ ...valid, [field]: value })),
    fc.constantFrom(...Object.keys(valid)).map((field) => JSON.stringify({ ...valid, [field]: undefined })),
    fc
      .record({ extra: fc.string({ minLength: 1, maxLength: 12 }), value: fc.jsonValue() })
      .map(({ extra, value }) => JSON.stringify({ ...valid, [`x_${extra}`]: value })),
    fc.jsonValue().map((v) => JSON.stringify(v)),
    fc.string({ maxLength: 200 }),
    fc.constant(JSON.stringify(valid).slice(0, -1)),
  );

const segment = fc.oneof(
  fc.string({ minLength: 1, maxLength: 80 }),
  fc.constantFrom("FZ-1", "rsv_00aaaaaaaaaaaaaaaaaaaaaaaaaa", "..", "%2F", "%", "a".repeat(65), "L1"),
);
const headerValue = fc.string({ minLength: 0, maxLength: 140, unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)) });
const contentType = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-8",
  "text/plain",
  "",
  "application/x-www-form-urlencoded",
  "APPLICATION/JSON",
);
const query = fc.dictionary(fc.string({ minLength: 1, maxLength: 10 }), fc.string({ maxLength: 30 }), { maxKeys: 3 });
const authHeader = fc.oneof(
  fc.constant<string | null>(null),
  headerValue.map((v) => `Bearer ${v}`),
  headerValue.map((v) => v),
  fc.constant("Bearer eik_aaaaaaaaaaaa_" + "A".repeat(32)),
);

async function stateNow() {
  const [skus, coordinators, snapshot, ledger] = await Promise.all([
    listDurableObjectIds(env.SKU_INVENTORY),
    listDurableObjectIds(env.RESERVATION_COORDINATOR),
    skuObject("FZ-1").snapshot(),
    skuObject("FZ-1").ledger(0, 1000),
  ]);
  return JSON.stringify({
    skus: skus.map((i) => i.toString()).sort(),
    coordinators: coordinators.map((i) => i.toString()).sort(),
    snapshot,
    ledger: ledger.length,
  });
}

const INPUT_ERRORS = new Set([400, 401, 403, 413, 415]);

describe("fuzzing every endpoint with malformed input", () => {
  for (const endpoint of ENDPOINTS) {
    it(`${endpoint.method} ${endpoint.path("{x}")}`, async () => {
      const valid = endpoint.valid?.();
      await fc.assert(
        fc.asyncProperty(
          valid ? mutatedBody(valid) : fc.constant(undefined),
          segment,
          query,
          contentType,
          headerValue,
          fc.oneof(fc.constant<"right">("right"), authHeader),
          async (body, seg, params, type, idempotencyKey, auth) => {
            const search = new URLSearchParams(params).toString();
            const url = `http://inventory.test${endpoint.path(encodeURIComponent(seg))}${search ? `?${search}` : ""}`;
            const headers = new Headers();
            if (auth === "right") {
              if (endpoint.key) headers.set("authorization", `Bearer ${keys[endpoint.key]}`);
            } else if (auth !== null) headers.set("authorization", auth);
            if (type) headers.set("content-type", type);
            headers.set("idempotency-key", idempotencyKey);
            const before = await stateNow();
            const response = await exports.default.fetch(
              new Request(url, { method: endpoint.method, headers, ...(body !== undefined && endpoint.method !== "GET" ? { body } : {}) }),
            );
            const text = await response.text();
            expect(response.status, `${endpoint.method} ${url} → ${text}`).toBeLessThan(500);
            if (response.status >= 400) {
              const parsed = JSON.parse(text);
              expect(Object.keys(parsed)).toEqual(["error"]);
              expect(Object.keys(parsed.error).sort()).toEqual(["code", "details", "message"]);
              expect(typeof parsed.error.code).toBe("string");
              expect(parsed.error.message.length).toBeGreaterThan(0);
            }
            if (INPUT_ERRORS.has(response.status)) expect(await stateNow()).toBe(before);
          },
        ),
        { numRuns: 60, seed: 20261121 },
      );
    });
  }
});
