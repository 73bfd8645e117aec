/**
 * Master data rules: who may write which SKU, defaults for new SKUs, kept values for
 * omitted fields on update, vendors and products that must exist and agree.
 */
import type { SkuRow } from "../d1/schema";
import { DEFAULT_SOFT_BUFFER_PCT } from "../domain/reservation-rules";
import { generateApiKey, type Scope } from "../domain/api-keys";
import { sha256Hex } from "../domain/hashing";
import { actorOf, canManageVendor, type Principal } from "./principal";
import { ApiError, type FieldProblem } from "./api-error";
import { insertApiKey } from "../repositories/api-keys";
import { claimTransfer, directoryOwner, findSkus, freshSku, locateSkuRow, productOwners, setSkuOwner, upsertSkus, type SkuWrite } from "../repositories/skus";
import { findVendor, insertVendor } from "../repositories/vendors";
import type { SkuBatchItem } from "../domain/schemas/master-data";
import { pushSkuMasters } from "./sku-master";
import { assertVendorsNotMoving, moveSkuRows } from "./read-moves";
import { forgetReadPartitions, readDb, vendorReadPartition } from "../repositories/read-partitions";
import { reassignSkuPlanning } from "../repositories/planning";

export interface UpsertSummary {
  created: string[];
  updated: string[];
}

/** The path of a batch item's field. */
type PathOf = (i: number) => (string | number)[];

/**
 * The refusal for SKUs that belong to another vendor than the write gives them: a vendor key
 * is told the SKU belongs to another vendor (403, never which one); an operator, who may
 * name any vendor, is told to use the explicit transfer (409).
 */
function ownershipError(principal: Principal, conflicts: { i: number; sku: string }[], pathPrefix: PathOf): ApiError {
  if (principal.scope === "vendor") {
    return new ApiError(
      403,
      "forbidden",
      "some SKUs are not yours to change",
      conflicts.map(({ i, sku }) => ({ path: [...pathPrefix(i), "sku"], message: `SKU ${sku} belongs to another vendor` })),
    );
  }
  return new ApiError(
    409,
    "vendor_change_requires_transfer",
    "a SKU changes vendor only through POST /api/v2/skus/{sku}/transfer",
    conflicts.map(({ i, sku }) => ({
      path: [...pathPrefix(i), "vendorId"],
      message: `SKU ${sku} belongs to another vendor; transfer it with POST /api/v2/skus/${sku}/transfer`,
    })),
  );
}

/** The refusal for items naming a product of another vendor (never which one). */
function productError(problems: { i: number; productId: string }[], pathPrefix: PathOf): ApiError {
  return ApiError.invalid(
    "some SKUs are invalid",
    problems.map(({ i, productId }) => ({
      path: [...pathPrefix(i), "productId"],
      message: `product ${productId} belongs to another vendor`,
      code: "product_vendor_mismatch",
    })),
  );
}

/**
 * Creates or updates SKUs, all or none. Omitted fields keep their current values on update
 * and take defaults on create. Every problem is reported with its item's path. A SKU keeps
 * its vendor: ownership is checked up front for a quick answer and again inside the write
 * itself (`upsertSkus`), so two vendors creating the same new SKU at once cannot both have
 * it; a change of vendor is `transferSku` (operators). After the write commits, the SKUs'
 * master facts are pushed to their objects (services/sku-master.ts; a failed push is
 * repaired by the per-minute sweep), so stock changes never read D1 for them.
 */
export async function upsertSkuItems(env: Env, principal: Principal, items: SkuBatchItem[], pathPrefix: PathOf): Promise<UpsertSummary> {
  const existing = await findSkus(
    env,
    items.map((i) => i.sku),
  );
  const foreign: { i: number; sku: string }[] = [];
  const forbidden: FieldProblem[] = [];
  const invalid: FieldProblem[] = [];
  const vendorOf = (item: SkuBatchItem, i: number): string | undefined => {
    const current = existing.get(item.sku);
    if (current !== undefined && !canManageVendor(principal, current.vendorId)) {
      foreign.push({ i, sku: item.sku });
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
    if (current !== undefined && current.vendorId !== vendorId) {
      foreign.push({ i, sku: item.sku });
      return undefined;
    }
    return vendorId;
  };
  const vendorIds = items.map(vendorOf);
  if (forbidden.length > 0) throw new ApiError(403, "forbidden", "some SKUs are not yours to change", forbidden);
  if (foreign.length > 0) throw ownershipError(principal, foreign, pathPrefix);

  const distinctVendors = [...new Set(vendorIds.filter((v): v is string => v !== undefined))];
  const known = await Promise.all(distinctVendors.map(async (v) => [v, (await findVendor(env.DB, v)) !== undefined] as const));
  const unknownVendors = new Set(known.filter(([, ok]) => !ok).map(([v]) => v));
  const owners = await productOwners(
    env.DB,
    items.map((i) => i.productId),
  );
  const newProducts = new Map<string, { vendorId: string; name: string }>();
  const rows: SkuWrite[] = [];
  const mismatched: { i: number; productId: string }[] = [];
  items.forEach((item, i) => {
    const vendorId = vendorIds[i];
    if (vendorId === undefined) return;
    if (unknownVendors.has(vendorId)) {
      invalid.push({ path: [...pathPrefix(i), "vendorId"], message: `no vendor ${vendorId}`, code: "unknown_vendor" });
      return;
    }
    const productOwner = owners.get(item.productId) ?? newProducts.get(item.productId)?.vendorId;
    if (productOwner !== undefined && productOwner !== vendorId) {
      mismatched.push({ i, productId: item.productId });
      return;
    }
    if (productOwner === undefined) newProducts.set(item.productId, { vendorId, name: item.productName ?? item.name });
    rows.push(merge(item, vendorId, existing.get(item.sku)));
  });
  if (invalid.length > 0) throw ApiError.invalid("some SKUs are invalid", invalid);
  if (mismatched.length > 0) throw productError(mismatched, pathPrefix);
  await assertVendorsNotMoving(env, distinctVendors);

  const outcome = await upsertSkus(env, rows, newProducts);
  if (outcome.refused) {
    // Someone else got there between our read and the write: answer as the read would have.
    const index = new Map(rows.map((r, i) => [r.sku, i]));
    if (outcome.skuConflicts.length > 0)
      throw ownershipError(
        principal,
        outcome.skuConflicts.map((sku) => ({ i: index.get(sku)!, sku })),
        pathPrefix,
      );
    const taken = new Set(outcome.productConflicts);
    throw productError(
      rows.flatMap((r, i) => (taken.has(r.productId) ? [{ i, productId: r.productId }] : [])),
      pathPrefix,
    );
  }
  await pushSkuMasters(
    env,
    rows.map((r) => r.sku),
  );
  return {
    created: rows.filter((r) => !outcome.owners.has(r.sku)).map((r) => r.sku),
    updated: rows.filter((r) => outcome.owners.has(r.sku)).map((r) => r.sku),
  };
}

/**
 * The operators' explicit transfer of a SKU to another vendor (`POST
 * /api/v2/skus/{sku}/transfer`): the only way a SKU changes vendor. The SKU moves to a
 * product of the new vendor (created, named `productName` or after the SKU, if it does not
 * exist). Its stock, reservations and history stay with the SKU; from then on the new vendor's
 * keys manage it and its events go to the new vendor's webhooks. Logged as `sku.transferred`.
 * The new owner is pushed to the SKU's object after the write (services/sku-master.ts), and its
 * read-model rows follow it to the new vendor's read database (services/read-moves.ts `moveSkuRows`).
 */
export async function transferSkuTo(
  env: Env,
  principal: Principal,
  sku: string,
  body: { vendorId: string; productId: string; productName?: string | undefined },
) {
  const current = await freshSku(env, sku);
  if (current === undefined) return finishTransfer(env, principal, sku, body);
  if (current.vendorId === body.vendorId)
    throw new ApiError(409, "already_owned", `SKU ${sku} already belongs to vendor ${body.vendorId}`, { sku, vendorId: body.vendorId });
  if ((await findVendor(env.DB, body.vendorId)) === undefined) {
    throw ApiError.invalid("unknown vendor", [{ path: ["body", "vendorId"], message: `no vendor ${body.vendorId}`, code: "unknown_vendor" }]);
  }
  const productOwner = (await productOwners(env.DB, [body.productId])).get(body.productId);
  if (productOwner !== undefined && productOwner !== body.vendorId) throw productError([{ i: 0, productId: body.productId }], () => ["body"]);
  await assertVendorsNotMoving(env, [current.vendorId, body.vendorId]);
  // Where the SKU's rows are now and will be (issue 19: a vendor's in one read database).
  forgetReadPartitions(current.vendorId);
  forgetReadPartitions(body.vendorId);
  const [fromPartition, toPartition] = await Promise.all([vendorReadPartition(env, current.vendorId), vendorReadPartition(env, body.vendorId)]);
  const claimed = await claimTransfer(env.DB, {
    sku,
    fromVendorId: current.vendorId,
    toVendorId: body.vendorId,
    productId: body.productId,
    productName: body.productName ?? current.name,
  });
  if (!claimed) throw new ApiError(409, "sku_changed", `SKU ${sku} or product ${body.productId} changed during the transfer; read it again and retry`, { sku });
  return completeTransfer(env, principal, sku, {
    fromVendorId: current.vendorId,
    toVendorId: body.vendorId,
    productId: body.productId,
    fromPartition,
    toPartition,
  });
}

/**
 * A transfer's steps after the directory changed owner: the SKU's rows (master row, push
 * versions, read model, planning) move to the new vendor's read database (services/read-moves.ts
 * `moveSkuRows`: copy, then delete), the row takes its new owner and product there (with its
 * forecast and open suggestion), and the new facts are pushed to the SKU's object. Each step can run again: a transfer interrupted after
 * the directory changed is completed by the same request again (`finishTransfer`).
 */
async function completeTransfer(
  env: Env,
  principal: Principal,
  sku: string,
  t: { fromVendorId: string; toVendorId: string; productId: string; fromPartition: number; toPartition: number },
) {
  const rows = await moveSkuRows(env, sku, t.fromPartition, t.toPartition);
  const moved = await setSkuOwner(readDb(env, t.toPartition), sku, t.toVendorId, t.productId);
  if (moved === undefined) throw new ApiError(404, "sku_not_found", `no SKU ${sku}`, { sku });
  await reassignSkuPlanning(readDb(env, t.toPartition), sku, t.toVendorId);
  await pushSkuMasters(env, [sku]);
  console.log(
    JSON.stringify({
      event: "sku.transferred",
      sku,
      from: t.fromVendorId,
      to: moved.vendorId,
      productId: moved.productId,
      actor: actorOf(principal),
      readRows: { from: t.fromPartition, to: t.toPartition, ...rows },
    }),
  );
  return { ...skuJson(moved), previousVendorId: t.fromVendorId };
}

/**
 * A transfer request for a SKU without a row where its directory entry says: 404 for an unknown
 * SKU; if the directory already names the requested vendor and the row is still elsewhere or
 * names its old vendor (a transfer interrupted between its steps), the transfer is completed.
 */
async function finishTransfer(env: Env, principal: Principal, sku: string, body: { vendorId: string; productId: string }) {
  const owner = await directoryOwner(env.DB, sku);
  const located = owner === undefined ? undefined : await locateSkuRow(env, sku);
  if (owner === undefined || located === undefined) throw new ApiError(404, "sku_not_found", `no SKU ${sku}`, { sku });
  if (owner !== body.vendorId || (await productOwners(env.DB, [body.productId])).get(body.productId) !== owner) {
    throw new ApiError(409, "sku_changed", `SKU ${sku} is being transferred to another vendor or product; read it again and retry`, { sku });
  }
  forgetReadPartitions(owner);
  return completeTransfer(env, principal, sku, {
    fromVendorId: located.row.vendorId,
    toVendorId: owner,
    productId: body.productId,
    fromPartition: located.partition,
    toPartition: await vendorReadPartition(env, owner),
  });
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

/**
 * Issues an API key; the key itself is returned once and only its hash is stored. A checkout
 * key may name the storefront (`channel`) it is for: its reservations are then its own.
 */
export async function createApiKey(env: Env, body: { name: string; scope: Scope; vendorId?: string | undefined; channel?: string | undefined }) {
  if (body.vendorId !== undefined && (await findVendor(env.DB, body.vendorId)) === undefined) {
    throw ApiError.invalid("unknown vendor", [{ path: ["body", "vendorId"], message: `no vendor ${body.vendorId}`, code: "unknown_vendor" }]);
  }
  const { id, key } = generateApiKey();
  const row = await insertApiKey(env.DB, {
    id,
    name: body.name,
    scope: body.scope,
    vendorId: body.vendorId ?? null,
    channel: body.channel ?? null,
    keyHash: await sha256Hex(key),
  });
  return { id: row.id, key, name: row.name, scope: row.scope, vendorId: row.vendorId, channel: row.channel, createdAt: new Date(row.createdAt).toISOString() };
}
