/**
 * Reading an X12 855 Purchase Order Acknowledgment into a decision per PO line, whole or
 * not at all.
 *
 * - `BAK` (mandatory, first): BAK01 purpose (00 original…), BAK02 acknowledgment type
 *   (587: AC with detail and change, AD with detail no change, AE exception detail only,
 *   AK no detail or change, AP product replenishment, RD rejected with detail, RJ rejected
 *   no detail), BAK03 our PO number, BAK04 PO date, BAK08 the seller's order number, BAK09
 *   acknowledgment date.
 * - `PO1` per line: PO101 line number (ours, from the 850), PO102 quantity, PO103 unit,
 *   PO104 unit price, PO106/07… item id pairs.
 * - `ACK` after its PO1, one or several (a split: 6 accepted now, 4 backordered): ACK01
 *   line item status (668), ACK02 quantity, ACK03 unit, ACK04 date qualifier (374: 068
 *   current schedule ship, 067 current schedule delivery, 017 estimated delivery), ACK05
 *   date.
 * - `CTT01`, when present, must equal the number of PO1 segments (X12's note on CTT).
 *
 * A line without ACK takes the header's answer: accepted for AC/AD/AE/AK/AP, rejected for
 * RD/RJ. Pure.
 */
import type { X12Segment, X12Separators, X12TransactionSet } from "./x12-interchange";
import {
  bodyOf,
  dateElement,
  element,
  itemIds,
  preferredId,
  SetProblems,
  unitQuantity,
  type UnitsPerPack,
  type X12Date,
  type X12ItemId,
  type X12SetRead,
} from "./x12-set-reading";
import { parseX12Decimal } from "./x12-data-types";

/** What a line status means for us. */
export type AckDecision =
  | "accepted"
  | "rejected"
  | "quantity_changed"
  | "date_changed"
  | "price_changed"
  | "changed"
  | "substituted"
  | "backordered"
  | "on_hold";

/** ACK01 (668 line item status code) → decision. */
export const ACK_STATUS_DECISIONS: Readonly<Record<string, AckDecision>> = {
  IA: "accepted", // item accepted
  AC: "accepted", // item accepted and shipped
  AR: "accepted", // item accepted and released for shipment
  SP: "accepted", // item accepted, schedule date pending
  IR: "rejected", // item rejected
  ID: "rejected", // item deleted
  R1: "rejected", // not a contract item
  R2: "rejected", // invalid item product number
  R3: "rejected", // invalid unit of issue
  R4: "rejected", // contract item not available
  IQ: "quantity_changed", // item accepted, quantity changed
  DR: "date_changed", // item accepted, date rescheduled
  IP: "price_changed", // item accepted, price changed
  IC: "changed", // item accepted, changes made
  IS: "substituted", // item accepted, substitution made
  IB: "backordered", // item backordered
  BP: "backordered", // partial shipment, balance backordered
  IF: "on_hold", // on hold, incomplete description
  IH: "on_hold", // item on hold
  IW: "on_hold", // on hold, waiver required
};

/** BAK02 (587) → what a line without ACK means. */
const ACK_TYPES: Readonly<Record<string, "accepted" | "rejected">> = {
  AC: "accepted",
  AD: "accepted",
  AE: "accepted",
  AK: "accepted",
  AP: "accepted",
  RD: "rejected",
  RJ: "rejected",
};

export interface PoAckStatus {
  /** ACK01 as sent. */
  code: string;
  decision: AckDecision;
  /** ACK02 in units (ACK03 converted), or null when not sent. */
  quantity: number | null;
  unit: string | null;
  date: X12Date | null;
  segmentIndex: number;
  line: number;
}

export interface PoAckLine {
  /** PO101. */
  lineNumber: string;
  sku: string | null;
  itemIds: X12ItemId[];
  /** PO102 in units. */
  quantity: number | null;
  unit: string | null;
  /** PO104 as sent (a decimal), or null. */
  unitPrice: number | null;
  statuses: PoAckStatus[];
  /** accepted: as ordered; rejected: nothing of it; changed: anything else (see statuses). */
  outcome: "accepted" | "rejected" | "changed";
  /** Units the vendor commits to (statuses other than rejected and on hold), null when it cannot be told. */
  acceptedQuantity: number | null;
  dates: X12Date[];
  segmentIndex: number;
  line: number;
}

export interface PoAcknowledgment {
  setControlNumber: string;
  purpose: string;
  /** BAK02 as sent. */
  acknowledgmentType: string;
  poNumber: string;
  poDate: string | null;
  sellerOrderNumber: string | null;
  acknowledgedOn: string | null;
  lines: PoAckLine[];
}

export interface PoAck855Options {
  /** PO1 qualifiers whose id is our SKU, in preference order; default BP (we send our SKU as BP in the 850), then VN. */
  itemIdQualifiers?: readonly string[];
  unitsPerPack?: UnitsPerPack;
}

interface OpenLine {
  po1: X12Segment;
  lineNumber: string;
  sku: string | null;
  ids: X12ItemId[];
  quantity: number | null;
  unit: string | null;
  unitPrice: number | null;
  statuses: PoAckStatus[];
  dates: X12Date[];
}

/** The outcome and committed units of a line from its statuses. */
function outcomeOf(l: OpenLine, headerAnswer: "accepted" | "rejected"): Pick<PoAckLine, "outcome" | "acceptedQuantity"> {
  if (l.statuses.length === 0) return { outcome: headerAnswer, acceptedQuantity: headerAnswer === "accepted" ? l.quantity : 0 };
  if (l.statuses.every((s) => s.decision === "rejected")) return { outcome: "rejected", acceptedQuantity: 0 };
  let accepted: number | null = 0;
  for (const s of l.statuses) {
    if (s.decision === "rejected" || s.decision === "on_hold") continue;
    const units = s.quantity ?? (l.statuses.length === 1 ? l.quantity : null);
    accepted = accepted === null || units === null ? null : accepted + units;
  }
  const asOrdered = l.statuses.every((s) => s.decision === "accepted") && (accepted === null || l.quantity === null || accepted === l.quantity);
  return { outcome: asOrdered ? "accepted" : "changed", acceptedQuantity: accepted };
}

/** Reads one 855 set (from `parseX12`) into per-line decisions, or every problem it has. */
export function read855(set: X12TransactionSet, separators: X12Separators, options: PoAck855Options = {}): X12SetRead<PoAcknowledgment> {
  const problems = new SetProblems(set);
  const preference = options.itemIdQualifiers ?? ["BP", "VN"];
  const unitsPerPack = options.unitsPerPack ?? {};
  const body = bodyOf(set);
  const bak = body[0];
  let purpose = "";
  let ackType = "";
  let poNumber = "";
  let poDate: string | null = null;
  let headerAnswer: "accepted" | "rejected" = "accepted";
  let sellerOrderNumber: string | null = null;
  let acknowledgedOn: string | null = null;
  if (bak === undefined || bak.id !== "BAK") {
    problems.segmentError(bak ?? set.segments[0]!, "missing_segment", "an 855 starts with BAK after ST", "3");
  } else {
    purpose = element(bak, 1);
    ackType = element(bak, 2);
    poNumber = element(bak, 3);
    if (!/^\d{2}$/.test(purpose)) problems.elementError(bak, 1, "invalid_code", `BAK01 "${purpose}" is not a transaction set purpose code`, "7");
    if (!Object.hasOwn(ACK_TYPES, ackType))
      problems.elementError(bak, 2, "invalid_code", `BAK02 "${ackType}" is not an acknowledgment type we read (${Object.keys(ACK_TYPES).join(", ")})`, "7");
    else headerAnswer = ACK_TYPES[ackType]!;
    if (poNumber === "") problems.elementError(bak, 3, "missing_element", "BAK03 (the PO number) is missing", "1");
    poDate = dateElement(bak, 4, problems, true);
    sellerOrderNumber = element(bak, 8) || null;
    acknowledgedOn = dateElement(bak, 9, problems, false);
  }

  const lines: OpenLine[] = [];
  let current: OpenLine | null = null;
  let ctt: X12Segment | null = null;
  const seen = new Set<string>();
  for (const seg of body.slice(bak?.id === "BAK" ? 1 : 0)) {
    if (ctt !== null) {
      problems.segmentError(seg, "unexpected_segment", `${seg.id} after CTT (the summary ends the set)`, "7");
      continue;
    }
    switch (seg.id) {
      case "PO1": {
        const lineNumber = element(seg, 1);
        if (lineNumber === "") problems.elementError(seg, 1, "missing_element", "PO101 (the line number of our PO) is missing", "1");
        else if (seen.has(lineNumber)) problems.elementError(seg, 1, "invalid_element", `PO101 line ${lineNumber} appears twice`, "6");
        seen.add(lineNumber);
        const q = unitQuantity(seg, 2, 3, separators, unitsPerPack, problems, false);
        const priceText = element(seg, 4);
        const unitPrice = priceText === "" ? null : parseX12Decimal(priceText);
        if (priceText !== "" && unitPrice === null) problems.elementError(seg, 4, "invalid_element", `PO104 "${priceText}" is not a price`, "6");
        const ids = itemIds(seg, 6, problems);
        current = {
          po1: seg,
          lineNumber,
          sku: preferredId(ids, preference)?.id ?? null,
          ids,
          quantity: q?.quantity ?? null,
          unit: q?.unit ?? null,
          unitPrice,
          statuses: [],
          dates: [],
        };
        lines.push(current);
        break;
      }
      case "ACK": {
        if (current === null) {
          problems.segmentError(seg, "ack_without_line", "ACK before any PO1", "7");
          break;
        }
        const code = element(seg, 1);
        const decision = Object.hasOwn(ACK_STATUS_DECISIONS, code) ? ACK_STATUS_DECISIONS[code]! : null;
        if (decision === null) {
          problems.elementError(seg, 1, "invalid_code", `ACK01 "${code}" is not a line item status code we read`, "7");
          break;
        }
        const q = unitQuantity(seg, 2, 3, separators, unitsPerPack, problems, false);
        const qualifier = element(seg, 4);
        const d = dateElement(seg, 5, problems, qualifier !== "");
        current.statuses.push({
          code,
          decision,
          quantity: q?.quantity ?? null,
          unit: q?.unit ?? null,
          date: qualifier !== "" && d !== null ? { qualifier, date: d } : null,
          segmentIndex: seg.index,
          line: seg.line,
        });
        break;
      }
      case "DTM": {
        const d = dateElement(seg, 2, problems, true);
        if (current !== null && d !== null) current.dates.push({ qualifier: element(seg, 1), date: d });
        break;
      }
      case "CTT":
        ctt = seg;
        break;
      default:
        break; // CUR, REF, N1 loops, PID…: nothing we apply
    }
  }
  if (ctt !== null) {
    const declared = element(ctt, 1);
    if (!/^\d+$/.test(declared) || Number(declared) !== lines.length)
      problems.elementError(ctt, 1, "count_mismatch", `CTT01 says ${declared} lines; the set has ${lines.length} PO1`, "6");
  }
  return problems.result(() => ({
    setControlNumber: set.controlNumber,
    purpose,
    acknowledgmentType: ackType,
    poNumber,
    poDate,
    sellerOrderNumber,
    acknowledgedOn,
    lines: lines.map((l) => ({
      lineNumber: l.lineNumber,
      sku: l.sku,
      itemIds: l.ids,
      quantity: l.quantity,
      unit: l.unit,
      unitPrice: l.unitPrice,
      statuses: l.statuses,
      ...outcomeOf(l, headerAnswer),
      dates: l.dates,
      segmentIndex: l.po1.index,
      line: l.po1.line,
    })),
  }));
}
