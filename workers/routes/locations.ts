/** `/api/v2/locations`: stocking locations (operators write; every key reads). */
import { Hono } from "hono";
import type { LocationRow } from "../../d1/schema";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/authenticate";
import { readJson, readParam } from "../http/read-input";
import { allLocations, upsertLocation } from "../../repositories/locations";
import { LocationId } from "../../domain/schemas/common";
import { LocationBody } from "../../domain/schemas/master-data";
import { BODY_LIMITS } from "./limits";

export const locations = new Hono<AppEnv>();

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

locations.get("/", authenticate("operator", "vendor", "checkout"), async (c) => {
  const { rows } = await allLocations(c.env.DB);
  return c.json({ items: rows.map(locationJson) });
});

locations.put("/:id", authenticate("operator"), async (c) => {
  const id = readParam(c, "id", LocationId);
  const body = await readJson(c, LocationBody, BODY_LIMITS.masterData);
  const { row, created } = await upsertLocation(c.env.DB, id, body);
  return c.json(locationJson(row), created ? 201 : 200);
});
