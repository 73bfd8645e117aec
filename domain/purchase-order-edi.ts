/**
 * What a vendor's X12 855 (acknowledgment) and 856 (ship notice) mean for our purchase
 * orders: a plan per order (the confirm step with the vendor's changes, the ship step with
 * what shipped), or the problems that refuse the whole set, each at its segment and element
 * so the 997 can point at it. Pure: the orders are passed in as they are in D1.
 *
 * - **PO numbers.** Our 850 sends an order's id cut to X12's 22 characters (`BEG03` is
 *   1–22): `po_` and the first 19 of its 26 characters. A vendor echoes it in `BAK03` and
 *   `PRF01`; the full id is accepted too.
 * - **855.** `PO101` is the line number our 850 sent (the line's position, 1-based). A line
 *   accepted as ordered keeps its quantity; a changed line takes the units the vendor commits
 *   to (`acceptedQuantity`: its statuses other than rejected and on hold, so a backordered
 *   part counts), which may not exceed the order; a rejected line (or one committed at 0) is
 *   cancelled; a line the 855 leaves out takes the header's answer (BAK02 RD/RJ: rejected).
 *   Its expected arrival is the latest delivery date of its accepted statuses (ACK04 067,
 *   017, 002), else of its DTMs, else the latest ship date (068, 010, 011); the order's is the
 *   latest of its lines'. Every line cancelled cancels the order. An 855 for an order already
 *   confirmed is accepted when it changes nothing (a resend), refused otherwise.
 * - **856.** One ship notice ships an order once: each item level's units (SN102) go to the
 *   order's line of that SKU (summed over packs), at most its quantity; a line that ships
 *   fewer units keeps only those (`orderedQuantity` remembers the order), a line left out is
 *   cancelled; the expected arrival is the latest delivery date of its items. An order
 *   already shipped under the same shipment id (BSN02) is accepted unchanged, so the same
 *   notice twice ships once; another shipment for it is refused. The ship-to (N1*ST), when
 *   it names one of our locations, must be the order's.
 */
import type { PoAcknowledgment } from "./x12/x12-855";
import type { ShipNotice } from "./x12/x12-856";
import type { X12Issue, X12Segment, X12TransactionSet } from "./x12/x12-interchange";
import { element, SetProblems } from "./x12/x12-set-reading";

/** How long a PO number may be in X12 (BEG03, 1–22 characters). */
export const X12_PO_NUMBER_MAX = 22;

/** The PO number our 850 sends for an order id. */
export function x12PoNumber(id: string): string {
  return id.slice(0, X12_PO_NUMBER_MAX);
}

/** A PO number as a vendor may send it back: our 22-character number or the full id; null when it is neither. */
export function poNumberForm(text: string): { kind: "full" | "prefix"; value: string } | null {
  if (/^po_[0-9a-z]{26}$/.test(text)) return { kind: "full", value: text };
  if (text.length === X12_PO_NUMBER_MAX && /^po_[0-9a-z]{19}$/.test(text)) return { kind: "prefix", value: text };
  return null;
}

export type EdiPoStatus =
  | "draft"
  | "submitted"
  | "confirming"
  | "confirmed"
  | "shipping"
  | "shipped"
  | "partially_received"
  | "received"
  | "closed"
  | "cancelled";

/** A purchase order line as the plans need it. */
export interface EdiPoLine {
  lineNo: number;
  sku: string;
  quantity: number;
  orderedQuantity: number | null;
  expectedAt: number | null;
  status: "open" | "in_transit" | "partially_received" | "received" | "cancelled";
}

/** A purchase order as the plans need it. */
export interface EdiPurchaseOrder {
  id: string;
  vendorId: string;
  locationId: string;
  status: EdiPoStatus;
  expectedAt: number | null;
  shipmentId: string | null;
  lines: EdiPoLine[];
}

/** A line after the vendor's document: what changes (before → after). */
export interface PlannedLine {
  lineNo: number;
  sku: string;
  quantity: { before: number; after: number };
  expectedAt: { before: number | null; after: number | null };
  /** The line will not come (rejected, or not shipped). */
  cancelled: boolean;
  /** What `ordered_quantity` becomes: the first quantity once it changed. */
  orderedQuantity: number | null;
}

export interface ConfirmationPlan {
  poId: string;
  /** `confirm`: submitted → confirmed; `cancel`: every line rejected; `unchanged`: a resend for a confirmed order. */
  action: "confirm" | "cancel" | "unchanged";
  /** The order's expected arrival after (the latest line date, else as it was). */
  expectedAt: number | null;
  lines: PlannedLine[];
}

export interface ShipmentPlan {
  poId: string;
  /** `ship`: confirmed → shipped; `unchanged`: already shipped under this shipment (`resume` when a crash left it `shipping`). */
  action: "ship" | "unchanged" | "resume";
  shipmentId: string;
  lines: PlannedLine[];
}

export type PlanResult<T> = { ok: true; plans: T[] } | { ok: false; errors: X12Issue[] };

const DELIVERY_QUALIFIERS = new Set(["067", "017", "002"]);
const SHIP_QUALIFIERS = new Set(["068", "010", "011"]);

/** An ISO date (YYYY-MM-DD) as ms at 00:00 UTC. */
export function dateMs(date: string): number {
  return Date.parse(`${date}T00:00:00Z`);
}

const latest = (dates: readonly string[]): number | null => (dates.length === 0 ? null : Math.max(...dates.map(dateMs)));

function segmentAt(set: X12TransactionSet, index: number): X12Segment {
  return set.segments.find((s) => s.index === index) ?? set.segments[0]!;
}

/** The element of `seg` that carries `id` after one of the qualifiers (an item id pair), or 1. */
function idElement(seg: X12Segment, id: string): number {
  for (let k = 2; k < seg.elements.length; k++) if (seg.elements[k] === id) return k;
  return 1;
}

const samePlan = (l: PlannedLine) => l.quantity.before === l.quantity.after && l.expectedAt.before === l.expectedAt.after;

/**
 * The confirm step an 855 asks for, against the order it names (`po`, null when there is
 * none), or the problems that refuse the set.
 */
export function planConfirmation(set: X12TransactionSet, ack: PoAcknowledgment, po: EdiPurchaseOrder | null): PlanResult<ConfirmationPlan> {
  const problems = new SetProblems(set);
  const bak = set.segments[1]!;
  if (po === null) {
    problems.elementError(bak, 3, "unknown_purchase_order", `BAK03 "${ack.poNumber}" is not one of your purchase orders`, "7");
    return { ok: false, errors: problems.errors };
  }
  if (po.status !== "submitted" && po.status !== "confirmed" && po.status !== "confirming") {
    problems.elementError(bak, 3, "purchase_order_state", `purchase order ${po.id} is ${po.status}; only a submitted order can be acknowledged`, "7");
    return { ok: false, errors: problems.errors };
  }
  const headerRejects = ack.acknowledgmentType === "RD" || ack.acknowledgmentType === "RJ";
  const byLineNo = new Map(po.lines.map((l) => [l.lineNo, l]));
  const planned = new Map<number, PlannedLine>();
  for (const a of ack.lines) {
    const po1 = segmentAt(set, a.segmentIndex);
    const lineNo = /^[1-9]\d{0,5}$/.test(a.lineNumber) ? Number(a.lineNumber) - 1 : -1;
    const line = byLineNo.get(lineNo);
    if (line === undefined) {
      problems.elementError(po1, 1, "line_not_on_order", `PO101 "${a.lineNumber}" is not a line of purchase order ${po.id} (lines 1–${po.lines.length})`, "7");
      continue;
    }
    if (a.sku !== null && a.sku !== line.sku) {
      problems.elementError(po1, idElement(po1, a.sku), "sku_mismatch", `line ${a.lineNumber} of ${po.id} is ${line.sku}, not ${a.sku}`, "7");
      continue;
    }
    // The vendor answers the order as sent (a resend after a change still says "as ordered").
    const ordered = line.orderedQuantity ?? line.quantity;
    let after = ordered;
    if (a.outcome === "rejected") after = 0;
    else if (a.outcome === "changed") {
      if (a.acceptedQuantity === null) {
        problems.segmentError(po1, "unknown_quantity", `line ${a.lineNumber}: the units committed cannot be told (give ACK02 on each status)`, "8");
        continue;
      }
      if (a.acceptedQuantity > ordered) {
        const ack = a.statuses.find((s) => s.quantity !== null) ?? null;
        const at = ack === null ? po1 : segmentAt(set, ack.segmentIndex);
        problems.elementError(at, 2, "quantity_exceeds_order", `line ${a.lineNumber}: ${a.acceptedQuantity} units committed, ${ordered} ordered`, "6");
        continue;
      }
      after = a.acceptedQuantity;
    }
    const kept = a.statuses.filter((s) => s.decision !== "rejected" && s.decision !== "on_hold" && s.date !== null).map((s) => s.date!);
    const date =
      latest(kept.filter((d) => DELIVERY_QUALIFIERS.has(d.qualifier)).map((d) => d.date)) ??
      latest(a.dates.filter((d) => DELIVERY_QUALIFIERS.has(d.qualifier)).map((d) => d.date)) ??
      latest([...kept, ...a.dates].filter((d) => SHIP_QUALIFIERS.has(d.qualifier)).map((d) => d.date));
    planned.set(line.lineNo, lineOf(line, after, after === 0 ? line.expectedAt : (date ?? line.expectedAt)));
  }
  if (problems.errors.length > 0) return { ok: false, errors: problems.errors };
  const lines = po.lines.map((l) => planned.get(l.lineNo) ?? lineOf(l, headerRejects ? 0 : (l.orderedQuantity ?? l.quantity), l.expectedAt));
  const live = lines.filter((l) => !l.cancelled);
  const dated = live.map((l) => l.expectedAt.after).filter((d): d is number => d !== null);
  const expectedAt = dated.length > 0 && lines.some((l) => l.expectedAt.after !== l.expectedAt.before) ? Math.max(...dated) : po.expectedAt;
  // A `confirming` order (its arrivals not yet told to the SKUs) answers like a confirmed one: the service finishes it.
  if (po.status === "confirmed" || po.status === "confirming") {
    if (lines.every(samePlan) && expectedAt === po.expectedAt) return { ok: true, plans: [{ poId: po.id, action: "unchanged", expectedAt, lines }] };
    problems.elementError(bak, 3, "purchase_order_state", `purchase order ${po.id} is already confirmed with other quantities or dates`, "7");
    return { ok: false, errors: problems.errors };
  }
  return { ok: true, plans: [{ poId: po.id, action: live.length === 0 ? "cancel" : "confirm", expectedAt, lines }] };
}

function lineOf(line: EdiPoLine, after: number, expectedAt: number | null): PlannedLine {
  const changed = after !== line.quantity;
  return {
    lineNo: line.lineNo,
    sku: line.sku,
    quantity: { before: line.quantity, after },
    expectedAt: { before: line.expectedAt, after: expectedAt },
    cancelled: after === 0,
    orderedQuantity: changed ? (line.orderedQuantity ?? line.quantity) : line.orderedQuantity,
  };
}

const SHIPPED_ALREADY: ReadonlySet<EdiPoStatus> = new Set(["shipping", "shipped", "partially_received", "received", "closed"]);

/**
 * The ship steps an 856 asks for, one per order it names (`orders`: by PO number as sent,
 * null when there is no such order of the vendor), or the problems that refuse the set.
 */
export function planShipments(set: X12TransactionSet, notice: ShipNotice, orders: ReadonlyMap<string, EdiPurchaseOrder | null>): PlanResult<ShipmentPlan> {
  const problems = new SetProblems(set);
  const prfOf = (poNumber: string) => set.segments.find((s) => s.id === "PRF" && element(s, 1) === poNumber) ?? set.segments[0]!;
  const linOf = (sn1Index: number) => [...set.segments].reverse().find((s) => s.id === "LIN" && s.index < sn1Index) ?? segmentAt(set, sn1Index);
  const n1 = set.segments.find((s) => s.id === "N1" && element(s, 1) === "ST");
  const numbers = [...new Set(notice.lines.map((l) => l.poNumber))];
  const plans: ShipmentPlan[] = [];
  for (const poNumber of numbers) {
    const po = orders.get(poNumber) ?? null;
    const prf = prfOf(poNumber);
    if (po === null) {
      problems.elementError(prf, 1, "unknown_purchase_order", `PRF01 "${poNumber}" is not one of your purchase orders`, "7");
      continue;
    }
    if (SHIPPED_ALREADY.has(po.status) && po.shipmentId === notice.shipmentId) {
      plans.push({ poId: po.id, action: po.status === "shipping" ? "resume" : "unchanged", shipmentId: notice.shipmentId, lines: [] });
      continue;
    }
    if (po.status !== "confirmed" && po.status !== "confirming") {
      const why = SHIPPED_ALREADY.has(po.status) ? `already shipped${po.shipmentId === null ? "" : ` under shipment ${po.shipmentId}`}` : po.status;
      problems.elementError(prf, 1, "purchase_order_state", `purchase order ${po.id} is ${why}; only a confirmed order ships`, "7");
      continue;
    }
    if (notice.shipTo?.locationId != null && notice.shipTo.locationId !== po.locationId && n1 !== undefined) {
      problems.elementError(n1, 4, "ship_to_mismatch", `ships to ${notice.shipTo.locationId}; purchase order ${po.id} is for ${po.locationId}`, "7");
    }
    const shipped = new Map<number, { units: number; dates: string[] }>();
    let ok = true;
    for (const item of notice.lines.filter((l) => l.poNumber === poNumber)) {
      const line = po.lines.find((l) => l.sku === item.sku && l.status !== "cancelled");
      if (line === undefined) {
        const lin = linOf(item.segmentIndex);
        problems.elementError(lin, idElement(lin, item.sku), "line_not_on_order", `${item.sku} is not on purchase order ${po.id}`, "7");
        ok = false;
        continue;
      }
      const sum = shipped.get(line.lineNo) ?? { units: 0, dates: [] };
      sum.units += item.quantity;
      if (item.expectedDeliveryDate !== null) sum.dates.push(item.expectedDeliveryDate);
      shipped.set(line.lineNo, sum);
      if (sum.units > line.quantity) {
        problems.elementError(
          segmentAt(set, item.segmentIndex),
          2,
          "quantity_exceeds_order",
          `${item.sku}: ${sum.units} units shipped, ${line.quantity} on order ${po.id}`,
          "6",
        );
        ok = false;
      }
    }
    const lines = po.lines.map((l) => {
      const s = shipped.get(l.lineNo);
      return lineOf(l, l.status === "cancelled" ? 0 : (s?.units ?? 0), latest(s?.dates ?? []) ?? l.expectedAt);
    });
    if (ok && lines.every((l) => l.cancelled)) {
      problems.elementError(prf, 1, "nothing_shipped", `the notice ships no unit of purchase order ${po.id}`, "7");
      continue;
    }
    plans.push({ poId: po.id, action: "ship", shipmentId: notice.shipmentId, lines });
  }
  return problems.errors.length > 0 ? { ok: false, errors: problems.errors } : { ok: true, plans };
}
