// Bootstraps the first operator API key of a deployment (every other key is then issued
// through POST /api/v2/api-keys). Prints the key once and the SQL that stores its SHA-256;
// with --remote it runs that SQL against the deployed D1 through wrangler (needs
// `wrangler login`), with --local against the local state folder.
//
//   npm run key:operator                 # print key + SQL only
//   npm run key:operator -- --remote     # insert into the deployed D1
//   npm run key:operator -- --local      # insert into .state (npm start's database)
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { generateApiKey, ROOT } from "./local-stack.mjs";

const target = process.argv.includes("--remote") ? "--remote" : process.argv.includes("--local") ? "--local" : null;
const { id, key, hash } = generateApiKey();
const sql = `INSERT INTO api_keys (id, name, scope, vendor_id, key_hash, created_at) VALUES ('${id}', 'bootstrap operator', 'operator', NULL, '${hash}', ${Date.now()});`;

console.log(`operator key (shown once, store it in your secret manager):\n  ${key}\n`);
if (target === null) {
  console.log(`SQL to store its hash:\n  ${sql}\n\nrun with --remote (deployed D1) or --local (.state) to insert it.`);
  process.exit(0);
}
const args = [join(ROOT, "node_modules", "wrangler", "bin", "wrangler.js"), "d1", "execute", "DB", target, "--command", sql, "--yes"];
if (target === "--local") args.push("--persist-to", join(ROOT, ".state"));
const result = spawnSync(process.execPath, args, { cwd: ROOT, stdio: "inherit" });
process.exit(result.status ?? 1);
