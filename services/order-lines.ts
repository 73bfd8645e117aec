/**
 * An order's lines, shared by reservations and allocation plans so both refuse the same input
 * the same way. Named locations are checked here, in the Worker, before any Durable Object
 * is called (unknown or inactive: 400, path `body.<field>.i.locationId`). The SKUs are not
 * read from D1: each SKU object checks its own master facts (v7, sku-inventory/master.ts)
 * and refuses an unknown SKU (`sku_not_found`) or a discontinued one (`sku_unavailable`);
 * `orderSkuError` turns those refusals into the API's errors of before, with item paths
 * (404 `sku_not_found`, then 409 `sku_unavailable`).
 *
 * Locations come from the isolate's TTL cache (`allLocations`): there are thousands, not
 * millions, so the cache's hit rate stays high at any SKU count and the request path reads
 * D1 for them about once per isolate per TTL, not per request.
 */
import type { LocationRow } from "../d1/schema";
import type { Failure } from "../domain/failures";
import { ApiError, type FieldProblem } from "./api-error";
import { allLocations } from "../repositories/locations";

export interface OrderItem {
  sku: string;
  quantity: number;
  locationId?: string;
}

export interface CheckedLocations {
  locationRows: LocationRow[];
  locationsById: Map<string, LocationRow>;
}

/** Refuses an order naming a location that is unknown or inactive (400 with every item's path). */
export async function checkOrderLocations(env: Env, items: readonly OrderItem[], field = "items"): Promise<CheckedLocations> {
  const { byId: locationsById, rows: locationRows } = await allLocations(env.DB);
  const badLocations: FieldProblem[] = [];
  items.forEach((item, i) => {
    if (item.locationId === undefined) return;
    const location = locationsById.get(item.locationId);
    if (location === undefined) {
      badLocations.push({ path: ["body", field, i, "locationId"], message: `no location ${item.locationId}`, code: "unknown_location" });
    } else if (!location.active) {
      badLocations.push({ path: ["body", field, i, "locationId"], message: `location ${item.locationId} is inactive`, code: "location_inactive" });
    }
  });
  if (badLocations.length > 0) throw ApiError.invalid("some locations cannot take reservations", badLocations);
  return { locationRows, locationsById };
}

/** One SKU refused by its object's master facts. */
export interface SkuRefusal {
  sku: string;
  code: "sku_not_found" | "sku_unavailable";
  message: string;
}

/**
 * The API error for SKUs their objects refused (the coordinator's combined refusal, or the
 * plan's routing views): 404 `sku_not_found` listing every item of an unknown SKU, else 409
 * `sku_unavailable` listing every item of a discontinued one; null for any other failure.
 */
export function orderSkuError(failure: Failure, items: readonly OrderItem[], field = "items"): ApiError | null {
  if ((failure.code !== "sku_not_found" && failure.code !== "sku_unavailable") || !Array.isArray(failure.details)) return null;
  const refused = new Map((failure.details as SkuRefusal[]).map((r) => [r.sku, r]));
  const problems = (code: SkuRefusal["code"]): FieldProblem[] =>
    items.flatMap((item, i) => {
      const r = refused.get(item.sku);
      return r?.code === code ? [{ path: ["body", field, i, "sku"], message: code === "sku_not_found" ? `no SKU ${item.sku}` : r.message, code }] : [];
    });
  const unknown = problems("sku_not_found");
  if (unknown.length > 0) return new ApiError(404, "sku_not_found", "some SKUs do not exist", unknown);
  const unavailable = problems("sku_unavailable");
  if (unavailable.length > 0) return new ApiError(409, "sku_unavailable", "some SKUs cannot be reserved", unavailable);
  return null;
}
