/** Input schemas of stock states and transfers (issue 14). */
import { z } from "zod";
import { LIMITS } from "../reservation-rules";
import { STOCK_STATES, STOCK_TARGETS } from "../stock-states";
import { LineQuantity, LocationId, Reference, SkuId } from "./common";

/** Why units changed state: a short free text (e.g. `water_damage`, `qa_hold`, `expired`). */
const StateReason = z.string().trim().min(1).max(64);

/** `POST /api/v2/inventory/{sku}/states`: move units between states, or write them off. */
export const StockStateBody = z
  .strictObject({
    locationId: LocationId,
    from: z.enum(STOCK_STATES),
    to: z.enum(STOCK_TARGETS),
    quantity: LineQuantity,
    reason: StateReason,
    reference: Reference.optional(),
  })
  .refine((b) => (b.from as string) !== b.to, { path: ["to"], message: "to must differ from from" });
export type StockStateBody = z.infer<typeof StockStateBody>;

/**
 * A receipt line's lot (perishables, issue 14): the lot its good units belong to and the date
 * they expire (`YYYY-MM-DD`; not sellable from 00:00 UTC that day). Both or neither.
 */
export const ReceiptLotFields = {
  lot: z
    .string()
    .trim()
    .min(1)
    .max(64)
    .regex(/^[\x21-\x7e]+$/, "printable ASCII without spaces")
    .optional(),
  expiresOn: z.iso.date().optional(),
};

/** Refines a receipt line: `lot` and `expiresOn` come together, and only with good units. */
export function refineReceiptLot(line: { lot?: string | undefined; expiresOn?: string | undefined; received: number }, ctx: z.RefinementCtx): void {
  if ((line.lot === undefined) !== (line.expiresOn === undefined)) {
    ctx.addIssue({ code: "custom", path: [line.lot === undefined ? "lot" : "expiresOn"], message: "give lot and expiresOn together" });
  } else if (line.lot !== undefined && line.received === 0) {
    ctx.addIssue({ code: "custom", path: ["lot"], message: "a lot is recorded for received (good) units; none are reported" });
  }
}

/** Most SKU lines per transfer document. */
export const TRANSFER_LINES_MAX = 100;

/** A transfer id as issued by this API. */
export const TransferId = z.string().regex(/^trf_[0-9a-z]{26}$/, "not a transfer id");

/** `POST /api/v2/transfers`: move SKUs from one location to another. */
export const CreateTransferBody = z
  .strictObject({
    fromLocationId: LocationId,
    toLocationId: LocationId,
    /** When the units are expected at the destination (ISO 8601). */
    expectedAt: z.iso.datetime({ offset: true }).optional(),
    reference: Reference.optional(),
    lines: z
      .array(z.strictObject({ sku: SkuId, quantity: LineQuantity }))
      .min(1)
      .max(TRANSFER_LINES_MAX),
    /** Keep it as a draft: nothing moves until `POST /api/v2/transfers/{id}/ship`. */
    draft: z.boolean().optional(),
  })
  .superRefine((body, ctx) => {
    if (body.fromLocationId === body.toLocationId)
      ctx.addIssue({ code: "custom", path: ["toLocationId"], message: "toLocationId must differ from fromLocationId" });
    const seen = new Map<string, number>();
    body.lines.forEach((line, i) => {
      const first = seen.get(line.sku);
      if (first !== undefined) ctx.addIssue({ code: "custom", path: ["lines", i, "sku"], message: `duplicates lines[${first}]; send one line per SKU` });
      else seen.set(line.sku, i);
    });
  });
export type CreateTransferBody = z.infer<typeof CreateTransferBody>;

/** `POST /api/v2/transfers/{id}/receive`: what arrived of some lines (good, damaged, short). */
export const ReceiveTransferBody = z
  .strictObject({
    lines: z
      .array(
        z
          .strictObject({
            sku: SkuId,
            received: z.int().min(0).max(LIMITS.quantityMax).default(0),
            damaged: z.int().min(0).max(LIMITS.quantityMax).default(0),
            short: z.int().min(0).max(LIMITS.quantityMax).default(0),
            ...ReceiptLotFields,
          })
          .refine((l) => l.received + l.damaged + l.short > 0, { message: "report at least one unit (received, damaged or short)" })
          .superRefine(refineReceiptLot),
      )
      .min(1)
      .max(TRANSFER_LINES_MAX),
  })
  .superRefine((body, ctx) => {
    const seen = new Set<string>();
    body.lines.forEach((line, i) => {
      if (seen.has(line.sku)) ctx.addIssue({ code: "custom", path: ["lines", i, "sku"], message: "one entry per SKU" });
      seen.add(line.sku);
    });
  });
export type ReceiveTransferBody = z.infer<typeof ReceiveTransferBody>;

/** `POST /api/v2/transfers/{id}/cancel`. */
export const CancelTransferBody = z.strictObject({ reason: StateReason.default("cancelled") });

export const TRANSFER_STATUSES = ["draft", "creating", "in_transit", "partially_received", "received", "cancelled"] as const;

/** `GET /api/v2/transfers?status=&limit=&cursor=`. */
export const TransferListQuery = z.strictObject({
  status: z.enum(TRANSFER_STATUSES).optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
  cursor: z
    .string()
    .regex(/^trf_[0-9a-z]{26}$/)
    .optional(),
});
