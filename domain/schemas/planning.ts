/**
 * Input schemas of the planning API (issue 15): forecasts, reorder suggestions, planning
 * settings, analytics, alerts, daily sales and dead letters.
 */
import { z } from "zod";
import { ALERT_KINDS } from "../alerts";
import { LocationId, SkuId, VendorId } from "./common";
import { cursorParam } from "./cursor";

const Day = z.iso.date();
const limit = (max: number, fallback: number) => z.coerce.number().int().min(1).max(max).default(fallback);

export const ForecastQuery = z.strictObject({
  /** Days of daily forecast to show (the totals are 7/30/90 days whatever this is). */
  days: z.coerce.number().int().min(1).max(365).default(90),
});

export const SUGGESTIONS_CURSOR = "rs1";
export const SuggestionId = z.string().regex(/^rs_[0-9a-f]{32}$/, "not a reorder suggestion id");
export const SuggestionListQuery = z.strictObject({
  status: z.enum(["open", "accepted", "dismissed", "resolved"]).default("open"),
  vendorId: VendorId.optional(),
  locationId: LocationId.optional(),
  urgency: z.enum(["critical", "high", "medium", "low", "none"]).optional(),
  sku: SkuId.optional(),
  cursor: cursorParam(SUGGESTIONS_CURSOR, z.tuple([z.string(), z.string(), z.string()])).optional(),
  limit: limit(500, 100),
});

/** `PUT /api/v2/planning-settings/{sku}`: every field optional; null clears it (back to the default). */
export const PlanningSettingsBody = z.strictObject({
  category: z
    .string()
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "category: 1–64 of A–Z a–z 0–9 . _ -")
    .nullable()
    .optional(),
  unitCost: z.number().min(0).max(1e9).nullable().optional(),
  unitPrice: z.number().min(0).max(1e9).nullable().optional(),
  serviceLevel: z.number().gt(0.5).lt(1).nullable().optional(),
  leadTimeDays: z.number().min(0).max(365).nullable().optional(),
  leadTimeSdDays: z.number().min(0).max(365).nullable().optional(),
  minimumOrderQuantity: z.int().min(1).max(1_000_000).nullable().optional(),
  packSize: z.int().min(1).max(1_000_000).nullable().optional(),
  maxStock: z.int().min(0).max(1_000_000_000).nullable().optional(),
  orderingCost: z.number().min(0).max(1e9).nullable().optional(),
  holdingRate: z.number().gt(0).max(10).nullable().optional(),
  /** Overstock alert after this many days without a sale (default 90). */
  overstockNoSaleDays: z.int().min(1).max(3650).nullable().optional(),
  /** Slow-moving alert after this many days without a sale (default 60). */
  slowMovingNoSaleDays: z.int().min(1).max(3650).nullable().optional(),
  /** Perishables: `inventory.expiring` this many days before a lot's expiry (default 7); held by the SKU object, not D1. */
  expiryAlertDays: z.int().min(1).max(365).nullable().optional(),
});
export type PlanningSettingsBody = z.infer<typeof PlanningSettingsBody>;

export const AnalyticsQuery = z.strictObject({
  vendorId: VendorId.optional(),
  /** The period, in days up to yesterday. */
  days: z.coerce.number().int().min(7).max(365).default(90),
  /** Rows listed (the summary covers every SKU). */
  limit: limit(1000, 100),
});

export const ALERTS_CURSOR = "al1";
export const AlertId = z
  .string()
  .min(1)
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, "not an alert id");
export const AlertListQuery = z.strictObject({
  kind: z.enum(ALERT_KINDS).optional(),
  /** open: unresolved, not acknowledged, not snoozed now; acknowledged; snoozed (until a later time); resolved. */
  status: z.enum(["open", "acknowledged", "snoozed", "resolved"]).optional(),
  vendorId: VendorId.optional(),
  sku: SkuId.optional(),
  cursor: cursorParam(ALERTS_CURSOR, z.tuple([z.number(), z.string()])).optional(),
  limit: limit(500, 100),
});
export const SnoozeBody = z.strictObject({
  until: z.iso.datetime({ offset: true }).transform((v) => Date.parse(v)),
});

export const DailySalesQuery = z
  .strictObject({ sku: SkuId, from: Day.optional(), to: Day.optional() })
  .refine((q) => q.from === undefined || q.to === undefined || q.from <= q.to, { message: "from must be on or before to", path: ["from"] });

export const DEAD_LETTERS_CURSOR = "dl1";
export const DeadLetterQuery = z.strictObject({
  queue: z
    .string()
    .regex(/^[a-z0-9-]{1,64}$/, "a queue name")
    .optional(),
  cursor: cursorParam(DEAD_LETTERS_CURSOR, z.tuple([z.string(), z.string()])).optional(),
  limit: limit(500, 100),
});

/** `POST /api/v2/reorder-suggestions/draft-purchase-order`: one vendor × location group of open suggestions. */
export const DraftPurchaseOrderBody = z.strictObject({ vendorId: VendorId, locationId: LocationId });

/** `PUT /api/v2/vendors/{vendorId}/planning-settings`: omitted fields keep their values. */
export const VendorPlanningSettingsBody = z.strictObject({
  /** Submit the purchase orders the nightly run drafts for this vendor at once (default false: operators approve them). */
  autoSubmitPurchaseOrders: z.boolean().optional(),
});

/** `GET /api/v2/analytics/rebalancing`. */
export const RebalancingQuery = z.strictObject({
  vendorId: VendorId.optional(),
  sku: SkuId.optional(),
  /** Days of recent sales that split a SKU's forecast over its locations. */
  days: z.coerce.number().int().min(7).max(365).default(28),
  limit: limit(1000, 100),
});

/** `POST /api/v2/analytics/rebalancing/draft-transfer`: draft the suggested transfer of one SKU between two locations. */
export const RebalancingDraftBody = z.strictObject({ sku: SkuId, fromLocationId: LocationId, toLocationId: LocationId });
export type VendorPlanningSettingsBody = z.infer<typeof VendorPlanningSettingsBody>;
