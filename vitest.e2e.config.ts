// End-to-end tests: plain Node, no Workers pool. Each test file starts its own `wrangler dev`
// (scripts/local-stack.mjs) on a free 127.0.0.1 port with a fresh temp state folder and talks
// to it over HTTP.
import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/e2e/**/*.e2e.test.ts", "test/node/**/*.test.ts"],
    environment: "node",
    // wrangler dev takes a few seconds to start (more on a busy CI box); be generous. A file's
    // setup (`beforeAll`: five D1 migration runs and the keys through wrangler, wrangler dev,
    // then its own data) outlasted 120 s on a 2-core CI machine (session 12:
    // test/e2e/sync-cli.e2e.test.ts's timed out in one CI run, and alone on a quiet machine its
    // file took 146 s of which its 8 tests ~12 s), so hooks get twice as long.
    testTimeout: 120_000,
    hookTimeout: 240_000,
    teardownTimeout: 30_000,
    // One test file (one wrangler dev) at a time: each workerd runs every Worker and DO on
    // one thread, and several at once on a small CI box only make timings flaky.
    fileParallelism: false,
  },
});
