/**
 * Who may touch a SKU's stock. Since SKU objects keep their master facts (v7,
 * durable-objects/sku-inventory/master.ts), stock changes, stock-state moves, transfers and
 * reservations send the caller (`callerOf`) to the SKU object, which answers `sku_not_found`
 * (404 `no SKU …`) or `forbidden` (403 `SKU … belongs to another vendor`) itself, with the
 * messages this module gave before: the request path reads no SKU from D1.
 *
 * Vendor suspension is not the object's concern: a suspended vendor's keys are refused by
 * `authenticate` (workers/auth), per key and cached per isolate for 30 s, so it stays there.
 *
 * `skuForStockAccess` (a D1 read, cached 5 s per isolate) remains for the read endpoints
 * (GET inventory/ledger/audit) and the jobs that still load SKU rows in bulk.
 */
import type { SkuRow } from "../d1/schema";
import { canManageVendor, type Principal } from "./principal";
import { ApiError } from "./api-error";
import { findSkus } from "../repositories/skus";
import type { SkuPolicy, StockCaller } from "../durable-objects/sku-inventory.types";

/** The caller as a SKU object checks it against its master facts. */
export function callerOf(principal: Principal): StockCaller {
  if (principal.scope === "vendor") return { scope: "vendor", vendorId: principal.vendorId! };
  return { scope: principal.scope };
}

/** The SKU if it exists and the caller may see and change its stock (reads D1; not for the stock-change path). */
export async function skuForStockAccess(env: Env, principal: Principal, sku: string): Promise<SkuRow> {
  const row = (await findSkus(env, [sku])).get(sku);
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
