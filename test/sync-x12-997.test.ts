/**
 * The 997 answering an X12 846 sent to the sync endpoint (issue 16, "997 functional
 * acknowledgment out"): the 202 answer carries `functionalAcknowledgment: {controlNumber,
 * x12}` — for a good set next to a malformed one and one with bad content, the exact AK
 * segments (AK5 A; AK3 at the malformed segment's position; AK3/AK4 at the bad content's
 * positions; AK9 P 3 3 1) in an envelope addressed to the sender, under the vendor's next
 * control number (shared with its 850s and PO 997s), a new one per answer (a replay too);
 * sets the sync endpoint refuses although they read well are rejected in it: an 855 (AK5 R 1)
 * and an 846 of the other quantity kind (AK3 at its QTY, AK4 QTY01 code 7). A JSON or CSV
 * feed has none.
 */
import { env } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { X12_846_MALFORMED_NEXT_TO_GOOD, X12_997_EXPECTED } from "./fixtures/vendor-formats/x12-samples";
import { api, seedBasics, type Keys } from "./support/fixtures";
import { createSkus, waitForJob } from "./support/sync-fixtures";
import { readDbOfVendor } from "./support/read-model";

let keys: Keys;

const post = (body: string, idempotencyKey: string = crypto.randomUUID(), contentType = "application/edi-x12") =>
  api("POST", "/api/v2/inventory/sync", { key: keys.vendor, rawBody: body, headers: { "content-type": contentType }, idempotencyKey });

/** The segments of a 997 between its envelopes (ST … SE). */
const body997 = (x12: string) => x12.trimEnd().split("\n").slice(2, -2);
const pad9 = (n: number) => String(n).padStart(9, "0");

beforeAll(async () => {
  keys = await seedBasics();
  await env.DB.prepare(
    `INSERT INTO locations (id, name, type, country_code, city, latitude, longitude, can_ship, priority, active) VALUES
     ('FC-PAR', 'Paris', 'fulfillment_center', 'FR', 'Paris', 48.85, 2.35, 1, 10, 1),
     ('FC-BER', 'Berlin', 'fulfillment_center', 'DE', 'Berlin', 52.52, 13.40, 1, 20, 1)`,
  ).run();
  await createSkus(keys.operator, ["AK-TENT-0001", "AK-TENT-0002", "AK-STOVE-01"], "V1");
  const res = await api("PUT", "/api/v2/vendors/V1/sync-settings", {
    key: keys.vendor,
    body: { enabled: true, method: "edi", format: "x12", locationNames: { "Paris Warehouse": "FC-PAR", "Berlin Warehouse": "FC-BER" } },
  });
  expect(res.status).toBe(201);
});

describe("the 997 of an 846 sent to the sync endpoint", () => {
  let first = 0;

  it("acknowledges each set exactly: the good one accepted, the malformed and bad-content ones rejected at their positions", async () => {
    const res = await post(X12_846_MALFORMED_NEXT_TO_GOOD.replaceAll("ACME-", "AK-"), "ak-1");
    expect(res.status).toBe(202);
    const ack = res.body.functionalAcknowledgment;
    first = ack.controlNumber;
    expect(first).toBeGreaterThan(0);
    expect(body997(ack.x12)).toEqual(body997(X12_997_EXPECTED));
    const lines = ack.x12.trimEnd().split("\n");
    expect(lines[0]).toMatch(
      new RegExp(`^ISA\\*00\\* {10}\\*00\\* {10}\\*ZZ\\*EDGEINVENTORY  \\*ZZ\\*ACMEOUTDOOR    \\*\\d{6}\\*\\d{4}\\*U\\*00401\\*${pad9(first)}\\*0\\*P\\*>~$`),
    );
    expect(lines[1]).toMatch(new RegExp(`^GS\\*FA\\*EDGEINVENTORY\\*ACMEOUTDOOR\\*\\d{8}\\*\\d{4}\\*${first}\\*X\\*004010~$`));
    expect(lines.slice(-2)).toEqual([`GE*1*${first}~`, `IEA*1*${pad9(first)}~`]);
    // The job is what the 997 says: the good set's one item applied, the rest errors.
    const job = await waitForJob(keys.vendor, res.body.jobId);
    expect(job.counts).toMatchObject({ received: 4, applied: 1, errors: 3 });
  });

  it("each answer takes the vendor's next control number, a replay too; the acknowledgment itself is the same", async () => {
    const again = await post(X12_846_MALFORMED_NEXT_TO_GOOD.replaceAll("ACME-", "AK-"), "ak-1");
    expect(again.status).toBe(202);
    expect(again.headers.get("idempotent-replayed"), JSON.stringify(again.body)).toBe("true");
    expect(again.body.functionalAcknowledgment.controlNumber).toBe(first + 1);
    expect(body997(again.body.functionalAcknowledgment.x12)).toEqual(body997(X12_997_EXPECTED));
    // The vendor's counter lives with its purchase orders, in its read database.
    const row = await (await readDbOfVendor("V1")).prepare("SELECT last FROM x12_control_numbers WHERE partner = 'vendor:V1'").first<{ last: number }>();
    expect(row!.last).toBe(first + 1);
  });

  it("sets the sync endpoint refuses are rejected in it: an 855 (AK5 R 1), an 846 of the other quantity kind (AK3/AK4 at its QTY)", async () => {
    const file = [
      "ISA*00*          *00*          *ZZ*ACMEOUTDOOR    *ZZ*EDGEINVENTORY  *261122*1200*U*00401*000000301*0*P*>~",
      "GS*IB*ACMEOUTDOOR*EDGEINVENTORY*20261122*1200*301*X*004010~",
      "ST*846*0001~",
      "BIA*00*DD*INV-ON-HAND*20261122~",
      "N1*WH*Paris Warehouse*91*WH-PAR~",
      "LIN**BP*AK-TENT-0001~",
      "QTY*17*41*EA~",
      "SE*6*0001~",
      "ST*846*0002~",
      "BIA*00*DD*INV-AVAILABLE*20261122~",
      "N1*WH*Berlin Warehouse*91*WH-BER~",
      "LIN**BP*AK-TENT-0002~",
      "QTY*33*5*EA~",
      "SE*6*0002~",
      "ST*855*0003~",
      "BAK*00*AC*PO-1001*20261122~",
      "PO1*1*10*EA***BP*AK-TENT-0001~",
      "ACK*IA*10*EA~",
      "SE*5*0003~",
      "GE*3*301~",
      "IEA*1*000000301~",
      "",
    ].join("\n");
    const res = await post(file);
    expect(res.status).toBe(202);
    expect(res.body.sets.map((s: { setControlNumber: string; ok: boolean }) => [s.setControlNumber, s.ok])).toEqual([
      ["0001", true],
      ["0002", false],
      ["0003", false],
    ]);
    expect(res.body.functionalAcknowledgment.controlNumber).toBe(first + 2);
    expect(body997(res.body.functionalAcknowledgment.x12)).toEqual([
      "ST*997*0001~",
      "AK1*IB*301~",
      "AK2*846*0001~",
      "AK5*A~",
      "AK2*846*0002~",
      "AK3*QTY*5**8~",
      "AK4*1**7*33~",
      "AK5*R*5~",
      "AK2*855*0003~",
      "AK5*R*1~",
      "AK9*P*3*3*1~",
      "SE*12*0001~",
    ]);
  });

  it("a CSV or JSON feed has no 997", async () => {
    const csv = await api("POST", "/api/v2/inventory/sync?format=ours", {
      key: keys.vendor,
      rawBody: "sku,location_id,quantity\nAK-STOVE-01,FC-PAR,1\n",
      headers: { "content-type": "text/csv" },
      idempotencyKey: crypto.randomUUID(),
    });
    expect(csv.status).toBe(202);
    expect(csv.body).not.toHaveProperty("functionalAcknowledgment");
    const json = await api("POST", "/api/v2/inventory/sync", {
      key: keys.vendor,
      idempotencyKey: crypto.randomUUID(),
      body: { items: [{ sku: "AK-STOVE-01", locationId: "FC-PAR", quantity: 1 }] },
    });
    expect(json.status).toBe(202);
    expect(json.body).not.toHaveProperty("functionalAcknowledgment");
  });
});
