/**
 * `/api/v2/inventory`: stock detail and changes (operators, vendors on their own SKUs) and
 * the reservation lifecycle (checkout, operators).
 */
import type { Context } from "hono";
import type { TransitionOp } from "../../durable-objects/reservation-coordinator.types";
import type { AppEnv } from "../app-env";
import { invalidateAvailability } from "../availability/availability-cache";
import { RouteGroup } from "../http/route-table";
import { SkuId } from "../../domain/schemas/common";
import { AdjustStockBody, LedgerQuery, PromoteBody, ReservationActionBody, ReserveBody, ShardsBody } from "../../domain/schemas/inventory";
import { auditWithShards, setShards, shardsView, withShards } from "../../services/sku-shards";
import { reserve, transition } from "../../services/reservations";
import { skuForStockAccess } from "../../services/sku-access";
import { adjustStock } from "../../services/stock";
import { BODY_LIMITS } from "./limits";

export const inventory = new RouteGroup("inventory");

const stockAccess = ["operator", "vendor"] as const;
const checkoutAccess = ["checkout", "operator"] as const;

/**
 * Drops the public availability cache entries (this isolate and location) of SKUs whose
 * public numbers a change may have moved, before the change is acknowledged, so a read
 * that follows it here shows it. Soft holds, commits and shipments leave `available` as
 * it was and purge nothing. A SKU changed again within a second has its L2 delete at the
 * end of that second (`L2_PURGE_WINDOW_MS`), in the background.
 */
async function purgePublic(c: Context<AppEnv>, skus: Iterable<string>): Promise<void> {
  await invalidateAvailability(new URL(c.req.url).origin, skus, (work) => c.executionCtx.waitUntil(work));
}

inventory.route(
  {
    method: "post",
    path: "/reserve",
    summary: "Hold (soft) or reserve (hard) every line, or none; lines without a location are routed by an allocation plan (allocation options, or a default)",
    scopes: checkoutAccess,
    body: ReserveBody,
    maxBytes: BODY_LIMITS.reserve,
    idempotency: "required",
    success: { status: 201, description: "the reservation" },
    errors: [400, 401, 403, 404, 409, 413, 415, 422, 503],
  },
  async (c, input) => {
    const key = input.idempotencyKey();
    const body = await input.body();
    const result = await reserve(c.env, c.get("principal"), body, key);
    if (result.replayed) c.header("Idempotent-Replayed", "true");
    if (body.type === "hard" && !result.replayed)
      await purgePublic(
        c,
        body.items.map((i) => i.sku),
      );
    return c.json(result.reservation, 201);
  },
);

inventory.route(
  {
    method: "post",
    path: "/promote",
    summary: "Promote a soft hold to a hard reservation",
    scopes: checkoutAccess,
    body: PromoteBody,
    maxBytes: BODY_LIMITS.action,
    idempotency: "optional",
    success: { status: 200, description: "the reservation" },
    errors: [400, 401, 403, 404, 409, 413, 415, 503],
  },
  async (c, input) => {
    input.idempotencyKey();
    const body = await input.body();
    const result = await transition(c.env, c.get("principal"), "promote", body.reservationId, body.ttlSeconds);
    await purgePublic(
      c,
      result.reservation.lines.map((l) => l.sku),
    );
    return c.json(result.reservation, 200);
  },
);

const TRANSITION_SUMMARIES = {
  release: "Release (cancel) a reservation",
  commit: "Commit (pick) a hard reservation",
  fulfil: "Fulfil (ship) a reservation, committing it first if needed",
} as const satisfies Partial<Record<TransitionOp, string>>;

for (const op of ["release", "commit", "fulfil"] as const satisfies TransitionOp[]) {
  inventory.route(
    {
      method: "post",
      path: `/${op}`,
      summary: TRANSITION_SUMMARIES[op],
      scopes: checkoutAccess,
      body: ReservationActionBody,
      maxBytes: BODY_LIMITS.action,
      idempotency: "optional",
      success: { status: 200, description: "the reservation" },
      errors: [400, 401, 403, 404, 409, 413, 415, 503],
    },
    async (c, input) => {
      // Accepted for symmetry; these transitions are idempotent by state.
      input.idempotencyKey();
      const body = await input.body();
      const result = await transition(c.env, c.get("principal"), op, body.reservationId);
      if (op === "release" && result.reservation.type === "hard")
        await purgePublic(
          c,
          result.reservation.lines.map((l) => l.sku),
        );
      return c.json(result.reservation, 200);
    },
  );
}

inventory.route(
  {
    method: "get",
    path: "/:sku",
    summary: "Per-location quantities, totals and reservation counts",
    scopes: stockAccess,
    params: { sku: SkuId },
    success: { status: 200, description: "the SKU's stock" },
    errors: [400, 401, 403, 404],
  },
  async (c, input) => {
    const sku = input.param("sku");
    const row = await skuForStockAccess(c.env, c.get("principal"), sku);
    const snapshot = await withShards(c.env, sku, await c.env.SKU_INVENTORY.getByName(sku).snapshot());
    c.header("Cache-Control", "private, no-store");
    return c.json({
      sku,
      vendorId: row.vendorId,
      version: snapshot.version,
      updatedAt: snapshot.updatedAt === null ? null : new Date(snapshot.updatedAt).toISOString(),
      totals: snapshot.totals,
      locations: snapshot.locations.map((l) => ({ ...l, updatedAt: new Date(l.updatedAt).toISOString() })),
      reservations: snapshot.reservations,
      ...(snapshot.shards === undefined ? {} : { shards: snapshot.shards }),
    });
  },
);

inventory.route(
  {
    method: "get",
    path: "/:sku/ledger",
    summary: "Ledger rows after a sequence number",
    scopes: stockAccess,
    params: { sku: SkuId },
    query: LedgerQuery,
    success: { status: 200, description: "ledger rows, oldest first, and the cursor for the next page" },
    errors: [400, 401, 403, 404],
  },
  async (c, input) => {
    const sku = input.param("sku");
    const query = input.query();
    await skuForStockAccess(c.env, c.get("principal"), sku);
    const entries = await c.env.SKU_INVENTORY.getByName(sku).ledger(query.after, query.limit);
    c.header("Cache-Control", "private, no-store");
    return c.json({
      sku,
      items: entries.map((e) => ({ ...e, at: new Date(e.at).toISOString() })),
      next: entries.length === query.limit ? entries[entries.length - 1]!.seq : null,
    });
  },
);

inventory.route(
  {
    method: "get",
    path: "/:sku/audit",
    summary: "Check every invariant and replay the ledger against the counts",
    scopes: ["operator"],
    params: { sku: SkuId },
    success: { status: 200, description: "the audit report" },
    errors: [400, 401, 403, 404],
  },
  async (c, input) => {
    const sku = input.param("sku");
    await skuForStockAccess(c.env, c.get("principal"), sku);
    const report = await auditWithShards(c.env, sku, await c.env.SKU_INVENTORY.getByName(sku).verify());
    c.header("Cache-Control", "private, no-store");
    return c.json({ sku, ...report });
  },
);

inventory.route(
  {
    method: "patch",
    path: "/:sku",
    summary: "Adjust on-hand by a delta, or set it (optionally compare-and-set)",
    scopes: stockAccess,
    params: { sku: SkuId },
    body: AdjustStockBody,
    maxBytes: BODY_LIMITS.adjust,
    idempotency: "optional",
    success: { status: 200, description: "the location's new level" },
    errors: [400, 401, 403, 404, 409, 413, 415, 422],
  },
  async (c, input) => {
    const sku = input.param("sku");
    const key = input.idempotencyKey();
    const body = await input.body();
    const result = await adjustStock(c.env, c.get("principal"), sku, body, key);
    if (result.replayed) c.header("Idempotent-Replayed", "true");
    else await purgePublic(c, [sku]);
    return c.json({
      sku: result.sku,
      level: { ...result.level, updatedAt: new Date(result.level.updatedAt).toISOString() },
      ledgerSeq: result.ledgerSeq,
      replayed: result.replayed,
    });
  },
);

inventory.route(
  {
    method: "get",
    path: "/:sku/shards",
    summary: "A hot SKU's shards: the count, the units allotted to each, each pool's free units",
    scopes: ["operator"],
    params: { sku: SkuId },
    success: { status: 200, description: "{sku, shards, allotments, pools}" },
    errors: [400, 401, 403, 404],
  },
  async (c, input) => {
    c.header("Cache-Control", "private, no-store");
    return c.json(await shardsView(c.env, input.param("sku")));
  },
);

inventory.route(
  {
    method: "put",
    path: "/:sku/shards",
    summary: "Spread a hot SKU's single-SKU reservations over 1–16 shard objects (1: not sharded)",
    scopes: ["operator"],
    params: { sku: SkuId },
    body: ShardsBody,
    maxBytes: BODY_LIMITS.shards,
    success: { status: 200, description: "{sku, shards, allotments, pools}" },
    errors: [400, 401, 403, 404, 413, 415],
  },
  async (c, input) => {
    const view = await setShards(c.env, input.param("sku"), (await input.body()).shards);
    await invalidateAvailability(new URL(c.req.url).origin, [view.sku]);
    return c.json(view, 200);
  },
);
