/**
 * `/api/v2/alerts`: stock alerts (opened and resolved by the EVENTS consumer), listed with
 * filters, acknowledged and snoozed. Operators; vendor keys see and handle their own SKUs'.
 */
import { Hono, type Context } from "hono";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/authenticate";
import { actorOf } from "../../services/principal";
import { ApiError } from "../../services/api-error";
import { readJson, readParam, readQuery } from "../http/read-input";
import { acknowledgeAlert, findAlert, listAlerts, snoozeAlert, type AlertListRow } from "../../repositories/alerts";
import { encodeCursor } from "../../domain/schemas/cursor";
import { ALERTS_CURSOR, AlertId, AlertListQuery, SnoozeBody } from "../../domain/schemas/planning";
import { BODY_LIMITS } from "./limits";
import { assertOwns, listVendor } from "./planning-access";

export const alerts = new Hono<AppEnv>();
alerts.use("*", authenticate("operator", "vendor"));
alerts.use("*", async (c, next) => {
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

alerts.get("/", async (c) => {
  const q = readQuery(c, AlertListQuery);
  const now = Date.now();
  const rows = await listAlerts(c.env.DB, {
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
});

/** The alert, 404 if unknown, 403 if another vendor's. */
async function ownedAlert(c: Context<AppEnv>): Promise<AlertListRow> {
  const id = readParam(c, "id", AlertId);
  const found = await findAlert(c.env.DB, id);
  if (found === null) throw new ApiError(404, "alert_not_found", `no alert ${id}`, { id });
  assertOwns(c.get("principal"), found.vendorId, found.sku);
  return found;
}

alerts.post("/:id/acknowledge", async (c) => {
  const found = await ownedAlert(c);
  const now = Date.now();
  await acknowledgeAlert(c.env.DB, found.id, actorOf(c.get("principal")), now);
  return c.json(alertJson((await findAlert(c.env.DB, found.id))!, now));
});

alerts.post("/:id/snooze", async (c) => {
  const found = await ownedAlert(c);
  const body = await readJson(c, SnoozeBody, BODY_LIMITS.action);
  const now = Date.now();
  if (body.until <= now || body.until > now + MAX_SNOOZE_MS) {
    throw ApiError.invalid("invalid request body", [
      { path: ["body", "until"], message: "until must be in the future and at most 90 days ahead", code: "out_of_range" },
    ]);
  }
  if (found.status === "resolved") throw new ApiError(409, "alert_resolved", "the alert is resolved; there is nothing to snooze", { id: found.id });
  await snoozeAlert(c.env.DB, found.id, body.until);
  return c.json(alertJson((await findAlert(c.env.DB, found.id))!, now));
});
