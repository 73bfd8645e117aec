/**
 * `GET /api/v2/dead-letters`: messages that ended in a dead-letter queue (SYNC, EVENTS,
 * WEBHOOKS, REORDER), with the last error the consumer saw. Operators only.
 */
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/authenticate";
import { readQuery } from "../http/read-input";
import { listDeadLetters } from "../../repositories/dead-letters";
import { encodeCursor } from "../../domain/schemas/cursor";
import { DEAD_LETTERS_CURSOR, DeadLetterQuery } from "../../domain/schemas/planning";

export const deadLetters = new Hono<AppEnv>();
deadLetters.use("*", authenticate("operator"));

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

deadLetters.get("/", async (c) => {
  const q = readQuery(c, DeadLetterQuery);
  const rows = await listDeadLetters(c.env.DB, { queue: q.queue, after: q.cursor, limit: q.limit + 1 });
  const page = rows.slice(0, q.limit);
  const last = page[page.length - 1];
  c.header("Cache-Control", "private, no-store");
  return c.json({
    items: page.map((r) => ({ ...r, failedAt: iso(r.failedAt), receivedAt: iso(r.receivedAt) })),
    nextCursor: rows.length > q.limit && last !== undefined ? encodeCursor(DEAD_LETTERS_CURSOR, [last.queue, last.messageId]) : null,
  });
});
