/**
 * `/api/v2/skus`: SKU master data (operators; vendors for their own SKUs). A SKU changes
 * vendor only through `POST /:sku/transfer` (operators).
 */
import { ApiError } from "../../services/api-error";
import { RouteGroup } from "../http/route-table";
import { findSkus } from "../../repositories/skus";
import { SkuId } from "../../domain/schemas/common";
import { SkuBatchBody, SkuBody, TransferSkuBody } from "../../domain/schemas/master-data";
import { skuJson, transferSkuTo, upsertSkuItems } from "../../services/master-data";
import { canManageVendor } from "../../services/principal";
import { BODY_LIMITS } from "./limits";

export const skus = new RouteGroup("master data", ["operator", "vendor"]);

skus.route(
  {
    method: "post",
    path: "/:sku/transfer",
    summary: "Transfer a SKU to another vendor (the only way a SKU changes vendor)",
    scopes: ["operator"],
    params: { sku: SkuId },
    body: TransferSkuBody,
    maxBytes: BODY_LIMITS.masterData,
    success: { status: 200, description: "the SKU, with previousVendorId" },
    errors: [400, 401, 403, 404, 409, 413, 415],
  },
  async (c, input) => {
    const sku = input.param("sku");
    const body = await input.body();
    return c.json(await transferSkuTo(c.env, c.get("principal"), sku, body));
  },
);

skus.route(
  {
    method: "post",
    path: "/batch",
    summary: "Create or update up to 10,000 SKUs, all or none",
    scopes: ["operator", "vendor"],
    body: SkuBatchBody,
    maxBytes: BODY_LIMITS.skuBatch,
    success: { status: 200, description: "counts of created and updated SKUs" },
    errors: [400, 401, 403, 409, 413, 415],
  },
  async (c, input) => {
    const body = await input.body();
    const summary = await upsertSkuItems(c.env, c.get("principal"), body.items, (i) => ["body", "items", i]);
    return c.json({ upserted: body.items.length, created: summary.created.length, updated: summary.updated.length });
  },
);

skus.route(
  {
    method: "put",
    path: "/:sku",
    summary: "Create or update a SKU (omitted fields keep their values)",
    scopes: ["operator", "vendor"],
    params: { sku: SkuId },
    body: SkuBody,
    maxBytes: BODY_LIMITS.masterData,
    success: { status: 200, description: "the SKU (201 when created)" },
    errors: [400, 401, 403, 409, 413, 415],
  },
  async (c, input) => {
    const sku = input.param("sku");
    const body = await input.body();
    const summary = await upsertSkuItems(c.env, c.get("principal"), [{ sku, ...body }], () => ["body"]);
    const row = (await findSkus(c.env, [sku])).get(sku)!;
    return c.json(skuJson(row), summary.created.length > 0 ? 201 : 200);
  },
);

skus.route(
  {
    method: "get",
    path: "/:sku",
    summary: "A SKU's master data",
    scopes: ["operator", "vendor"],
    params: { sku: SkuId },
    success: { status: 200, description: "the SKU" },
    errors: [400, 401, 403, 404],
  },
  async (c, input) => {
    const sku = input.param("sku");
    const row = (await findSkus(c.env, [sku])).get(sku);
    if (row === undefined) throw new ApiError(404, "sku_not_found", `no SKU ${sku}`, { sku });
    if (!canManageVendor(c.get("principal"), row.vendorId)) throw new ApiError(403, "forbidden", `SKU ${sku} belongs to another vendor`, { sku });
    return c.json(skuJson(row));
  },
);
