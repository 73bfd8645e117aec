// The commands `npm start` prints once the system is up. They work on the demo data exactly as
// shown, on every start (a repeat replays the first answers), and the end-to-end test
// test/e2e/readme-examples.e2e.test.ts runs them against a real `npm start`, so the banner
// cannot drift from what the API does.

/**
 * Shell lines (bash) for the banner, with the running URL and keys filled in.
 * Each `curl` is followed by a comment naming the status it answers.
 *
 * @param {{url: string, keys: {operator: string, checkout: string}}} demo
 * @returns {string[]}
 */
export function bannerExamples({ url, keys }) {
  return [
    `# stock of one SKU at each centre (operator key)`,
    `curl -s -H "Authorization: Bearer ${keys.operator}" ${url}/api/v2/inventory/ACME-TENT-0001`,
    `# → 200`,
    `# hold 2 units for an order (checkout key); RID is its reservation id`,
    `RID=$(curl -s -X POST ${url}/api/v2/inventory/reserve \\`,
    `  -H "Authorization: Bearer ${keys.checkout}" -H "Content-Type: application/json" \\`,
    `  -H "Idempotency-Key: demo-order-1001" \\`,
    `  -d '{"type":"hard","reference":"order-1001","items":[{"sku":"ACME-TENT-0001","quantity":2}]}' \\`,
    `  | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).id')`,
    `# → 201`,
    `# pick it for shipment`,
    `curl -s -X POST ${url}/api/v2/inventory/commit \\`,
    `  -H "Authorization: Bearer ${keys.checkout}" -H "Content-Type: application/json" \\`,
    `  -d "{\\"reservationId\\":\\"$RID\\"}"`,
    `# → 200`,
    `# what a storefront sees (no key)`,
    `curl -s ${url}/api/v2/availability/ACME-TENT-0001`,
    `# → 200`,
  ];
}
