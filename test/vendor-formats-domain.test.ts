/**
 * The pure format layer of vendor channels (issue 16), on the samples in
 * test/fixtures/vendor-formats/: the CSV importers (ours, Shopify's three export
 * generations, a generic column map) with format detection, exact items, per-row errors,
 * counts and the hand-over to `checkSyncItems`; the X12 reader (separators from the ISA,
 * newline-only, BOM, indentation, missing terminators, every envelope check) and the 846,
 * 855 and 856 readers, whole or not at all; the exact 850 and 997 we generate; the Google
 * Merchant Center local inventory feed; vendor sync settings and the sync health rule.
 * No parser throws on bad input (fast-check properties at the end).
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { CSV_COLUMNS, parseCsvFeed } from "../domain/csv-feed";
import { localInventoryText, merchantFeed, productAvailabilityText, type MerchantProduct, type MerchantStoreTable } from "../domain/merchant-feed";
import { checkSyncItems } from "../domain/sync-items";
import { readCsvTable } from "../domain/vendor-formats/csv-table";
import { GenericColumnMapSchema } from "../domain/vendor-formats/generic-csv";
import { importInventoryCsv, type CsvImportOptions } from "../domain/vendor-formats/inventory-csv-import";
import { checkLocationNameTable, locationNameKey, locationResolver } from "../domain/vendor-formats/location-names";
import { detectShopifyGeneration } from "../domain/vendor-formats/shopify-inventory";
import { onHandFromAvailable, toRawSyncItems, toSyncItemErrors, type FeedIssue, type VendorFeedItem } from "../domain/vendor-formats/vendor-feed-items";
import { initialSyncHealth, recordSyncAttempt, syncHealthStatus, type SyncHealthState } from "../domain/vendor-sync-health";
import {
  csvImportOptionsOf,
  isPullDue,
  parseVendorSyncSettings,
  syncHealthPolicy,
  syncIntervalMinutes,
  x12OptionsOf,
  type VendorSyncSettings,
} from "../domain/vendor-sync-settings";
import { formatX12Decimal, parseX12Date, parseX12Decimal, parseX12Time } from "../domain/x12/x12-data-types";
import { generate850, type PurchaseOrder } from "../domain/x12/x12-850";
import { generate997, groupAckOf } from "../domain/x12/x12-997";
import { readInboundX12, type InboundX12Options, type InboundSet } from "../domain/x12/x12-inbound";
import { parseX12, transactionSets, type X12Interchange } from "../domain/x12/x12-interchange";
import {
  ACME_LOCATION_NAMES,
  GENERIC_MAPPING,
  GENERIC_SEMICOLON,
  OURS_CSV,
  SHOPIFY_BAD_ROWS,
  SHOPIFY_CURRENT,
  SHOPIFY_CURRENT_OPTION_SPACES,
  SHOPIFY_LONG_LEGACY,
  SHOPIFY_MALFORMED_QUOTE,
  SHOPIFY_PRODUCTS_EXPORT,
  SHOPIFY_WIDE_LEGACY,
} from "./fixtures/vendor-formats/csv-samples";
import {
  X12_846,
  X12_846_BOM_INDENTED,
  X12_846_MALFORMED_NEXT_TO_GOOD,
  X12_846_MISSING_TERMINATORS,
  X12_846_NEWLINE_ONLY,
  X12_846_SEPARATORS,
  X12_846_TWO_SETS,
  X12_850_EXPECTED,
  X12_855,
  X12_856,
  X12_997_EXPECTED,
} from "./fixtures/vendor-formats/x12-samples";

const names = ACME_LOCATION_NAMES;
const item = (itemIndex: number, row: number, sku: string, locationId: string, quantity: number, column: string | null = null): VendorFeedItem => ({
  itemIndex,
  row,
  column,
  sku,
  locationId,
  quantity,
});
type IssueShape = Pick<FeedIssue, "itemIndex" | "row" | "column" | "code" | "syncCode">;
const shapes = (issues: readonly FeedIssue[]): IssueShape[] =>
  issues.map(({ itemIndex, row, column, code, syncCode }) => ({ itemIndex, row, column, code, syncCode }));
const imported = (text: string, options: CsvImportOptions = {}) => {
  const result = importInventoryCsv(text, { locationNames: names, ...options });
  if (!result.ok) throw new Error(`expected an import, got ${result.code}: ${result.message}`);
  return result;
};

describe("readCsvTable: RFC 4180 with exact line numbers", () => {
  it("names the line each record starts on across blank lines, quoted line breaks, CRLF, LF and CR", () => {
    for (const eol of ["\n", "\r\n", "\r"]) {
      const text = ["h1,h2", "a,1", "", "b,2", "   ", "c,3", ",,", '"d', 'x",4', "", "", "e,5"].join(eol) + eol;
      const table = readCsvTable(text);
      expect(table.ok).toBe(true);
      if (!table.ok) continue;
      expect(table.rows.map((r) => [r.line, r.cells])).toEqual([
        [2, ["a", "1"]],
        [4, ["b", "2"]],
        [6, ["c", "3"]],
        [8, [`d${eol}x`, "4"]],
        [12, ["e", "5"]],
      ]);
    }
  });

  it("reads a BOM, doubled quotes, quoted delimiters and other delimiters", () => {
    expect(readCsvTable('\uFEFFa;b\n"x;y";"say ""hi"""\n', ";")).toEqual({
      ok: true,
      header: { line: 1, cells: ["a", "b"] },
      rows: [{ line: 2, cells: ["x;y", 'say "hi"'] }],
    });
    expect(readCsvTable("a\tb\n1\t2", "\t")).toEqual({ ok: true, header: { line: 1, cells: ["a", "b"] }, rows: [{ line: 2, cells: ["1", "2"] }] });
  });

  it("refuses unclosed and stray quotes with the line, and an empty file", () => {
    expect(readCsvTable('a,b\n1,2\n"x,3\n4,5\n')).toMatchObject({ ok: false, code: "malformed_csv", details: { line: 3, reason: "unclosed_quote" } });
    expect(readCsvTable('a,b\n"x"y,1\n')).toMatchObject({ ok: false, code: "malformed_csv", details: { line: 2, reason: "invalid_closing_quote" } });
    expect(readCsvTable('a,b\n1,2\nx"y,1\n')).toMatchObject({ ok: false, code: "malformed_csv", details: { line: 3, reason: "invalid_quote" } });
    expect(readCsvTable("\n \n")).toMatchObject({ ok: false, code: "empty_feed" });
  });
});

describe("format detection", () => {
  it.each([
    ["ours", OURS_CSV, "ours"],
    ["Shopify current", SHOPIFY_CURRENT, "shopify_current"],
    ["Shopify current, `Option 1 Name` spelling", SHOPIFY_CURRENT_OPTION_SPACES, "shopify_current"],
    ["Shopify 17-column long", SHOPIFY_LONG_LEGACY, "shopify_long_legacy"],
    ["Shopify wide", SHOPIFY_WIDE_LEGACY, "shopify_wide_legacy"],
    ["generic with the vendor's map", GENERIC_SEMICOLON, "generic"],
  ])("%s is detected from its header", (_name, text, format) => {
    expect(imported(text, { mapping: GENERIC_MAPPING }).format).toBe(format);
  });

  it("a header of no known format is refused with what was expected; so is a generic file without its map", () => {
    const result = importInventoryCsv(SHOPIFY_PRODUCTS_EXPORT, { locationNames: names, mapping: GENERIC_MAPPING });
    expect(result).toMatchObject({
      ok: false,
      code: "unknown_format",
      details: { header: ["Handle", "Title", "Body (HTML)", "Vendor", "Variant SKU", "Variant Inventory Qty"] },
    });
    expect(importInventoryCsv(GENERIC_SEMICOLON, { locationNames: names })).toMatchObject({ ok: false, code: "unknown_format" });
  });

  it("a configured format wins over detection: shopify refuses a non-Shopify header, generic needs a valid map", () => {
    expect(importInventoryCsv(OURS_CSV, { format: "shopify" })).toMatchObject({ ok: false, code: "unknown_format" });
    expect(importInventoryCsv(GENERIC_SEMICOLON, { format: "generic" })).toMatchObject({ ok: false, code: "invalid_mapping" });
    expect(
      importInventoryCsv(GENERIC_SEMICOLON, { format: "generic", mapping: { sku: "Artikelnummer", quantity: "Bestand", quantityKind: "available" } }),
    ).toMatchObject({
      ok: false,
      code: "invalid_mapping",
      details: { issues: [{ path: ["location"], message: "give exactly one of location (a column) and fixedLocationId" }] },
    });
  });

  it("detectShopifyGeneration tells the generations apart and rejects near misses", () => {
    expect(detectShopifyGeneration(["SKU", "Location", "On hand (new)"])).toBe("shopify_current");
    expect(detectShopifyGeneration(["SKU", "Location", "Available"])).toBe("shopify_long_legacy");
    expect(detectShopifyGeneration(["Handle", "SKU", "Shop 1"])).toBe("shopify_wide_legacy");
    expect(detectShopifyGeneration(["Handle", "SKU"])).toBeNull();
    expect(detectShopifyGeneration(["SKU", "Location", "Qty"])).toBeNull();
    expect(detectShopifyGeneration(["Handle", "Location", "On hand"])).toBeNull();
  });
});

describe("Shopify current export", () => {
  it("reads On hand (new): BOM, CRLF, quoted commas and quotes; a blank cell leaves the row unchanged; negatives are kept with a warning", () => {
    const result = imported(SHOPIFY_CURRENT);
    expect(result.quantityKind).toBe("on_hand");
    expect(result.items).toEqual([
      item(0, 2, "ACME-TENT-0001", "FC-PAR", 42),
      item(1, 4, "ACME-TENT-0002", "FC-PAR", -2),
      item(2, 5, "ACME-STOVE-01", "FC-BER", 15),
    ]);
    expect(result.errors).toEqual([]);
    expect(result.warnings).toEqual([
      {
        itemIndex: 1,
        row: 4,
        column: null,
        code: "negative_quantity",
        syncCode: null,
        message: "a negative quantity is kept as sent",
        sku: "ACME-TENT-0002",
        location: "Paris Warehouse",
        quantity: "-2",
      },
    ]);
    expect(result.counts).toEqual({ rows: 4, items: 3, errors: 0, unchanged: 1, notStocked: 0 });
  });

  it("reads On hand (current) or Available when the vendor's settings say so", () => {
    const current = imported(SHOPIFY_CURRENT, { shopifyColumn: "on_hand_current" });
    expect(current.quantityKind).toBe("on_hand");
    expect(current.items.map((i) => [i.sku, i.locationId, i.quantity])).toEqual([
      ["ACME-TENT-0001", "FC-PAR", 40],
      ["ACME-TENT-0001", "FC-BER", 12],
      ["ACME-TENT-0002", "FC-PAR", -2],
      ["ACME-STOVE-01", "FC-BER", 7],
    ]);
    const available = imported(SHOPIFY_CURRENT, { shopifyColumn: "available" });
    expect(available.quantityKind).toBe("available");
    expect(available.items.map((i) => i.quantity)).toEqual([38, 12, -3, 7]);
  });

  it("`Option 1 Name` is `Option1 Name`; a column Shopify never wrote is ignored with a warning", () => {
    const result = imported(SHOPIFY_CURRENT_OPTION_SPACES);
    expect(result.items).toEqual([item(0, 2, "ACME-MAT-01", "FC-BER", 11)]);
    expect(shapes(result.warnings)).toEqual([{ itemIndex: null, row: 1, column: "Notes", code: "ignored_column", syncCode: null }]);
  });

  it("reports every bad row at its line, each with the job item error it becomes", () => {
    const result = imported(SHOPIFY_BAD_ROWS);
    expect(result.items).toEqual([item(6, 9, "ACME-MAT-04", "FC-PAR", 7)]);
    expect(shapes(result.errors)).toEqual([
      { itemIndex: 0, row: 2, column: "SKU", code: "missing_sku", syncCode: "invalid_item" },
      { itemIndex: 1, row: 3, column: "SKU", code: "missing_sku", syncCode: "invalid_item" },
      { itemIndex: 2, row: 4, column: null, code: "invalid_quantity", syncCode: "invalid_quantity" },
      { itemIndex: 3, row: 5, column: null, code: "field_count", syncCode: "invalid_item" },
      { itemIndex: 4, row: 6, column: "Location", code: "missing_location", syncCode: "unknown_location" },
      { itemIndex: 5, row: 7, column: null, code: "unknown_location_name", syncCode: "unknown_location" },
    ]);
    expect(result.errors.map((e) => e.message)).toEqual([
      "the row has no SKU (blank or -); its quantity cannot be synced",
      "the row has no SKU (blank or -); its quantity cannot be synced",
      '"12.5" is not an integer quantity',
      "expected 19 fields, got 18",
      "the row has no location",
      'the location "Lyon Store" is not in the vendor\'s location table',
    ]);
    expect(result.errors[1]).toMatchObject({ sku: "-", location: "Paris Warehouse", quantity: "6" });
    expect(result.counts).toEqual({ rows: 7, items: 1, errors: 6, unchanged: 0, notStocked: 0 });
  });

  it("a file cut inside a quoted field is refused whole with its line", () => {
    expect(importInventoryCsv(SHOPIFY_MALFORMED_QUOTE, { locationNames: names })).toEqual({
      ok: false,
      code: "malformed_csv",
      message: "the file is not readable as CSV (line 2): a quoted field is never closed",
      details: { line: 2, reason: "unclosed_quote" },
    });
  });

  it("a header without the chosen column, or with a column twice, is refused", () => {
    const noNew = SHOPIFY_CURRENT.replace(",On hand (new)", "").replace(/,(42|-2|15)?\r\n/g, "\r\n");
    expect(importInventoryCsv(noNew, { locationNames: names })).toMatchObject({
      ok: false,
      code: "invalid_csv_header",
      details: { missing: ["on hand (new)"] },
    });
    expect(imported(noNew, { shopifyColumn: "on_hand_current" }).items).toHaveLength(4);
    expect(importInventoryCsv("Handle,SKU,SKU,Location,On hand\n", { locationNames: names })).toMatchObject({
      ok: false,
      code: "invalid_csv_header",
      details: { repeated: ["sku"] },
    });
  });
});

describe("Shopify 17-column long export", () => {
  it("reads On hand; a location name in another case or spacing matches; an unmapped one is a row error; blank is unchanged", () => {
    const result = imported(SHOPIFY_LONG_LEGACY);
    expect(result).toMatchObject({ format: "shopify_long_legacy", quantityKind: "on_hand" });
    expect(result.items).toEqual([item(0, 2, "ACME-TENT-0001", "FC-PAR", 40), item(2, 4, "ACME-MAT-01", "FC-BER", 9)]);
    expect(shapes(result.errors)).toEqual([{ itemIndex: 1, row: 3, column: null, code: "unknown_location_name", syncCode: "unknown_location" }]);
    expect(result.counts).toEqual({ rows: 4, items: 2, errors: 1, unchanged: 1, notStocked: 0 });
    expect(imported(SHOPIFY_LONG_LEGACY, { shopifyColumn: "available" }).items.map((i) => i.quantity)).toEqual([38, 9, 3]);
  });
});

describe("Shopify wide legacy export", () => {
  it("one item per row and location column, available quantities; not stocked, blank and a `-` SKU; an unmapped location column is reported once", () => {
    const result = imported(SHOPIFY_WIDE_LEGACY, { shopifyColumn: "on_hand_new" });
    expect(result).toMatchObject({ format: "shopify_wide_legacy", quantityKind: "available" });
    expect(result.items).toEqual([
      item(0, 2, "ACME-TENT-0001", "FC-PAR", 38, "Paris Warehouse"),
      item(1, 2, "ACME-TENT-0001", "FC-BER", 12, "Berlin Warehouse"),
      item(2, 3, "ACME-TENT-0002", "FC-PAR", -3, "Paris Warehouse"),
      item(4, 5, "ACME-MAT-01", "FC-BER", 9, "Berlin Warehouse"),
    ]);
    expect(shapes(result.errors)).toEqual([
      { itemIndex: null, row: 1, column: "Lyon Store", code: "unmapped_location_column", syncCode: null },
      { itemIndex: 3, row: 4, column: "SKU", code: "missing_sku", syncCode: "invalid_item" },
    ]);
    expect(shapes(result.warnings)).toEqual([{ itemIndex: 2, row: 3, column: "Paris Warehouse", code: "negative_quantity", syncCode: null }]);
    expect(result.counts).toEqual({ rows: 4, items: 4, errors: 1, unchanged: 1, notStocked: 1 });
  });

  it("refuses a file whose location columns give more items than allowed", () => {
    expect(importInventoryCsv(SHOPIFY_WIDE_LEGACY, { locationNames: names, maxItems: 3 })).toEqual({
      ok: false,
      code: "too_many_items",
      message: "at most 3 items per file; this one gives 4",
      details: { maxItems: 3, received: 4 },
    });
  });
});

describe("generic column map", () => {
  it("reads the vendor's layout through its map: delimiter, columns, location table, blank unchanged", () => {
    const result = imported(GENERIC_SEMICOLON, { mapping: GENERIC_MAPPING });
    expect(result).toMatchObject({ format: "generic", quantityKind: "available" });
    expect(result.items).toEqual([item(0, 2, "ACME-TENT-0001", "FC-PAR", 40), item(1, 3, "ACME-TENT-0002", "FC-BER", 0)]);
    expect(shapes(result.errors)).toEqual([
      { itemIndex: 2, row: 4, column: "Artikelnummer", code: "missing_sku", syncCode: "invalid_item" },
      { itemIndex: 3, row: 5, column: null, code: "unknown_location_name", syncCode: "unknown_location" },
    ]);
    expect(shapes(result.warnings)).toEqual([{ itemIndex: null, row: 1, column: "Bezeichnung", code: "ignored_column", syncCode: null }]);
    expect(result.counts).toEqual({ rows: 5, items: 2, errors: 2, unchanged: 1, notStocked: 0 });
  });

  it("a fixed location serves files without a location column; a missing mapped column refuses the file", () => {
    const map = { sku: "Item", quantity: "Stock", fixedLocationId: "FC-MAN", quantityKind: "on_hand" };
    const result = imported("Item,Stock\nACME-TENT-0001,5\nACME-TENT-0002,not stocked\n", { format: "generic", mapping: map });
    expect(result.items).toEqual([item(0, 2, "ACME-TENT-0001", "FC-MAN", 5)]);
    expect(result.counts.notStocked).toBe(1);
    expect(importInventoryCsv("Item,Qty\nA,1\n", { format: "generic", mapping: map })).toMatchObject({
      ok: false,
      code: "invalid_csv_header",
      details: { missing: ["Stock"] },
    });
  });

  it("the map schema refuses the same column twice and unknown keys", () => {
    expect(GenericColumnMapSchema.safeParse({ sku: "A", quantity: " a ", fixedLocationId: "L1", quantityKind: "on_hand" }).success).toBe(false);
    expect(GenericColumnMapSchema.safeParse({ sku: "A", quantity: "B", fixedLocationId: "L1", quantityKind: "on_hand", extra: 1 }).success).toBe(false);
    expect(GenericColumnMapSchema.parse({ sku: "A", quantity: "B", fixedLocationId: "L1", quantityKind: "on_hand" }).delimiter).toBe(",");
  });
});

describe("our own CSV through the same entry point", () => {
  it("reads it with parseCsvFeed, unchanged: blank quantity is an error, not 'unchanged'", () => {
    const result = imported(OURS_CSV);
    expect(result).toMatchObject({ format: "ours", quantityKind: "on_hand" });
    expect(result.items).toEqual([item(0, 2, "ACME-TENT-0001", "FC-PAR", 40)]);
    expect(shapes(result.errors)).toEqual([
      { itemIndex: 1, row: 3, column: "quantity", code: "missing_quantity", syncCode: "invalid_item" },
      { itemIndex: 2, row: 4, column: "quantity", code: "invalid_quantity", syncCode: "invalid_quantity" },
    ]);
    expect(CSV_COLUMNS).toEqual({ sku: "sku", location_id: "locationId", quantity: "quantity" });
    expect(importInventoryCsv("sku,location_id\nA,B\n", { format: "ours" })).toMatchObject({ ok: false, code: "invalid_csv_header" });
    expect(parseCsvFeed(OURS_CSV)).toMatchObject({ ok: true, items: [{ row: 2 }, { row: 3 }, { row: 4 }] });
  });
});

describe("handing items to the sync pipeline", () => {
  it("toRawSyncItems passes checkSyncItems' CSV path; item errors join the same report with their rows", () => {
    const result = imported(SHOPIFY_WIDE_LEGACY);
    const lookup = (id: string) => (id === "FC-PAR" || id === "FC-BER" ? { active: true } : null);
    const { accepted, rejected } = checkSyncItems(toRawSyncItems(result.items), "absolute", "csv", lookup);
    expect(accepted.map((a) => [a.itemIndex, a.row, a.sku, a.locationId, a.quantity])).toEqual([
      [0, 2, "ACME-TENT-0001", "FC-PAR", 38],
      [1, 2, "ACME-TENT-0001", "FC-BER", 12],
      [4, 5, "ACME-MAT-01", "FC-BER", 9],
    ]);
    // A negative available value is out of range as an absolute on-hand: the conversion belongs in the SKU's object.
    expect(rejected.map((r) => [r.itemIndex, r.row, r.code])).toEqual([[2, 3, "out_of_range"]]);
    expect(toSyncItemErrors(result.errors)).toEqual([
      {
        itemIndex: 3,
        row: 4,
        sku: "-",
        locationId: null,
        quantity: null,
        code: "invalid_item",
        message: "the row has no SKU (blank or -); its quantities cannot be synced",
      },
    ]);
  });

  it("onHandFromAvailable adds back what the location holds, never below zero", () => {
    expect(onHandFromAvailable(38, { reserved: 2, committed: 1, damaged: 0, onHold: 3 })).toBe(44);
    expect(onHandFromAvailable(-3, { reserved: 5, committed: 0, damaged: 0, onHold: 0 })).toBe(2);
    expect(onHandFromAvailable(-9, { reserved: 5, committed: 0, damaged: 0, onHold: 0 })).toBe(0);
  });
});

describe("location-name tables", () => {
  it("matches trimmed, collapsed, case-insensitive names as own entries only", () => {
    const resolve = locationResolver({ "Paris Warehouse": "FC-PAR" });
    expect([resolve("  paris   WAREHOUSE "), resolve("Paris"), resolve("constructor"), resolve("__proto__")]).toEqual(["FC-PAR", null, null, null]);
    expect(locationNameKey(" A \t B ")).toBe("a b");
  });

  it("checkLocationNameTable names blank names, bad ids and names that collide", () => {
    expect(checkLocationNameTable({ " ": "FC-PAR", Paris: "bad id!", Berlin: "FC-BER", " berlin ": "FC-MAN", BERLIN: "FC-BER" })).toEqual([
      { name: " ", message: "a location name must not be blank" },
      { name: "Paris", message: '"bad id!" is not a location id (1–64 of A–Z a–z 0–9 . _ -)' },
      { name: " berlin ", message: '" berlin " and "Berlin" are the same name but map to FC-MAN and FC-BER' },
    ]);
  });
});

const X12_OPTIONS: InboundX12Options = { locationNames: names, inventory: { unitsPerPack: { CA: 4 } }, shipNotice: { unitsPerPack: { CA: 6 } } };
const ISA_900 = "ISA*00*          *00*          *ZZ*ACMEOUTDOOR    *ZZ*EDGEINVENTORY  *261122*0930*U*00401*000000900*0*P*>~";
/** One set in a sound envelope; its body starts on line 4 (position 2 in the set). */
function oneSet(functionalId: string, setId: string, body: string[]): string {
  return [
    ISA_900,
    `GS*${functionalId}*ACMEOUTDOOR*EDGEINVENTORY*20261122*0930*900*X*004010~`,
    `ST*${setId}*0001~`,
    ...body.map((s) => `${s}~`),
    `SE*${body.length + 2}*0001~`,
    "GE*1*900~",
    "IEA*1*000000900~",
  ].join("\n");
}
function inbound(text: string, options: InboundX12Options = X12_OPTIONS) {
  const result = readInboundX12(text, options);
  if (!result.ok) throw new Error(`expected an interchange, got ${result.code}: ${result.message}`);
  return result;
}
function interchange(text: string): X12Interchange {
  const result = parseX12(text);
  if (!result.ok) throw new Error(`expected an interchange, got ${result.code}: ${result.message}`);
  return result.interchange;
}
type X12IssueShape = { code: string; segmentIndex: number | null; line: number | null; positionInSet: number | null; setControlNumber: string | null };
const x12Shapes = (
  issues: readonly { code: string; segmentIndex: number | null; line: number | null; positionInSet: number | null; setControlNumber: string | null }[],
): X12IssueShape[] =>
  issues.map(({ code, segmentIndex, line, positionInSet, setControlNumber }) => ({ code, segmentIndex, line, positionInSet, setControlNumber }));
const inventoryOf = (set: InboundSet) => (set.content?.type === "846" ? set.content.inventory : null);

describe("X12 envelopes: separators from the ISA, tolerated layouts", () => {
  it("reads the ISA header and default separators", () => {
    const ix = interchange(X12_846);
    expect(ix.separators).toEqual({ element: "*", component: ">", segment: "~", repetition: null });
    expect(ix.header).toEqual({
      authorizationQualifier: "00",
      authorization: "",
      securityQualifier: "00",
      security: "",
      senderQualifier: "ZZ",
      senderId: "ACMEOUTDOOR",
      receiverQualifier: "ZZ",
      receiverId: "EDGEINVENTORY",
      date: "2026-11-22",
      time: "09:30",
      version: "00401",
      controlNumber: "000000101",
      acknowledgmentRequested: false,
      usage: "P",
    });
    expect(ix.groups.map((g) => [g.functionalId, g.controlNumber, g.version, g.declaredSetCount, g.ok])).toEqual([["IB", "101", "004010", 1, true]]);
    expect(transactionSets(ix).map((s) => [s.id, s.controlNumber, s.ok, s.segments.length])).toEqual([["846", "0001", true, 22]]);
  });

  it("takes non-default separators from the ISA: element |, repetition ^ (5010 ISA11), component : (ISA16), terminator !", () => {
    const ix = interchange(X12_846_SEPARATORS);
    expect(ix.separators).toEqual({ element: "|", component: ":", segment: "!", repetition: "^" });
    expect(ix.header).toMatchObject({ version: "00501", usage: "T" });
    const [set] = inbound(X12_846_SEPARATORS).sets;
    expect(set!.ok).toBe(true);
    // QTY03 is a composite in 5010 (EA:1): its first component is the unit.
    expect(inventoryOf(set!)).toMatchObject({
      quantityKind: "available",
      items: [{ sku: "ACME-MAT-01", locationId: "FC-BER", quantity: 9, row: 1, unit: "EA", segmentIndex: 6 }],
    });
  });

  it("a line break as the terminator (newline-only file), blank lines skipped", () => {
    const ix = interchange(X12_846_NEWLINE_ONLY);
    expect(ix.separators.segment).toBe("\n");
    expect(ix.warnings).toEqual([]);
    const [set] = inbound(X12_846_NEWLINE_ONLY).sets;
    expect(inventoryOf(set!)!.items).toMatchObject([{ sku: "ACME-TENT-0001", locationId: "FC-PAR", quantity: 41, row: 8, unit: "EA" }]);
  });

  it("a UTF-8 BOM, CRLF and indentation change nothing, and lines still count from the first", () => {
    const result = inbound(X12_846_BOM_INDENTED);
    expect(result.interchange.ok).toBe(true);
    expect(result.interchange.warnings).toEqual([]);
    expect(inventoryOf(result.sets[0]!)!.items).toMatchObject([
      { sku: "ACME-STOVE-01", locationId: "FC-BER", quantity: 6, row: 7, segmentIndex: 6, positionInSet: 5 },
    ]);
  });

  it("a segment whose terminator is missing ends at its line break, with a warning at that segment", () => {
    const result = inbound(X12_846_MISSING_TERMINATORS);
    expect(result.interchange.ok).toBe(true);
    expect(result.interchange.warnings.map((w) => [w.code, w.segmentId, w.segmentIndex, w.line])).toEqual([
      ["missing_segment_terminator", "ST", 2, 3],
      ["missing_segment_terminator", "BIA", 3, 4],
      ["missing_segment_terminator", "LIN", 5, 6],
      ["missing_segment_terminator", "IEA", 9, 10],
    ]);
    expect(result.interchange.warnings[3]!.message).toBe('the last segment has no terminator "~"');
    expect(inventoryOf(result.sets[0]!)!.items).toMatchObject([{ sku: "ACME-TENT-0002", locationId: "FC-PAR", quantity: 12, row: 7 }]);
  });

  it("two sets in one group are read apart", () => {
    const result = inbound(X12_846_TWO_SETS);
    expect(result.sets.map((s) => [s.setControlNumber, s.ok, inventoryOf(s)!.items.map((i) => [i.sku, i.locationId, i.quantity, i.row])])).toEqual([
      ["0001", true, [["ACME-TENT-0001", "FC-PAR", 40, 7]]],
      [
        "0002",
        true,
        [
          ["ACME-TENT-0001", "FC-BER", 11, 13],
          ["ACME-STOVE-01", "FC-BER", 0, 15],
        ],
      ],
    ]);
  });
});

describe("X12 envelopes: every control check, each set whole", () => {
  const mutate = (from: string, to: string) => {
    expect(X12_846_TWO_SETS).toContain(from);
    return X12_846_TWO_SETS.replace(from, to);
  };

  it("SE01 must count ST to SE: that set fails (AK5 4), its neighbour stands", () => {
    const result = inbound(mutate("SE*6*0001~", "SE*5*0001~"));
    expect(result.sets.map((s) => [s.setControlNumber, s.ok])).toEqual([
      ["0001", false],
      ["0002", true],
    ]);
    expect(result.sets[0]!.content).toBeNull();
    expect(x12Shapes(result.sets[0]!.errors)).toEqual([{ code: "se_segment_count", segmentIndex: 7, line: 8, positionInSet: 6, setControlNumber: "0001" }]);
    expect(result.sets[0]!.errors[0]!.message).toBe("SE01 says 5 segments; the set has 6 (ST to SE inclusive)");
    expect(result.acknowledgments[0]!.sets.map((s) => [s.accepted, s.errorCodes])).toEqual([
      [false, ["4"]],
      [true, []],
    ]);
  });

  it("SE02 must repeat ST02 (AK5 3); ST02 must be unique in the group (AK5 23)", () => {
    const mismatch = inbound(mutate("SE*6*0001~", "SE*6*0009~"));
    expect(mismatch.sets[0]!.errors.map((e) => [e.code, e.elementPosition, e.badValue, e.ack.setCode])).toEqual([["se_control_mismatch", 2, "0009", "3"]]);
    const duplicate = inbound(mutate("ST*846*0002~", "ST*846*0001~").replace("SE*8*0002~", "SE*8*0001~"));
    expect(duplicate.sets.map((s) => [s.setControlNumber, s.ok])).toEqual([
      ["0001", true],
      ["0001", false],
    ]);
    expect(duplicate.sets[1]!.errors.map((e) => [e.code, e.line, e.ack.setCode])).toEqual([["duplicate_set_control_number", 9, "23"]]);
  });

  it("a set without SE fails (AK5 2) where the next envelope segment starts", () => {
    const result = inbound(mutate("SE*6*0001~\n", ""));
    expect(result.sets.map((s) => [s.setControlNumber, s.ok])).toEqual([
      ["0001", false],
      ["0002", true],
    ]);
    expect(x12Shapes(result.sets[0]!.errors)).toEqual([{ code: "missing_se", segmentIndex: 7, line: 8, positionInSet: null, setControlNumber: "0001" }]);
  });

  it("GE01 must count the sets and GE02 repeat GS06: the whole group fails (AK9 R with 716 codes)", () => {
    const count = inbound(mutate("GE*2*106~", "GE*3*106~"));
    expect(count.sets.map((s) => s.ok)).toEqual([false, false]);
    expect(count.interchange.groups[0]!.errors.map((e) => [e.code, e.ack.groupCode, e.line])).toEqual([["ge_set_count", "5", 17]]);
    expect(count.acknowledgments[0]).toMatchObject({
      includedSets: 3,
      errorCodes: ["5"],
      sets: [
        { accepted: false, errorCodes: [] },
        { accepted: false, errorCodes: [] },
      ],
    });
    const control = inbound(mutate("GE*2*106~", "GE*2*166~"));
    expect(control.interchange.groups[0]!.errors.map((e) => [e.code, e.ack.groupCode, e.badValue])).toEqual([["ge_control_mismatch", "4", "166"]]);
    const missing = inbound(mutate("GE*2*106~\n", ""));
    expect(missing.interchange.groups[0]!.errors.map((e) => [e.code, e.segmentId, e.ack.groupCode])).toEqual([["missing_ge", "IEA", "3"]]);
    expect(missing.sets.map((s) => s.ok)).toEqual([false, false]);
  });

  it("IEA02 must repeat ISA13 and IEA01 count the groups; without IEA nothing is applied", () => {
    expect(interchange(mutate("IEA*1*000000106~", "IEA*1*000000999~")).errors.map((e) => [e.code, e.line])).toEqual([["iea_control_mismatch", 18]]);
    const count = inbound(mutate("IEA*1*", "IEA*2*"));
    expect(count.interchange.errors.map((e) => e.code)).toEqual(["iea_group_count"]);
    expect(count.sets.map((s) => s.ok)).toEqual([false, false]);
    const missing = inbound(mutate("IEA*1*000000106~\n", ""));
    expect(missing.interchange.errors.map((e) => [e.code, e.segmentIndex, e.line])).toEqual([["missing_iea", null, null]]);
    expect(missing.sets.map((s) => s.ok)).toEqual([false, false]);
    expect(interchange(`${X12_846_TWO_SETS}GS*IB*A*B*20261122*1000*107*X*004010~\n`).errors.map((e) => [e.code, e.line])).toEqual([["data_after_iea", 19]]);
  });

  it("a segment between sets fails its group; one outside any group fails the interchange", () => {
    const between = inbound(mutate("SE*6*0001~\n", "SE*6*0001~\nREF*ZZ*X~\n"));
    expect(x12Shapes(between.interchange.groups[0]!.errors)).toEqual([
      { code: "segment_outside_set", segmentIndex: 8, line: 9, positionInSet: null, setControlNumber: null },
    ]);
    expect(between.sets.map((s) => s.ok)).toEqual([false, false]);
    const outside = interchange(mutate("GE*2*106~\n", "GE*2*106~\nREF*ZZ*X~\n"));
    expect(outside.errors.map((e) => [e.code, e.line])).toEqual([["segment_outside_group", 18]]);
  });

  it("GS elements are checked: date, control number", () => {
    const result = inbound(mutate("20261122*1000*106*X", "20261131*1000*10A*X"));
    expect(result.interchange.groups[0]!.errors.map((e) => [e.code, e.elementPosition, e.ack.groupCode])).toEqual([
      ["invalid_gs", 4, "1"],
      ["invalid_gs", 6, "6"],
      ["ge_control_mismatch", 2, "4"],
    ]);
  });

  it("a text that is not an interchange is a typed failure with the position", () => {
    expect(parseX12("")).toEqual({ ok: false, code: "empty", message: "there is no data", line: null, elementPosition: null });
    expect(parseX12("\n\nGS*IB*A*B~")).toMatchObject({ ok: false, code: "not_x12", line: 3 });
    expect(parseX12("ISA*00*  ~")).toMatchObject({ ok: false, code: "invalid_isa", line: 1, elementPosition: null });
    const isa = X12_846.slice(0, 106);
    expect(parseX12(isa.replace("ACMEOUTDOOR    ", "ACMEOUTDOOR   ") + "*")).toMatchObject({
      ok: false,
      code: "invalid_isa",
      elementPosition: 6,
      message: "ISA06 must be 15 characters (the ISA is fixed width)",
    });
    expect(parseX12(isa.replace("000000101", "00000010X"))).toMatchObject({ ok: false, code: "invalid_isa", elementPosition: 13 });
    expect(parseX12(isa.replace("261122", "261131"))).toMatchObject({ ok: false, code: "invalid_isa", elementPosition: 9 });
    expect(parseX12(isa.replace("*>~", "**~"))).toMatchObject({ ok: false, code: "invalid_isa", elementPosition: 16 });
    expect(parseX12(isa.replace("*>~", "*>A"))).toMatchObject({ ok: false, code: "invalid_isa", elementPosition: 16 });
  });

  it("a malformed segment fails its set only, reported with segment index, line, position and set", () => {
    const result = inbound(X12_846_MALFORMED_NEXT_TO_GOOD);
    expect(result.sets.map((s) => [s.setControlNumber, s.ok])).toEqual([
      ["0001", true],
      ["0002", false],
      ["0003", false],
    ]);
    expect(x12Shapes(result.sets[1]!.errors)).toEqual([{ code: "malformed_segment", segmentIndex: 12, line: 13, positionInSet: 5, setControlNumber: "0002" }]);
    expect(x12Shapes(result.sets[2]!.errors)).toEqual([
      { code: "unknown_location_name", segmentIndex: 16, line: 17, positionInSet: 3, setControlNumber: "0003" },
      { code: "invalid_element", segmentIndex: 18, line: 19, positionInSet: 5, setControlNumber: "0003" },
    ]);
    expect(result.sets[2]!.errors.map((e) => e.message)).toEqual([
      'the location "WH-MAD" / "Madrid Warehouse" is not in the vendor\'s location table',
      'QTY02 "seven" is not a number',
    ]);
    expect(result.sets.map((s) => s.content === null)).toEqual([false, true, true]);
  });
});

describe("846 inventory advice", () => {
  it("reads items per LIN and location: heading and in-loop N1s, our own id (N103 92), cases, other quantities, dates", () => {
    const [set] = inbound(X12_846).sets;
    const inventory = inventoryOf(set!)!;
    expect(inventory).toMatchObject({
      setControlNumber: "0001",
      purpose: "00",
      reportType: "DD",
      reference: "INV-20261122-01",
      date: "2026-11-22",
      time: "09:30",
      quantityKind: "on_hand",
    });
    expect(inventory.dates).toEqual([{ qualifier: "097", date: "2026-11-22" }]);
    expect(inventory.items).toEqual([
      {
        ...item(0, 11, "ACME-TENT-0001", "FC-PAR", 40),
        segmentIndex: 10,
        positionInSet: 9,
        qualifier: "17",
        unit: "EA",
        itemIds: [
          { qualifier: "BP", id: "ACME-TENT-0001" },
          { qualifier: "VN", id: "AT-2P-FOR" },
          { qualifier: "UP", id: "012345678905" },
        ],
        otherQuantities: [{ qualifier: "33", quantity: 38, unit: "EA" }],
        dates: [],
      },
      {
        ...item(1, 14, "ACME-TENT-0002", "FC-PAR", 24),
        segmentIndex: 13,
        positionInSet: 12,
        qualifier: "17",
        unit: "EA",
        itemIds: [
          { qualifier: "VN", id: "AT-2P-SND" },
          { qualifier: "BP", id: "ACME-TENT-0002" },
        ],
        otherQuantities: [{ qualifier: "33", quantity: 20, unit: "CA" }],
        dates: [],
      },
      {
        ...item(2, 17, "ACME-STOVE-01", "FC-BER", 7),
        segmentIndex: 16,
        positionInSet: 15,
        qualifier: "17",
        unit: "EA",
        itemIds: [{ qualifier: "BP", id: "ACME-STOVE-01" }],
        otherQuantities: [
          { qualifier: "33", quantity: 7, unit: "EA" },
          { qualifier: "02", quantity: 120, unit: "EA" },
        ],
        dates: [{ qualifier: "018", date: "2026-12-01" }],
      },
      {
        ...item(3, 22, "ACME-STOVE-01", "FC-LYS", 3),
        segmentIndex: 21,
        positionInSet: 20,
        qualifier: "17",
        unit: "EA",
        itemIds: [{ qualifier: "BP", id: "ACME-STOVE-01" }],
        otherQuantities: [],
        dates: [{ qualifier: "018", date: "2026-12-01" }],
      },
    ]);
    // The items go to the sync pipeline like any feed's.
    expect(toRawSyncItems(inventory.items)[3]).toEqual({ itemIndex: 3, row: 22, value: { sku: "ACME-STOVE-01", locationId: "FC-LYS", quantity: "3" } });
  });

  it("with quantity 'available', every item needs a QTY 33: the one without fails the whole set", () => {
    const [set] = inbound(X12_846, { ...X12_OPTIONS, inventory: { ...X12_OPTIONS.inventory, quantity: "available" } }).sets;
    expect(set!.ok).toBe(false);
    expect(set!.content).toBeNull();
    expect(set!.errors.map((e) => [e.code, e.segmentId, e.line, e.positionInSet, e.message])).toEqual([
      ["missing_quantity", "LIN", 15, 13, "no QTY 33 (available) for ACME-STOVE-01 at FC-LYS; this set's quantities are available"],
    ]);
  });

  it("a unit without units-per-pack in the settings fails the set (AK4 7), wherever it is", () => {
    const [set] = inbound(X12_846, { locationNames: names }).sets;
    expect(set!.errors.map((e) => [e.code, e.line, e.elementPosition, e.badValue, e.ack])).toEqual([
      ["unsupported_unit", 13, 3, "CA", { setCode: "5", segmentCode: "8", elementCode: "7" }],
    ]);
  });

  it("the SKU comes from the preferred qualifier; a LIN without one fails", () => {
    const [set] = inbound(X12_846, { ...X12_OPTIONS, inventory: { ...X12_OPTIONS.inventory, itemIdQualifiers: ["VN"] } }).sets;
    expect(set!.errors.map((e) => [e.code, e.line, e.message])).toEqual([["missing_item_id", 15, "LIN has no id qualified VN (it has BP)"]]);
  });

  it.each([
    ["no location anywhere", ["BIA*00*DD*R*20261122", "LIN**BP*A-1", "QTY*17*5*EA"], [["missing_location", 6, null]]],
    [
      "two heading locations",
      ["BIA*00*DD*R*20261122", "N1*WH*A*92*FC-PAR", "N1*WH*B*92*FC-BER", "LIN**BP*A-1", "QTY*17*5*EA"],
      [["ambiguous_location", 6, null]],
    ],
    [
      "SDQ is refused, not dropped",
      ["BIA*00*DD*R*20261122", "N1*WH*A*92*FC-PAR", "LIN**BP*A-1", "SDQ*EA*92*FC-BER*5", "QTY*17*5*EA"],
      [["unsupported_segment", 7, null]],
    ],
    ["CTT01 must count the LINs", ["BIA*00*DD*R*20261122", "N1*WH*A*92*FC-PAR", "LIN**BP*A-1", "QTY*17*5*EA", "CTT*2"], [["count_mismatch", 8, 1]]],
    [
      "a segment after CTT",
      ["BIA*00*DD*R*20261122", "N1*WH*A*92*FC-PAR", "LIN**BP*A-1", "QTY*17*5*EA", "CTT*1", "REF*ZZ*1"],
      [["unexpected_segment", 9, null]],
    ],
    ["BIA missing", ["N1*WH*A*92*FC-PAR", "LIN**BP*A-1", "QTY*17*5*EA"], [["missing_segment", 4, null]]],
    ["QTY before any LIN", ["BIA*00*DD*R*20261122", "N1*WH*A*92*FC-PAR", "QTY*17*5*EA", "LIN**BP*A-1", "QTY*17*5*EA"], [["unexpected_segment", 6, null]]],
    [
      "the same qualifier twice at one location",
      ["BIA*00*DD*R*20261122", "N1*WH*A*92*FC-PAR", "LIN**BP*A-1", "QTY*17*5*EA", "QTY*17*6*EA"],
      [["duplicate_quantity", 8, null]],
    ],
    ["a LIN without QTY", ["BIA*00*DD*R*20261122", "N1*WH*A*92*FC-PAR", "LIN**BP*A-1", "LIN**BP*A-2", "QTY*17*5*EA"], [["missing_quantity", 6, null]]],
    ["our own code (92) that is no location id", ["BIA*00*DD*R*20261122", "N1*WH*A*92*bad id!", "LIN**BP*A-1", "QTY*17*5*EA"], [["invalid_element", 5, 4]]],
    ["a qualifier without its id", ["BIA*00*DD*R*20261122", "N1*WH*A*92*FC-PAR", "LIN**BP*A-1*VN", "QTY*17*5*EA"], [["missing_element", 6, 5]]],
    ["a fraction of a unit", ["BIA*00*DD*R*20261122", "N1*WH*A*92*FC-PAR", "LIN**BP*A-1", "QTY*17*2.5*EA"], [["invalid_quantity", 7, 2]]],
    ["a date that does not exist", ["BIA*00*DD*R*20261122", "N1*WH*A*92*FC-PAR", "LIN**BP*A-1", "QTY*17*5*EA", "DTM*018*20261131"], [["invalid_date", 8, 2]]],
    ["an empty 846", ["BIA*00*DD*R*20261122"], [["missing_segment", 5, null]]],
  ])("%s fails the set, at its position", (_name, body, expected) => {
    const [set] = inbound(oneSet("IB", "846", body)).sets;
    expect(set!.ok).toBe(false);
    expect(set!.errors.map((e) => [e.code, e.line, e.elementPosition])).toEqual(expected);
  });

  it("keeps negative and zero quantities as sent (R allows a minus)", () => {
    const [set] = inbound(oneSet("IB", "846", ["BIA*00*DD*R*20261122", "N1*WH*A*92*FC-PAR", "LIN**BP*A-1", "QTY*33*-2*EA", "LIN**BP*A-2", "QTY*33*0"])).sets;
    expect(inventoryOf(set!)!.items.map((i) => [i.sku, i.quantity, i.qualifier])).toEqual([
      ["A-1", -2, "33"],
      ["A-2", 0, "33"],
    ]);
  });

  it("a set of a type we do not read is rejected (AK5 1), not ignored", () => {
    const result = inbound(oneSet("IN", "810", ["BIG*20261122*INV-1"]));
    expect(result.sets[0]).toMatchObject({ ok: false, content: null, errors: [{ code: "unsupported_transaction_set", ack: { setCode: "1" } }] });
  });
});

describe("855 PO acknowledgment", () => {
  it("turns ACK statuses into per-line decisions; a line without ACK takes the header's answer", () => {
    const [set] = inbound(X12_855).sets;
    expect(set!.ok).toBe(true);
    const ack = set!.content?.type === "855" ? set!.content.acknowledgment : null;
    expect(ack).toMatchObject({
      setControlNumber: "0001",
      purpose: "00",
      acknowledgmentType: "AC",
      poNumber: "PO-1001",
      poDate: "2026-11-22",
      sellerOrderNumber: "SO-778",
      acknowledgedOn: "2026-11-23",
    });
    expect(
      ack!.lines.map((l) => [
        l.lineNumber,
        l.sku,
        l.quantity,
        l.unitPrice,
        l.outcome,
        l.acceptedQuantity,
        l.statuses.map((s) => [s.code, s.decision, s.quantity, s.date?.date ?? null]),
      ]),
    ).toEqual([
      ["1", "ACME-TENT-0001", 10, 12.5, "accepted", 10, [["IA", "accepted", 10, "2026-11-28"]]],
      [
        "2",
        "ACME-STOVE-01",
        6,
        4.99,
        "changed",
        6,
        [
          ["IQ", "quantity_changed", 4, "2026-11-28"],
          ["IB", "backordered", 2, "2026-12-15"],
        ],
      ],
      ["3", "ACME-MAT-01", 5, 20, "rejected", 0, [["IR", "rejected", 5, null]]],
      ["4", "ACME-MAT-02", 2, 8, "accepted", 2, []],
    ]);
    expect(ack!.lines[1]!.statuses[1]).toEqual({
      code: "IB",
      decision: "backordered",
      quantity: 2,
      unit: "EA",
      date: { qualifier: "068", date: "2026-12-15" },
      segmentIndex: 8,
      line: 9,
    });
  });

  it("a rejection without detail (RJ) rejects every line; an accepted quantity below the order is a change", () => {
    const [rj] = inbound(oneSet("PR", "855", ["BAK*00*RJ*PO-9*20261122", "PO1*1*3*EA*1**BP*A-1"])).sets;
    expect(rj!.content?.type === "855" && rj!.content.acknowledgment.lines.map((l) => [l.outcome, l.acceptedQuantity])).toEqual([["rejected", 0]]);
    const [short] = inbound(oneSet("PR", "855", ["BAK*00*AC*PO-9*20261122", "PO1*1*3*EA*1**BP*A-1", "ACK*IA*2*EA"])).sets;
    expect(short!.content?.type === "855" && short!.content.acknowledgment.lines.map((l) => [l.outcome, l.acceptedQuantity])).toEqual([["changed", 2]]);
  });

  it.each([
    ["an unknown line status", ["BAK*00*AC*PO-9*20261122", "PO1*1*3*EA*1**BP*A-1", "ACK*ZZ*3*EA"], [["invalid_code", 6, 1]]],
    ["an ACK before any PO1", ["BAK*00*AC*PO-9*20261122", "ACK*IA*3*EA", "PO1*1*3*EA*1**BP*A-1"], [["ack_without_line", 5, null]]],
    ["CTT01 must count the PO1s", ["BAK*00*AC*PO-9*20261122", "PO1*1*3*EA*1**BP*A-1", "CTT*2"], [["count_mismatch", 6, 1]]],
    ["an unknown acknowledgment type", ["BAK*00*XX*PO-9*20261122"], [["invalid_code", 4, 2]]],
    ["BAK missing", ["PO1*1*3*EA*1**BP*A-1"], [["missing_segment", 4, null]]],
    ["a line number twice", ["BAK*00*AC*PO-9*20261122", "PO1*1*3*EA*1**BP*A-1", "PO1*1*3*EA*1**BP*A-2"], [["invalid_element", 6, 1]]],
    ["a price that is no number", ["BAK*00*AC*PO-9*20261122", "PO1*1*3*EA*1,5**BP*A-1"], [["invalid_element", 5, 4]]],
  ])("%s fails the set", (_name, body, expected) => {
    const [set] = inbound(oneSet("PR", "855", body)).sets;
    expect(set!.ok).toBe(false);
    expect(set!.errors.map((e) => [e.code, e.line, e.elementPosition])).toEqual(expected);
  });
});

describe("856 advance ship notice", () => {
  it("walks the HL hierarchy: PO from PRF, pack from MAN, dates from the nearest level, cases in units", () => {
    const [set] = inbound(X12_856).sets;
    expect(set!.ok).toBe(true);
    const notice = set!.content?.type === "856" ? set!.content.shipNotice : null;
    expect(notice).toMatchObject({
      setControlNumber: "0001",
      purpose: "00",
      shipmentId: "SHIP-5521",
      date: "2026-11-24",
      time: "08:00",
      structureCode: "0001",
      shippedDate: "2026-11-24",
      expectedDeliveryDate: "2026-11-27",
      carrierScac: "DHLX",
      references: [{ qualifier: "BM", value: "BOL-99812" }],
      shipTo: { name: "Edge Inventory Paris", idQualifier: "92", id: "FC-PAR", locationId: "FC-PAR" },
    });
    expect(
      notice!.lines.map((l) => [
        l.hlId,
        l.parentHlId,
        l.poNumber,
        l.poDate,
        l.sku,
        l.quantity,
        l.unit,
        l.packId,
        l.shippedDate,
        l.expectedDeliveryDate,
        l.line,
      ]),
    ).toEqual([
      ["4", "3", "PO-1001", "2026-11-22", "ACME-TENT-0001", 10, "EA", "00012345600000000017", "2026-11-24", "2026-11-27", 17],
      ["5", "3", "PO-1001", "2026-11-22", "ACME-STOVE-01", 4, "EA", "00012345600000000017", "2026-11-24", "2026-11-29", 20],
      ["7", "6", "PO-1002", null, "ACME-MAT-01", 12, "CA", null, "2026-11-24", "2026-11-27", 26],
    ]);
  });

  it.each([
    ["an item without PRF above it", ["BSN*00*S1*20261124*0800", "HL*1**S", "HL*2*1*I", "LIN**BP*A-1", "SN1**1*EA"], [["missing_po_reference", 6, null]]],
    ["a parent that is not an earlier level", ["BSN*00*S1*20261124*0800", "HL*1**S", "HL*2*9*O", "PRF*PO-1"], [["invalid_hierarchy", 6, 2]]],
    ["a first level that is not the shipment", ["BSN*00*S1*20261124*0800", "HL*1**O", "PRF*PO-1"], [["invalid_hierarchy", 5, null]]],
    ["an item without SN1", ["BSN*00*S1*20261124*0800", "HL*1**S", "HL*2*1*O", "PRF*PO-1", "HL*3*2*I", "LIN**BP*A-1"], [["missing_segment", 8, null]]],
    ["SN1 outside an item level", ["BSN*00*S1*20261124*0800", "HL*1**S", "SN1**1*EA"], [["unexpected_segment", 6, null]]],
    [
      "CTT01 that is neither the HL nor the item count",
      ["BSN*00*S1*20261124*0800", "HL*1**S", "HL*2*1*O", "PRF*PO-1", "HL*3*2*I", "LIN**BP*A-1", "SN1**1*EA", "CTT*2"],
      [["count_mismatch", 11, 1]],
    ],
    ["an unknown level code", ["BSN*00*S1*20261124*0800", "HL*1**S", "HL*2*1*X"], [["invalid_code", 6, 3]]],
    ["a bad shipment time", ["BSN*00*S1*20261124*2500", "HL*1**S"], [["invalid_element", 4, 4]]],
  ])("%s fails the set", (_name, body, expected) => {
    const [set] = inbound(oneSet("SH", "856", body)).sets;
    expect(set!.ok).toBe(false);
    expect(set!.errors.map((e) => [e.code, e.line, e.elementPosition])).toEqual(expected);
  });

  it("CTT01 may count HL segments or item levels", () => {
    const body = (n: number) => ["BSN*00*S1*20261124*0800", "HL*1**S", "HL*2*1*O", "PRF*PO-1", "HL*3*2*I", "LIN**BP*A-1", "SN1**1*EA", `CTT*${n}`];
    expect(inbound(oneSet("SH", "856", body(3))).sets[0]!.ok).toBe(true);
    expect(inbound(oneSet("SH", "856", body(1))).sets[0]!.ok).toBe(true);
  });
});

const OUT_ENVELOPE = {
  senderQualifier: "ZZ",
  senderId: "EDGEINVENTORY",
  receiverQualifier: "ZZ",
  receiverId: "ACMEOUTDOOR",
  interchangeControlNumber: 501,
  groupControlNumber: 501,
  lineBreak: "\n",
} as const;
const PO: PurchaseOrder = {
  poNumber: "PO-1001",
  orderDate: "2026-11-22",
  currency: "EUR",
  requestedDeliveryDate: "2026-12-03",
  shipTo: {
    name: "Edge Inventory Paris",
    locationId: "FC-PAR",
    address: { lines: ["12 Rue de la Logistique"], city: "Paris", postalCode: "75019", countryCode: "FR" },
  },
  lines: [
    { sku: "ACME-TENT-0001", vendorItemNumber: "AT-2P-FOR", gtin: "012345678905", quantity: 10, unitPriceMinor: 1250, description: "Trail Tent 2P Forest" },
    { sku: "ACME-STOVE-01", quantity: 6, unitPriceMinor: 499 },
    { sku: "ACME-MAT-01", quantity: 5, unitPriceMinor: 2000 },
  ],
};

describe("850 purchase order out", () => {
  it("writes the exact interchange for a PO, with the control numbers passed in", () => {
    expect(generate850(PO, { ...OUT_ENVELOPE, createdAt: "2026-11-22T09:30:00Z", setControlNumber: 1 })).toEqual({ ok: true, text: X12_850_EXPECTED });
  });

  it("what it writes reads back as a sound interchange; without line breaks too", () => {
    const result = generate850(PO, { ...OUT_ENVELOPE, createdAt: "2026-11-22T09:30:00Z", setControlNumber: 1, lineBreak: "" });
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    expect(result.text).toBe(X12_850_EXPECTED.replace(/\n/g, ""));
    const ix = interchange(result.text);
    expect([ix.ok, ix.groups[0]!.ok, transactionSets(ix)[0]!.ok, transactionSets(ix)[0]!.segments.length]).toEqual([true, true, true, 13]);
  });

  it("writes 5010 envelopes with a repetition separator and other separators", () => {
    const result = generate850(
      { ...PO, lines: [PO.lines[1]!], currency: undefined, requestedDeliveryDate: undefined, shipTo: { name: "FC", locationId: "FC-PAR" } },
      {
        ...OUT_ENVELOPE,
        createdAt: "2026-11-22T09:30:00Z",
        setControlNumber: 42,
        version: "005010",
        separators: { element: "|", segment: "'" },
        lineBreak: "",
      },
    );
    expect(result).toEqual({
      ok: true,
      text:
        "ISA|00|          |00|          |ZZ|EDGEINVENTORY  |ZZ|ACMEOUTDOOR    |261122|0930|^|00501|000000501|0|P|>'" +
        "GS|PO|EDGEINVENTORY|ACMEOUTDOOR|20261122|0930|501|X|005010'ST|850|0042'BEG|00|SA|PO-1001||20261122'N1|ST|FC|92|FC-PAR'" +
        "PO1|1|6|EA|4.99||BP|ACME-STOVE-01'CTT|1|6'SE|6|0042'GE|1|501'IEA|1|000000501'",
    });
  });

  it("refuses input it cannot write, every problem at its path (X12 has no escape)", () => {
    const bad: PurchaseOrder = {
      ...PO,
      orderDate: "2026-02-30",
      shipTo: { ...PO.shipTo, name: "Paris*North" },
      lines: [
        { sku: "A~1", quantity: 0, unitPriceMinor: -1 },
        { sku: "A-2", quantity: 1.5, unitPriceMinor: 1, gtin: "123", unit: "each" },
      ],
    };
    const result = generate850(bad, { ...OUT_ENVELOPE, createdAt: "2026-11-22", setControlNumber: 0, interchangeControlNumber: 1_000_000_000 });
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.errors).toEqual([
      { path: ["orderDate"], message: "an ISO date (YYYY-MM-DD)" },
      { path: ["shipTo", "name"], message: 'holds "*", a separator of this interchange (X12 has no escape)' },
      { path: ["lines", 0, "quantity"], message: "a positive integer" },
      { path: ["lines", 0, "unitPriceMinor"], message: "an integer ≥ 0 (minor units)" },
      { path: ["lines", 0, "sku"], message: 'holds "~", a separator of this interchange (X12 has no escape)' },
      { path: ["lines", 1, "quantity"], message: "a positive integer" },
      { path: ["lines", 1, "unit"], message: "a 2-character unit of measure code (EA, CA, …)" },
      { path: ["lines", 1, "gtin"], message: "a GTIN of 12, 13 or 14 digits" },
    ]);
    const envelope = generate850(PO, { ...OUT_ENVELOPE, createdAt: "2026-11-22", setControlNumber: 0, interchangeControlNumber: 1_000_000_000 });
    expect(envelope).toEqual({
      ok: false,
      errors: [
        { path: ["envelope", "createdAt"], message: "an ISO 8601 date-time such as 2026-11-22T09:30:00Z" },
        { path: ["envelope", "interchangeControlNumber"], message: "an integer from 1 to 999999999" },
        { path: ["sets", 0, "controlNumber"], message: "an integer from 1 to 999999999" },
      ],
    });
  });
});

describe("997 functional acknowledgment out", () => {
  const ackEnvelope = { ...OUT_ENVELOPE, createdAt: "2026-11-22T11:05:00Z", interchangeControlNumber: 601, groupControlNumber: 601, firstSetControlNumber: 1 };

  it("acknowledges a group with a good, a malformed and a bad-content set: the exact text", () => {
    expect(generate997(inbound(X12_846_MALFORMED_NEXT_TO_GOOD).acknowledgments, ackEnvelope)).toEqual({ ok: true, text: X12_997_EXPECTED });
  });

  it("a group whose envelope failed is rejected whole (AK9 R with its 716 code); several groups get one 997 each", () => {
    const broken = inbound(X12_846_TWO_SETS.replace("GE*2*106~", "GE*3*106~")).acknowledgments[0]!;
    const good = inbound(X12_855).acknowledgments[0]!;
    const result = generate997([broken, good], ackEnvelope);
    expect(result.ok && result.text.split("\n").slice(2, -3)).toEqual([
      "ST*997*0001~",
      "AK1*IB*106~",
      "AK2*846*0001~",
      "AK5*R~",
      "AK2*846*0002~",
      "AK5*R~",
      "AK9*R*3*2*0*5~",
      "SE*8*0001~",
      "ST*997*0002~",
      "AK1*PR*201~",
      "AK2*855*0001~",
      "AK5*A~",
      "AK9*A*1*1*1~",
      "SE*6*0002~",
    ]);
  });

  it("in 5010, AK103 and AK203 carry the version and implementation reference; an unwritable bad value is left out of AK4", () => {
    // QTY02 holds ">", our component separator: the copy of the bad value cannot be written.
    const text = oneSet("IB", "846", ["BIA*00*DD*R*20261122", "N1*WH*A*92*FC-PAR", "LIN**BP*A-1", "QTY*17*a>b*EA"])
      .replace("004010~", "005010~")
      .replace("ST*846*0001~", "ST*846*0001*005010X~");
    const acks = inbound(text).acknowledgments;
    const result = generate997(acks, { ...ackEnvelope, version: "005010", separators: { component: ">" } });
    expect(result.ok && result.text.split("\n").slice(3, -4)).toEqual([
      "AK1*IB*900*005010~",
      "AK2*846*0001*005010X~",
      "AK3*QTY*5**8~",
      "AK4*2**6~",
      "AK5*R*5~",
      "AK9*R*1*1*0~",
    ]);
  });

  it("groupAckOf counts from the parse alone when no content was read", () => {
    const ix = interchange(X12_846_TWO_SETS);
    expect(groupAckOf(ix.groups[0]!)).toEqual({
      functionalId: "IB",
      groupControlNumber: "106",
      version: "004010",
      includedSets: 2,
      errorCodes: [],
      sets: [
        { id: "846", controlNumber: "0001", implementationReference: null, accepted: true, errorCodes: [], segmentErrors: [] },
        { id: "846", controlNumber: "0002", implementationReference: null, accepted: true, errorCodes: [], segmentErrors: [] },
      ],
    });
    expect(generate997([], ackEnvelope)).toEqual({ ok: false, errors: [{ path: ["groups"], message: "a 997 acknowledges at least one group" }] });
  });
});

describe("X12 data element types", () => {
  it("reads DT, TM and R strictly and writes R from minor units without float rounding", () => {
    expect([parseX12Date("20261122"), parseX12Date("261122"), parseX12Date("20260229"), parseX12Date("20240229"), parseX12Date("2026112")]).toEqual([
      "2026-11-22",
      "2026-11-22",
      null,
      "2024-02-29",
      null,
    ]);
    expect([parseX12Time("0930"), parseX12Time("093015"), parseX12Time("09301501"), parseX12Time("2400"), parseX12Time("930")]).toEqual([
      "09:30",
      "09:30:15",
      "09:30:15",
      null,
      null,
    ]);
    expect([
      parseX12Decimal("12.5"),
      parseX12Decimal("-3"),
      parseX12Decimal(".5"),
      parseX12Decimal("5."),
      parseX12Decimal("+5"),
      parseX12Decimal("1e3"),
      parseX12Decimal("1,5"),
    ]).toEqual([12.5, -3, 0.5, 5, null, null, null]);
    expect([
      formatX12Decimal(1250, 2),
      formatX12Decimal(1200, 2),
      formatX12Decimal(5, 2),
      formatX12Decimal(-105, 2),
      formatX12Decimal(7, 0),
      formatX12Decimal(1, 3),
    ]).toEqual(["12.5", "12", "0.05", "-1.05", "7", "0.001"]);
  });
});

describe("Google Merchant Center local inventory feed", () => {
  const stores: MerchantStoreTable = {
    "FC-PAR": { storeCode: "store-paris", pickupMethod: "buy", pickupSla: "same_day" },
    "FC-BER": { storeCode: "store-berlin", onDisplay: true, pickupMethod: "not_supported" },
    "FC-LYS": { storeCode: "=lyon", pickupMethod: "reserve" },
  };
  const products: MerchantProduct[] = [
    {
      offerId: "ACME-TENT-0001",
      status: "in_stock",
      locations: [
        { locationId: "FC-PAR", available: 40 },
        { locationId: "FC-BER", available: 2 },
        { locationId: "FC-MAN", available: 90 },
      ],
    },
    {
      offerId: "ACME-STOVE-01",
      status: "low_stock",
      locations: [
        { locationId: "FC-PAR", available: -1 },
        { locationId: "FC-BER", available: 0 },
      ],
    },
    { offerId: "ACME-MAT-01", status: "backorder", availableFrom: "2026-12-01", locations: [{ locationId: "FC-PAR", available: 0 }] },
    { offerId: "@MAT-02", status: "preorder", availableFrom: "2026-12-10T09:00+01:00", locations: [] },
    { offerId: "ACME-MAT-03", status: "preorder", locations: [] },
    { offerId: "ACME-MAT-04", status: "out_of_stock", availableFrom: "soon", locations: [] },
  ];

  it("one row per product and store; availability from units and the display flag; product availability from our status", () => {
    const feed = merchantFeed(products, stores);
    expect(feed.localInventory).toEqual([
      { store_code: "store-paris", id: "ACME-TENT-0001", quantity: 40, availability: "in_stock", pickup_method: "buy", pickup_sla: "same_day" },
      { store_code: "store-berlin", id: "ACME-TENT-0001", quantity: 2, availability: "limited_availability", pickup_method: "not_supported" },
      { store_code: "store-paris", id: "ACME-STOVE-01", quantity: 0, availability: "out_of_stock", pickup_method: "buy", pickup_sla: "same_day" },
      { store_code: "store-berlin", id: "ACME-STOVE-01", quantity: 0, availability: "on_display_to_order", pickup_method: "not_supported" },
      { store_code: "store-paris", id: "ACME-MAT-01", quantity: 0, availability: "out_of_stock", pickup_method: "buy", pickup_sla: "same_day" },
    ]);
    expect(feed.products).toEqual([
      { id: "ACME-TENT-0001", availability: "in_stock" },
      { id: "ACME-STOVE-01", availability: "in_stock" },
      { id: "ACME-MAT-01", availability: "backorder", availability_date: "2026-12-01T00:00Z" },
      { id: "@MAT-02", availability: "preorder", availability_date: "2026-12-10T09:00+01:00" },
      { id: "ACME-MAT-04", availability: "out_of_stock" },
    ]);
    expect(feed.problems).toEqual([
      { offerId: "*", locationId: "FC-LYS", field: "pickup_sla", message: "pickup_method and pickup_sla go together (unless the method is not_supported)" },
      { offerId: "ACME-MAT-03", locationId: null, field: "availability_date", message: "a preorder product needs an availability date (ISO 8601)" },
    ]);
  });

  it("writes TSV and CSV with formula cells neutralised", () => {
    const lyon = merchantFeed([{ offerId: "ACME-TENT-0001", status: "in_stock", locations: [{ locationId: "FC-LYS", available: 0 }] }], {
      "FC-LYS": { storeCode: "=lyon" },
    });
    expect(lyon).toEqual({
      localInventory: [{ store_code: "=lyon", id: "ACME-TENT-0001", quantity: 0, availability: "out_of_stock" }],
      products: [{ id: "ACME-TENT-0001", availability: "in_stock" }],
      problems: [],
    });
    const feed = merchantFeed(products, stores);
    expect(localInventoryText(feed.localInventory.slice(0, 2), "tsv")).toBe(
      "store_code\tid\tquantity\tavailability\tpickup_method\tpickup_sla\nstore-paris\tACME-TENT-0001\t40\tin_stock\tbuy\tsame_day\nstore-berlin\tACME-TENT-0001\t2\tlimited_availability\tnot_supported\t\n",
    );
    expect(productAvailabilityText(feed.products.slice(2, 4), "tsv")).toBe(
      "id\tavailability\tavailability_date\nACME-MAT-01\tbackorder\t2026-12-01T00:00Z\n'@MAT-02\tpreorder\t2026-12-10T09:00+01:00\n",
    );
    expect(productAvailabilityText([{ id: 'A,"B"', availability: "in_stock" }], "csv")).toBe('id,availability,availability_date\n"A,""B""",in_stock,\n');
    expect(localInventoryText([{ store_code: "=lyon", id: "x\ty", quantity: 0, availability: "out_of_stock" }], "tsv").split("\n")[1]).toBe(
      "'=lyon\tx y\t0\tout_of_stock\t\t",
    );
    expect(localInventoryText([{ store_code: "=lyon", id: "x", quantity: 0, availability: "out_of_stock" }], "csv").split("\n")[1]).toBe(
      "'=lyon,x,0,out_of_stock,,",
    );
  });

  it("limitedBelow moves the in_stock threshold; offer ids over 50 characters are left out", () => {
    const feed = merchantFeed(
      [
        { offerId: "A", status: "in_stock", locations: [{ locationId: "FC-PAR", available: 4 }] },
        { offerId: "x".repeat(51), status: "in_stock", locations: [] },
      ],
      stores,
      { limitedBelow: 5 },
    );
    expect(feed.localInventory.map((r) => r.availability)).toEqual(["limited_availability"]);
    expect(feed.problems.map((p) => p.field)).toEqual(["pickup_sla", "id"]);
  });
});

describe("vendor sync settings", () => {
  const valid = (extra: Record<string, unknown> = {}) => ({ enabled: true, method: "push_csv", ...extra });
  const settings = (input: unknown): VendorSyncSettings => {
    const parsed = parseVendorSyncSettings(input);
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.issues));
    return parsed.settings;
  };

  it("fills defaults: standard tier (30 min), auto format, no table, 3 failures, stale after 3 intervals", () => {
    const s = settings(valid());
    expect(s).toEqual({
      enabled: true,
      method: "push_csv",
      tier: "standard",
      format: "auto",
      locationNames: {},
      shopifyColumn: "on_hand_new",
      health: { failureAlertAfter: 3 },
    });
    expect(syncIntervalMinutes(s)).toBe(30);
    expect(syncHealthPolicy(s)).toEqual({ staleAfterMs: 90 * 60_000, failureAlertAfter: 3 });
    expect(syncIntervalMinutes(settings(valid({ tier: "critical" })))).toBe(5);
    const custom = settings(valid({ tier: "custom", intervalMinutes: 15, health: { staleAfterMinutes: 20, failureAlertAfter: 5 } }));
    expect([syncIntervalMinutes(custom), syncHealthPolicy(custom)]).toEqual([15, { staleAfterMs: 20 * 60_000, failureAlertAfter: 5 }]);
  });

  it.each([
    ["custom tier without interval", valid({ tier: "custom" }), [["intervalMinutes"], "give intervalMinutes exactly when tier is custom"]],
    ["interval without custom tier", valid({ intervalMinutes: 10 }), [["intervalMinutes"], "give intervalMinutes exactly when tier is custom"]],
    ["interval under 5 minutes", valid({ tier: "custom", intervalMinutes: 4 }), [["intervalMinutes"], null]],
    ["pull_url without URL", { enabled: true, method: "pull_url" }, [["pullUrl"], "give pullUrl exactly when method is pull_url"]],
    ["an http URL", { enabled: true, method: "pull_url", pullUrl: "http://acme.example/stock.csv" }, [["pullUrl"], "an https URL without credentials in it"]],
    [
      "credentials in the URL",
      { enabled: true, method: "pull_url", pullUrl: "https://u:p@acme.example/s.csv" },
      [["pullUrl"], "an https URL without credentials in it"],
    ],
    ["generic without map", valid({ format: "generic" }), [["mapping"], "a generic format needs the column map"]],
    ["a map with another format", valid({ format: "shopify", mapping: GENERIC_MAPPING }), [["mapping"], "a column map is for the generic (or auto) format"]],
    ["EDI with a CSV format", { enabled: true, method: "edi", format: "shopify" }, [["format"], "method edi takes format auto, x12"]],
    ["x12 pushed as CSV", valid({ format: "x12" }), [["format"], "method push_csv takes format auto, ours, shopify, generic"]],
    [
      "a table mapping to no location id",
      valid({ locationNames: { Paris: "bad id!" } }),
      [["locationNames", "Paris"], '"bad id!" is not a location id (1–64 of A–Z a–z 0–9 . _ -)'],
    ],
    ["an unknown key", valid({ colour: "red" }), [[], null]],
  ])("refuses %s, with the path", (_name, input, [path, message]) => {
    const parsed = parseVendorSyncSettings(input);
    expect(parsed.ok).toBe(false);
    if (parsed.ok) return;
    expect(parsed.issues[0]!.path).toEqual(path);
    if (message !== null) expect(parsed.issues[0]!.message).toBe(message);
  });

  it("gives the format readers their options, and says when a pull is due", () => {
    const s = settings(valid({ format: "generic", mapping: GENERIC_MAPPING, locationNames: names }));
    expect(csvImportOptionsOf(s)).toEqual({ format: "generic", locationNames: names, shopifyColumn: "on_hand_new", mapping: { ...GENERIC_MAPPING } });
    expect(importInventoryCsv(GENERIC_SEMICOLON, csvImportOptionsOf(s))).toMatchObject({ ok: true, format: "generic", counts: { items: 2 } });
    const edi = settings({
      enabled: true,
      method: "edi",
      format: "x12",
      locationNames: names,
      x12: { quantity: "on_hand", unitsPerPack: { CA: 4 }, itemIdQualifiers: ["BP"] },
    });
    expect(x12OptionsOf(edi)).toEqual({
      locationNames: names,
      inventory: { quantity: "on_hand", unitsPerPack: { CA: 4 }, itemIdQualifiers: ["BP"] },
      acknowledgment: { unitsPerPack: { CA: 4 } },
      shipNotice: { unitsPerPack: { CA: 4 } },
    });
    expect(inbound(X12_846, x12OptionsOf(edi)).sets[0]!.ok).toBe(true);
    const pull = settings({ enabled: true, method: "pull_url", pullUrl: "https://acme.example/stock.csv", tier: "critical" });
    expect([
      isPullDue(pull, null, 0),
      isPullDue(pull, 0, 299_999),
      isPullDue(pull, 0, 300_000),
      isPullDue({ ...pull, enabled: false }, null, 0),
      isPullDue(s, null, 0),
    ]).toEqual([true, false, true, false, false]);
  });
});

describe("sync health", () => {
  const policy = { staleAfterMs: 90 * 60_000, failureAlertAfter: 3 };
  const min = 60_000;
  const attempt = (at: number, ok: boolean, error: string | null = null) => ({ vendorId: "V1", method: "pull_url" as const, at, ok, error });
  const fold = (state: SyncHealthState, ...attempts: ReturnType<typeof attempt>[]) => {
    const alerts: unknown[] = [];
    const recovered: number[] = [];
    for (const a of attempts) {
      const r = recordSyncAttempt(state, a, policy);
      state = r.state;
      if (r.alert !== null) alerts.push(r.alert);
      if (r.recovered) recovered.push(a.at);
    }
    return { state, alerts, recovered };
  };

  it("raises sync.failed once when failures in a row reach the threshold; a success ends the streak and says so", () => {
    const start = initialSyncHealth("V1", "pull_url", 0);
    const { state, alerts, recovered } = fold(
      start,
      attempt(1 * min, true),
      attempt(2 * min, false, "HTTP 500"),
      attempt(3 * min, false, "timeout"),
      attempt(4 * min, false, "HTTP 503"),
      attempt(5 * min, false, "HTTP 503"),
    );
    expect(alerts).toEqual([{ type: "sync.failed", vendorId: "V1", method: "pull_url", consecutiveFailures: 3, failingSince: 2 * min, lastError: "HTTP 503" }]);
    expect(state).toMatchObject({ consecutiveFailures: 4, lastSuccessAt: 1 * min, alerted: true });
    const after = fold(state, attempt(6 * min, true), attempt(7 * min, false), attempt(8 * min, false));
    expect([after.alerts, after.recovered, after.state.consecutiveFailures, after.state.alerted]).toEqual([[], [6 * min], 2, false]);
    expect(fold(after.state, attempt(9 * min, false)).alerts).toHaveLength(1);
  });

  it("positive control: two failures stay below a threshold of three", () => {
    expect(fold(initialSyncHealth("V1", "pull_url", 0), attempt(1, false), attempt(2, false)).alerts).toEqual([]);
  });

  it("ignores late, repeated or foreign attempts", () => {
    const { state } = fold(initialSyncHealth("V1", "pull_url", 0), attempt(10 * min, true));
    expect(recordSyncAttempt(state, attempt(5 * min, false), policy).state).toBe(state);
    expect(recordSyncAttempt(state, { ...attempt(11 * min, false), vendorId: "V2" }, policy).state).toBe(state);
    expect(recordSyncAttempt(state, { ...attempt(11 * min, false), method: "edi" }, policy).state).toBe(state);
  });

  it("is stale after more silence than allowed, counted from the last success or from when monitoring began", () => {
    const never = initialSyncHealth("V1", "pull_url", 0);
    expect([syncHealthStatus(never, 90 * min, policy).stale, syncHealthStatus(never, 90 * min + 1, policy).stale]).toEqual([false, true]);
    const { state } = fold(never, attempt(100 * min, true), attempt(120 * min, false), attempt(130 * min, false), attempt(140 * min, false));
    expect(syncHealthStatus(state, 150 * min, policy)).toEqual({
      vendorId: "V1",
      method: "pull_url",
      lastSuccessAt: 100 * min,
      silentForMs: 50 * min,
      stale: false,
      consecutiveFailures: 3,
      failing: true,
    });
    expect(syncHealthStatus(state, 191 * min, policy).stale).toBe(true);
  });
});

describe("no parser throws on bad input", () => {
  it("importInventoryCsv and readInboundX12 answer every string with a typed result", () => {
    const samples = [SHOPIFY_CURRENT, SHOPIFY_WIDE_LEGACY, GENERIC_SEMICOLON, X12_846, X12_855, X12_856, X12_846_SEPARATORS];
    const mutated = fc.tuple(fc.constantFrom(...samples), fc.nat(), fc.nat(), fc.string({ maxLength: 8 })).map(([s, a, b, insert]) => {
      const i = a % (s.length + 1);
      const j = Math.min(s.length, i + (b % 12));
      return s.slice(0, i) + insert + s.slice(j);
    });
    fc.assert(
      fc.property(fc.oneof(fc.string({ maxLength: 300 }), mutated), (text) => {
        const csv = importInventoryCsv(text, { locationNames: names, mapping: GENERIC_MAPPING });
        expect(typeof csv.ok).toBe("boolean");
        const x12 = readInboundX12(text, X12_OPTIONS);
        expect(typeof x12.ok).toBe("boolean");
        if (x12.ok) {
          // A set is applied whole or not at all: content only when ok, and ok only with no error.
          for (const set of x12.sets) {
            expect(set.content !== null).toBe(set.ok);
            if (set.ok) expect(set.errors).toEqual([]);
          }
        }
      }),
      { numRuns: 400 },
    );
  });
});
