/**
 * CORS for the dashboard (a static app on Cloudflare Pages, another origin than the API).
 * The allowed origins are `DASHBOARD_ORIGINS` in wrangler.toml `[vars]`: comma-separated,
 * exact origins (`https://dash.example.com`, `http://127.0.0.1:8788`). A `*` entry is
 * ignored: the API never answers every origin on its authenticated routes. Keys travel as
 * `Authorization: Bearer`, not cookies, so credentials are never allowed (no
 * `Access-Control-Allow-Credentials`); a page of another origin cannot borrow a session.
 *
 * Mounted on /api/v2/* after the public availability routes (workers/app.ts), before the
 * other sub-apps, so a preflight
 * (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) is answered 204 here and
 * never reaches a sub-app's `authenticate`. The public availability routes keep their own
 * `Access-Control-Allow-Origin: *`.
 */
import { createMiddleware } from "hono/factory";
import { cors } from "hono/cors";
import type { AppEnv } from "../app-env";

/** What the dashboard sends besides simple headers. */
const ALLOW_HEADERS = ["Authorization", "Content-Type", "Idempotency-Key", "D1-Bookmark"];
/** Response headers the dashboard reads (request id for error reports, retry hints, replays, downloads, lists' D1 bookmark). */
const EXPOSE_HEADERS = ["X-Request-Id", "Retry-After", "Idempotent-Replayed", "Location", "Content-Disposition", "D1-Bookmark"];
const ALLOW_METHODS = ["GET", "POST", "PUT", "PATCH", "DELETE"];
/** Seconds a browser may keep a preflight's answer. */
const PREFLIGHT_MAX_AGE = 600;

/** Parsed `DASHBOARD_ORIGINS`, per distinct value (one per deployment, in practice). */
const parsed = new Map<string, ReadonlySet<string>>();

/**
 * The exact origins a `DASHBOARD_ORIGINS` value allows: entries trimmed, a trailing `/`
 * dropped, empty entries and `*` left out, anything that is not an http(s) origin left out.
 */
export function dashboardOrigins(value: string): ReadonlySet<string> {
  let set = parsed.get(value);
  if (set === undefined) {
    set = new Set(
      value
        .split(",")
        .map((entry) => entry.trim().replace(/\/$/, ""))
        .filter((entry) => {
          if (entry === "" || entry === "*") return false;
          try {
            const url = new URL(entry);
            return (url.protocol === "https:" || url.protocol === "http:") && url.origin === entry;
          } catch {
            return false;
          }
        }),
    );
    if (parsed.size > 16) parsed.clear();
    parsed.set(value, set);
  }
  return set;
}

/** CORS for the dashboard's origins: requests from them may read answers; preflights are answered. */
export function dashboardCors() {
  const handler = cors({
    origin: (origin, c) => {
      // The generated type is wrangler.toml's literal; deployments and `wrangler dev --var` set others.
      const value: string = (c.env as Env).DASHBOARD_ORIGINS ?? "";
      return dashboardOrigins(value).has(origin) ? origin : null;
    },
    allowMethods: ALLOW_METHODS,
    allowHeaders: ALLOW_HEADERS,
    exposeHeaders: EXPOSE_HEADERS,
    maxAge: PREFLIGHT_MAX_AGE,
    credentials: false,
  });
  return createMiddleware<AppEnv>((c, next) => handler(c, next));
}
