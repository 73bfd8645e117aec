/** Input schemas of the master-data endpoints (vendors, locations, SKUs, API keys). */
import { z } from "zod";
import { LIMITS } from "../reservation-rules";
import { ChannelId, ProductId, SkuId, VendorId } from "./common";

const Name = z.string().trim().min(1).max(200);

export const CreateVendorBody = z.strictObject({
  id: VendorId.optional(),
  name: Name,
  status: z.enum(["active", "suspended"]).optional(),
});

export const LocationBody = z.strictObject({
  name: Name,
  type: z.enum(["fulfillment_center", "warehouse", "store", "dropship"]),
  countryCode: z.string().regex(/^[A-Z]{2}$/, "countryCode must be an ISO 3166-1 alpha-2 code such as FR"),
  city: Name,
  latitude: z.number().min(-90).max(90),
  longitude: z.number().min(-180).max(180),
  canShip: z.boolean().optional(),
  canPickup: z.boolean().optional(),
  priority: z.int().min(0).max(1_000_000).optional(),
  capacityUnits: z.int().min(0).max(1_000_000_000).optional(),
  active: z.boolean().optional(),
  // Order routing (docs/allocation.md, "Location master data"); each has a default.
  /** Euro cents: per shipment, per km (fractions allowed), per unit. */
  shippingCost: z
    .strictObject({
      base: z.int().min(0).max(1_000_000),
      perKm: z.number().min(0).max(10_000),
      perUnit: z.int().min(0).max(1_000_000),
    })
    .optional(),
  handlingHours: z.number().min(0).max(720).optional(),
  /** Local hour of the carrier's daily collection, in (0, 24]; 16.5 = 16:30. */
  cutoffHour: z.number().gt(0, "cutoffHour must be greater than 0").max(24).optional(),
  /** Fixed offset of local time from UTC (no daylight saving), minutes. */
  utcOffsetMinutes: z.int().min(-840).max(840).optional(),
  dailyCapacity: z.int().min(0).max(1_000_000_000).optional(),
  currentLoad: z.int().min(0).max(1_000_000_000).optional(),
  onTimeRate: z.number().min(0).max(1).optional(),
  accuracyRate: z.number().min(0).max(1).optional(),
});
export type LocationBody = z.infer<typeof LocationBody>;

const SkuFields = {
  vendorId: VendorId.optional(),
  productId: ProductId,
  productName: Name.optional(),
  name: Name,
  status: z.enum(["active", "discontinued"]).optional(),
  reorderPoint: z.int().min(0).max(LIMITS.onHandMax).optional(),
  safetyStock: z.int().min(0).max(LIMITS.onHandMax).optional(),
  maxStock: z.int().min(0).max(LIMITS.onHandMax).nullable().optional(),
  leadTimeDays: z.int().min(0).max(365).optional(),
  allowBackorder: z.boolean().optional(),
  softBufferPct: z.int().min(0).max(100).optional(),
  perishable: z.boolean().optional(),
};

export const SkuBody = z.strictObject(SkuFields);
export type SkuBody = z.infer<typeof SkuBody>;

export const SkuBatchBody = z
  .strictObject({
    items: z
      .array(z.strictObject({ sku: SkuId, ...SkuFields }))
      .min(1)
      .max(LIMITS.skuBatchMax),
  })
  .superRefine((body, ctx) => {
    const seen = new Map<string, number>();
    body.items.forEach((item, i) => {
      const first = seen.get(item.sku);
      if (first !== undefined) ctx.addIssue({ code: "custom", path: ["items", i, "sku"], message: `duplicates items[${first}]` });
      else seen.set(item.sku, i);
    });
  });
export type SkuBatchItem = z.infer<typeof SkuBatchBody>["items"][number];

/** `POST /api/v2/skus/{sku}/transfer` (operators): the SKU's new vendor and the product it moves to. */
export const TransferSkuBody = z.strictObject({
  vendorId: VendorId,
  /** A product of the new vendor, or a new product id (created for the new vendor). */
  productId: ProductId,
  /** The new product's name (default: the SKU's name). */
  productName: Name.optional(),
});

export const CreateApiKeyBody = z
  .strictObject({
    name: Name,
    scope: z.enum(["checkout", "vendor", "operator"]),
    vendorId: VendorId.optional(),
    /** Checkout keys only: the storefront (sales channel) the key is for; its reservations are its own. */
    channel: ChannelId.optional(),
  })
  .superRefine((body, ctx) => {
    if ((body.scope === "vendor") !== (body.vendorId !== undefined)) {
      ctx.addIssue({ code: "custom", path: ["vendorId"], message: "vendorId is required for vendor keys and not allowed otherwise" });
    }
    if (body.channel !== undefined && body.scope !== "checkout") {
      ctx.addIssue({ code: "custom", path: ["channel"], message: "channel is only for checkout keys" });
    }
  });
