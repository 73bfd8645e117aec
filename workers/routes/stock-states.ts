/**
 * `POST /api/v2/inventory/{sku}/states`: move units between sellable, damaged and on-hold,
 * or write them off (operators; vendors on their own SKUs). Mounted beside `inventory`.
 */
import { invalidateAvailability } from "../availability/availability-cache";
import { RouteGroup } from "../http/route-table";
import { SkuId } from "../../domain/schemas/common";
import { StockStateBody } from "../../domain/schemas/inbound";
import { moveStockState } from "../../services/stock-states";
import { BODY_LIMITS } from "./limits";

export const stockStates = new RouteGroup("inventory");

stockStates.route(
  {
    method: "post",
    path: "/:sku/states",
    summary: "Move units between sellable, damaged and on_hold, or write them off (disposal), with a reason; units back to sellable cover backorders first",
    scopes: ["operator", "vendor"],
    params: { sku: SkuId },
    body: StockStateBody,
    maxBytes: BODY_LIMITS.adjust,
    idempotency: "required",
    success: { status: 200, description: "{sku, level, ledgerSeq, backordersCovered, replayed}" },
    errors: [400, 401, 403, 404, 409, 413, 415, 422],
  },
  async (c, input) => {
    const sku = input.param("sku");
    const key = input.idempotencyKey();
    const body = await input.body();
    const result = await moveStockState(c.env, c.get("principal"), sku, body, key);
    if (result.replayed) c.header("Idempotent-Replayed", "true");
    else await invalidateAvailability(new URL(c.req.url).origin, [sku]);
    return c.json({
      sku: result.sku,
      level: { ...result.level, updatedAt: new Date(result.level.updatedAt).toISOString() },
      ledgerSeq: result.ledgerSeq,
      backordersCovered: result.backordersCovered,
      replayed: result.replayed,
    });
  },
);
