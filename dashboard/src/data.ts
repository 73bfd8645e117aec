/** Shared reads: the location list (cached for the session) and the stock list read in pages. */
import { call, qs } from "./api";
import type { LevelRow, Location, Page } from "./types";

let locationsPromise: Promise<Location[]> | null = null;

/** Every location (any key may read them); fetched once, again after a failure. */
export function loadLocations(): Promise<Location[]> {
  locationsPromise ??= call<{ items: Location[] }>("GET", "/api/v2/locations")
    .then((r) => r.items)
    .catch((err: unknown) => {
      locationsPromise = null;
      throw err;
    });
  return locationsPromise;
}

export function forgetCachedData(): void {
  locationsPromise = null;
}

/** Most stock-list rows the overview reads (500 per page); beyond it the overview says it is partial. */
export const OVERVIEW_ROW_CAP = 20_000;

/**
 * Reads the stock list page by page (500 rows each) up to `cap` rows, reporting progress.
 * The list is the `inventory_levels` projection, one row per SKU and location; a vendor key
 * sees its own SKUs only.
 */
export async function readLevels(
  filters: Record<string, string | undefined>,
  { cap = OVERVIEW_ROW_CAP, signal, onProgress }: { cap?: number; signal?: AbortSignal; onProgress?: (rows: number) => void } = {},
): Promise<{ rows: LevelRow[]; complete: boolean }> {
  const rows: LevelRow[] = [];
  let cursor: string | null = null;
  do {
    const page: Page<LevelRow> = await call("GET", `/api/v2/inventory${qs({ ...filters, limit: 500, cursor })}`, { signal });
    rows.push(...page.items);
    cursor = page.nextCursor;
    onProgress?.(rows.length);
  } while (cursor !== null && rows.length < cap);
  return { rows, complete: cursor === null };
}

export const ADJUSTMENT_REASONS = [
  "restock",
  "received",
  "return",
  "damage",
  "theft",
  "loss",
  "correction",
  "cycle_count",
  "initial",
  "transfer_in",
  "transfer_out",
] as const;
