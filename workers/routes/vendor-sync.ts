/**
 * `/api/v2/vendors/{vendorId}/sync-settings` and `/sync-health` (issue 16): a vendor's sync
 * settings (operators, or the vendor's own key) and its sync health. Mounted before the
 * operators-only `vendors` group, whose `authenticate` would otherwise refuse vendor keys.
 */
import { VendorId } from "../../domain/schemas/common";
import { SYNC_SETTINGS_LIMITS, VendorSyncSettingsBody } from "../../domain/schemas/vendor-sync";
import { vendorSyncHealthJson } from "../../services/sync-health";
import { checkVendorAccess, getSyncSettings, putSyncSettings } from "../../services/sync-settings";
import { RouteGroup } from "../http/route-table";

export const vendorSync = new RouteGroup("vendor channels");

vendorSync.route(
  {
    method: "get",
    path: "/:vendorId/sync-settings",
    summary:
      "A vendor's sync settings (method, schedule, format, column map, location names, pull URL; the pull's auth secret as a masked hint) and its pull's state",
    scopes: ["operator", "vendor"],
    params: { vendorId: VendorId },
    success: { status: 200, description: "{vendorId, settings, pullAuth: {header, hint} | null, intervalMinutes, staleAfterMinutes, pull, version, …}" },
    errors: [400, 401, 403, 404],
  },
  async (c, input) => {
    const json = await getSyncSettings(c.env, c.get("principal"), input.param("vendorId"));
    c.header("Cache-Control", "private, no-store");
    return c.json(json);
  },
);

vendorSync.route(
  {
    method: "put",
    path: "/:vendorId/sync-settings",
    summary:
      "Replace a vendor's sync settings; pullAuth: an object sets the pull's auth header, null removes it, absent keeps it. A pull URL must be https to a public host",
    scopes: ["operator", "vendor"],
    params: { vendorId: VendorId },
    body: VendorSyncSettingsBody,
    maxBytes: SYNC_SETTINGS_LIMITS.maxBodyBytes,
    success: { status: 200, description: "the settings as GET shows them (201 when created)" },
    errors: [400, 401, 403, 404, 413, 415],
  },
  async (c, input) => {
    const principal = c.get("principal");
    const vendorId = input.param("vendorId");
    // Who may, before what: a vendor key of another vendor learns nothing from a validation error.
    await checkVendorAccess(c.env, principal, vendorId);
    const body = await input.body();
    const { created, json } = await putSyncSettings(c.env, principal, vendorId, body);
    c.header("Cache-Control", "private, no-store");
    return c.json(json, created ? 201 : 200);
  },
);

vendorSync.route(
  {
    method: "get",
    path: "/:vendorId/sync-health",
    summary:
      "A vendor's sync health: last successful sync per method, failures in a row (sync.failed raised), stale flag after the configured silence, the pull's state",
    scopes: ["operator", "vendor"],
    params: { vendorId: VendorId },
    success: { status: 200, description: "{vendorId, lastSuccessAt, stale, staleAfterMinutes, failing, methods: […], pull}" },
    errors: [400, 401, 403, 404],
  },
  async (c, input) => {
    const vendorId = input.param("vendorId");
    await checkVendorAccess(c.env, c.get("principal"), vendorId);
    c.header("Cache-Control", "private, no-store");
    return c.json(await vendorSyncHealthJson(c.env, vendorId, Date.now()));
  },
);
