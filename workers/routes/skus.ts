/**
 * `/api/v2/skus`: SKU master data (operators; vendors for their own SKUs). A SKU changes
 * vendor only through `POST /:sku/transfer` (operators).
 */
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/authenticate";
import { ApiError } from "../../services/api-error";
import { readJson, readParam } from "../http/read-input";
import { findSkus } from "../../repositories/skus";
import { SkuId } from "../../domain/schemas/common";
import { SkuBatchBody, SkuBody, TransferSkuBody } from "../../domain/schemas/master-data";
import { skuJson, transferSkuTo, upsertSkuItems } from "../../services/master-data";
import { canManageVendor } from "../../services/principal";
import { BODY_LIMITS } from "./limits";

export const skus = new Hono<AppEnv>();
skus.use("*", authenticate("operator", "vendor"));

skus.post("/:sku/transfer", authenticate("operator"), async (c) => {
  const sku = readParam(c, "sku", SkuId);
  const body = await readJson(c, TransferSkuBody, BODY_LIMITS.masterData);
  return c.json(await transferSkuTo(c.env, c.get("principal"), sku, body));
});

skus.post("/batch", async (c) => {
  const body = await readJson(c, SkuBatchBody, BODY_LIMITS.skuBatch);
  const summary = await upsertSkuItems(c.env, c.get("principal"), body.items, (i) => ["body", "items", i]);
  return c.json({ upserted: body.items.length, created: summary.created.length, updated: summary.updated.length });
});

skus.put("/:sku", async (c) => {
  const sku = readParam(c, "sku", SkuId);
  const body = await readJson(c, SkuBody, BODY_LIMITS.masterData);
  const summary = await upsertSkuItems(c.env, c.get("principal"), [{ sku, ...body }], () => ["body"]);
  const row = (await findSkus(c.env.DB, [sku])).get(sku)!;
  return c.json(skuJson(row), summary.created.length > 0 ? 201 : 200);
});

skus.get("/:sku", async (c) => {
  const sku = readParam(c, "sku", SkuId);
  const row = (await findSkus(c.env.DB, [sku])).get(sku);
  if (row === undefined) throw new ApiError(404, "sku_not_found", `no SKU ${sku}`, { sku });
  if (!canManageVendor(c.get("principal"), row.vendorId)) throw new ApiError(403, "forbidden", `SKU ${sku} belongs to another vendor`, { sku });
  return c.json(skuJson(row));
});
