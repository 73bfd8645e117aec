// Local stack helpers shared by `npm start` / `npm run dev` (scripts/start.mjs), the end-to-end
// tests (test/e2e/), benchmarks and drills (bench/): apply D1 migrations to a state folder,
// bootstrap demo API keys, run the Worker on 127.0.0.1 — the deploy bundle in Miniflare
// (`npm start`, the benchmark) or `wrangler dev` (`npm run dev`, the e2e tests, the drills) —
// and stop it again, and seed deterministic demo data over HTTP. This file only gathers the public surface (typed in local-stack.d.mts);
// each concern lives in its own module under scripts/local-stack/.
//
// Plain ESM for Node 22, no dependencies beyond Node itself and the project's wrangler.
// Nothing here contacts Cloudflare: every wrangler call is --local, the quiet env vars are
// always set, and all HTTP traffic goes to 127.0.0.1.

export { generateApiKey } from "./local-stack/api-keys.mjs";
export { DEMO_LOCATIONS, DEMO_SKU_COUNT, DEMO_VENDORS, demoCatalogue, demoLocationBodies } from "./local-stack/demo-catalogue.mjs";
export { DEMO_PLANNING_DAYS, demoPlanningSql } from "./local-stack/demo-planning.mjs";
export { api, seedDemoData } from "./local-stack/demo-seed.mjs";
export { getFreePort } from "./local-stack/ports.mjs";
export { prng } from "./local-stack/prng.mjs";
export { startMiniflareWorker } from "./local-stack/miniflare.mjs";
export {
  DEMO_KEYS_FILE,
  DEMO_VENDOR_ID,
  demoKeysPath,
  demoStatePlan,
  prepareState,
  readDemoKeys,
  updateDemoKeys,
  writeDemoState,
} from "./local-stack/state.mjs";
export { startWorker } from "./local-stack/wrangler-dev.mjs";
export { QUIET_ENV, ROOT } from "./local-stack/wrangler-cli.mjs";
