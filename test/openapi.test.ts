/** The OpenAPI document is generated from the route schemas and lists every route. */
import { describe, expect, it } from "vitest";
import { api } from "./support/fixtures";

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
    expect(Object.keys(res.body.paths)).toHaveLength(34);
    const list = res.body.paths["/api/v2/inventory"].get;
    expect(list.parameters.map((p: { name: string }) => p.name)).toEqual(expect.arrayContaining(["cursor", "limit", "status", "skuPrefix"]));
    expect(res.body.paths["/api/v2/availability/{sku}"].get.security).toEqual([]);
  });
});
