/** Input schemas of purchase orders (issue 14). */
import { z } from "zod";
import { LIMITS } from "../reservation-rules";
import { LineQuantity, LocationId, Reference, SkuId, VendorId } from "./common";
import { ReceiptLotFields, refineReceiptLot } from "./inbound";

export const PO_LINES_MAX = 200;
export const PO_STATUSES = [
  "draft",
  "submitted",
  "confirming",
  "confirmed",
  "shipping",
  "shipped",
  "partially_received",
  "received",
  "closed",
  "cancelled",
] as const;

/** A purchase order id as issued by this API. */
export const PurchaseOrderId = z.string().regex(/^po_[0-9a-z]{26}$/, "not a purchase order id");

/** `POST /api/v2/purchase-orders`: a draft order to one vendor for one receiving location. */
export const CreatePurchaseOrderBody = z
  .strictObject({
    vendorId: VendorId,
    locationId: LocationId,
    expectedAt: z.iso.datetime({ offset: true }).optional(),
    reference: Reference.optional(),
    lines: z
      .array(z.strictObject({ sku: SkuId, quantity: LineQuantity }))
      .min(1)
      .max(PO_LINES_MAX),
  })
  .superRefine((body, ctx) => {
    const seen = new Map<string, number>();
    body.lines.forEach((line, i) => {
      const first = seen.get(line.sku);
      if (first !== undefined) ctx.addIssue({ code: "custom", path: ["lines", i, "sku"], message: `duplicates lines[${first}]; send one line per SKU` });
      else seen.set(line.sku, i);
    });
  });
export type CreatePurchaseOrderBody = z.infer<typeof CreatePurchaseOrderBody>;

/** `POST /api/v2/purchase-orders/{id}/confirm`: the vendor confirms, optionally with its date. */
export const ConfirmPurchaseOrderBody = z.strictObject({ expectedAt: z.iso.datetime({ offset: true }).optional() });

/** `POST /api/v2/purchase-orders/{id}/receive`: what arrived of some lines (good, damaged). */
export const ReceivePurchaseOrderBody = z
  .strictObject({
    lines: z
      .array(
        z
          .strictObject({
            sku: SkuId,
            received: z.int().min(0).max(LIMITS.quantityMax).default(0),
            damaged: z.int().min(0).max(LIMITS.quantityMax).default(0),
            ...ReceiptLotFields,
          })
          .refine((l) => l.received + l.damaged > 0, { message: "report at least one unit (received or damaged)" })
          .superRefine(refineReceiptLot),
      )
      .min(1)
      .max(PO_LINES_MAX),
  })
  .superRefine((body, ctx) => {
    const seen = new Set<string>();
    body.lines.forEach((line, i) => {
      if (seen.has(line.sku)) ctx.addIssue({ code: "custom", path: ["lines", i, "sku"], message: "one entry per SKU" });
      seen.add(line.sku);
    });
  });
export type ReceivePurchaseOrderBody = z.infer<typeof ReceivePurchaseOrderBody>;

/** `GET /api/v2/purchase-orders?status=&vendorId=&limit=&cursor=`. */
export const PurchaseOrderListQuery = z.strictObject({
  status: z.enum(PO_STATUSES).optional(),
  vendorId: VendorId.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z
    .string()
    .regex(/^po_[0-9a-z]{26}$/)
    .optional(),
});

/** `POST /api/v2/purchase-orders/edi?vendorId=`: the vendor whose file it is (operators; a vendor key's is its own). */
export const PurchaseOrderEdiQuery = z.strictObject({ vendorId: VendorId.optional() });

/** Bodies of the steps that take nothing (submit, ship, close, cancel). */
export const EmptyBody = z.strictObject({});
