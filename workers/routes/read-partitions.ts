/**
 * `/api/v2/read-partitions` (operators): the partitioned read model (issue 19 item 2) — how
 * many read databases there are, and moving a vendor's rows from one to another (the
 * re-partitioning procedure, services/read-moves.ts; README "Re-partitioning the read model").
 */
import { actorOf } from "../../services/principal";
import { ApiError } from "../../services/api-error";
import { RouteGroup } from "../http/route-table";
import { MoveId, MoveListQuery, StartMoveBody } from "../../domain/schemas/read-partitions";
import { advanceMove, moveJson, pinVendors, startMove } from "../../services/read-moves";
import { movesOf, recentMoves, vendorPlacement } from "../../repositories/read-moves";
import { readPartitionCount } from "../../repositories/read-partitions";
import { BODY_LIMITS } from "./limits";

export const readPartitions = new RouteGroup("read model", ["operator"]);

readPartitions.route(
  {
    method: "get",
    path: "/",
    summary: "The read databases: M, and the moves under way",
    scopes: ["operator"],
    success: { status: 200, description: "{partitions}" },
    errors: [401, 403],
  },
  async (c) => c.json({ partitions: readPartitionCount(c.env) }),
);

readPartitions.route(
  {
    method: "post",
    path: "/moves",
    summary: "Move a vendor's read-model rows to another read database (online; advanced by the per-minute cron)",
    scopes: ["operator"],
    body: StartMoveBody,
    maxBytes: BODY_LIMITS.action,
    success: { status: 202, description: "the move" },
    errors: [400, 401, 403, 404, 409, 413, 415],
  },
  async (c, input) => {
    const body = await input.body();
    const move = await startMove(c.env, body.vendorId, body.to, actorOf(c.get("principal")));
    return c.json(moveJson(move), 202);
  },
);

readPartitions.route(
  {
    method: "get",
    path: "/moves",
    summary:
      "Moves, newest first: a vendor's (`vendorId`; with `placement`, where its rows are now — read database and whether pinned — or null for no such vendor), or without `vendorId` every vendor's most recent",
    scopes: ["operator"],
    query: MoveListQuery,
    success: { status: 200, description: "{items} (with vendorId: {items, placement: {partition, pinned, databaseExists} | null})" },
    errors: [400, 401, 403],
  },
  async (c, input) => {
    const q = input.query();
    if (q.vendorId === undefined) return c.json({ items: (await recentMoves(c.env.DB, q.limit)).map(moveJson) });
    const [items, placement] = await Promise.all([movesOf(c.env.DB, q.vendorId, q.limit), vendorPlacement(c.env, q.vendorId)]);
    return c.json({ items: items.map(moveJson), placement: placement ?? null });
  },
);

readPartitions.route(
  {
    method: "get",
    path: "/moves/:id",
    summary: "A move, advanced as far as it can go now",
    scopes: ["operator"],
    params: { id: MoveId },
    success: { status: 200, description: "the move" },
    errors: [400, 401, 403, 404],
  },
  async (c, input) => {
    const id = input.param("id");
    const move = await advanceMove(c.env, id);
    if (move === undefined) throw new ApiError(404, "move_not_found", `no move ${id}`, { id });
    return c.json(moveJson(move));
  },
);

readPartitions.route(
  {
    method: "post",
    path: "/pin",
    summary: "Store every vendor's current read database (before M changes: a vendor's home is a hash over M)",
    scopes: ["operator"],
    success: { status: 200, description: "{pinned}" },
    errors: [401, 403],
  },
  async (c) => c.json({ pinned: await pinVendors(c.env) }),
);
