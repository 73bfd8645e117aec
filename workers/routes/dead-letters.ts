/**
 * `/api/v2/dead-letters`: messages that ended in a dead-letter queue (SYNC, EVENTS, WEBHOOKS,
 * REORDER), with the last error the consumer saw, and their replay to the queue they failed
 * on (once; `services/dead-letter-replay.ts`). Operators only.
 */
import { RouteGroup } from "../http/route-table";
import { listDeadLetters } from "../../repositories/dead-letters";
import { replayDeadLetter } from "../../services/dead-letter-replay";
import { encodeCursor } from "../../domain/schemas/cursor";
import { DeadLetterId, deadLetterId } from "../../domain/schemas/listings";
import { DEAD_LETTERS_CURSOR, DeadLetterQuery } from "../../domain/schemas/planning";

export const deadLetters = new RouteGroup("operations", ["operator"]);
deadLetters.app.use("*", async (c, next) => {
  c.header("Cache-Control", "private, no-store");
  await next();
});

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

deadLetters.route(
  {
    method: "get",
    path: "/",
    reads: "replica",
    summary: "Messages that ended in a dead-letter queue, with their last error and whether they were replayed",
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
    return c.json({
      items: page.map((r) => ({
        id: deadLetterId(r.queue, r.messageId),
        ...r,
        failedAt: iso(r.failedAt),
        receivedAt: iso(r.receivedAt),
        replayedAt: iso(r.replayedAt),
      })),
      nextCursor: rows.length > q.limit && last !== undefined ? encodeCursor(DEAD_LETTERS_CURSOR, [last.queue, last.messageId]) : null,
    });
  },
);

deadLetters.route(
  {
    method: "post",
    path: "/:id/replay",
    summary:
      "Send a dead letter's message again to the queue it failed on, once (a failed SYNC chunk or a cancelled webhook delivery is reopened first); a repeat answers the first replay",
    scopes: ["operator"],
    params: { id: DeadLetterId },
    success: { status: 200, description: "{id, queue, messageId, replayedAt, replayedBy, reopened}; Idempotent-Replayed: true on a repeat" },
    errors: [400, 401, 403, 404, 409, 503],
  },
  async (c, input) => {
    const id = input.param("id");
    const { result, repeated } = await replayDeadLetter(c.env, c.get("principal"), id);
    if (repeated) c.header("Idempotent-Replayed", "true");
    return c.json(result);
  },
);
