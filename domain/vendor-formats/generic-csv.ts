/**
 * A vendor's own CSV layout, read through a saved column map: which header names the SKU,
 * the quantity and (optionally) the location, whether the quantity is on-hand or available,
 * and the delimiter. A file without a location column gives every row one fixed location.
 * Header names are matched by `headerKey` (case and spaces ignored); other columns are
 * ignored (and listed as warnings). Location values go through the vendor's location-name
 * table, like Shopify's. Pure.
 */
import { z } from "zod";
import { headerKey, type CsvTableRow } from "./csv-table";
import { LOCATION_ID, locationResolver, type LocationNameTable } from "./location-names";
import { FeedCollector, type FeedFailure, type FeedImport } from "./vendor-feed-items";

/** A saved column map (the `mapping` of a vendor's sync settings). */
export const GenericColumnMapSchema = z
  .object({
    /** Header of the SKU column. */
    sku: z.string().trim().min(1).max(200),
    /** Header of the quantity column. */
    quantity: z.string().trim().min(1).max(200),
    /** Header of the location column (its values go through the location-name table). */
    location: z.string().trim().min(1).max(200).optional(),
    /** Our location id for every row, for files without a location column. */
    fixedLocationId: z.string().regex(LOCATION_ID, "a location id: 1–64 of A–Z a–z 0–9 . _ -").optional(),
    quantityKind: z.enum(["on_hand", "available"]),
    delimiter: z.enum([",", ";", "\t", "|"]).default(","),
  })
  .strict()
  .superRefine((map, ctx) => {
    if ((map.location === undefined) === (map.fixedLocationId === undefined)) {
      ctx.addIssue({ code: "custom", path: ["location"], message: "give exactly one of location (a column) and fixedLocationId" });
    }
    const columns = [map.sku, map.quantity, ...(map.location === undefined ? [] : [map.location])].map(headerKey);
    if (new Set(columns).size !== columns.length)
      ctx.addIssue({ code: "custom", path: ["quantity"], message: "sku, quantity and location must be different columns" });
  });
export type GenericColumnMap = z.output<typeof GenericColumnMapSchema>;

/** Whether a header row has every column the map names. */
export function headerFitsMapping(header: readonly string[], map: GenericColumnMap): boolean {
  const keys = new Set(header.map(headerKey));
  return [map.sku, map.quantity, ...(map.location === undefined ? [] : [map.location])].every((c) => keys.has(headerKey(c)));
}

/** Reads the rows of a file through a (validated) column map. */
export function importGenericRows(
  header: CsvTableRow,
  rows: readonly CsvTableRow[],
  map: GenericColumnMap,
  locationNames: LocationNameTable,
): FeedImport<"generic"> | FeedFailure {
  const keys = header.cells.map(headerKey);
  const wanted = [map.sku, map.quantity, ...(map.location === undefined ? [] : [map.location])];
  const missing = wanted.filter((c) => !keys.includes(headerKey(c)));
  if (missing.length > 0) {
    return {
      ok: false,
      code: "invalid_csv_header",
      message: `the header lacks the mapped column(s) ${missing.join(", ")}`,
      details: { format: "generic", header: header.cells, missing },
    };
  }
  const repeated = wanted.filter((c) => keys.filter((k) => k === headerKey(c)).length > 1);
  if (repeated.length > 0) {
    return {
      ok: false,
      code: "invalid_csv_header",
      message: `a mapped column appears twice: ${repeated.join(", ")}`,
      details: { format: "generic", header: header.cells, repeated },
    };
  }
  const skuAt = keys.indexOf(headerKey(map.sku));
  const quantityAt = keys.indexOf(headerKey(map.quantity));
  const locationAt = map.location === undefined ? -1 : keys.indexOf(headerKey(map.location));
  const resolve = locationResolver(locationNames);
  const out = new FeedCollector();
  keys.forEach((k, i) => {
    if (i !== skuAt && i !== quantityAt && i !== locationAt)
      out.warning(null, header.line, header.cells[i]!.trim(), "ignored_column", "not a mapped column; ignored");
  });

  for (const row of rows) {
    out.counts.rows += 1;
    const cell = (i: number) => (i < 0 ? "" : (row.cells[i] ?? "")).trim();
    if (row.cells.length !== header.cells.length) {
      out.itemError(row.line, null, "field_count", "invalid_item", `expected ${header.cells.length} fields, got ${row.cells.length}`, {
        sku: cell(skuAt) || null,
      });
      continue;
    }
    const sku = cell(skuAt);
    const quantity = cell(quantityAt);
    if (sku === "") {
      out.itemError(row.line, map.sku, "missing_sku", "invalid_item", "the row has no SKU", { quantity });
      continue;
    }
    if (locationAt < 0) {
      out.quantityCell(row.line, null, sku, { name: map.fixedLocationId!, id: map.fixedLocationId! }, quantity);
      continue;
    }
    const location = cell(locationAt);
    if (location === "" && quantity !== "") {
      out.itemError(row.line, map.location!, "missing_location", "unknown_location", "the row has no location", { sku, quantity });
      continue;
    }
    out.quantityCell(row.line, null, sku, { name: location, id: location === "" ? null : resolve(location) }, quantity);
  }
  return out.result("generic", map.quantityKind);
}
