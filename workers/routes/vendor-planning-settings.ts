/**
 * `/api/v2/vendors/{vendorId}/planning-settings`: a vendor's planning settings — whether the
 * purchase orders the nightly run drafts for it are submitted at once
 * (`autoSubmitPurchaseOrders`, default false: they wait for an operator's approval).
 * Operators only: the marketplace decides what it orders.
 */
import { RouteGroup } from "../http/route-table";
import { VendorId } from "../../domain/schemas/common";
import { VendorPlanningSettingsBody } from "../../domain/schemas/planning";
import { setVendorPlanningSettings, vendorPlanningSettings } from "../../services/reorder-drafts";
import { BODY_LIMITS } from "./limits";

export const vendorPlanningSettingsRoutes = new RouteGroup("planning", ["operator"]);

vendorPlanningSettingsRoutes.route(
  {
    method: "get",
    path: "/:vendorId/planning-settings",
    summary: "A vendor's planning settings (auto-submit of drafted purchase orders)",
    scopes: ["operator"],
    params: { vendorId: VendorId },
    success: { status: 200, description: "{vendorId, autoSubmitPurchaseOrders, updatedBy, updatedAt}" },
    errors: [400, 401, 403, 404],
  },
  async (c, input) => c.json(await vendorPlanningSettings(c.env, input.param("vendorId"))),
);

vendorPlanningSettingsRoutes.route(
  {
    method: "put",
    path: "/:vendorId/planning-settings",
    summary: "Set a vendor's planning settings (omitted fields keep their values)",
    scopes: ["operator"],
    params: { vendorId: VendorId },
    body: VendorPlanningSettingsBody,
    maxBytes: BODY_LIMITS.masterData,
    success: { status: 200, description: "{vendorId, autoSubmitPurchaseOrders, updatedBy, updatedAt}" },
    errors: [400, 401, 403, 404, 413, 415],
  },
  async (c, input) => c.json(await setVendorPlanningSettings(c.env, c.get("principal"), input.param("vendorId"), await input.body())),
);
