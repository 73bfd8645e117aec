/**
 * D1 read replication for list reads (issue 19): a route defined with `reads: "replica"` runs
 * its D1 queries in a D1 session (the Sessions API), which may serve them from a read replica
 * near the request instead of the primary. Each answer carries a `D1-Bookmark` header: a
 * client that sends it back (or `first-primary`) reads data at least that fresh, so a
 * dashboard that just wrote something and lists again sees its write. Without the header a
 * session starts `first-unconstrained` (any replica). Locally there are no replicas; the
 * sessions and their bookmarks behave the same.
 */
import type { Context } from "hono";
import { z } from "zod";
import type { AppEnv } from "../app-env";
import { validate } from "./read-input";

const ONE_BOOKMARK = "[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}";
const DATABASE = "(?:DB|READ_\\d{1,2})";

/**
 * The header's value: a session constraint for every database, or the bookmarks of earlier
 * answers, one per database (`DB=<bookmark>,READ_2=<bookmark>`: since the read model is
 * partitioned, a list may read several databases, each with its own bookmarks). A database
 * the header does not name starts `first-unconstrained`.
 */
export const D1Bookmark = z.union([
  z.literal("first-primary"),
  z.literal("first-unconstrained"),
  z
    .string()
    .max(4096)
    .regex(
      new RegExp(`^${DATABASE}=${ONE_BOOKMARK}(?:,${DATABASE}=${ONE_BOOKMARK})*$`),
      "the D1-Bookmark header of an earlier answer (DB=<bookmark>,READ_<n>=<bookmark>…), first-primary or first-unconstrained",
    ),
]);

export const BOOKMARK_HEADER = "D1-Bookmark";

/** Where each named database's session starts, from the header. */
function startsOf(header: string): (name: string) => string {
  if (header === "first-primary" || header === "first-unconstrained") return () => header;
  const named = new Map(header.split(",").map((pair) => pair.split("=") as [string, string]));
  return (name) => named.get(name) ?? "first-unconstrained";
}

/**
 * Runs `handler` with the request's D1 queries in sessions — one per database: `DB` and each
 * read database `READ_<n>` — started from the request's bookmarks, if any, then stamps the
 * answer with the bookmarks of the databases it read.
 */
export async function inReplicaSession(c: Context<AppEnv>, handler: () => Response | Promise<Response>): Promise<Response> {
  const raw = c.req.header(BOOKMARK_HEADER);
  const start = startsOf(raw === undefined ? "first-unconstrained" : validate(D1Bookmark, raw.trim(), "D1-Bookmark header", ["headers", "d1-bookmark"]));
  const bindings = c.env as unknown as Record<string, unknown>;
  const names = ["DB", ...Object.keys(bindings).filter((k) => /^READ_\d{1,2}$/.test(k))];
  const sessions = names.map((name) => [name, (bindings[name] as D1Database).withSession(start(name))] as const);
  // Everything below the route (services, repositories) takes `env.DB` / `env.READ_<n>`: they get the sessions, unchanged.
  c.env = { ...c.env, ...Object.fromEntries(sessions.map(([name, session]) => [name, session as unknown as D1Database])) };
  const response = await handler();
  const marks = sessions.flatMap(([name, session]) => {
    const bookmark = session.getBookmark();
    return bookmark === null ? [] : [`${name}=${bookmark}`];
  });
  if (marks.length === 0) return response;
  const bookmark = marks.join(",");
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
