/**
 * Which rules the deployment runs under, from `ENVIRONMENT` in wrangler.toml `[vars]`:
 * "production" there, "development" in the test runtime and in local runs that ask for it.
 * Anything but exactly "development" (a typo, an empty value) is production: the safe side.
 */
import type { WebhookTargetPolicy } from "../domain/webhook-targets";
import { webhookRetentionDays } from "../domain/webhooks";

/** The webhook target rules for this deployment (`domain/webhook-targets.ts`). */
export function webhookTargetPolicy(env: Env): WebhookTargetPolicy {
  // The generated type is the literal in wrangler.toml; deployments and tests may set another.
  const value: string = env.ENVIRONMENT;
  return value === "development" ? "development" : "production";
}

/** How long finished webhook deliveries are kept (ms), from `WEBHOOK_RETENTION_DAYS`; a bad value keeps the default and says so. */
export function webhookRetentionMs(env: Env): number {
  // The generated type is the literal in wrangler.toml; deployments and tests may set another.
  const configured: string | undefined = env.WEBHOOK_RETENTION_DAYS;
  const { days, problem } = webhookRetentionDays(configured);
  if (problem !== null) console.warn(JSON.stringify({ event: "config.invalid", name: "WEBHOOK_RETENTION_DAYS", problem }));
  return days * 24 * 3_600_000;
}
