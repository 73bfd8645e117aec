/**
 * Stock alerts from inventory events: which alerts an event opens (or updates) and which it
 * resolves. Pure; `repositories/event-projections.ts` turns the decisions into
 * conditional D1 writes.
 *
 * Rules (SKU level, `locationId` null; at most one open alert per SKU and kind):
 * - `inventory.out_of_stock` opens `out_of_stock`;
 * - `inventory.low_stock` opens `low_stock`;
 * - an event that finds its alert already open updates it (latest available, count of
 *   occurrences) instead of opening another;
 * - `inventory.back_in_stock` resolves `out_of_stock`; it resolves `low_stock` too when the
 *   new total is above the reorder point, and opens (or keeps) `low_stock` when the SKU came
 *   back with the reorder point or fewer units;
 * - `inventory.updated` looks at the SKU's projected total available (the sum over its
 *   `inventory_levels` rows, after this event): above zero it resolves `out_of_stock`,
 *   above the reorder point it resolves `low_stock`. That is how a SKU leaves low stock,
 *   which no threshold event announces; and since a SKU object records a change's
 *   `inventory.updated` before its threshold event, the update usually resolves first.
 * The resolution names the condition that cleared (`back_in_stock`: units available again;
 * `above_reorder_point`), whichever event showed it first.
 * Decisions apply in per-SKU sequence order: an alert-relevant event older than the last
 * one applied for its SKU is ignored, so a late, older event cannot reopen an alert.
 */
import type { InventoryEvent } from "./events";

/** `overstock` and `slow_moving` are opened and resolved by the nightly REORDER run (services/reorder-planning.ts), not by events. */
/**
 * `expiring` (issue 14, lots): opened by `inventory.expiring` (a lot's sellable units within the
 * SKU's horizon of their expiry; `available` is those units), resolved (`no_stock`) by the
 * `inventory.lot_expired` that leaves none of the SKU's sellable units within the horizon.
 */
export const ALERT_KINDS = ["low_stock", "out_of_stock", "overstock", "slow_moving", "expiring"] as const;
export type AlertKind = (typeof ALERT_KINDS)[number];
export type AlertResolution = "back_in_stock" | "above_reorder_point" | "no_stock";

export type AlertDecision =
  | { action: "open"; kind: AlertKind; available: number }
  | {
      action: "resolve";
      kinds: AlertKind[];
      resolution: AlertResolution;
      /** Resolve only if the SKU's projected total available is above this. */
      whenProjectedTotalAbove: number | null;
    };

/** The alert decisions for one event, given the SKU's reorder point. */
export function alertDecisions(event: Pick<InventoryEvent, "type" | "after" | "lot">, reorderPoint: number): AlertDecision[] {
  const available = event.after?.available ?? 0;
  switch (event.type) {
    case "inventory.expiring":
      return [{ action: "open", kind: "expiring", available: event.lot?.expiringUnits ?? 0 }];
    case "inventory.lot_expired":
      return (event.lot?.expiringUnits ?? 0) === 0 ? [{ action: "resolve", kinds: ["expiring"], resolution: "no_stock", whenProjectedTotalAbove: null }] : [];
    case "inventory.out_of_stock":
      return [{ action: "open", kind: "out_of_stock", available }];
    case "inventory.low_stock":
      return [{ action: "open", kind: "low_stock", available }];
    case "inventory.back_in_stock":
      return available > reorderPoint
        ? [{ action: "resolve", kinds: ["out_of_stock", "low_stock"], resolution: "back_in_stock", whenProjectedTotalAbove: null }]
        : [
            { action: "resolve", kinds: ["out_of_stock"], resolution: "back_in_stock", whenProjectedTotalAbove: null },
            { action: "open", kind: "low_stock", available },
          ];
    case "inventory.updated":
      return [
        { action: "resolve", kinds: ["out_of_stock"], resolution: "back_in_stock", whenProjectedTotalAbove: 0 },
        { action: "resolve", kinds: ["low_stock"], resolution: "above_reorder_point", whenProjectedTotalAbove: reorderPoint },
      ];
    default:
      return [];
  }
}

/** Whether an event type takes part in the per-SKU alert order (see the module comment). */
export function isAlertRelevant(type: InventoryEvent["type"]): boolean {
  return type === "inventory.updated" || type === "inventory.low_stock" || type === "inventory.out_of_stock" || type === "inventory.back_in_stock";
}
