/**
 * Shopify's inventory CSV exports, in the three generations vendors still send:
 *
 * - **current** (long, one row per variant and location):
 *   `Handle, Title, Option1 Name, Option1 Value, Option2 Name, Option2 Value, Option3 Name,
 *   Option3 Value, SKU, HS Code, COO, Location, Bin name, Incoming (not editable),
 *   Unavailable (not editable), Committed (not editable), Available (not editable),
 *   On hand (current), On hand (new)`;
 * - **long legacy** (the older 17 columns): `… SKU, HS Code, COO, Location, Incoming,
 *   Unavailable, Committed, Available, On hand`;
 * - **wide legacy**: `Handle, Title, Option… , SKU[, HS Code, COO]`, then one column per
 *   location name whose cells are the *available* quantity, or `not stocked`.
 *
 * Header names are matched by `headerKey` (`Option 1 Name` = `Option1 Name`, case and
 * spaces ignored). Which quantity column is read is a per-vendor choice
 * (`ShopifyQuantityColumn`); in every generation a blank cell means "leave unchanged",
 * as in Shopify's own import. A row without a SKU (blank, or Shopify's `-`) is an item
 * error of its own; location names go through the vendor's table. Pure.
 */
import { headerKey, type CsvTableRow } from "./csv-table";
import { locationResolver, type LocationNameTable } from "./location-names";
import { FeedCollector, type FeedFailure, type FeedImport, type QuantityKind } from "./vendor-feed-items";

export const SHOPIFY_GENERATIONS = ["shopify_current", "shopify_long_legacy", "shopify_wide_legacy"] as const;
export type ShopifyGeneration = (typeof SHOPIFY_GENERATIONS)[number];

/**
 * Which column of a long export is the vendor's stock:
 * - `on_hand_new` (default): current `On hand (new)`, legacy `On hand` — the column a
 *   Shopify user edits; an untouched current export leaves it blank, so every row is
 *   "unchanged";
 * - `on_hand_current`: current `On hand (current)`, legacy `On hand` — mirror the export
 *   as it stands;
 * - `available`: current `Available (not editable)`, legacy `Available`.
 * The wide legacy export only has available quantities and ignores this choice.
 */
export type ShopifyQuantityColumn = "on_hand_new" | "on_hand_current" | "available";

export interface ShopifyImportOptions {
  locationNames: LocationNameTable;
  column?: ShopifyQuantityColumn;
}

/** The columns every generation may carry besides locations and quantities. */
const PRODUCT_COLUMNS = [
  "handle",
  "title",
  "option1 name",
  "option1 value",
  "option2 name",
  "option2 value",
  "option3 name",
  "option3 value",
  "sku",
  "hs code",
  "coo",
];
/** Columns only the current export has (`(not editable)` is Shopify's own marker). */
const CURRENT_ONLY = [
  "bin name",
  "incoming (not editable)",
  "unavailable (not editable)",
  "committed (not editable)",
  "available (not editable)",
  "on hand (current)",
  "on hand (new)",
];
const LONG_LEGACY_ONLY = ["incoming", "unavailable", "committed", "available", "on hand"];

const KNOWN_COLUMNS: Record<ShopifyGeneration, ReadonlySet<string>> = {
  shopify_current: new Set([...PRODUCT_COLUMNS, "location", ...CURRENT_ONLY]),
  shopify_long_legacy: new Set([...PRODUCT_COLUMNS, "location", ...LONG_LEGACY_ONLY]),
  shopify_wide_legacy: new Set(PRODUCT_COLUMNS),
};

const QUANTITY_COLUMN: Record<"shopify_current" | "shopify_long_legacy", Record<ShopifyQuantityColumn, string>> = {
  shopify_current: { on_hand_new: "on hand (new)", on_hand_current: "on hand (current)", available: "available (not editable)" },
  shopify_long_legacy: { on_hand_new: "on hand", on_hand_current: "on hand", available: "available" },
};

/** The generation a header row belongs to, or null when it is not a Shopify inventory export. */
export function detectShopifyGeneration(header: readonly string[]): ShopifyGeneration | null {
  const keys = new Set(header.map(headerKey));
  if (!keys.has("sku")) return null;
  if (keys.has("location")) {
    if (CURRENT_ONLY.some((k) => keys.has(k))) return "shopify_current";
    if (keys.has("on hand") || keys.has("available")) return "shopify_long_legacy";
    return null;
  }
  // Without a Location column, the extra columns are location names: Handle tells it is Shopify's.
  if (keys.has("handle") && [...keys].some((k) => !KNOWN_COLUMNS.shopify_wide_legacy.has(k))) return "shopify_wide_legacy";
  return null;
}

/** A SKU cell that names no SKU: blank, or the `-` Shopify writes for a variant without one. */
function missingSku(sku: string): boolean {
  return sku === "" || sku === "-";
}

/**
 * Reads the rows of a Shopify export of a known generation into items. The header must not
 * repeat a column and must have the SKU, Location (long) and chosen quantity columns.
 */
export function importShopifyRows(
  generation: ShopifyGeneration,
  header: CsvTableRow,
  rows: readonly CsvTableRow[],
  options: ShopifyImportOptions,
): FeedImport<ShopifyGeneration> | FeedFailure {
  const keys = header.cells.map(headerKey);
  const repeated = keys.filter((k, i) => k !== "" && keys.indexOf(k) !== i);
  if (repeated.length > 0) {
    return {
      ok: false,
      code: "invalid_csv_header",
      message: `a column appears twice: ${repeated.join(", ")}`,
      details: { format: generation, header: header.cells, repeated },
    };
  }
  const at = (key: string) => keys.indexOf(key);
  const resolve = locationResolver(options.locationNames);
  const out = new FeedCollector();
  const skuAt = at("sku");

  let quantityKind: QuantityKind;
  let locationAt = -1;
  let quantityAt = -1;
  let wideColumns: { at: number; name: string; id: string | null }[] = [];
  if (generation === "shopify_wide_legacy") {
    quantityKind = "available";
    wideColumns = keys.flatMap((k, i) =>
      KNOWN_COLUMNS.shopify_wide_legacy.has(k) ? [] : [{ at: i, name: header.cells[i]!.trim(), id: resolve(header.cells[i]!) }],
    );
    for (const column of wideColumns) {
      if (column.id === null) {
        out.fileError(
          header.line,
          column.name,
          "unmapped_location_column",
          `the column "${column.name}" is neither a Shopify column nor a location in the vendor's table; its cells are skipped`,
        );
      }
    }
  } else {
    const column = options.column ?? "on_hand_new";
    quantityKind = column === "available" ? "available" : "on_hand";
    const quantityKey = QUANTITY_COLUMN[generation][column];
    locationAt = at("location");
    quantityAt = at(quantityKey);
    if (quantityAt < 0) {
      return {
        ok: false,
        code: "invalid_csv_header",
        message: `the ${generation} export has no "${quantityKey}" column, which the vendor's settings read (${column})`,
        details: { format: generation, header: header.cells, missing: [quantityKey] },
      };
    }
    keys.forEach((k, i) => {
      if (!KNOWN_COLUMNS[generation].has(k))
        out.warning(null, header.line, header.cells[i]!.trim(), "ignored_column", "not a column of this Shopify export; ignored");
    });
  }

  for (const row of rows) {
    out.counts.rows += 1;
    const cell = (i: number) => row.cells[i] ?? "";
    if (row.cells.length !== header.cells.length) {
      out.itemError(row.line, null, "field_count", "invalid_item", `expected ${header.cells.length} fields, got ${row.cells.length}`, {
        sku: cell(skuAt).trim() || null,
      });
      continue;
    }
    const sku = cell(skuAt).trim();
    if (generation === "shopify_wide_legacy") {
      if (missingSku(sku)) {
        out.itemError(row.line, "SKU", "missing_sku", "invalid_item", "the row has no SKU (blank or -); its quantities cannot be synced", { sku });
        continue;
      }
      for (const column of wideColumns) {
        if (column.id === null) continue;
        out.quantityCell(row.line, column.name, sku, { name: column.name, id: column.id }, cell(column.at));
      }
      continue;
    }
    const location = cell(locationAt).trim();
    const quantity = cell(quantityAt);
    if (missingSku(sku)) {
      out.itemError(row.line, "SKU", "missing_sku", "invalid_item", "the row has no SKU (blank or -); its quantity cannot be synced", {
        sku,
        location,
        quantity: quantity.trim(),
      });
      continue;
    }
    if (location === "" && quantity.trim() !== "") {
      out.itemError(row.line, "Location", "missing_location", "unknown_location", "the row has no location", { sku, quantity: quantity.trim() });
      continue;
    }
    out.quantityCell(row.line, null, sku, { name: location, id: location === "" ? null : resolve(location) }, quantity);
  }
  return out.result(generation, quantityKind);
}
