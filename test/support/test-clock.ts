/**
 * The one clock tests control (STYLE.md, habit 13). Every Durable Object of the workerd suite
 * reads time from its class's static `clock()`; the test-only subclasses of
 * `worker-under-test.ts` (RecordingSkuInventory, CrashingCoordinator, and ClockedSkuInventory /
 * ClockedCoordinator, which vitest.config.ts binds as SKU_INVENTORY and RESERVATION_COORDINATOR)
 * all read it as real time plus one shared offset. A test moves the offset instead of sleeping:
 * set it ahead (e.g. a day) before the object's first change, so every alarm the object sets lies
 * in the real future and runs only when the test runs it (`runDurableObjectAlarm`); then move it
 * further to make expiries, backoffs and retries due. Reset it after the test (`resetClock`).
 *
 * The offset is module state of the isolate the objects and the tests share; any test
 * subclass's RPC sets it, so these helpers go through one coordinator object kept for that.
 */
import { env } from "cloudflare:workers";

const handle = () => env.CRASHING_COORDINATOR.getByName("test-clock");

/** Moves every test-clocked object's clock `ms` ahead of real time. */
export async function setClockOffset(ms: number): Promise<void> {
  await handle().setClockOffset(ms);
}

/** The objects' clock now (real time plus the offset). */
export async function clockNow(): Promise<number> {
  return handle().clockNow();
}

/** Puts the clock back on real time. */
export async function resetClock(): Promise<void> {
  await setClockOffset(0);
}

/**
 * Polls `check` until it returns a value other than undefined or false, for at most `ms` (a
 * deadline, not a count of tries, so a loaded machine gets the same time), then fails naming
 * `what`. For asynchronous work this test does not drive (a real local queue delivering, a
 * background cache write, a WebSocket message); never to let time pass in an object.
 */
export async function waitUntil<T>(check: () => T | undefined | false | Promise<T | undefined | false>, what: string, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
