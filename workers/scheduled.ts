/**
 * The cron entry, dispatched by the cron expression (wrangler.toml `[triggers] crons`).
 *
 * - `* * * * *` (every minute): the sweepers — nothing queue-driven waits forever on a lost
 *   message (see workers/services/sync-sweeper.ts).
 *
 * The run's `scheduledTime` is the clock: locally a test or drill triggers a run "later"
 * through `/cdn-cgi/handler/scheduled?cron=…&time=…` instead of waiting. An invocation for an
 * unknown schedule is logged and does nothing.
 */
import { sweepSyncChunks } from "./services/sync-sweeper";

/** The cron expressions this Worker answers; wrangler.toml's `[triggers] crons` lists the same. */
export const CRONS = {
  sweep: "* * * * *",
} as const;

export async function handleScheduled(controller: ScheduledController, env: Env, _ctx: ExecutionContext): Promise<void> {
  switch (controller.cron) {
    case CRONS.sweep:
      await sweepSyncChunks(env, controller.scheduledTime);
      return;
    default:
      console.warn(JSON.stringify({ event: "scheduled.unhandled", cron: controller.cron }));
  }
}
