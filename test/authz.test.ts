/**
 * The authorization matrix: every protected endpoint refuses a missing, malformed, unknown,
 * forged or revoked key with 401 (and a WWW-Authenticate challenge), the wrong scope with
 * 403, and a vendor reaching for another vendor's SKU with 403. A refused call changes
 * nothing: no Durable Object is created or touched (SKU snapshots, ledgers, the object id
 * lists) and no D1 row moves. Each endpoint ends with its positive control: the right key on
 * the same request succeeds (and, for writes, does change what the denials left untouched).
 */
import { listDurableObjectIds } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { generateApiKey, type Scope } from "../domain/api-keys";
import { sha256Hex } from "../domain/hashing";
import { api, createSku, seedBasics, setOnHand, skuObject, type ApiResponse, type Keys } from "./support/fixtures";
import { queryAllReadDbs } from "./support/read-model";

type KeyName = keyof Keys;
type Vars = Record<string, string>;

const SKUS = ["AZ-1", "AZ-2"] as const;

let keys: Keys;
/** An operator key revoked before it was ever used. */
let revokedOperatorKey: string;
let seq = 0;
const fresh = (prefix: string) => `${prefix}-${++seq}`;

/** Inserts an API key straight into D1, optionally already revoked. */
async function insertKey(scope: Scope, vendorId: string | null, revoked = false): Promise<string> {
  const { id, key } = generateApiKey();
  await env.DB.prepare("INSERT INTO api_keys (id, name, scope, vendor_id, key_hash, revoked_at) VALUES (?, ?, ?, ?, ?, ?)")
    .bind(id, `authz ${scope}`, scope, vendorId, await sha256Hex(key), revoked ? Date.now() : null)
    .run();
  return key;
}

/** The same key with its last secret character changed: right id, wrong secret. */
function forged(key: string): string {
  const last = key.at(-1) === "A" ? "B" : "A";
  return key.slice(0, -1) + last;
}

interface World {
  skuObjects: string[];
  coordinators: string[];
  skus: Record<string, { snapshot: unknown; ledgerLength: number }>;
  d1: Record<string, unknown>;
}

/** Everything a call that got past authentication could have changed. */
async function observe(): Promise<World> {
  const ids = async (ns: DurableObjectNamespace<any>) => (await listDurableObjectIds(ns)).map((id) => id.toString()).sort();
  const table = async (sql: string) => (await env.DB.prepare(sql).all()).results;
  const skus: World["skus"] = {};
  for (const sku of SKUS) {
    skus[sku] = { snapshot: await skuObject(sku).snapshot(), ledgerLength: (await skuObject(sku).ledger(0, 1000)).length };
  }
  return {
    skuObjects: await ids(env.SKU_INVENTORY),
    coordinators: await ids(env.RESERVATION_COORDINATOR),
    skus,
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

interface Call {
  method: string;
  path: string;
  body?: unknown;
  idempotencyKey?: string;
}

/** Sends a request with a raw Authorization header value (or none). */
function send(req: Call, authorization: string | null): Promise<ApiResponse> {
  return api(req.method, req.path, {
    key: null,
    headers: authorization === null ? {} : { authorization },
    ...(req.body !== undefined ? { body: req.body } : {}),
    ...(req.idempotencyKey !== undefined ? { idempotencyKey: req.idempotencyKey } : {}),
  });
}

function expectError(res: ApiResponse, status: number, code: string, what: string): void {
  const shown = `${what} → ${res.status} ${JSON.stringify(res.body)}`;
  expect(res.status, shown).toBe(status);
  expect(res.body?.error?.code, shown).toBe(code);
  expect(typeof res.body.error.message, shown).toBe("string");
  expect(res.body.error.message.length, shown).toBeGreaterThan(0);
  expect(Object.keys(res.body.error).sort(), shown).toEqual(["code", "details", "message"]);
}

/** Creates a reservation on AZ-1 through the API with the given key. */
async function reservation(key: KeyName, type: "soft" | "hard" = "hard"): Promise<string> {
  const res = await api("POST", "/api/v2/inventory/reserve", {
    key: keys[key],
    idempotencyKey: fresh("authz-setup"),
    body: { type, reference: fresh("order"), items: [{ sku: "AZ-1", quantity: 1 }] },
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body.id;
}

async function transitionAs(key: KeyName, op: string, reservationId: string): Promise<void> {
  const res = await api("POST", `/api/v2/inventory/${op}`, { key: keys[key], body: { reservationId } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
}

interface Endpoint {
  name: string;
  /** Creates what the request needs (e.g. a reservation to act on). */
  prepare?: () => Promise<Vars>;
  request: (v: Vars) => Call;
  /** Keys of the wrong scope or the wrong vendor, each refused with 403. */
  forbidden: { key: KeyName; why: string }[];
  /** Keys that succeed on the same request, called in this order after every denial. */
  allowed: KeyName[];
  okStatus: number;
  /** Whether the successful call changes stock or master data. */
  mutates: boolean;
}

const skuRename = () => ({ productId: "P-AZ-1", name: fresh("AZ-1 renamed") });
const lyon = () => ({ name: fresh("Lyon FC"), type: "warehouse", countryCode: "FR", city: "Lyon", latitude: 45.76, longitude: 4.84 });

const ENDPOINTS: Endpoint[] = [
  {
    name: "GET /api/v2/inventory/{sku}",
    request: () => ({ method: "GET", path: "/api/v2/inventory/AZ-1" }),
    forbidden: [
      { key: "checkout", why: "checkout scope" },
      { key: "otherVendor", why: "V2 on V1's SKU" },
    ],
    allowed: ["vendor", "operator"],
    okStatus: 200,
    mutates: false,
  },
  {
    name: "PATCH /api/v2/inventory/{sku}",
    request: () => ({
      method: "PATCH",
      path: "/api/v2/inventory/AZ-1",
      body: { locationId: "L1", delta: 2, reason: "restock" },
      idempotencyKey: fresh("authz-patch"),
    }),
    forbidden: [
      { key: "checkout", why: "checkout scope" },
      { key: "otherVendor", why: "V2 on V1's SKU" },
    ],
    allowed: ["vendor"],
    okStatus: 200,
    mutates: true,
  },
  {
    name: "POST /api/v2/inventory/reserve",
    request: () => ({
      method: "POST",
      path: "/api/v2/inventory/reserve",
      body: { type: "hard", reference: fresh("order"), items: [{ sku: "AZ-1", quantity: 1 }] },
      idempotencyKey: fresh("authz-reserve"),
    }),
    forbidden: [
      { key: "vendor", why: "vendor scope" },
      { key: "otherVendor", why: "vendor scope" },
    ],
    allowed: ["checkout"],
    okStatus: 201,
    mutates: true,
  },
  {
    name: "POST /api/v2/inventory/release (operator releases a checkout reservation)",
    prepare: async () => ({ rid: await reservation("checkout") }),
    request: (v) => ({ method: "POST", path: "/api/v2/inventory/release", body: { reservationId: v.rid } }),
    forbidden: [{ key: "vendor", why: "vendor scope" }],
    allowed: ["operator"],
    okStatus: 200,
    mutates: true,
  },
  {
    name: "POST /api/v2/inventory/commit",
    prepare: async () => ({ rid: await reservation("checkout") }),
    request: (v) => ({ method: "POST", path: "/api/v2/inventory/commit", body: { reservationId: v.rid } }),
    forbidden: [{ key: "vendor", why: "vendor scope" }],
    allowed: ["checkout"],
    okStatus: 200,
    mutates: true,
  },
  {
    name: "POST /api/v2/inventory/fulfil",
    prepare: async () => {
      const rid = await reservation("checkout");
      await transitionAs("checkout", "commit", rid);
      return { rid };
    },
    request: (v) => ({ method: "POST", path: "/api/v2/inventory/fulfil", body: { reservationId: v.rid } }),
    forbidden: [{ key: "vendor", why: "vendor scope" }],
    allowed: ["checkout"],
    okStatus: 200,
    mutates: true,
  },
  {
    name: "POST /api/v2/inventory/promote",
    prepare: async () => ({ rid: await reservation("checkout", "soft") }),
    request: (v) => ({ method: "POST", path: "/api/v2/inventory/promote", body: { reservationId: v.rid } }),
    forbidden: [{ key: "vendor", why: "vendor scope" }],
    allowed: ["checkout"],
    okStatus: 200,
    mutates: true,
  },
  {
    name: "GET /api/v2/reservations/{id} (owner and operator)",
    prepare: async () => ({ rid: await reservation("checkout") }),
    request: (v) => ({ method: "GET", path: `/api/v2/reservations/${v.rid}` }),
    forbidden: [
      { key: "vendor", why: "vendor scope" },
      { key: "otherVendor", why: "vendor scope" },
    ],
    allowed: ["checkout", "operator"],
    okStatus: 200,
    mutates: false,
  },
  {
    name: "PUT /api/v2/skus/{sku}",
    request: () => ({ method: "PUT", path: "/api/v2/skus/AZ-1", body: skuRename() }),
    forbidden: [
      { key: "checkout", why: "checkout scope" },
      { key: "otherVendor", why: "V2 on V1's SKU" },
    ],
    allowed: ["vendor"],
    okStatus: 200,
    mutates: true,
  },
  {
    name: "GET /api/v2/skus/{sku}",
    request: () => ({ method: "GET", path: "/api/v2/skus/AZ-1" }),
    forbidden: [
      { key: "checkout", why: "checkout scope" },
      { key: "otherVendor", why: "V2 on V1's SKU" },
    ],
    allowed: ["vendor", "operator"],
    okStatus: 200,
    mutates: false,
  },
  {
    name: "POST /api/v2/skus/batch (V2's own SKU plus V1's)",
    request: () => ({
      method: "POST",
      path: "/api/v2/skus/batch",
      body: {
        items: [
          { sku: "AZ-2", productId: "P-AZ-2", name: fresh("AZ-2 renamed") },
          { sku: "AZ-1", ...skuRename() },
        ],
      },
    }),
    forbidden: [
      { key: "checkout", why: "checkout scope" },
      { key: "otherVendor", why: "V2's batch touches V1's SKU (all or none: AZ-2 stays as it was too)" },
      { key: "vendor", why: "V1's batch touches V2's SKU" },
    ],
    allowed: ["operator"],
    okStatus: 200,
    mutates: true,
  },
  {
    name: "PUT /api/v2/locations/{id}",
    request: () => ({ method: "PUT", path: "/api/v2/locations/L-AZ", body: lyon() }),
    forbidden: [
      { key: "checkout", why: "checkout scope" },
      { key: "vendor", why: "vendor scope" },
    ],
    allowed: ["operator"],
    okStatus: 201,
    mutates: true,
  },
  {
    name: "GET /api/v2/locations",
    request: () => ({ method: "GET", path: "/api/v2/locations" }),
    forbidden: [],
    allowed: ["checkout", "vendor", "otherVendor", "operator"],
    okStatus: 200,
    mutates: false,
  },
  {
    name: "POST /api/v2/vendors",
    request: () => ({ method: "POST", path: "/api/v2/vendors", body: { id: fresh("V-AZ"), name: "Vendor AZ" } }),
    forbidden: [
      { key: "checkout", why: "checkout scope" },
      { key: "vendor", why: "vendor scope" },
    ],
    allowed: ["operator"],
    okStatus: 201,
    mutates: true,
  },
  {
    name: "GET /api/v2/vendors/{id}",
    request: () => ({ method: "GET", path: "/api/v2/vendors/V1" }),
    forbidden: [
      { key: "checkout", why: "checkout scope" },
      { key: "vendor", why: "vendor scope, even for its own vendor" },
    ],
    allowed: ["operator"],
    okStatus: 200,
    mutates: false,
  },
  {
    name: "POST /api/v2/api-keys",
    request: () => ({ method: "POST", path: "/api/v2/api-keys", body: { name: fresh("feed"), scope: "vendor", vendorId: "V1" } }),
    forbidden: [
      { key: "vendor", why: "a vendor may not mint keys, even for itself" },
      { key: "checkout", why: "checkout scope" },
    ],
    allowed: ["operator"],
    okStatus: 201,
    mutates: true,
  },
];

describe("authorization matrix", () => {
  beforeAll(async () => {
    keys = await seedBasics();
    revokedOperatorKey = await insertKey("operator", null, true);
    await createSku("AZ-1");
    await createSku("AZ-2", { vendorId: "V2" });
    await setOnHand(keys, "AZ-1", "L1", 100);
    await setOnHand(keys, "AZ-2", "L1", 10);
  });

  it.each(ENDPOINTS.map((e) => [e.name, e] as const))("%s", async (_name, e) => {
    const vars = (await e.prepare?.()) ?? {};
    const req = e.request(vars);
    const what = `${req.method} ${req.path}`;
    const before = await observe();

    const unauthenticated: [string, string | null][] = [
      ["no Authorization header", null],
      ["Bearer garbage", "Bearer garbage"],
      ["empty Bearer", "Bearer "],
      ["Basic credentials", `Basic ${btoa("operator:secret")}`],
      ["well-formed unknown key", `Bearer eik_unknownkey01_${"A1b2C3d4".repeat(4)}`],
      ["known key id, wrong secret", `Bearer ${forged(keys.operator)}`],
      ["revoked key", `Bearer ${revokedOperatorKey}`],
    ];
    for (const [label, authorization] of unauthenticated) {
      const res = await send(req, authorization);
      expectError(res, 401, "unauthorized", `${what} with ${label}`);
      expect(res.headers.get("www-authenticate"), `${what} with ${label}`).toMatch(/^Bearer\b/);
      expect(await observe(), `${what} with ${label} changed something`).toEqual(before);
    }

    for (const { key, why } of e.forbidden) {
      const res = await send(req, `Bearer ${keys[key]}`);
      expectError(res, 403, "forbidden", `${what} as ${key} (${why})`);
      expect(await observe(), `${what} as ${key} changed something`).toEqual(before);
    }

    for (const key of e.allowed) {
      const res = await send(req, `Bearer ${keys[key]}`);
      expect(res.status, `${what} as ${key} → ${JSON.stringify(res.body)}`).toBe(e.okStatus);
      // The denied calls carried the same Idempotency-Key: had one registered, this would be a replay.
      expect(res.headers.get("idempotent-replayed")).toBeNull();
    }
    const after = await observe();
    if (e.mutates) expect(after, `${what}: the positive control should change state`).not.toEqual(before);
    else expect(after).toEqual(before);
  });
});

describe("authorization: reservations and vendors", () => {
  beforeAll(async () => {
    keys = await seedBasics();
  });

  it("checkout cannot see or release an operator's reservation; the operator can", async () => {
    const rid = await reservation("operator");
    const before = await observe();
    const get = await api("GET", `/api/v2/reservations/${rid}`, { key: keys.checkout });
    expectError(get, 404, "reservation_not_found", "checkout GET of an operator reservation");
    const release = await api("POST", "/api/v2/inventory/release", { key: keys.checkout, body: { reservationId: rid } });
    expectError(release, 404, "reservation_not_found", "checkout release of an operator reservation");
    expect(await observe()).toEqual(before);

    const own = await api("GET", `/api/v2/reservations/${rid}`, { key: keys.operator });
    expect(own.status).toBe(200);
    expect(own.body.status).toBe("active");
    await transitionAs("operator", "release", rid);
    expect(await observe()).not.toEqual(before);
  });

  it("a vendor cannot create a SKU for another vendor or take over another vendor's SKU", async () => {
    const before = await observe();
    const create = await api("PUT", "/api/v2/skus/AZ-NEW", { key: keys.vendor, body: { vendorId: "V2", productId: "P-AZ-NEW", name: "Not mine" } });
    expectError(create, 403, "forbidden", "V1 creating a SKU for V2");
    const takeOver = await api("PUT", "/api/v2/skus/AZ-2", { key: keys.vendor, body: { vendorId: "V1", productId: "P-AZ-2", name: "Mine now" } });
    expectError(takeOver, 403, "forbidden", "V1 claiming V2's SKU");
    const patch = await api("PATCH", "/api/v2/inventory/AZ-2", { key: keys.vendor, body: { locationId: "L1", onHand: 0, reason: "correction" } });
    expectError(patch, 403, "forbidden", "V1 zeroing V2's stock");
    expect(await observe()).toEqual(before);

    // Positive control: V1 may create its own SKU with the same request shape.
    const own = await api("PUT", "/api/v2/skus/AZ-NEW", { key: keys.vendor, body: { productId: "P-AZ-NEW", name: "Mine" } });
    expect(own.status, JSON.stringify(own.body)).toBe(201);
    expect(own.body.vendorId).toBe("V1");
  });
});

describe("authorization: key lifecycle", () => {
  beforeAll(async () => {
    keys = await seedBasics();
  });

  it("a key revoked before its first use is refused; an identical fresh key works", async () => {
    const revoked = await insertKey("checkout", null);
    await env.DB.prepare("UPDATE api_keys SET revoked_at = ? WHERE key_hash = ?")
      .bind(Date.now(), await sha256Hex(revoked))
      .run();
    const live = await insertKey("checkout", null);
    const body = { type: "hard", reference: "revoked-order", items: [{ sku: "AZ-1", quantity: 1 }] };
    const before = await observe();

    const denied = await api("POST", "/api/v2/inventory/reserve", { key: revoked, idempotencyKey: "revoked-1", body });
    expectError(denied, 401, "unauthorized", "reserve with a revoked key");
    expect(denied.headers.get("www-authenticate")).toMatch(/^Bearer\b/);
    expect(await observe()).toEqual(before);

    const ok = await api("POST", "/api/v2/inventory/reserve", { key: live, idempotencyKey: "revoked-1", body });
    expect(ok.status, JSON.stringify(ok.body)).toBe(201);
    expect(ok.headers.get("idempotent-replayed")).toBeNull();
    expect(await observe()).not.toEqual(before);
  });

  it("a key minted through the API works at once and only for its scope", async () => {
    const minted = await api("POST", "/api/v2/api-keys", { key: keys.operator, body: { name: "feed V1", scope: "vendor", vendorId: "V1" } });
    expect(minted.status).toBe(201);
    expect(minted.headers.get("cache-control")).toBe("no-store");
    const key: string = minted.body.key;
    expect((await api("GET", "/api/v2/inventory/AZ-1", { key })).status).toBe(200);
    expectError(await api("GET", "/api/v2/inventory/AZ-2", { key }), 403, "forbidden", "minted V1 key on V2's SKU");
    const reserve = await api("POST", "/api/v2/inventory/reserve", {
      key,
      idempotencyKey: "minted-1",
      body: { type: "hard", reference: "o", items: [{ sku: "AZ-1", quantity: 1 }] },
    });
    expectError(reserve, 403, "forbidden", "minted vendor key on reserve");
  });

  // RFC 7235 §2.1: the auth-scheme token is case-insensitive, so "bearer" must work like "Bearer".
  it("accepts the Bearer scheme in any case", async () => {
    const res = await api("GET", "/api/v2/inventory/AZ-1", { key: null, headers: { authorization: `bearer ${keys.operator}` } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });
});

describe("authorization: suspended vendors", () => {
  // d1/schema.ts: "`status = suspended` blocks their keys' writes."
  let suspendedKey: string;

  beforeAll(async () => {
    keys = await seedBasics();
    await env.DB.prepare("INSERT OR IGNORE INTO vendors (id, name, status) VALUES ('V3', 'Vendor Three', 'suspended')").run();
    suspendedKey = await insertKey("vendor", "V3");
    await createSku("AZ-3", { vendorId: "V3" });
  });

  it("a suspended vendor's key cannot change stock or master data; reactivated, it can", async () => {
    const before = await observe();
    const patchBody = { locationId: "L1", onHand: 5, reason: "initial" };
    const patch = await api("PATCH", "/api/v2/inventory/AZ-3", { key: suspendedKey, body: patchBody });
    expectError(patch, 403, "vendor_suspended", "suspended vendor PATCH inventory");
    const put = await api("PUT", "/api/v2/skus/AZ-3", { key: suspendedKey, body: { productId: "P-AZ-3", name: "Renamed while suspended" } });
    expectError(put, 403, "vendor_suspended", "suspended vendor PUT sku");
    const batch = await api("POST", "/api/v2/skus/batch", {
      key: suspendedKey,
      body: { items: [{ sku: "AZ-3b", productId: "P-AZ-3", name: "New while suspended" }] },
    });
    expectError(batch, 403, "vendor_suspended", "suspended vendor SKU batch");
    // observe() covers the D1 skus/products rows and every Durable Object id: AZ-3 has none yet.
    expect(await observe()).toEqual(before);

    // Positive control: the same key and request work once the vendor is active again.
    await env.DB.prepare("UPDATE vendors SET status = 'active' WHERE id = 'V3'").run();
    const ok = await api("PATCH", "/api/v2/inventory/AZ-3", { key: suspendedKey, body: patchBody });
    expect(ok.status, JSON.stringify(ok.body)).toBe(200);
    expect(await observe()).not.toEqual(before);
  });
});
