/**
 * `/api/v2/inventory`: stock detail and changes (operators, vendors on their own SKUs) and
 * the reservation lifecycle (checkout, operators).
 */
import { Hono, type Context } from "hono";
import type { TransitionOp } from "../../durable-objects/reservation-coordinator.types";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/authenticate";
import { invalidateAvailability } from "../availability/availability-cache";
import { readJson, readParam, readQuery } from "../http/read-input";
import { SkuId } from "../../domain/schemas/common";
import { AdjustStockBody, LedgerQuery, PromoteBody, ReservationActionBody, ReserveBody } from "../../domain/schemas/inventory";
import { reserve, transition } from "../../services/reservations";
import { skuForStockAccess } from "../../services/sku-access";
import { adjustStock } from "../../services/stock";
import { idempotencyKeyOf } from "./idempotency";
import { BODY_LIMITS } from "./limits";

export const inventory = new Hono<AppEnv>();

const stockAccess = authenticate("operator", "vendor");
const checkoutAccess = authenticate("checkout", "operator");

/**
 * Drops the public availability cache entries (this isolate and location) of SKUs whose
 * public numbers a change may have moved, before the change is acknowledged, so a read
 * that follows it here shows it. Soft holds, commits and shipments leave `available` as
 * it was and purge nothing.
 */
async function purgePublic(c: Context<AppEnv>, skus: Iterable<string>): Promise<void> {
  await invalidateAvailability(new URL(c.req.url).origin, skus);
}

inventory.post("/reserve", checkoutAccess, async (c) => {
  const key = idempotencyKeyOf(c, true);
  const body = await readJson(c, ReserveBody, BODY_LIMITS.reserve);
  const result = await reserve(c.env, c.get("principal"), body, key);
  if (result.replayed) c.header("Idempotent-Replayed", "true");
  if (body.type === "hard" && !result.replayed)
    await purgePublic(
      c,
      body.items.map((i) => i.sku),
    );
  return c.json(result.reservation, 201);
});

inventory.post("/promote", checkoutAccess, async (c) => {
  idempotencyKeyOf(c, false);
  const body = await readJson(c, PromoteBody, BODY_LIMITS.action);
  const result = await transition(c.env, c.get("principal"), "promote", body.reservationId, body.ttlSeconds);
  await purgePublic(
    c,
    result.reservation.lines.map((l) => l.sku),
  );
  return c.json(result.reservation, 200);
});

for (const op of ["release", "commit", "fulfil"] as const satisfies TransitionOp[]) {
  inventory.post(`/${op}`, checkoutAccess, async (c) => {
    // Accepted for symmetry; these transitions are idempotent by state.
    idempotencyKeyOf(c, false);
    const body = await readJson(c, ReservationActionBody, BODY_LIMITS.action);
    const result = await transition(c.env, c.get("principal"), op, body.reservationId);
    if (op === "release" && result.reservation.type === "hard")
      await purgePublic(
        c,
        result.reservation.lines.map((l) => l.sku),
      );
    return c.json(result.reservation, 200);
  });
}

inventory.get("/:sku", stockAccess, async (c) => {
  const sku = readParam(c, "sku", SkuId);
  const row = await skuForStockAccess(c.env, c.get("principal"), sku);
  const snapshot = await c.env.SKU_INVENTORY.getByName(sku).snapshot();
  c.header("Cache-Control", "private, no-store");
  return c.json({
    sku,
    vendorId: row.vendorId,
    version: snapshot.version,
    updatedAt: snapshot.updatedAt === null ? null : new Date(snapshot.updatedAt).toISOString(),
    totals: snapshot.totals,
    locations: snapshot.locations.map((l) => ({ ...l, updatedAt: new Date(l.updatedAt).toISOString() })),
    reservations: snapshot.reservations,
  });
});

inventory.get("/:sku/ledger", stockAccess, async (c) => {
  const sku = readParam(c, "sku", SkuId);
  const query = readQuery(c, LedgerQuery);
  await skuForStockAccess(c.env, c.get("principal"), sku);
  const entries = await c.env.SKU_INVENTORY.getByName(sku).ledger(query.after, query.limit);
  c.header("Cache-Control", "private, no-store");
  return c.json({
    sku,
    items: entries.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
    next: entries.length === query.limit ? entries[entries.length - 1]!.seq : null,
  });
});

inventory.get("/:sku/audit", authenticate("operator"), async (c) => {
  const sku = readParam(c, "sku", SkuId);
  await skuForStockAccess(c.env, c.get("principal"), sku);
  const report = await c.env.SKU_INVENTORY.getByName(sku).verify();
  c.header("Cache-Control", "private, no-store");
  return c.json({ sku, ...report });
});

inventory.patch("/:sku", stockAccess, async (c) => {
  const sku = readParam(c, "sku", SkuId);
  const key = idempotencyKeyOf(c, false);
  const body = await readJson(c, AdjustStockBody, BODY_LIMITS.adjust);
  const result = await adjustStock(c.env, c.get("principal"), sku, body, key);
  if (result.replayed) c.header("Idempotent-Replayed", "true");
  else await purgePublic(c, [sku]);
  return c.json({
    sku: result.sku,
    level: { ...result.level, updatedAt: new Date(result.level.updatedAt).toISOString() },
    ledgerSeq: result.ledgerSeq,
    replayed: result.replayed,
  });
});
