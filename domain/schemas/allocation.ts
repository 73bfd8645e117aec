/**
 * Input schemas of order routing: the allocation options a reservation or a plan request
 * carries (docs/allocation.md, "Options"), and `POST /api/v2/allocations/plan`. Shapes and
 * bounds only; what needs master data (a pickup location that exists, a known country) is
 * checked by `validateAllocationRequest` in the service.
 */
import { z } from "zod";
import { ALLOCATION_STRATEGIES } from "../allocation-plan.types";
import { LIMITS, RESERVATION_TYPES } from "../reservation-rules";
import { LineQuantity, LocationId, SkuId } from "./common";

const Weight = z.number().min(0).max(1_000);

/** Where the order goes: coordinates, or an ISO 3166-1 alpha-2 country (its centroid). */
export const ShipToBody = z.union([
  z.strictObject({ latitude: z.number().min(-90).max(90), longitude: z.number().min(-180).max(180) }),
  z.strictObject({ countryCode: z.string().regex(/^[A-Za-z]{2}$/, "countryCode must be an ISO 3166-1 alpha-2 code such as BE") }),
]);

/** How the lines without a location are routed. */
export const AllocationOptionsBody = z.strictObject({
  strategy: z.enum(ALLOCATION_STRATEGIES),
  /** Required unless `pickupLocationId` is given. */
  shipTo: ShipToBody.optional(),
  maxShipments: z.int().min(1).max(LIMITS.linesPerReservation).optional(),
  /** `YYYY-MM-DD`. */
  requiredBy: z.iso.date().optional(),
  pickupLocationId: LocationId.optional(),
  weights: z.strictObject({ delivery: Weight, cost: Weight, performance: Weight }).optional(),
  /** Euro cents per shipment after the first. */
  extraShipmentCost: z.int().min(0).max(1_000_000).optional(),
});
export type AllocationOptionsBody = z.infer<typeof AllocationOptionsBody>;

/** One order line: a SKU, a quantity, and optionally the location it must come from. */
export const OrderItem = z.strictObject({
  sku: SkuId,
  quantity: LineQuantity,
  locationId: LocationId.optional(),
});

/** Refuses two lines of the same SKU and location (one line with the total instead). */
export function refuseDuplicateItems(items: readonly z.infer<typeof OrderItem>[], ctx: z.RefinementCtx, path: string = "items"): void {
  const seen = new Map<string, number>();
  items.forEach((item, i) => {
    const key = `${item.sku}\u0000${item.locationId ?? ""}`;
    const first = seen.get(key);
    if (first !== undefined) {
      ctx.addIssue({ code: "custom", path: [path, i], message: `duplicates items[${first}] (same sku and location); send one line with the total quantity` });
    } else seen.set(key, i);
  });
}

/** `POST /api/v2/allocations/plan`: the order as it would be reserved; nothing is held. */
export const PlanBody = z
  .strictObject({
    /** Which availability counts: hard (default) plans against `available`, soft against the hold headroom. */
    type: z.enum(RESERVATION_TYPES.filter((t) => t !== "preorder") as ["soft", "hard"]).default("hard"),
    items: z.array(OrderItem).min(1).max(LIMITS.linesPerReservation),
    allocation: AllocationOptionsBody,
  })
  .superRefine((body, ctx) => refuseDuplicateItems(body.items, ctx));
export type PlanBody = z.infer<typeof PlanBody>;
