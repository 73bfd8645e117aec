/**
 * `GET /api/v2/dead-letters`: messages that ended in a dead-letter queue (SYNC, EVENTS,
 * WEBHOOKS, REORDER), with the last error the consumer saw. Operators only.
 */
import { RouteGroup } from "../http/route-table";
import { listDeadLetters } from "../../repositories/dead-letters";
import { encodeCursor } from "../../domain/schemas/cursor";
import { DEAD_LETTERS_CURSOR, DeadLetterQuery } from "../../domain/schemas/planning";

export const deadLetters = new RouteGroup("operations", ["operator"]);

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

deadLetters.route(
  {
    method: "get",
    path: "/",
    summary: "Messages that ended in a dead-letter queue, with their last error",
    scopes: ["operator"],
    query: DeadLetterQuery,
    success: { status: 200, description: "{items, nextCursor}" },
    errors: [400, 401, 403],
  },
  async (c, input) => {
    const q = input.query();
    const rows = await listDeadLetters(c.env.DB, { queue: q.queue, after: q.cursor, limit: q.limit + 1 });
    const page = rows.slice(0, q.limit);
    const last = page[page.length - 1];
    c.header("Cache-Control", "private, no-store");
    return c.json({
      items: page.map((r) => ({ ...r, failedAt: iso(r.failedAt), receivedAt: iso(r.receivedAt) })),
      nextCursor: rows.length > q.limit && last !== undefined ? encodeCursor(DEAD_LETTERS_CURSOR, [last.queue, last.messageId]) : null,
    });
  },
);
