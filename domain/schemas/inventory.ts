/** Input schemas of the stock and reservation endpoints. */
import { z } from "zod";
import { ADJUSTMENT_REASONS, LIMITS, RESERVATION_TYPES, TTL_SECONDS } from "../reservation-rules";
import { MAX_SHARDS } from "../shards";
import { AllocationOptionsBody } from "./allocation";
import { LineQuantity, LocationId, Reference, ReservationId, SkuId } from "./common";

/** `PATCH /api/v2/inventory/{sku}`: adjust by `delta` or set `onHand`, with a reason. */
export const AdjustStockBody = z
  .strictObject({
    locationId: LocationId,
    delta: z
      .int()
      .min(-LIMITS.adjustDeltaMax)
      .max(LIMITS.adjustDeltaMax)
      .refine((d) => d !== 0, "delta must not be 0")
      .optional(),
    onHand: z.int().min(0).max(LIMITS.onHandMax).optional(),
    expectedOnHand: z.int().min(0).max(LIMITS.onHandMax).optional(),
    reason: z.enum(ADJUSTMENT_REASONS),
    reference: Reference.optional(),
  })
  .superRefine((body, ctx) => {
    if ((body.delta === undefined) === (body.onHand === undefined)) {
      ctx.addIssue({ code: "custom", path: ["delta"], message: "give exactly one of delta or onHand" });
    }
  });
export type AdjustStockBody = z.infer<typeof AdjustStockBody>;

const ReservationItem = z.strictObject({
  sku: SkuId,
  quantity: LineQuantity,
  locationId: LocationId.optional(),
});

/** `POST /api/v2/inventory/reserve`. TTL bounds depend on the type. */
export const ReserveBody = z
  .strictObject({
    type: z.enum(RESERVATION_TYPES),
    reference: Reference,
    items: z.array(ReservationItem).min(1).max(LIMITS.linesPerReservation),
    ttlSeconds: z.int().positive().optional(),
    /** Order routing for the lines without a location (docs/allocation.md); a default when omitted. */
    allocation: AllocationOptionsBody.optional(),
  })
  .superRefine((body, ctx) => {
    if (body.ttlSeconds !== undefined) {
      const { min, max } = TTL_SECONDS[body.type];
      if (body.ttlSeconds < min || body.ttlSeconds > max) {
        ctx.addIssue({ code: "custom", path: ["ttlSeconds"], message: `ttlSeconds for a ${body.type} reservation must be ${min}..${max}` });
      }
    }
    // A pre-order is placed against the expected arrivals of the location it names (no routing).
    if (body.type === "preorder") {
      if (body.allocation !== undefined)
        ctx.addIssue({ code: "custom", path: ["allocation"], message: "a pre-order names its locations; allocation is not taken" });
      body.items.forEach((item, i) => {
        if (item.locationId === undefined)
          ctx.addIssue({ code: "custom", path: ["items", i, "locationId"], message: "a pre-order line needs the location it is expected at" });
      });
    }
    const seen = new Map<string, number>();
    body.items.forEach((item, i) => {
      const key = `${item.sku}\u0000${item.locationId ?? ""}`;
      const first = seen.get(key);
      if (first !== undefined) {
        ctx.addIssue({
          code: "custom",
          path: ["items", i],
          message: `duplicates items[${first}] (same sku and location); send one line with the total quantity`,
        });
      } else seen.set(key, i);
    });
  });
export type ReserveBody = z.infer<typeof ReserveBody>;

/** `POST /api/v2/inventory/{release,commit,fulfil}`. */
export const ReservationActionBody = z.strictObject({ reservationId: ReservationId });

/** `POST /api/v2/inventory/promote`: a soft hold becomes hard, with an optional hard TTL. */
export const PromoteBody = z.strictObject({
  reservationId: ReservationId,
  ttlSeconds: z.int().min(TTL_SECONDS.hard.min).max(TTL_SECONDS.hard.max).optional(),
});

/** `GET /api/v2/inventory/{sku}/ledger?after=&limit=`: ledger rows after a sequence number. */
export const LedgerQuery = z.strictObject({
  after: z.coerce.number().int().min(0).default(0),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});

/** `PUT /inventory/{sku}/shards`: how many shard objects take the SKU's single-SKU reservations (1: not sharded). */
export const ShardsBody = z.strictObject({ shards: z.int().min(1).max(MAX_SHARDS) });
