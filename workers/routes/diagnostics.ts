/**
 * `/api/v2/diagnostics` (operators): how the load spread over the partitions — queue messages
 * consumed per queue partition and the EVENTS projection's D1 writes per database, as counted
 * by THIS isolate since it started counting (services/load-counters.ts). In production each
 * isolate answers its own share; locally one isolate runs everything. `npm run bench` reads it
 * before and after a scenario.
 */
import { readPartitionCount } from "../../repositories/read-partitions";
import { loadSnapshot } from "../../services/load-counters";
import { RouteGroup } from "../http/route-table";

export const diagnostics = new RouteGroup("operations", ["operator"]);
diagnostics.app.use("*", async (c, next) => {
  c.header("Cache-Control", "private, no-store");
  await next();
});

diagnostics.route(
  {
    method: "get",
    path: "/load",
    summary:
      "This isolate's load counters since it started counting: messages consumed per queue partition, and the EVENTS projection's D1 batches, statements and events per database",
    scopes: ["operator"],
    success: { status: 200, description: "{scope, note, isolate: {id, countingSince}, at, queues: {events, webhooks, sync, reorder, other}, databases}" },
    errors: [401, 403],
  },
  (c) => c.json(loadSnapshot(readPartitionCount(c.env))),
);
