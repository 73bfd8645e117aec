/**
 * Reading a vendor's CSV stock feed (RFC 4180: quoted fields, doubled quotes, line breaks
 * inside quotes; plus a UTF-8 BOM, CRLF or LF line ends, and blank lines, which are skipped),
 * through the project's own reader (`domain/vendor-formats/csv-table.ts`), which names the
 * line each record starts on exactly — csv-parse's line count was off by one after a blank
 * line in LF files and after a quoted CRLF. The header row names the columns `sku`,
 * `location_id`, `quantity` in any order (case and surrounding spaces ignored); no other
 * column is allowed. Each data row becomes a raw item that carries the file line it starts
 * on, so every later error can name it. A file that cannot be read as CSV at all (an
 * unclosed or stray quote) or has a bad header is refused whole; a row with the wrong number
 * of fields is an item error. Pure.
 */
import { SYNC_LIMITS, type RawSyncItem } from "./sync-items";
import { readCsvTable } from "./vendor-formats/csv-table";

/** The header columns, as written in the file, and the item field each one fills. */
export const CSV_COLUMNS = { sku: "sku", location_id: "locationId", quantity: "quantity" } as const;
/**
 * The same as a Map: header names come from the file, so they are looked up as own entries
 * only (`constructor` or `__proto__` must not match what every object inherits).
 */
const COLUMN_FIELDS: ReadonlyMap<string, string> = new Map(Object.entries(CSV_COLUMNS));

export type CsvFeedResult =
  | { ok: true; items: RawSyncItem[] }
  | { ok: false; code: "malformed_csv" | "invalid_csv_header" | "too_many_items" | "empty_feed"; message: string; details: Record<string, unknown> };

/** Parses a CSV feed (already decoded; a leading BOM is dropped) into raw items. */
export function parseCsvFeed(text: string, maxItems: number = SYNC_LIMITS.maxItems): CsvFeedResult {
  const table = readCsvTable(text);
  if (!table.ok) {
    if (table.code === "empty_feed") {
      return { ok: false, code: "empty_feed", message: "the CSV has no header row and no data", details: { expectedHeader: "sku,location_id,quantity" } };
    }
    return { ok: false, code: "malformed_csv", message: table.message.replace("the file is", "the body is"), details: table.details };
  }
  const records = [table.header, ...table.rows].map((r) => ({ record: r.cells, line: r.line }));
  const [header, ...rows] = records;
  if (header === undefined)
    return { ok: false, code: "empty_feed", message: "the CSV has no header row and no data", details: { expectedHeader: "sku,location_id,quantity" } };

  const names = header.record.map((n) => n.trim().toLowerCase());
  const unknown = names.filter((n) => !COLUMN_FIELDS.has(n));
  const missing = [...COLUMN_FIELDS.keys()].filter((n) => !names.includes(n));
  const repeated = names.filter((n, i) => names.indexOf(n) !== i);
  if (unknown.length > 0 || missing.length > 0 || repeated.length > 0) {
    return {
      ok: false,
      code: "invalid_csv_header",
      message: "the first row must name the columns sku, location_id and quantity (any order, no others)",
      details: { header: header.record, missing, unknown, repeated, expectedHeader: "sku,location_id,quantity" },
    };
  }
  if (rows.length === 0) return { ok: false, code: "empty_feed", message: "the CSV has a header but no data rows", details: { line: header.line } };
  if (rows.length > maxItems) {
    return {
      ok: false,
      code: "too_many_items",
      message: `at most ${maxItems} data rows per request; split the file`,
      details: { maxItems, received: rows.length },
    };
  }

  const fields = names.map((n) => COLUMN_FIELDS.get(n)!);
  const items = rows.map((r, itemIndex): RawSyncItem => {
    const value: Record<string, string> = {};
    fields.forEach((field, k) => {
      const cell = r.record[k];
      if (cell !== undefined && cell.trim() !== "") value[field] = cell.trim();
    });
    const item: RawSyncItem = { itemIndex, row: r.line, value };
    if (r.record.length !== fields.length) item.fieldCountProblem = `expected ${fields.length} fields, got ${r.record.length}`;
    return item;
  });
  return { ok: true, items };
}
