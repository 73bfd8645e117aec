/** `/api/v2/locations`: stocking locations (operators write; every key reads). */
import type { LocationRow } from "../../d1/schema";
import { RouteGroup } from "../http/route-table";
import { allLocations, upsertLocation } from "../../repositories/locations";
import { LocationId } from "../../domain/schemas/common";
import { LocationBody } from "../../domain/schemas/master-data";
import { BODY_LIMITS } from "./limits";

export const locations = new RouteGroup("master data");

/** A location as the API shows it: the row, with the shipping cost model as one object (as PUT takes it). */
function locationJson(row: LocationRow) {
  const { shippingBase, shippingPerKm, shippingPerUnit, ...rest } = row;
  return {
    ...rest,
    shippingCost: { base: shippingBase, perKm: shippingPerKm, perUnit: shippingPerUnit },
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

locations.route(
  {
    method: "get",
    path: "/",
    summary: "Every location, best priority first",
    scopes: ["operator", "vendor", "checkout"],
    success: { status: 200, description: "the locations" },
    errors: [401, 403],
  },
  async (c) => {
    const { rows } = await allLocations(c.env.DB);
    return c.json({ items: rows.map(locationJson) });
  },
);

locations.route(
  {
    method: "put",
    path: "/:id",
    summary: "Create or replace a location",
    scopes: ["operator"],
    params: { id: LocationId },
    body: LocationBody,
    maxBytes: BODY_LIMITS.masterData,
    success: { status: 200, description: "the location (201 when created)" },
    errors: [400, 401, 403, 413, 415],
  },
  async (c, input) => {
    const id = input.param("id");
    const body = await input.body();
    const { row, created } = await upsertLocation(c.env.DB, id, body);
    return c.json(locationJson(row), created ? 201 : 200);
  },
);
