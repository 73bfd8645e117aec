/**
 * Loading SKUs for a caller: 404 when unknown, 403 when a vendor reaches for another
 * vendor's SKU. Runs before any Durable Object is called.
 */
import type { SkuRow } from "../d1/schema";
import { canManageVendor, type Principal } from "./principal";
import { ApiError } from "./api-error";
import { findSkus } from "../repositories/skus";
import type { SkuPolicy } from "../durable-objects/sku-inventory.types";

/** The SKU if it exists and the caller may see and change its stock. */
export async function skuForStockAccess(env: Env, principal: Principal, sku: string): Promise<SkuRow> {
  const row = (await findSkus(env.DB, [sku])).get(sku);
  if (row === undefined) throw new ApiError(404, "sku_not_found", `no SKU ${sku}`, { sku });
  if (!canManageVendor(principal, row.vendorId)) {
    throw new ApiError(403, "forbidden", `SKU ${sku} belongs to another vendor`, { sku });
  }
  return row;
}

/** The reservation rules a SKU's object applies, from its master data. */
export function policyOf(row: SkuRow): SkuPolicy {
  return { allowBackorder: row.allowBackorder, softBufferPct: row.softBufferPct, reorderPoint: row.reorderPoint };
}
