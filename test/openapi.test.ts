/**
 * The OpenAPI document is the app's route table, and the app does what it says:
 * - every route the Hono app serves is in the document with its method and path, and the
 *   document lists nothing the app does not serve;
 * - each operation's scopes are the ones the middleware enforces: probed with a key of every
 *   scope and with none, a documented scope gets past authentication and every other scope is
 *   refused with 403 (and no key with 401, on every operation that has scopes);
 * - each documented body limit is the one enforced: a body one byte over it is a 413 naming it;
 * - `/api/v2/docs` is a self-contained page: no external script, style or font, and a policy
 *   that lets it reach its own origin only.
 */
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import type { Scope } from "../domain/api-keys";
import { app } from "../workers/app";
import { api, seedBasics, type Keys } from "./support/fixtures";

const SCOPES: Scope[] = ["operator", "vendor", "checkout"];
const METHODS = ["get", "put", "post", "patch", "delete"];

interface Operation {
  summary: string;
  security: unknown[];
  "x-scopes": Scope[];
  "x-max-body-bytes"?: number;
  parameters: { name: string; in: string; required: boolean }[];
  requestBody?: { required: boolean; content: Record<string, unknown> };
  responses: Record<string, unknown>;
}

interface Documented {
  method: string;
  path: string;
  op: Operation;
}

let keys: Keys;
let documented: Documented[];

beforeAll(async () => {
  keys = await seedBasics();
  const res = await api("GET", "/api/v2/openapi.json");
  expect(res.status).toBe(200);
  documented = [];
  for (const [path, item] of Object.entries(res.body.paths as Record<string, Record<string, Operation>>)) {
    for (const [method, op] of Object.entries(item)) if (METHODS.includes(method)) documented.push({ method: method.toUpperCase(), path, op });
  }
});

/** The app's routes as "METHOD /path/{param}", handlers only (no middleware, no HEAD/OPTIONS). */
function appRoutes(): string[] {
  const routes = new Set<string>();
  for (const r of app.routes) {
    if (r.method === "ALL" || r.method === "OPTIONS" || r.method === "HEAD") continue;
    // Middleware registered with app.use has method ALL; a handler's path has no wildcard.
    if (r.path.includes("*")) continue;
    const path = r.path.replace(/\/$/, "").replace(/:([A-Za-z0-9_]+)(\{[^}]*\})?/g, "{$1}") || "/";
    routes.add(`${r.method} ${path}`);
  }
  return [...routes].sort();
}

/** A concrete URL for a documented path; any value will do, authentication runs before validation. */
const urlOf = (path: string) => path.replace(/\{[^}]+\}/g, "PROBE-1");

async function send(method: string, path: string, init: { key?: string; headers?: Record<string, string>; body?: string } = {}): Promise<Response> {
  const headers: Record<string, string> = { ...init.headers };
  if (init.key !== undefined) headers.authorization = `Bearer ${init.key}`;
  return exports.default.fetch(new Request(`http://inventory.test${path}`, { method, headers, ...(init.body !== undefined ? { body: init.body } : {}) }));
}

const keyOf = (scope: Scope) => keys[scope];

/** The refusal `authenticate` answers to a key of the wrong scope. */
function isScopeRefusal(status: number, body: { error?: { code?: string; message?: string } } | null): boolean {
  return status === 403 && body?.error?.code === "forbidden" && (body.error.message ?? "").startsWith("this endpoint needs a ");
}

async function bodyOf(res: Response): Promise<{ error?: { code?: string; message?: string; details?: unknown } } | null> {
  const text = await res.text();
  return res.headers.get("content-type")?.includes("json") && text ? JSON.parse(text) : null;
}

describe("openapi", () => {
  it("describes the reserve endpoint with its validated body and required Idempotency-Key", async () => {
    const res = await api("GET", "/api/v2/openapi.json");
    expect(res.status).toBe(200);
    const reserve = res.body.paths["/api/v2/inventory/reserve"].post;
    expect(reserve.parameters).toContainEqual(expect.objectContaining({ name: "Idempotency-Key", in: "header", required: true }));
    const schema = reserve.requestBody.content["application/json"].schema;
    expect(schema.required).toEqual(expect.arrayContaining(["type", "reference", "items"]));
    expect(schema.properties.items.maxItems).toBe(100);
    expect(schema.properties.items.items.properties.quantity).toMatchObject({ minimum: 1, maximum: 1_000_000 });
    expect(reserve["x-scopes"]).toEqual(["checkout", "operator"]);
    expect(reserve["x-max-body-bytes"]).toBe(64 * 1024);
    const list = res.body.paths["/api/v2/inventory"].get;
    expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(["cursor", "limit", "status", "skuPrefix"]));
    expect(res.body.paths["/api/v2/availability/{sku}"].get.security).toEqual([]);
    expect(res.body.paths["/healthz"].get.security).toEqual([]);
    // A step that takes no body, or a small one.
    expect(res.body.paths["/api/v2/purchase-orders/{id}/submit"].post.requestBody.required).toBe(false);
  });

  it("lists exactly the routes the app serves", () => {
    const served = appRoutes();
    // Positive control: the comparison sees real routes on both sides.
    expect(served).toContain("POST /api/v2/inventory/reserve");
    expect(served).toContain("GET /healthz");
    expect(served).toContain("GET /api/v2/docs");
    expect(served.length).toBeGreaterThan(70);
    expect(documented.map((d) => `${d.method} ${d.path}`).sort()).toEqual(served);
  });

  it("documents security and scopes consistently: public operations have neither, the others both", () => {
    for (const { method, path, op } of documented) {
      const what = `${method} ${path}`;
      expect(
        op["x-scopes"].every((s) => SCOPES.includes(s)),
        what,
      ).toBe(true);
      expect(op.security, what).toEqual(op["x-scopes"].length > 0 ? [{ apiKey: [] }] : []);
      expect(op.responses["401"] !== undefined, `${what} documents 401 iff it needs a key`).toBe(op["x-scopes"].length > 0);
    }
  });

  it("admits exactly the documented scopes: the middleware is probed with every scope and with no key", async () => {
    let refused = 0;
    let admitted = 0;
    for (const { method, path, op } of documented) {
      const url = urlOf(path);
      const scopes = op["x-scopes"];
      const anonymous = await send(method, url);
      const anonymousBody = await bodyOf(anonymous);
      if (scopes.length > 0) {
        expect([anonymous.status, anonymousBody?.error?.code], `${method} ${path} without a key`).toEqual([401, "unauthorized"]);
      } else {
        expect(anonymous.status === 401 || isScopeRefusal(anonymous.status, anonymousBody), `${method} ${path} is public`).toBe(false);
      }
      for (const scope of SCOPES) {
        const res = await send(method, url, { key: keyOf(scope) });
        const body = await bodyOf(res);
        const shown = `${method} ${path} with a ${scope} key → ${res.status} ${JSON.stringify(body)}`;
        expect(res.status, shown).toBeLessThan(500);
        if (scopes.length === 0) continue;
        if (scopes.includes(scope)) {
          expect(res.status === 401 || isScopeRefusal(res.status, body), shown).toBe(false);
          admitted += 1;
        } else {
          expect(isScopeRefusal(res.status, body), shown).toBe(true);
          refused += 1;
        }
      }
    }
    // Positive controls: both outcomes were seen many times.
    expect(admitted).toBeGreaterThan(100);
    expect(refused).toBeGreaterThan(50);
  });

  it("enforces each documented body limit: one byte over it is a 413 that names it", async () => {
    let probed = 0;
    for (const { method, path, op } of documented) {
      const limit = op["x-max-body-bytes"];
      // Bodies are read after the path's ids are checked (and looked up); probed where nothing comes first.
      if (limit === undefined || path.includes("{")) continue;
      const key = op["x-scopes"].includes("operator") ? keys.operator : keyOf(op["x-scopes"][0]!);
      const res = await send(method, path, {
        key,
        headers: { "content-type": "application/json", "idempotency-key": `limit-probe-${probed}` },
        body: " ".repeat(limit + 1),
      });
      const body = await bodyOf(res);
      expect([res.status, body?.error?.code, body?.error?.details], `${method} ${path}`).toEqual([413, "payload_too_large", { maxBytes: limit }]);
      probed += 1;
    }
    expect(probed).toBeGreaterThan(10);
  });

  it("serves /api/v2/docs as a self-contained page that reaches only its own origin", async () => {
    const res = await send("GET", "/api/v2/docs");
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toMatch(/^text\/html/);
    const html = await res.text();
    expect(html).toContain('data-spec="/api/v2/openapi.json"');
    // Nothing loaded from anywhere: no external script, stylesheet, font or image.
    expect(html).not.toMatch(/<(script|link|img|iframe)\b[^>]*\b(src|href)=/i);
    expect(html).not.toMatch(/https?:\/\//);
    const policy = res.headers.get("content-security-policy") ?? "";
    expect(policy).toContain("default-src 'none'");
    expect(policy).toContain("connect-src 'self'");
    expect(policy).toMatch(/script-src 'sha256-[A-Za-z0-9+/=]+'/);
    // The inline script's hash in the policy is the script's (else the browser would block it).
    const script = /<script>([\s\S]*)<\/script>/.exec(html)?.[1] ?? "";
    const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(script)));
    expect(policy).toContain(`script-src 'sha256-${btoa(String.fromCharCode(...digest))}'`);
  });
});
