/**
 * `GET /api/v2/me`: who the key is. The dashboard signs in with an API key and calls this
 * once to learn the key's scope (operator or vendor views), its vendor (a vendor's views
 * show only its own data; the API enforces that on every route anyway) and, for checkout
 * keys, the storefront channel. One key lookup (cached by `authenticate`), no other read.
 */
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/authenticate";

export const me = new Hono<AppEnv>();

me.get("/", authenticate("operator", "vendor", "checkout"), (c) => {
  const principal = c.get("principal");
  c.header("Cache-Control", "private, no-store");
  return c.json({
    scope: principal.scope,
    vendorId: principal.vendorId,
    ...(principal.scope === "checkout" ? { channel: principal.channel } : {}),
  });
});
