/** Retry delays for queue messages: exponential in the attempt number, capped. Pure. */

/**
 * `min(2^attempt × baseSeconds, capSeconds)`, for the `attempt`-th failed delivery (1 for
 * the first). Whole seconds, at least 1 (`message.retry({ delaySeconds })` takes seconds).
 */
export function backoffSeconds(attempt: number, baseSeconds: number, capSeconds: number): number {
  const exponent = Math.min(Math.max(1, Math.floor(attempt)), 30);
  return Math.max(1, Math.min(2 ** exponent * baseSeconds, capSeconds));
}
