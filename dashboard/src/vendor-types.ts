/**
 * The vendor channel answers the dashboard reads (issue 16): a vendor's sync settings
 * (`GET/PUT /api/v2/vendors/{vendorId}/sync-settings`), its sync health (`…/sync-health`),
 * its planning settings (`…/planning-settings`), and the rebalancing list
 * (`GET /api/v2/analytics/rebalancing`). Shapes as `services/sync-settings.ts`,
 * `services/sync-health.ts`, `services/reorder-drafts.ts` and `services/planning-analytics.ts`
 * write them.
 */

export const SYNC_METHODS = ["push_csv", "push_api", "pull_url", "edi"] as const;
export type SyncMethod = (typeof SYNC_METHODS)[number];
export const SYNC_FORMATS = ["auto", "ours", "shopify", "generic", "x12"] as const;
export type SyncFormat = (typeof SYNC_FORMATS)[number];
/** The formats each method takes (`domain/vendor-sync-settings.ts`). */
export const FORMATS_OF_METHOD: Record<SyncMethod, readonly SyncFormat[]> = {
  push_api: ["auto", "ours"],
  push_csv: ["auto", "ours", "shopify", "generic"],
  pull_url: ["auto", "ours", "shopify", "generic", "x12"],
  edi: ["auto", "x12"],
};
export const SHOPIFY_COLUMNS = ["on_hand_new", "on_hand_current", "available"] as const;
export type ShopifyColumn = (typeof SHOPIFY_COLUMNS)[number];

/** The generic column map (format `generic`, or `auto` when a header fits it). */
export interface GenericColumnMap {
  sku: string;
  quantity: string;
  location?: string;
  fixedLocationId?: string;
  quantityKind: "on_hand" | "available";
  delimiter: "," | ";" | "\t" | "|";
}

/** The settings as stored (the API fills its defaults). */
export interface VendorSyncSettings {
  enabled: boolean;
  method: SyncMethod;
  tier: "critical" | "standard" | "custom";
  intervalMinutes?: number;
  format: SyncFormat;
  mapping?: GenericColumnMap;
  locationNames: Record<string, string>;
  pullUrl?: string;
  shopifyColumn: ShopifyColumn;
  x12?: { itemIdQualifiers?: string[]; quantity: "auto" | "on_hand" | "available"; unitsPerPack: Record<string, number> };
  health: { staleAfterMinutes?: number; failureAlertAfter: number };
}

/** `GET …/sync-settings`. */
export interface VendorSyncSettingsAnswer {
  vendorId: string;
  /** Null when the stored row no longer validates. */
  settings: VendorSyncSettings | null;
  /** The pull's auth header: its name and a masked hint of its value, never the value. */
  pullAuth: { header: string; hint: string } | null;
  intervalMinutes: number;
  staleAfterMinutes: number | null;
  pull: PullState | null;
  version: number;
  updatedBy: string | null;
  createdAt: string | null;
  updatedAt: string | null;
}

export interface PullState {
  enabled?: boolean;
  nextPullAt: string | null;
  lastPullAt: string | null;
  lastOutcome: string | null;
  lastStatus: number | null;
  lastError: string | null;
  lastJobId: string | null;
}

/** `GET …/sync-health`. */
export interface VendorSyncHealth {
  vendorId: string;
  checkedAt: string;
  lastSuccessAt: string | null;
  stale: boolean;
  staleAfterMinutes: number;
  silentForSeconds: number;
  failureAlertAfter: number;
  failing: boolean;
  methods: {
    method: SyncMethod;
    lastSuccessAt: string | null;
    lastAttemptAt: string | null;
    lastFailureAt: string | null;
    lastError: string | null;
    lastJobId: string | null;
    consecutiveFailures: number;
    failingSince: string | null;
    failing: boolean;
    alerted: boolean;
    stale: boolean;
    silentForSeconds: number;
  }[];
  pull: PullState | null;
}

/** `GET /api/v2/vendors/{vendorId}/planning-settings` (operators). */
export interface VendorPlanningSettings {
  vendorId: string;
  autoSubmitPurchaseOrders: boolean;
  updatedBy: string | null;
  updatedAt: string | null;
}

/** A vendor account (`GET /api/v2/vendors`). */
export interface Vendor {
  id: string;
  name: string;
  status: "active" | "suspended";
  createdAt: string;
  updatedAt: string;
}

/** One suggested transfer (`GET /api/v2/analytics/rebalancing`). */
export interface RebalancingSuggestion {
  sku: string;
  vendorId: string;
  fromLocationId: string;
  toLocationId: string;
  quantity: number;
  /** Cents: one shipment at the origin's rates. */
  cost: number;
  costPerUnit: number;
  shortage: number;
  excess: number;
  /** At most 250 cents a unit: the one-click draft takes it. */
  cheap: boolean;
}

export interface RebalancingList {
  asOf: string;
  vendorId: string | null;
  skus: number;
  items: RebalancingSuggestion[];
}

/** A job's `source` (the format a file was read as) in words. */
export const SOURCE_WORDS: Record<string, string> = {
  json: "JSON items",
  csv: "our CSV (sku, location_id, quantity)",
  shopify_current: "Shopify inventory export (current)",
  shopify_long_legacy: "Shopify inventory export (older 17 columns)",
  shopify_wide_legacy: "Shopify inventory export (wide, one column per location)",
  generic: "CSV read through the vendor's column map",
  x12_846: "X12 846 inventory advice",
};
