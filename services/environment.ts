/**
 * Which rules the deployment runs under, from `ENVIRONMENT` in wrangler.toml `[vars]`:
 * "production" there, "development" in the test runtime and in local runs that ask for it.
 * Anything but exactly "development" (a typo, an empty value) is production: the safe side.
 */
import type { WebhookTargetPolicy } from "../domain/webhook-targets";

/** The webhook target rules for this deployment (`domain/webhook-targets.ts`). */
export function webhookTargetPolicy(env: Env): WebhookTargetPolicy {
  // The generated type is the literal in wrangler.toml; deployments and tests may set another.
  const value: string = env.ENVIRONMENT;
  return value === "development" ? "development" : "production";
}
