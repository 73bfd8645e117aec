/**
 * Master data rules: who may write which SKU, defaults for new SKUs, kept values for
 * omitted fields on update, vendors and products that must exist and agree.
 */
import type { SkuRow } from "../../d1/schema";
import { DEFAULT_SOFT_BUFFER_PCT } from "../../domain/reservation-rules";
import { generateApiKey, sha256Hex, type Scope } from "../auth/api-keys";
import { canManageVendor, type Principal } from "../auth/principal";
import { ApiError, type FieldProblem } from "../http/api-error";
import { insertApiKey } from "../repositories/api-keys";
import { findSkus, productOwners, upsertSkus, type SkuWrite } from "../repositories/skus";
import { findVendor, insertVendor } from "../repositories/vendors";
import type { SkuBatchItem } from "../schemas/master-data";

export interface UpsertSummary {
  created: string[];
  updated: string[];
}

/**
 * Creates or updates SKUs, all or none. Omitted fields keep their current values on
 * update and take defaults on create. Every problem is reported with its item's path.
 */
export async function upsertSkuItems(env: Env, principal: Principal, items: SkuBatchItem[], pathPrefix: (i: number) => (string | number)[]): Promise<UpsertSummary> {
  const existing = await findSkus(env.DB, items.map((i) => i.sku));
  const forbidden: FieldProblem[] = [];
  const invalid: FieldProblem[] = [];
  const vendorOf = (item: SkuBatchItem, i: number): string | undefined => {
    const current = existing.get(item.sku);
    if (current !== undefined && !canManageVendor(principal, current.vendorId)) {
      forbidden.push({ path: [...pathPrefix(i), "sku"], message: `SKU ${item.sku} belongs to another vendor` });
      return undefined;
    }
    const vendorId = item.vendorId ?? (principal.scope === "vendor" ? principal.vendorId! : current?.vendorId);
    if (vendorId === undefined) {
      invalid.push({ path: [...pathPrefix(i), "vendorId"], message: "vendorId is required", code: "required" });
      return undefined;
    }
    if (!canManageVendor(principal, vendorId)) {
      forbidden.push({ path: [...pathPrefix(i), "vendorId"], message: "vendor keys may only write their own SKUs" });
      return undefined;
    }
    return vendorId;
  };
  const vendorIds = items.map(vendorOf);
  if (forbidden.length > 0) throw new ApiError(403, "forbidden", "some SKUs are not yours to change", forbidden);

  const distinctVendors = [...new Set(vendorIds.filter((v): v is string => v !== undefined))];
  const known = await Promise.all(distinctVendors.map(async (v) => [v, (await findVendor(env.DB, v)) !== undefined] as const));
  const unknownVendors = new Set(known.filter(([, ok]) => !ok).map(([v]) => v));
  const owners = await productOwners(env.DB, items.map((i) => i.productId));
  const newProducts = new Map<string, { vendorId: string; name: string }>();
  const rows: SkuWrite[] = [];
  items.forEach((item, i) => {
    const vendorId = vendorIds[i];
    if (vendorId === undefined) return;
    if (unknownVendors.has(vendorId)) {
      invalid.push({ path: [...pathPrefix(i), "vendorId"], message: `no vendor ${vendorId}`, code: "unknown_vendor" });
      return;
    }
    const productOwner = owners.get(item.productId) ?? newProducts.get(item.productId)?.vendorId;
    if (productOwner !== undefined && productOwner !== vendorId) {
      invalid.push({ path: [...pathPrefix(i), "productId"], message: `product ${item.productId} belongs to vendor ${productOwner}`, code: "product_vendor_mismatch" });
      return;
    }
    if (productOwner === undefined) newProducts.set(item.productId, { vendorId, name: item.productName ?? item.name });
    rows.push(merge(item, vendorId, existing.get(item.sku)));
  });
  if (invalid.length > 0) throw ApiError.invalid("some SKUs are invalid", invalid);

  await upsertSkus(env.DB, rows, newProducts);
  return {
    created: rows.filter((r) => !existing.has(r.sku)).map((r) => r.sku),
    updated: rows.filter((r) => existing.has(r.sku)).map((r) => r.sku),
  };
}

function merge(item: SkuBatchItem, vendorId: string, current: SkuRow | undefined): SkuWrite {
  return {
    sku: item.sku,
    vendorId,
    productId: item.productId,
    name: item.name,
    status: item.status ?? current?.status ?? "active",
    reorderPoint: item.reorderPoint ?? current?.reorderPoint ?? 0,
    safetyStock: item.safetyStock ?? current?.safetyStock ?? 0,
    maxStock: item.maxStock !== undefined ? item.maxStock : (current?.maxStock ?? null),
    leadTimeDays: item.leadTimeDays ?? current?.leadTimeDays ?? 7,
    allowBackorder: item.allowBackorder ?? current?.allowBackorder ?? false,
    softBufferPct: item.softBufferPct ?? current?.softBufferPct ?? DEFAULT_SOFT_BUFFER_PCT,
    perishable: item.perishable ?? current?.perishable ?? false,
  };
}

/** SKU master data as the API shows it. */
export function skuJson(row: SkuRow) {
  return {
    ...row,
    createdAt: new Date(row.createdAt).toISOString(),
    updatedAt: new Date(row.updatedAt).toISOString(),
  };
}

/** Creates a vendor; 409 when the id is taken. */
export async function createVendor(env: Env, body: { id?: string | undefined; name: string; status?: "active" | "suspended" | undefined }) {
  const id = body.id ?? `V-${crypto.randomUUID().slice(0, 8).toUpperCase()}`;
  const row = await insertVendor(env.DB, { id, name: body.name, status: body.status ?? "active" });
  if (row === undefined) throw new ApiError(409, "already_exists", `vendor ${id} already exists`, { id });
  return row;
}

/** Issues an API key; the key itself is returned once and only its hash is stored. */
export async function createApiKey(env: Env, body: { name: string; scope: Scope; vendorId?: string | undefined }) {
  if (body.vendorId !== undefined && (await findVendor(env.DB, body.vendorId)) === undefined) {
    throw ApiError.invalid("unknown vendor", [{ path: ["body", "vendorId"], message: `no vendor ${body.vendorId}`, code: "unknown_vendor" }]);
  }
  const { id, key } = generateApiKey();
  const row = await insertApiKey(env.DB, { id, name: body.name, scope: body.scope, vendorId: body.vendorId ?? null, keyHash: await sha256Hex(key) });
  return { id: row.id, key, name: row.name, scope: row.scope, vendorId: row.vendorId, createdAt: new Date(row.createdAt).toISOString() };
}
