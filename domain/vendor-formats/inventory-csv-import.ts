/**
 * One entry point for a vendor's CSV stock file in any format we read: our own
 * (`sku,location_id,quantity`, read by `domain/csv-feed.ts` exactly as the sync endpoint
 * reads it), Shopify's three export generations, or a generic layout through the vendor's
 * saved column map. With `format: "auto"` the header decides, in that order; the result
 * says which format it detected and what its quantities mean (`quantityKind`). A file is
 * refused whole only when it cannot be read (malformed CSV, no or an unknown header, too
 * many items); everything about one row is an error at that row. Pure.
 */
import { parseCsvFeed } from "../csv-feed";
import { SYNC_LIMITS } from "../sync-items";
import { headerKey, readCsvHeader, readCsvTable, type CsvDelimiter } from "./csv-table";
import { GenericColumnMapSchema, headerFitsMapping, importGenericRows, type GenericColumnMap } from "./generic-csv";
import type { LocationNameTable } from "./location-names";
import { detectShopifyGeneration, importShopifyRows, type ShopifyGeneration, type ShopifyQuantityColumn } from "./shopify-inventory";
import { FeedCollector, integerCell, type FeedFailure, type FeedImport } from "./vendor-feed-items";

/** The formats a CSV file may be read as (what `format` reports). */
export type CsvFeedFormat = "ours" | ShopifyGeneration | "generic";
/** What a vendor's settings may ask for (`x12` files are not CSV: see `domain/x12/`). */
export type CsvFormatSetting = "auto" | "ours" | "shopify" | "generic";

export interface CsvImportOptions {
  /** Default `auto`: detect from the header. */
  format?: CsvFormatSetting;
  /** Vendor location name → our location id (Shopify and generic files). Default: none. */
  locationNames?: LocationNameTable;
  /** The vendor's saved column map (required for `generic`; in `auto`, used when the header fits it). Validated here. */
  mapping?: unknown;
  /** Which Shopify column is the stock (default `on_hand_new`). */
  shopifyColumn?: ShopifyQuantityColumn;
  /** Most items one file may give (default the sync request limit, 10,000); more refuses the file. */
  maxItems?: number;
}

const OUR_COLUMNS = ["location_id", "quantity", "sku"];

/** Whether a header is our own format: exactly sku, location_id, quantity in any order. */
function isOurHeader(cells: readonly string[]): boolean {
  const keys = cells.map(headerKey).sort();
  return keys.length === OUR_COLUMNS.length && keys.every((k, i) => k === OUR_COLUMNS[i]);
}

function unknownFormat(cells: readonly string[] | null, message: string): FeedFailure {
  return {
    ok: false,
    code: "unknown_format",
    message,
    details: {
      header: cells,
      expected: [
        "sku,location_id,quantity (ours)",
        "Shopify inventory export (Handle, …, SKU, …, Location, … On hand (new) — or the 17-column or wide legacy exports)",
        "the columns of the vendor's saved mapping",
      ],
    },
  };
}

/** Reads our own format through `parseCsvFeed` (unchanged), as feed items and issues. */
function importOurs(text: string, maxItems: number): FeedImport<"ours"> | FeedFailure {
  const parsed = parseCsvFeed(text, maxItems);
  if (!parsed.ok) return { ok: false, code: parsed.code, message: parsed.message, details: parsed.details };
  const out = new FeedCollector();
  for (const raw of parsed.items) {
    out.counts.rows += 1;
    const row = raw.row ?? 0;
    const v = raw.value as { sku?: string; locationId?: string; quantity?: string };
    const values = { sku: v.sku ?? null, location: v.locationId ?? null, quantity: v.quantity ?? null };
    if (raw.fieldCountProblem !== undefined) {
      out.itemError(row, null, "field_count", "invalid_item", raw.fieldCountProblem, values);
    } else if (v.sku === undefined) {
      out.itemError(row, "sku", "missing_sku", "invalid_item", "missing sku", values);
    } else if (v.locationId === undefined) {
      out.itemError(row, "location_id", "missing_location", "invalid_item", "missing location_id", values);
    } else if (v.quantity === undefined) {
      // Our format has no "unchanged": a blank quantity is an error, as at the sync endpoint.
      out.itemError(row, "quantity", "missing_quantity", "invalid_item", "missing quantity", values);
    } else {
      const quantity = integerCell(v.quantity);
      if (quantity === null) out.itemError(row, "quantity", "invalid_quantity", "invalid_quantity", "quantity must be an integer", values);
      else out.item(row, null, v.sku, v.locationId, quantity);
    }
  }
  // Our file's quantity follows the request's mode: on-hand for absolute feeds (a delta feed is a mode, not a kind).
  return out.result("ours", "on_hand");
}

function tooMany<F extends string>(result: FeedImport<F> | FeedFailure, maxItems: number): FeedImport<F> | FeedFailure {
  if (result.ok && result.items.length > maxItems) {
    return {
      ok: false,
      code: "too_many_items",
      message: `at most ${maxItems} items per file; this one gives ${result.items.length}`,
      details: { maxItems, received: result.items.length },
    };
  }
  return result;
}

/**
 * Reads a vendor CSV file (already decoded text) into stock items, detecting or applying
 * its format. Never throws: an unreadable file is a `FeedFailure`.
 */
export function importInventoryCsv(text: string, options: CsvImportOptions = {}): FeedImport<CsvFeedFormat> | FeedFailure {
  const setting = options.format ?? "auto";
  const maxItems = options.maxItems ?? SYNC_LIMITS.maxItems;
  const locationNames = options.locationNames ?? {};
  let mapping: GenericColumnMap | undefined;
  if (options.mapping !== undefined) {
    const parsed = GenericColumnMapSchema.safeParse(options.mapping);
    if (!parsed.success) {
      return {
        ok: false,
        code: "invalid_mapping",
        message: "the vendor's column map is not valid",
        details: { issues: parsed.error.issues.map((i) => ({ path: i.path.map(String), message: i.message })) },
      };
    }
    mapping = parsed.data;
  }
  if (setting === "ours") return importOurs(text, maxItems);
  if (setting === "generic" && mapping === undefined) {
    return {
      ok: false,
      code: "invalid_mapping",
      message: "a generic file needs the vendor's column map",
      details: { issues: [{ path: [], message: "required" }] },
    };
  }

  // The header alone tells the format; the file is then read whole with that format's delimiter.
  const full = (delimiter: CsvDelimiter) => readCsvTable(text, delimiter);
  if (setting === "generic") {
    const t = full(mapping!.delimiter);
    if (!t.ok) return t;
    return tooMany(importGenericRows(t.header, t.rows, mapping!, locationNames), maxItems);
  }

  const comma = readCsvHeader(text, ",");
  if (comma.ok) {
    if (setting === "auto" && isOurHeader(comma.header.cells)) return importOurs(text, maxItems);
    const generation = detectShopifyGeneration(comma.header.cells);
    if (generation !== null) {
      const t = full(",");
      if (!t.ok) return t;
      return tooMany(importShopifyRows(generation, t.header, t.rows, { locationNames, column: options.shopifyColumn ?? "on_hand_new" }), maxItems);
    }
    if (setting === "shopify") return unknownFormat(comma.header.cells, "the header is not one of Shopify's inventory exports");
  } else if (setting === "shopify" || mapping === undefined) {
    return comma;
  }
  if (mapping !== undefined) {
    const header = mapping.delimiter === "," ? comma : readCsvHeader(text, mapping.delimiter);
    if (header.ok && headerFitsMapping(header.header.cells, mapping)) {
      const t = full(mapping.delimiter);
      if (!t.ok) return t;
      return tooMany(importGenericRows(t.header, t.rows, mapping, locationNames), maxItems);
    }
    if (!header.ok) return header;
  }
  return unknownFormat(comma.ok ? comma.header.cells : null, "the header matches none of the formats we read");
}
