/**
 * When backordered units are expected: inbound arrivals at a location are claimed in date
 * order, first by the backorders the location already accepted, then by the plan's own.
 * Pure: functions return new values and never change their arguments.
 */
import type { SkuStockLevel } from "./allocation-plan.types";
import { addDays } from "./allocation-shipping";

/** Inbound units at a location not yet promised to any backorder. */
export interface InboundBatch {
  expectedDate: string;
  quantity: number;
}

/** When a backorder's units are expected and on what grounds. */
export interface BackorderArrival {
  expectedDate: string;
  basis: "inbound" | "lead_time";
  /** The batches still unclaimed afterwards. */
  rest: InboundBatch[];
}

/**
 * The unclaimed inbound arrivals of a SKU at a location, earliest first. A negative
 * `available` is units already accepted as backorders; they are served first
 * (first come, first served), so they claim the earliest arrivals.
 */
export function openInbound(level: Pick<SkuStockLevel, "available" | "inbound"> | undefined): InboundBatch[] {
  const batches = [...(level?.inbound ?? [])]
    .filter((b) => b.quantity > 0)
    .sort((a, b) => (a.expectedDate < b.expectedDate ? -1 : a.expectedDate > b.expectedDate ? 1 : 0))
    .map((b) => ({ expectedDate: b.expectedDate, quantity: b.quantity }));
  return consume(batches, Math.max(0, -(level?.available ?? 0))).rest;
}

/**
 * Claims `quantity` (> 0) units from the batches. When the batches cover them, they are
 * expected on the covering batch's date (never before `today`); otherwise after the SKU's
 * lead time from today, or on the last batch's date if that is later.
 */
export function claimInbound(batches: readonly InboundBatch[], quantity: number, today: string, leadTimeDays: number): BackorderArrival {
  const { left, lastDate, rest } = consume(batches, quantity);
  const notBefore = (date: string, floor: string) => (date < floor ? floor : date);
  if (left === 0 && lastDate !== undefined) return { expectedDate: notBefore(lastDate, today), basis: "inbound", rest };
  const leadDate = addDays(today, leadTimeDays);
  return { expectedDate: lastDate === undefined ? leadDate : notBefore(lastDate, leadDate), basis: "lead_time", rest };
}

/** Takes up to `quantity` units from the batches in order. */
function consume(batches: readonly InboundBatch[], quantity: number): { left: number; lastDate: string | undefined; rest: InboundBatch[] } {
  let left = quantity;
  let lastDate: string | undefined;
  const rest: InboundBatch[] = [];
  for (const batch of batches) {
    if (left === 0) {
      rest.push(batch);
      continue;
    }
    const taken = Math.min(left, batch.quantity);
    left -= taken;
    lastDate = batch.expectedDate;
    if (taken < batch.quantity) rest.push({ expectedDate: batch.expectedDate, quantity: batch.quantity - taken });
  }
  return { left, lastDate, rest };
}
