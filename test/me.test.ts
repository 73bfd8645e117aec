/**
 * `GET /api/v2/me` (who the key is, for the dashboard's sign-in) and the dashboard's CORS
 * (`DASHBOARD_ORIGINS`, workers/http/cors.ts): allowed origins may read the authenticated
 * API's answers, errors included, and get their preflights answered; other origins get no
 * CORS headers; no wildcard and no credentials; public availability keeps `*`.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { dashboardOrigins } from "../workers/http/cors";
import { api, seedBasics, type Keys } from "./support/fixtures";

/** wrangler.toml's DASHBOARD_ORIGINS (the test runtime reads the same [vars]). */
const DASHBOARD = "https://edge-inventory-dashboard.pages.dev";
const ELSEWHERE = "https://evil.example";

let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
});

describe("GET /api/v2/me", () => {
  it("says the scope and vendor of operator and vendor keys, and the channel of checkout keys", async () => {
    const operator = await api("GET", "/api/v2/me", { key: keys.operator });
    expect(operator.status).toBe(200);
    expect(operator.body).toEqual({ scope: "operator", vendorId: null });
    expect(operator.headers.get("cache-control")).toBe("private, no-store");

    expect((await api("GET", "/api/v2/me", { key: keys.vendor })).body).toEqual({ scope: "vendor", vendorId: "V1" });
    expect((await api("GET", "/api/v2/me", { key: keys.otherVendor })).body).toEqual({ scope: "vendor", vendorId: "V2" });
    expect((await api("GET", "/api/v2/me", { key: keys.checkout })).body).toEqual({ scope: "checkout", vendorId: null, channel: null });

    const issued = await api("POST", "/api/v2/api-keys", { key: keys.operator, body: { name: "web shop", scope: "checkout", channel: "web-eu" } });
    expect(issued.status).toBe(201);
    expect((await api("GET", "/api/v2/me", { key: issued.body.key })).body).toEqual({ scope: "checkout", vendorId: null, channel: "web-eu" });
  });

  it("refuses a missing or unknown key with 401 and the envelope", async () => {
    const none = await api("GET", "/api/v2/me");
    expect(none.status).toBe(401);
    expect(none.body.error.code).toBe("unauthorized");
    const unknown = await api("GET", "/api/v2/me", { key: "eik_aaaaaaaaaaaa_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" });
    expect(unknown.status).toBe(401);
    expect(unknown.body.error.message).toBe("the API key is not valid");
  });

  it("is in the OpenAPI document", async () => {
    const doc = await api("GET", "/api/v2/openapi.json");
    expect(doc.body.paths["/api/v2/me"].get).toMatchObject({ security: [{ apiKey: [] }] });
    expect(doc.body.paths["/api/v2/me"].get.description).toContain("operator, vendor, checkout");
  });
});

describe("dashboard CORS", () => {
  it("answers a preflight from a dashboard origin without authentication, naming the headers the dashboard sends", async () => {
    const res = await api("OPTIONS", "/api/v2/inventory/ACME-1", {
      headers: {
        origin: DASHBOARD,
        "access-control-request-method": "PATCH",
        "access-control-request-headers": "authorization, content-type, idempotency-key",
      },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get("access-control-allow-origin")).toBe(DASHBOARD);
    expect(res.headers.get("access-control-allow-methods")).toContain("PATCH");
    expect(res.headers.get("access-control-allow-headers")?.toLowerCase().split(",")).toEqual(
      expect.arrayContaining(["authorization", "content-type", "idempotency-key"]),
    );
    expect(res.headers.get("access-control-allow-credentials")).toBeNull();
    expect(res.headers.get("vary")).toContain("Origin");
    // Every authenticated prefix, the list at its bare path included.
    for (const path of [
      "/api/v2/me",
      "/api/v2/inventory",
      "/api/v2/sync/reviews",
      "/api/v2/webhooks",
      "/api/v2/locations",
      "/api/v2/skus/X",
      "/api/v2/api-keys",
      "/api/v2/vendors/V1",
      "/api/v2/reservations/r",
    ]) {
      const pre = await api("OPTIONS", path, { headers: { origin: DASHBOARD, "access-control-request-method": "GET" } });
      expect([path, pre.status, pre.headers.get("access-control-allow-origin")]).toEqual([path, 204, DASHBOARD]);
    }
  });

  it("lets a dashboard origin read answers and errors (in words), and nobody else", async () => {
    const ok = await api("GET", "/api/v2/me", { key: keys.operator, headers: { origin: DASHBOARD } });
    expect(ok.status).toBe(200);
    expect(ok.headers.get("access-control-allow-origin")).toBe(DASHBOARD);
    expect(ok.headers.get("access-control-expose-headers")).toContain("X-Request-Id");
    // Once, not once per matching middleware.
    expect(ok.headers.get("vary")).toBe("Origin");

    const denied = await api("GET", "/api/v2/inventory", { key: null, headers: { origin: DASHBOARD } });
    expect(denied.status).toBe(401);
    expect(denied.headers.get("access-control-allow-origin")).toBe(DASHBOARD);
    expect(denied.body.error.message).toContain("Authorization");

    const foreign = await api("GET", "/api/v2/me", { key: keys.operator, headers: { origin: ELSEWHERE } });
    expect(foreign.status).toBe(200);
    expect(foreign.headers.get("access-control-allow-origin")).toBeNull();
    const foreignPreflight = await api("OPTIONS", "/api/v2/me", { headers: { origin: ELSEWHERE, "access-control-request-method": "GET" } });
    expect(foreignPreflight.headers.get("access-control-allow-origin")).toBeNull();
  });

  it("covers routes not built yet, so the dashboard can read their 404 in words", async () => {
    // A path no issue builds (it was /api/v2/alerts until issue 15 built that).
    const pre = await api("OPTIONS", "/api/v2/not-built-yet", {
      headers: { origin: DASHBOARD, "access-control-request-method": "GET", "access-control-request-headers": "authorization" },
    });
    expect([pre.status, pre.headers.get("access-control-allow-origin")]).toEqual([204, DASHBOARD]);
    const missing = await api("GET", "/api/v2/not-built-yet", { key: keys.operator, headers: { origin: DASHBOARD } });
    expect(missing.status).toBe(404);
    expect(missing.body.error.code).toBe("route_not_found");
    expect(missing.headers.get("access-control-allow-origin")).toBe(DASHBOARD);
  });

  it("leaves the public availability API as it was (any origin, `*`)", async () => {
    const res = await api("GET", "/api/v2/availability/NO-SUCH-SKU-1", { headers: { origin: DASHBOARD } });
    expect(res.status).toBe(404);
    expect(res.headers.get("access-control-allow-origin")).toBeNull();
    const hit = await api("GET", "/api/v2/availability?skus=NO-SUCH-SKU-1", { headers: { origin: DASHBOARD } });
    expect(hit.headers.get("access-control-allow-origin")).toBe("*");
    expect(hit.headers.get("access-control-expose-headers")).toBe("ETag, Server-Timing");
  });

  it("reads DASHBOARD_ORIGINS as exact origins: trimmed, no trailing slash, never `*` or junk", () => {
    expect([...dashboardOrigins(" https://a.example , http://127.0.0.1:8788/ ,,*, not a url, https://b.example/path, ftp://c.example")]).toEqual([
      "https://a.example",
      "http://127.0.0.1:8788",
    ]);
    expect(dashboardOrigins("").size).toBe(0);
    expect(dashboardOrigins("*").size).toBe(0);
  });
});
