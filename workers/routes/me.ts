/**
 * `GET /api/v2/me`: who the key is. The dashboard signs in with an API key and calls this
 * once to learn the key's scope (operator or vendor views), its vendor (a vendor's views
 * show only its own data; the API enforces that on every route anyway) and, for checkout
 * keys, the storefront channel. One key lookup (cached by `authenticate`), no other read.
 */
import { RouteGroup } from "../http/route-table";

export const me = new RouteGroup("keys");

me.route(
  {
    method: "get",
    path: "/",
    summary: "Who the key is: its scope, its vendor (vendor keys) and its storefront channel (checkout keys)",
    scopes: ["operator", "vendor", "checkout"],
    success: { status: 200, description: "{scope, vendorId, channel?}" },
    errors: [401, 403],
  },
  (c) => {
    const principal = c.get("principal");
    c.header("Cache-Control", "private, no-store");
    return c.json({
      scope: principal.scope,
      vendorId: principal.vendorId,
      ...(principal.scope === "checkout" ? { channel: principal.channel } : {}),
    });
  },
);
