/**
 * Test fixtures: master data written straight into the test's D1, API keys for each
 * scope, and a small HTTP client that calls the Worker through `exports.default.fetch`.
 */
import { env, exports } from "cloudflare:workers";
import { generateApiKey, type Scope } from "../../domain/api-keys";
import { sha256Hex } from "../../domain/hashing";
import { readDbOfVendor } from "./read-model";

export interface Keys {
  checkout: string;
  operator: string;
  vendor: string;
  otherVendor: string;
}

async function insertKey(scope: Scope, vendorId: string | null): Promise<string> {
  const { id, key } = generateApiKey();
  await env.DB.prepare("INSERT INTO api_keys (id, name, scope, vendor_id, key_hash) VALUES (?, ?, ?, ?, ?)")
    .bind(id, `test ${scope}`, scope, vendorId, await sha256Hex(key))
    .run();
  return key;
}

/** Vendors V1 (read database READ_1) and V2 (READ_2), locations L1 (priority 10), L2 (priority 20), L3 (inactive), and a key per scope. */
export async function seedBasics(): Promise<Keys> {
  await env.DB.batch([
    // V1 in its home read database (READ_1 by the jump hash); V2 pinned to READ_2 (as the
    // re-partitioning procedure pins), so every test with both vendors spans two read databases.
    env.DB.prepare("INSERT OR IGNORE INTO vendors (id, name, read_partition) VALUES ('V1', 'Vendor One', NULL), ('V2', 'Vendor Two', 2)"),
    env.DB.prepare(
      `INSERT OR IGNORE INTO locations (id, name, type, country_code, city, latitude, longitude, can_ship, priority, active) VALUES
       ('L1', 'Paris FC', 'fulfillment_center', 'FR', 'Paris', 48.85, 2.35, 1, 10, 1),
       ('L2', 'Berlin FC', 'fulfillment_center', 'DE', 'Berlin', 52.52, 13.40, 1, 20, 1),
       ('L3', 'Closed FC', 'fulfillment_center', 'ES', 'Madrid', 40.41, -3.70, 1, 30, 0),
       ('L4', 'Pickup store', 'store', 'NL', 'Amsterdam', 52.37, 4.90, 0, 5, 1)`,
    ),
  ]);
  return {
    checkout: await insertKey("checkout", null),
    operator: await insertKey("operator", null),
    vendor: await insertKey("vendor", "V1"),
    otherVendor: await insertKey("vendor", "V2"),
  };
}

export interface SkuOptions {
  vendorId?: string;
  allowBackorder?: boolean;
  softBufferPct?: number;
  status?: "active" | "discontinued";
}

/**
 * Creates a SKU (and its product) owned by `vendorId` (default V1), where the system keeps
 * them (issue 19 item 3): the product and the SKU's directory entry in `DB`, the SKU's row in
 * its vendor's read database.
 */
export async function createSku(sku: string, options: SkuOptions = {}): Promise<void> {
  const vendorId = options.vendorId ?? "V1";
  await env.DB.batch([
    env.DB.prepare("INSERT OR IGNORE INTO products (id, vendor_id, name) VALUES (?, ?, ?)").bind(`P-${sku}`, vendorId, `Product ${sku}`),
    env.DB.prepare("INSERT INTO sku_directory (sku, vendor_id) VALUES (?, ?)").bind(sku, vendorId),
  ]);
  await (await readDbOfVendor(vendorId))
    .prepare("INSERT INTO skus (sku, product_id, vendor_id, name, allow_backorder, soft_buffer_pct, status) VALUES (?, ?, ?, ?, ?, ?, ?)")
    .bind(sku, `P-${sku}`, vendorId, `SKU ${sku}`, options.allowBackorder ? 1 : 0, options.softBufferPct ?? 10, options.status ?? "active")
    .run();
}

export interface CallOptions {
  key?: string | null;
  body?: unknown;
  /** Sent as-is instead of JSON. */
  rawBody?: string;
  headers?: Record<string, string>;
  idempotencyKey?: string;
}

export interface ApiResponse<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** Calls the Worker over its fetch handler, like a client would. */
export async function api<T = any>(method: string, path: string, options: CallOptions = {}): Promise<ApiResponse<T>> {
  const headers: Record<string, string> = { ...options.headers };
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.idempotencyKey !== undefined) headers["idempotency-key"] = options.idempotencyKey;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) {
    body = JSON.stringify(options.body);
    headers["content-type"] ??= "application/json";
  }
  const response = await exports.default.fetch(new Request(`http://inventory.test${path}`, { method, headers, ...(body !== undefined ? { body } : {}) }));
  const text = await response.text();
  return { status: response.status, body: (text ? JSON.parse(text) : null) as T, headers: response.headers };
}

/** Sets on-hand at a location through the API (operator key). */
export async function setOnHand(keys: Keys, sku: string, locationId: string, onHand: number): Promise<void> {
  const res = await api("PATCH", `/api/v2/inventory/${sku}`, {
    key: keys.operator,
    body: { locationId, onHand, reason: "initial" },
  });
  if (res.status !== 200) throw new Error(`setOnHand ${sku}@${locationId}: ${res.status} ${JSON.stringify(res.body)}`);
}

/** The SKU object's stub, for snapshots, ledger and invariant checks. */
export function skuObject(sku: string) {
  return env.SKU_INVENTORY.getByName(sku);
}

/** Asserts through the object itself that every invariant holds and the ledger replays. */
export async function expectConsistent(sku: string): Promise<void> {
  const report = await skuObject(sku).verify();
  if (!report.ok) throw new Error(`invariants broken for ${sku}: ${JSON.stringify(report.breaches)}`);
}
