// `npm start`: the whole system on this machine, with demo data.
//
//   .state/ (repo root)  ← D1, Durable Objects, cache and demo-keys.json, all in one folder
//   1. apply D1 migrations and create demo API keys (once; kept in .state/demo-keys.json)
//   2. wrangler dev on http://127.0.0.1:8787 (PORT=… to change)
//   3. seed demo vendors, 12 fulfilment centres, 3,000 SKUs and their stock (idempotent)
//
// Stays in the foreground; Ctrl-C stops wrangler and exits. Delete .state/ to start afresh.

import { join, relative } from "node:path";
import { prepareState, ROOT, seedDemoData, startWorker, updateDemoKeys, demoKeysPath } from "./local-stack.mjs";

const stateDir = join(ROOT, ".state");
const port = Number(process.env.PORT ?? 8787);
const baseUrl = `http://127.0.0.1:${port}`;
const log = (msg) => console.log(`[start] ${msg}`);

let worker = null;
let shuttingDown = false;

async function shutdown(code) {
  if (shuttingDown) return;
  shuttingDown = true;
  if (worker) {
    log("stopping wrangler…");
    await worker.stop();
  }
  process.exit(code);
}

process.on("SIGINT", () => void shutdown(0));
process.on("SIGTERM", () => void shutdown(0));

try {
  log(`state folder: ${relative(process.cwd(), stateDir) || "."}`);
  const demo = await prepareState(stateDir, { baseUrl, log });
  await updateDemoKeys(stateDir, { baseUrl });

  log("starting wrangler dev…");
  worker = await startWorker({
    stateDir,
    port,
    // wrangler runs at --log-level warn: pass on what it says (errors, uncaught exceptions).
    onOutput: (chunk) => process.stderr.write(chunk),
  });
  worker.exited.then(({ code, signal }) => {
    if (shuttingDown) return;
    console.error(`[start] wrangler exited unexpectedly (${signal ?? `exit ${code}`})`);
    process.exit(1);
  });

  await seedDemoData(worker.url, demo.keys, { stateDir, log });

  const { checkout, operator, vendor, vendorId } = demo.keys;
  const keysFile = relative(process.cwd(), demoKeysPath(stateDir));
  console.log(`
edge-inventory is running at ${worker.url}

  operator key  ${operator}
  checkout key  ${checkout}
  vendor key    ${vendor}   (${vendorId})
  keys file     ${keysFile}

Try:
  curl -s -H "Authorization: Bearer ${operator}" ${worker.url}/api/v2/inventory/ACME-TENT-0001

  curl -s -X POST ${worker.url}/api/v2/inventory/reserve \\
    -H "Authorization: Bearer ${checkout}" -H "Content-Type: application/json" \\
    -H "Idempotency-Key: demo-order-1001" \\
    -d '{"type":"hard","reference":"order-1001","items":[{"sku":"ACME-TENT-0001","quantity":2}]}'

  curl -s -X POST ${worker.url}/api/v2/inventory/commit \\
    -H "Authorization: Bearer ${checkout}" -H "Content-Type: application/json" \\
    -H "Idempotency-Key: demo-order-1001-commit" \\
    -d '{"reservationId":"<id from the reserve answer>"}'

Ctrl-C to stop. Data stays in .state/ (delete it to reset).`);
} catch (err) {
  console.error(`[start] ${err instanceof Error ? err.message : err}`);
  await shutdown(1);
}
