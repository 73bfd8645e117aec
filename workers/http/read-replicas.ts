/**
 * D1 read replication for list reads (issue 19): a route defined with `reads: "replica"` runs
 * its D1 queries in a D1 session (the Sessions API), which may serve them from a read replica
 * near the request instead of the primary. Each answer carries a `D1-Bookmark` header: a
 * client that sends it back (or `first-primary`) reads data at least that fresh, so a
 * dashboard that just wrote something and lists again sees its write. Without the header a
 * session starts `first-unconstrained` (any replica). Locally there is one database; the
 * session and its bookmarks behave the same.
 */
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app-env";
import { validate } from "./read-input";

/** A bookmark as D1 issues it, or a session constraint. */
export const D1Bookmark = z.union([
  z.literal("first-primary"),
  z.literal("first-unconstrained"),
  z.string().regex(/^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/, "a D1 bookmark from an earlier answer's D1-Bookmark header"),
]);

export const BOOKMARK_HEADER = "D1-Bookmark";

/**
 * Runs `handler` with the request's D1 queries in one session (started from the request's
 * bookmark, if any), then stamps the answer with the session's latest bookmark.
 */
export async function inReplicaSession(c: Context<AppEnv>, handler: () => Response | Promise<Response>): Promise<Response> {
  const raw = c.req.header(BOOKMARK_HEADER);
  const start = raw === undefined ? "first-unconstrained" : validate(D1Bookmark, raw.trim(), "D1-Bookmark header", ["headers", "d1-bookmark"]);
  const session = c.env.DB.withSession(start);
  // Everything below the route (services, repositories) takes `env.DB`: they get the session, unchanged.
  c.env = { ...c.env, DB: session as unknown as D1Database };
  const response = await handler();
  const bookmark = session.getBookmark();
  if (bookmark === null) return response;
  try {
    response.headers.set(BOOKMARK_HEADER, bookmark);
    return response;
  } catch {
    // An immutable response (e.g. from a cache): copy it to add the header.
    const copy = new Response(response.body, response);
    copy.headers.set(BOOKMARK_HEADER, bookmark);
    return copy;
  }
}
