// Runs before every test file: each file gets its own isolated D1 databases (DB and the read
// partitions READ_0 … READ_3), each migrated from d1/migrations (one schema for all).
import { applyD1Migrations } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { readDbs } from "../../repositories/read-partitions";

await Promise.all([env.DB, ...readDbs(env)].map((db) => applyD1Migrations(db, env.TEST_MIGRATIONS)));
