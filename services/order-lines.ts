/**
 * An order's lines against master data, before any Durable Object is called: every SKU
 * exists and is active, every named location exists and is active. Shared by reservations
 * and allocation plans, so both refuse the same input the same way.
 */
import type { LocationRow, SkuRow } from "../d1/schema";
import { ApiError, type FieldProblem } from "./api-error";
import { allLocations } from "../repositories/locations";
import { findSkus } from "../repositories/skus";

export interface OrderItem {
  sku: string;
  quantity: number;
  locationId?: string;
}

export interface CheckedOrder {
  skuRows: Map<string, SkuRow>;
  locationRows: LocationRow[];
  locationsById: Map<string, LocationRow>;
}

/**
 * Loads the SKUs and locations of an order and refuses it when a SKU is unknown (404
 * `sku_not_found`), a named location is unknown or inactive (400, path `body.<field>.i.locationId`)
 * or a SKU is not active (409 `sku_unavailable`), in that order.
 */
export async function checkOrderLines(env: Env, items: readonly OrderItem[], field = "items"): Promise<CheckedOrder> {
  const [skuRows, { byId: locationsById, rows: locationRows }] = await Promise.all([
    findSkus(
      env.DB,
      items.map((i) => i.sku),
    ),
    allLocations(env.DB),
  ]);

  const unknownSkus: FieldProblem[] = [];
  const unavailable: FieldProblem[] = [];
  const badLocations: FieldProblem[] = [];
  items.forEach((item, i) => {
    const row = skuRows.get(item.sku);
    if (row === undefined) unknownSkus.push({ path: ["body", field, i, "sku"], message: `no SKU ${item.sku}`, code: "sku_not_found" });
    else if (row.status !== "active") {
      unavailable.push({ path: ["body", field, i, "sku"], message: `SKU ${item.sku} is ${row.status}`, code: "sku_unavailable" });
    }
    if (item.locationId !== undefined) {
      const location = locationsById.get(item.locationId);
      if (location === undefined) {
        badLocations.push({ path: ["body", field, i, "locationId"], message: `no location ${item.locationId}`, code: "unknown_location" });
      } else if (!location.active) {
        badLocations.push({ path: ["body", field, i, "locationId"], message: `location ${item.locationId} is inactive`, code: "location_inactive" });
      }
    }
  });
  if (unknownSkus.length > 0) throw new ApiError(404, "sku_not_found", "some SKUs do not exist", unknownSkus);
  if (badLocations.length > 0) throw ApiError.invalid("some locations cannot take reservations", badLocations);
  if (unavailable.length > 0) throw new ApiError(409, "sku_unavailable", "some SKUs cannot be reserved", unavailable);
  return { skuRows, locationRows, locationsById };
}
