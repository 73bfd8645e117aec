/**
 * `/api/v2/alerts`: stock alerts (opened and resolved by the EVENTS consumer), listed with
 * filters, acknowledged and snoozed. Operators; vendor keys see and handle their own SKUs'.
 */
import type { Context } from "hono";
import type { AppEnv } from "../app-env";
import { RouteGroup } from "../http/route-table";
import { actorOf } from "../../services/principal";
import { ApiError } from "../../services/api-error";
import type { AlertListRow } from "../../repositories/alerts";
import { acknowledgeLocated, listAlertsAcross, locateAlert, snoozeLocated, type LocatedAlert } from "../../services/alerts";
import { encodeCursor } from "../../domain/schemas/cursor";
import { ALERTS_CURSOR, AlertId, AlertListQuery, SnoozeBody } from "../../domain/schemas/planning";
import { BODY_LIMITS } from "./limits";
import { assertOwns, listVendor } from "./planning-access";

export const alerts = new RouteGroup("alerts", ["operator", "vendor"]);
alerts.app.use("*", async (c, next) => {
  c.header("Cache-Control", "private, no-store");
  await next();
});

/** Longest snooze: 90 days. */
const MAX_SNOOZE_MS = 90 * 86_400_000;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

function alertJson(a: AlertListRow, now: number) {
  const state = a.status === "resolved" ? "resolved" : (a.snoozedUntil ?? 0) > now ? "snoozed" : a.acknowledgedAt !== null ? "acknowledged" : "open";
  return {
    id: a.id,
    sku: a.sku,
    vendorId: a.vendorId,
    locationId: a.locationId,
    kind: a.kind,
    status: state,
    available: a.available,
    reorderPoint: a.reorderPoint,
    occurrences: a.occurrences,
    openedAt: iso(a.openedAt),
    updatedAt: iso(a.updatedAt),
    resolvedAt: iso(a.resolvedAt),
    resolution: a.resolution,
    acknowledgedAt: iso(a.acknowledgedAt),
    acknowledgedBy: a.acknowledgedBy,
    snoozedUntil: iso(a.snoozedUntil),
  };
}

alerts.route(
  {
    method: "get",
    path: "/",
    reads: "replica",
    summary: "Stock alerts, filtered by kind, status, vendor and SKU, newest first, cursor-paginated",
    scopes: ["operator", "vendor"],
    query: AlertListQuery,
    success: { status: 200, description: "{items, nextCursor}" },
    errors: [400, 401, 403],
  },
  async (c, input) => {
    const q = input.query();
    const now = Date.now();
    const rows = await listAlertsAcross(c.env, {
      kind: q.kind,
      status: q.status,
      vendorId: listVendor(c.get("principal"), q.vendorId),
      sku: q.sku,
      after: q.cursor,
      limit: q.limit + 1,
      now,
    });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    return c.json({
      items: page.map((a) => alertJson(a, now)),
      nextCursor: rows.length > q.limit && last !== undefined ? encodeCursor(ALERTS_CURSOR, [last.openedAt, last.id]) : null,
    });
  },
);

/** The alert, 404 if unknown, 403 if another vendor's (looked up in every read database, so another vendor's alert is a 403, not a 404). */
async function ownedAlert(c: Context<AppEnv>, id: string): Promise<LocatedAlert> {
  const found = await locateAlert(c.env, id);
  if (found === null) throw new ApiError(404, "alert_not_found", `no alert ${id}`, { id });
  assertOwns(c.get("principal"), found.alert.vendorId, found.alert.sku);
  return found;
}

alerts.route(
  {
    method: "post",
    path: "/:id/acknowledge",
    summary: "Acknowledge an alert (it stays until the stock recovers)",
    scopes: ["operator", "vendor"],
    params: { id: AlertId },
    success: { status: 200, description: "the alert" },
    errors: [400, 401, 403, 404],
  },
  async (c, input) => {
    const found = await ownedAlert(c, input.param("id"));
    const now = Date.now();
    return c.json(alertJson(await acknowledgeLocated(c.env, found, actorOf(c.get("principal")), now), now));
  },
);

alerts.route(
  {
    method: "post",
    path: "/:id/snooze",
    summary: "Snooze an open alert until a time (at most 90 days ahead)",
    scopes: ["operator", "vendor"],
    params: { id: AlertId },
    body: SnoozeBody,
    maxBytes: BODY_LIMITS.action,
    success: { status: 200, description: "the alert" },
    errors: [400, 401, 403, 404, 409, 413, 415],
  },
  async (c, input) => {
    const found = await ownedAlert(c, input.param("id"));
    const body = await input.body();
    const now = Date.now();
    if (body.until <= now || body.until > now + MAX_SNOOZE_MS) {
      throw ApiError.invalid("invalid request body", [
        { path: ["body", "until"], message: "until must be in the future and at most 90 days ahead", code: "out_of_range" },
      ]);
    }
    if (found.alert.status === "resolved")
      throw new ApiError(409, "alert_resolved", "the alert is resolved; there is nothing to snooze", { id: found.alert.id });
    return c.json(alertJson(await snoozeLocated(c.env, found, body.until), now));
  },
);
