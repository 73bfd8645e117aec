// Bounded concurrency over a list, shared by the demo seed, the benchmark and the drills.

/**
 * Run `fn(item, index)` over `items`, `concurrency` at a time (bounded by the items), and
 * resolve with the results in item order. The first failure stops the rest from starting;
 * once the calls already running have settled, it is thrown.
 */
export async function pool(items, concurrency, fn) {
  let next = 0;
  let failed = false;
  const results = new Array(items.length);
  const workers = Array.from({ length: Math.min(concurrency, items.length) }, async () => {
    while (!failed && next < items.length) {
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (err) {
        failed = true;
        throw err;
      }
    }
  });
  const settled = await Promise.allSettled(workers);
  const rejected = settled.find((r) => r.status === "rejected");
  if (rejected) throw rejected.reason;
  return results;
}
