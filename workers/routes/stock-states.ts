/**
 * `POST /api/v2/inventory/{sku}/states`: move units between sellable, damaged and on-hold,
 * or write them off (operators; vendors on their own SKUs). Mounted beside `inventory`.
 */
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/authenticate";
import { invalidateAvailability } from "../availability/availability-cache";
import { readJson, readParam } from "../http/read-input";
import { SkuId } from "../../domain/schemas/common";
import { StockStateBody } from "../../domain/schemas/inbound";
import { moveStockState } from "../../services/stock-states";
import { idempotencyKeyOf } from "./idempotency";
import { BODY_LIMITS } from "./limits";

export const stockStates = new Hono<AppEnv>();

stockStates.post("/:sku/states", authenticate("operator", "vendor"), async (c) => {
  const sku = readParam(c, "sku", SkuId);
  const key = idempotencyKeyOf(c, true);
  const body = await readJson(c, StockStateBody, BODY_LIMITS.adjust);
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
});
