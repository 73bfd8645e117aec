/**
 * What every vendor stock format (our CSV, Shopify's exports, a generic mapped CSV, an X12
 * 846) becomes: stock items with their file positions, per-position issues, and one
 * `quantityKind` that says what the numbers mean. Plain data, pure.
 *
 * **`quantityKind`.** The sync's absolute mode sets the vendor's on-hand at a location
 * (`domain/sync.ts`). Some feeds give on-hand (`on_hand`: Shopify's "On hand" columns, X12
 * QTY01 = 17); others give what the vendor can still sell (`available`: Shopify's
 * "Available" and legacy wide export, X12 QTY01 = 33). An available value A is turned into
 * on-hand as **on-hand = A + reserved + committed + damaged + onHold** (`onHandFromAvailable`):
 * the units we already hold against that location are still on the shelf, so the vendor's
 * "can sell" figure leaves them out. That conversion must run inside the SKU's object, in
 * the same transaction as the apply, because those counts move between a read in the
 * Worker and the write; the wiring passes `quantityKind` through to the object. A negative
 * available value (the vendor oversold) is kept as sent: converted, it gives an on-hand
 * below what is reserved, which the sync rule already sends to review (`below_committed`).
 */
import type { RawSyncItem, SyncItemError, SyncItemErrorCode } from "../sync-items";

/** What a feed's numbers are: the vendor's on-hand, or what the vendor can still sell. */
export type QuantityKind = "on_hand" | "available";

/** One stock value read from a feed: a SKU at one of our locations. */
export interface VendorFeedItem {
  /**
   * 0-based position among everything that is an item or an item error, in file order, so
   * the two lists interleave like `checkSyncItems`'s (a wide Shopify row can give several).
   */
  itemIndex: number;
  /** CSV: the file line the row starts on (the header is line 1). X12: the line of the QTY segment. */
  row: number;
  /** CSV wide format: the location column the value came from; null otherwise. */
  column: string | null;
  sku: string;
  /** Our location id (after the vendor's location-name table). */
  locationId: string;
  /** As sent, an integer; may be negative (see the module comment). */
  quantity: number;
}

/** Every code a feed issue may carry. */
export const FEED_ISSUE_CODES = [
  "missing_sku",
  "missing_location",
  "missing_quantity",
  "unknown_location_name",
  "invalid_quantity",
  "field_count",
  "unmapped_location_column",
  "negative_quantity",
  "ignored_column",
] as const;
export type FeedIssueCode = (typeof FEED_ISSUE_CODES)[number];

/** A problem at a position of a feed: an item that could not be read, or a note about one. */
export interface FeedIssue {
  /** The item's position (as for items); null for an issue about the header or a whole column. */
  itemIndex: number | null;
  /** The file line (1 = the header). */
  row: number;
  /** The column it concerns, as written in the header, when one. */
  column: string | null;
  code: FeedIssueCode;
  /** The job item error this becomes (`domain/sync-items.ts`), or null when it is not an item error. */
  syncCode: SyncItemErrorCode | null;
  message: string;
  /** The values as sent, null when absent. */
  sku: string | null;
  location: string | null;
  quantity: string | null;
}

/** How many rows a feed had and what became of them. */
export interface FeedCounts {
  /** Data rows read (blank lines are not rows). */
  rows: number;
  items: number;
  /** Item errors (issues with an item position). */
  errors: number;
  /** Blank quantity cells: "leave unchanged", no item. */
  unchanged: number;
  /** Cells saying `not stocked`: the SKU is not stocked at that location, no item. */
  notStocked: number;
}

/** Shopify's word for a SKU that has no inventory level at a location (legacy wide export). */
const NOT_STOCKED = "not stocked";

/** A quantity cell: an optionally signed integer, nothing else. */
const INTEGER_TEXT = /^[+-]?\d{1,16}$/;

/** The integer in a cell (already trimmed), or null when it is not one a feed may carry. */
export function integerCell(text: string): number | null {
  if (!INTEGER_TEXT.test(text)) return null;
  const value = Number(text);
  return Number.isSafeInteger(value) ? (value === 0 ? 0 : value) : null;
}

/**
 * The items as the sync pipeline's raw items. The quantity goes as integer text, so check
 * them with `checkSyncItems(raw, mode, "csv", lookup)` (the CSV path, which reads integer
 * text); the rows are kept for the job's error report.
 */
export function toRawSyncItems(items: readonly VendorFeedItem[]): RawSyncItem[] {
  return items.map((item) => ({
    itemIndex: item.itemIndex,
    row: item.row,
    value: { sku: item.sku, locationId: item.locationId, quantity: String(item.quantity) },
  }));
}

/**
 * The item errors among the issues, as job item errors (the shape `checkSyncItems` rejects
 * with), so one error report holds both. Issues that are not about an item are left out.
 */
export function toSyncItemErrors(issues: readonly FeedIssue[]): SyncItemError[] {
  const out: SyncItemError[] = [];
  for (const issue of issues) {
    if (issue.itemIndex === null || issue.syncCode === null) continue;
    out.push({
      itemIndex: issue.itemIndex,
      row: issue.row,
      sku: issue.sku,
      locationId: issue.location,
      quantity: issue.quantity,
      code: issue.syncCode,
      message: issue.message,
    });
  }
  return out;
}

/** The units a location holds against its on-hand that a vendor's "available" leaves out. */
export interface HeldUnits {
  reserved: number;
  committed: number;
  damaged: number;
  onHold: number;
}

/**
 * The on-hand a vendor's available value stands for at a location: available plus the
 * units held there (see the module comment), never below zero. Call it where the held
 * counts are read in the same transaction as the write (the SKU's object).
 */
export function onHandFromAvailable(available: number, held: HeldUnits): number {
  return Math.max(0, available + held.reserved + held.committed + held.damaged + held.onHold);
}

/** A feed read successfully (its items may still carry errors, each at its position). */
export interface FeedImport<Format extends string> {
  ok: true;
  /** The format the file was read as (detected from the header, or as configured). */
  format: Format;
  quantityKind: QuantityKind;
  items: VendorFeedItem[];
  /** Item errors (with `itemIndex`) and problems of the header or a column (without). */
  errors: FeedIssue[];
  /** Notes that change nothing: negative quantities kept as sent, columns ignored. */
  warnings: FeedIssue[];
  counts: FeedCounts;
}

/** Every code that refuses a whole file. */
export type FeedFailureCode = "malformed_csv" | "empty_feed" | "invalid_csv_header" | "unknown_format" | "too_many_items" | "invalid_mapping";

/** A file refused whole: nothing in it is applied. */
export interface FeedFailure {
  ok: false;
  code: FeedFailureCode;
  message: string;
  details: Record<string, unknown>;
}

/** The values an issue shows as sent. */
export interface IssueValues {
  sku?: string | null;
  location?: string | null;
  quantity?: string | null;
}

/**
 * Collects one feed's items and issues in file order, numbering items and item errors in
 * one sequence. Shared by the importers of this folder; each call describes one position.
 */
export class FeedCollector {
  readonly items: VendorFeedItem[] = [];
  readonly errors: FeedIssue[] = [];
  readonly warnings: FeedIssue[] = [];
  readonly counts: FeedCounts = { rows: 0, items: 0, errors: 0, unchanged: 0, notStocked: 0 };
  #next = 0;

  /** Records an item and returns it. */
  item(row: number, column: string | null, sku: string, locationId: string, quantity: number): VendorFeedItem {
    const item = { itemIndex: this.#next++, row, column, sku, locationId, quantity };
    this.items.push(item);
    this.counts.items += 1;
    return item;
  }

  /** Records an item error (it takes an item position). */
  itemError(row: number, column: string | null, code: FeedIssueCode, syncCode: SyncItemErrorCode, message: string, values: IssueValues): void {
    this.errors.push({ itemIndex: this.#next++, row, column, code, syncCode, message, ...shownValues(values) });
    this.counts.errors += 1;
  }

  /**
   * Reads one quantity cell of a SKU at a location: blank → "leave unchanged" (counted, no
   * item); `not stocked` (any case) → counted, no item; an integer → an item, with a
   * warning when negative; anything else → `invalid_quantity`. A value at a location the
   * table does not know (`location.id` null) is `unknown_location_name`.
   */
  quantityCell(row: number, column: string | null, sku: string, location: { name: string; id: string | null }, text: string): void {
    const cell = text.trim();
    if (cell === "") {
      this.counts.unchanged += 1;
      return;
    }
    if (cell.toLowerCase() === NOT_STOCKED) {
      this.counts.notStocked += 1;
      return;
    }
    const values = { sku, location: location.name, quantity: cell };
    const quantity = integerCell(cell);
    if (quantity === null) {
      this.itemError(row, column, "invalid_quantity", "invalid_quantity", `"${cell}" is not an integer quantity`, values);
      return;
    }
    if (location.id === null) {
      this.itemError(row, column, "unknown_location_name", "unknown_location", `the location "${location.name}" is not in the vendor's location table`, values);
      return;
    }
    const item = this.item(row, column, sku, location.id, quantity);
    if (quantity < 0) this.warning(item.itemIndex, row, column, "negative_quantity", "a negative quantity is kept as sent", values);
  }

  /** Records a problem of the header or of a whole column (no item position). */
  fileError(row: number, column: string | null, code: FeedIssueCode, message: string): void {
    this.errors.push({ itemIndex: null, row, column, code, syncCode: null, message, sku: null, location: null, quantity: null });
  }

  /** Records a note about an item (its position) or about the file (null). */
  warning(itemIndex: number | null, row: number, column: string | null, code: FeedIssueCode, message: string, values: IssueValues = {}): void {
    this.warnings.push({ itemIndex, row, column, code, syncCode: null, message, ...shownValues(values) });
  }

  /** The finished import. */
  result<Format extends string>(format: Format, quantityKind: QuantityKind): FeedImport<Format> {
    return { ok: true, format, quantityKind, items: this.items, errors: this.errors, warnings: this.warnings, counts: this.counts };
  }
}

/** Values as sent, at most 200 characters each (as in job error reports). */
function shownValues(values: IssueValues): { sku: string | null; location: string | null; quantity: string | null } {
  const cut = (v: string | null | undefined) => (v === undefined || v === null ? null : v.length > 200 ? `${v.slice(0, 199)}…` : v);
  return { sku: cut(values.sku), location: cut(values.location), quantity: cut(values.quantity) };
}
