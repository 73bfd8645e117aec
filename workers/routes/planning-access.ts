/**
 * Who may see which planning data: operators everything (optionally one vendor's), vendor
 * keys their own SKUs only. Shared by the planning routes.
 */
import type { Principal } from "../../services/principal";
import { ApiError } from "../../services/api-error";

/** The vendor a list is limited to: a vendor key's own (a different `vendorId` is a 403), an operator's choice. */
export function listVendor(principal: Principal, requested: string | undefined): string | undefined {
  if (principal.scope !== "vendor") return requested;
  if (requested !== undefined && requested !== principal.vendorId) {
    throw new ApiError(403, "forbidden", "vendor keys see their own SKUs only", [{ path: ["query", "vendorId"], message: "omit vendorId, or give your own" }]);
  }
  return principal.vendorId!;
}

/** 403 unless the principal may see this vendor's SKU. */
export function assertOwns(principal: Principal, vendorId: string | null, sku: string): void {
  if (principal.scope === "operator") return;
  if (principal.scope === "vendor" && vendorId !== null && principal.vendorId === vendorId) return;
  throw new ApiError(403, "forbidden", `SKU ${sku} belongs to another vendor`, { sku });
}
