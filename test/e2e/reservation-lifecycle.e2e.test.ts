/**
 * End to end, through a real `wrangler dev` (workerd, D1, Durable Objects persisted to disk):
 * master data → stock → hard reservation → commit → fulfil, then a restart on the same state
 * folder must keep every count and the reservation's final status.
 */
import { randomUUID } from "node:crypto";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { prepareState, startWorker, type DemoKeys, type WorkerHandle } from "../../scripts/local-stack.mjs";

const VENDOR = "V-E2E";
const LOCATION = "FC-E2E-1";
const SKU = "E2E-LIFECYCLE-0001";

let stateDir = "";
let keys: DemoKeys;
let worker: WorkerHandle | null = null;

interface Reply {
  status: number;
  body: any;
  headers: Headers;
}

async function call(key: string | null, method: string, path: string, body?: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  if (worker === null) throw new Error("worker is not running");
  const res = await fetch(`${worker.url}${path}`, {
    method,
    headers: {
      ...(key !== null ? { authorization: `Bearer ${key}` } : {}),
      ...(body !== undefined ? { "content-type": "application/json" } : {}),
      ...headers,
    },
    body: body !== undefined ? JSON.stringify(body) : undefined,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  let json: any = null;
  try {
    json = text === "" ? null : JSON.parse(text);
  } catch {
    json = text;
  }
  return { status: res.status, body: json, headers: res.headers };
}

/** Fails with the response body in the message, which is what one wants to see in CI. */
function expectStatus(reply: Reply, status: number): void {
  expect(reply.status, JSON.stringify(reply.body)).toBe(status);
}

const zeroCounts = {
  onHand: 0,
  reserved: 0,
  softHeld: 0,
  committed: 0,
  inTransit: 0,
  damaged: 0,
  onHold: 0,
  available: 0,
};

async function inventory(): Promise<any> {
  const reply = await call(keys.operator, "GET", `/api/v2/inventory/${SKU}`);
  expectStatus(reply, 200);
  return reply.body;
}

async function start(): Promise<void> {
  worker = await startWorker({ stateDir });
}

async function stop(): Promise<void> {
  const w = worker;
  worker = null;
  await w?.stop();
}

beforeAll(async () => {
  stateDir = await mkdtemp(join(tmpdir(), "edge-inventory-e2e-"));
  ({ keys } = await prepareState(stateDir));
  await start();
});

afterAll(async () => {
  try {
    await stop();
  } finally {
    if (stateDir !== "") await rm(stateDir, { recursive: true, force: true });
  }
});

// When a test fails, show what wrangler said (uncaught exceptions, warnings).
beforeEach(({ onTestFailed }) => {
  onTestFailed(() => {
    const output = worker?.output().trim();
    if (output) console.error(`--- wrangler dev output ---\n${output}`);
  });
});

describe("reservation lifecycle against wrangler dev", () => {
  let reservationId = "";
  let fulfilled: any;

  test("health check answers without a key", async () => {
    const reply = await call(null, "GET", "/healthz");
    expectStatus(reply, 200);
    expect(reply.body).toEqual({ ok: true });
  });

  test("operator creates a vendor, a location and a SKU, and sets stock to 10", async () => {
    const vendor = await call(keys.operator, "POST", "/api/v2/vendors", { id: VENDOR, name: "E2E Outfitters" });
    expectStatus(vendor, 201);
    expect(vendor.body).toMatchObject({ id: VENDOR, name: "E2E Outfitters", status: "active" });

    const again = await call(keys.operator, "POST", "/api/v2/vendors", { id: VENDOR, name: "E2E Outfitters" });
    expectStatus(again, 409);
    expect(again.body.error.code).toBe("already_exists");

    const location = {
      name: "E2E Fulfilment Centre",
      type: "fulfillment_center",
      countryCode: "FR",
      city: "Paris",
      latitude: 48.8566,
      longitude: 2.3522,
      canShip: true,
      priority: 10,
    };
    const loc = await call(keys.operator, "PUT", `/api/v2/locations/${LOCATION}`, location);
    expectStatus(loc, 201);
    expect(loc.body).toMatchObject({ id: LOCATION, ...location });

    const sku = await call(keys.operator, "PUT", `/api/v2/skus/${SKU}`, {
      vendorId: VENDOR,
      productId: "P-E2E-0001",
      productName: "E2E Tent",
      name: "E2E Tent – Green",
      reorderPoint: 2,
    });
    expectStatus(sku, 201);

    const stock = await call(
      keys.operator,
      "PATCH",
      `/api/v2/inventory/${SKU}`,
      { locationId: LOCATION, onHand: 10, reason: "initial" },
      { "idempotency-key": `e2e-initial-${SKU}` },
    );
    expectStatus(stock, 200);
    expect(stock.body).toMatchObject({
      sku: SKU,
      level: { ...zeroCounts, locationId: LOCATION, onHand: 10, available: 10 },
      replayed: false,
    });

    const inv = await inventory();
    expect(inv).toMatchObject({ sku: SKU, vendorId: VENDOR });
    expect(inv.totals).toEqual({ ...zeroCounts, onHand: 10, available: 10 });
  });

  test("checkout reserves 3 (hard), commits and fulfils; counts follow each step", async () => {
    const idempotencyKey = `e2e-${randomUUID()}`;
    const request = { type: "hard", reference: "order-e2e-1", items: [{ sku: SKU, quantity: 3 }] };
    const before = Date.now();

    const reserved = await call(keys.checkout, "POST", "/api/v2/inventory/reserve", request, {
      "idempotency-key": idempotencyKey,
    });
    expectStatus(reserved, 201);
    expect(reserved.body).toMatchObject({
      type: "hard",
      status: "active",
      reference: "order-e2e-1",
      lines: [{ sku: SKU, locationId: LOCATION, quantity: 3, backordered: 0 }],
    });
    expect(reserved.body.lines).toHaveLength(1);
    reservationId = reserved.body.id;
    expect(reservationId).toEqual(expect.any(String));
    // Hard reservations hold for 48 h by default.
    const expiresAt = Date.parse(reserved.body.expiresAt);
    expect(expiresAt).toBeGreaterThanOrEqual(before + 48 * 3600_000 - 60_000);
    expect(expiresAt).toBeLessThanOrEqual(Date.now() + 48 * 3600_000 + 60_000);

    let inv = await inventory();
    expect(inv.totals).toEqual({ ...zeroCounts, onHand: 10, reserved: 3, available: 7 });
    expect(inv.reservations.activeHard).toEqual({ count: 1, units: 3 });

    // A retry with the same Idempotency-Key returns the first answer and changes nothing.
    const retry = await call(keys.checkout, "POST", "/api/v2/inventory/reserve", request, {
      "idempotency-key": idempotencyKey,
    });
    expectStatus(retry, 201);
    expect(retry.body.id).toBe(reservationId);
    expect((await inventory()).totals).toEqual(inv.totals);

    const committed = await call(keys.checkout, "POST", "/api/v2/inventory/commit", { reservationId });
    expectStatus(committed, 200);
    expect(committed.body).toMatchObject({ id: reservationId, type: "hard", status: "committed" });

    inv = await inventory();
    expect(inv.totals).toEqual({ ...zeroCounts, onHand: 10, committed: 3, available: 7 });
    expect(inv.reservations.committed).toEqual({ count: 1, units: 3 });
    expect(inv.reservations.activeHard).toEqual({ count: 0, units: 0 });

    const shipped = await call(keys.checkout, "POST", "/api/v2/inventory/fulfil", { reservationId });
    expectStatus(shipped, 200);
    expect(shipped.body).toMatchObject({ id: reservationId, type: "hard", status: "fulfilled" });
    fulfilled = shipped.body;

    inv = await inventory();
    expect(inv.totals).toEqual({ ...zeroCounts, onHand: 7, available: 7 });
    expect(inv.locations).toHaveLength(1);
    expect(inv.locations[0]).toMatchObject({ ...zeroCounts, locationId: LOCATION, onHand: 7, available: 7 });
    expect(inv.reservations).toEqual({
      activeSoft: { count: 0, units: 0 },
      activeHard: { count: 0, units: 0 },
      committed: { count: 0, units: 0 },
    });

    const read = await call(keys.checkout, "GET", `/api/v2/reservations/${reservationId}`);
    expectStatus(read, 200);
    expect(read.body).toEqual(fulfilled);
  });

  test("a restart on the same state folder keeps the reservation and the counts", async () => {
    expect(reservationId).not.toBe("");
    const first = worker!;
    await stop();
    // wrangler (and its workerd children) are gone: the old port no longer answers.
    await expect(fetch(`${first.url}/healthz`, { signal: AbortSignal.timeout(2_000) })).rejects.toThrow();

    await start();
    expect(worker!.url).not.toBe(first.url);

    const read = await call(keys.checkout, "GET", `/api/v2/reservations/${reservationId}`);
    expectStatus(read, 200);
    expect(read.body).toEqual(fulfilled);
    expect(read.body.status).toBe("fulfilled");

    let inv = await inventory();
    expect(inv.totals).toEqual({ ...zeroCounts, onHand: 7, available: 7 });

    // The restarted stack takes new reservations against the persisted stock.
    const second = await call(
      keys.checkout,
      "POST",
      "/api/v2/inventory/reserve",
      { type: "hard", reference: "order-e2e-2", items: [{ sku: SKU, quantity: 2 }] },
      { "idempotency-key": `e2e-${randomUUID()}` },
    );
    expectStatus(second, 201);
    expect(second.body).toMatchObject({
      type: "hard",
      status: "active",
      reference: "order-e2e-2",
      lines: [{ sku: SKU, locationId: LOCATION, quantity: 2, backordered: 0 }],
    });
    expect(second.body.id).not.toBe(reservationId);

    inv = await inventory();
    expect(inv.totals).toEqual({ ...zeroCounts, onHand: 7, reserved: 2, available: 5 });

    const released = await call(keys.checkout, "POST", "/api/v2/inventory/release", { reservationId: second.body.id });
    expectStatus(released, 200);
    expect(released.body).toMatchObject({ id: second.body.id, status: "released" });

    inv = await inventory();
    expect(inv.totals).toEqual({ ...zeroCounts, onHand: 7, available: 7 });
  });
});
