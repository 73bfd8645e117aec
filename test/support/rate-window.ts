/**
 * The local rate-limiting binding (miniflare's) counts in windows aligned to the wall clock:
 * a 60 s limit starts a new window at every whole minute. A test that spends a whole budget
 * and then expects a 429 must do it inside one window, or a roll-over lets the last request
 * through for a reason that is not the limiter's. `windowWithAtLeast` waits for the next
 * window when too little of the current one is left; `windowOf` lets the test assert that
 * its requests all fell in the window it started in.
 */
const WINDOW_MS = 60_000;

export const windowOf = (ms: number = Date.now()): number => Math.floor(ms / WINDOW_MS);

export async function windowWithAtLeast(needMs: number): Promise<number> {
  const left = WINDOW_MS - (Date.now() % WINDOW_MS);
  if (left < needMs) await new Promise((resolve) => setTimeout(resolve, left + 250));
  return windowOf();
}
