/**
 * The OpenAPI document is generated from the route schemas and matches the app's actual
 * routes: every route the Hono app serves is in the document with its method, and the
 * document lists nothing the app does not serve (so it cannot drift as routes are added).
 */
import { describe, expect, it } from "vitest";
import { app } from "../workers/app";
import { api } from "./support/fixtures";

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
    const list = res.body.paths["/api/v2/inventory"].get;
    expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(["cursor", "limit", "status", "skuPrefix"]));
    expect(res.body.paths["/api/v2/availability/{sku}"].get.security).toEqual([]);
  });

  it("lists exactly the routes the app serves", async () => {
    const res = await api("GET", "/api/v2/openapi.json");
    const documented: string[] = [];
    for (const [path, item] of Object.entries(res.body.paths as Record<string, Record<string, unknown>>)) {
      for (const method of Object.keys(item)) {
        if (["get", "put", "post", "patch", "delete"].includes(method)) documented.push(`${method.toUpperCase()} ${path}`);
      }
    }
    const served = appRoutes();
    // Positive control: the comparison sees real routes on both sides.
    expect(served).toContain("POST /api/v2/inventory/reserve");
    expect(served.length).toBeGreaterThan(30);
    expect([...documented].sort()).toEqual(served);
  });
});
