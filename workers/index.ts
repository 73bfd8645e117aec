/**
 * The one Worker entry: the HTTP API (Hono), queue consumers, the cron handler, and the
 * Durable Object classes.
 */
import { app } from "./app";
import { handleQueueBatch } from "../queues/dispatch";
import { handleScheduled } from "./scheduled";

export { SkuInventory } from "../durable-objects/sku-inventory";
export { ReservationCoordinator } from "../durable-objects/reservation-coordinator";

export default {
  fetch: app.fetch,
  queue: handleQueueBatch,
  scheduled: handleScheduled,
} satisfies ExportedHandler<Env>;
