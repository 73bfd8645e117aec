/**
 * The cron entry, dispatched by the cron expression (wrangler.toml `[triggers] crons`).
 *
 * - `* * * * *` (every minute): the sweepers — nothing queue-driven waits forever on a lost
 *   message: sync chunks (services/sync-sweeper.ts) and webhook deliveries
 *   (services/webhook-sweeper.ts); and the next SKUs of an unfinished nightly
 *   REORDER run (services/reorder-runs.ts) and its purchase-order drafts, and groups of reorder
 *   suggestions left waiting past the settling window (services/reorder-drafts.ts); transfer documents a crash left
 *   `creating` are undone (services/transfers.ts) and purchase orders left `shipping`
 *   are shipped (services/purchase-orders.ts); SKU objects whose master facts are behind
 *   D1 (a push lost after its write) get them again (services/sku-master.ts); vendors whose
 *   scheduled pull is due are fetched and ingested (services/sync-pull.ts).
 * - `0 2 * * *` (02:00 UTC): starts the nightly REORDER run for yesterday's sales.
 *
 * The run's `scheduledTime` is the clock: locally a test or drill triggers a run "later"
 * through `/cdn-cgi/handler/scheduled?cron=…&time=…` instead of waiting. An invocation for an
 * unknown schedule is logged and does nothing.
 */
import { sweepSyncChunks } from "../services/sync-sweeper";
import { sweepWebhookDeliveries } from "../services/webhook-sweeper";
import { continueRun, startNightlyRun, sweepReorderDrafts } from "../services/reorder-runs";
import { sweepTransfers } from "../services/transfers";
import { sweepPurchaseOrders } from "../services/purchase-orders";
import { sweepSkuMasters } from "../services/sku-master";
import { advanceReadMoves } from "../services/read-moves";
import { moveLegacyMasterRows } from "../services/master-backfill";
import { sweepPulls } from "../services/sync-pull";

/** The cron expressions this Worker answers; wrangler.toml's `[triggers] crons` lists the same. */
export const CRONS = {
  sweep: "* * * * *",
  reorder: "0 2 * * *",
} as const;

export async function handleScheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
  switch (controller.cron) {
    case CRONS.sweep:
      {
        // Independent: one failing does not keep the other from running; the run still fails.
        const results = await Promise.allSettled([
          sweepSyncChunks(env, controller.scheduledTime),
          sweepWebhookDeliveries(env, controller.scheduledTime),
          continueRun(env, controller.scheduledTime),
          sweepReorderDrafts(env, controller.scheduledTime),
          sweepTransfers(env, controller.scheduledTime),
          sweepPurchaseOrders(env, controller.scheduledTime),
          sweepSkuMasters(env, controller.scheduledTime),
          advanceReadMoves(env, controller.scheduledTime),
          moveLegacyMasterRows(env),
          sweepPulls(env, controller.scheduledTime),
        ]);
        for (const r of results) if (r.status === "rejected") throw r.reason;
      }
      return;
    case CRONS.reorder:
      await startNightlyRun(env, controller.scheduledTime);
      return;
    default:
      console.warn(JSON.stringify({ event: "scheduled.unhandled", cron: controller.cron }));
  }
}
