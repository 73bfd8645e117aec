/**
 * The cron entry. No cron triggers are configured yet (replenishment jobs arrive with the
 * REORDER queue); an invocation for an unknown schedule is logged and does nothing.
 */
export async function handleScheduled(controller: ScheduledController, _env: Env, _ctx: ExecutionContext): Promise<void> {
  console.warn(JSON.stringify({ event: "scheduled.unhandled", cron: controller.cron }));
}
