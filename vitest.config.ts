/**
 * Tests that run inside workerd (the Worker, its Durable Objects, D1) through
 * @cloudflare/vitest-plugin. End-to-end tests against a real `wrangler dev` have their own
 * config (vitest.e2e.config.ts).
 */
import { cloudflareTest, readD1Migrations } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

export default defineConfig(async () => {
  const migrations = await readD1Migrations("./d1/migrations");
  return {
    plugins: [
      cloudflareTest({
        // The real Worker plus test-only fault-injecting subclasses (see the file).
        main: "./test/support/worker-under-test.ts",
        wrangler: { configPath: "./wrangler.toml" },
        remoteBindings: false,
        miniflare: {
          // ENVIRONMENT: the local rules (loopback webhook receivers); wrangler.toml's default is production.
          bindings: { TEST_MIGRATIONS: migrations, ENVIRONMENT: "development" },
          durableObjects: {
            CRASHING_COORDINATOR: { className: "CrashingCoordinator", useSQLite: true },
            RECORDING_SKU: { className: "RecordingSkuInventory", useSQLite: true },
            // The production bindings, with the test clock (support/test-clock.ts); identical at offset 0.
            SKU_INVENTORY: { className: "ClockedSkuInventory", useSQLite: true },
            RESERVATION_COORDINATOR: { className: "ClockedCoordinator", useSQLite: true },
          },
        },
      }),
    ],
    test: {
      include: ["test/**/*.test.ts"],
      exclude: ["test/e2e/**", "test/node/**"],
      setupFiles: ["./test/support/apply-migrations.ts", "./test/support/log-capture.ts"],
      testTimeout: 60_000,
    },
  };
});
