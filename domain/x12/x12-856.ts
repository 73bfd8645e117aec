/**
 * Reading an X12 856 Ship Notice/Manifest (ASN) into shipped lines with their PO, pack and
 * expected delivery date, whole or not at all.
 *
 * - `BSN` (mandatory, first): BSN01 purpose, BSN02 shipment identification, BSN03 date,
 *   BSN04 time, BSN05 hierarchical structure code (0001 shipment/order/pack/item…).
 * - `HL` starts a level: HL01 its id, HL02 its parent's id (earlier in the set), HL03 the
 *   level code (735: S shipment, O order, P pack, T tare, I item). The first HL is the one
 *   shipment. Segments after an HL belong to it.
 * - Shipment level: `TD5` (TD503 the carrier's SCAC), `REF` (BM bill of lading, CN
 *   carrier's reference…), `N1*ST` ship-to (N103 92: N104 is our location id, as our 850
 *   sent it; otherwise looked up in the vendor's location table), `DTM`s. Order level: `PRF` (PRF01 our PO number, PRF04 its date).
 *   Pack: `MAN` (MAN02 the marks, e.g. the SSCC-18). Item: `LIN` (id pairs) and `SN1`
 *   (SN102 units shipped, SN103 unit).
 * - Dates (374): 011 shipped, 017 estimated delivery, 067 current schedule delivery (used
 *   when there is no 017). A line takes the nearest one up its hierarchy (its own level
 *   first, the heading DTMs last); its PO is the nearest PRF up the hierarchy, its pack the
 *   nearest P/T level.
 * - `CTT01`, when present, must be the number of HL segments or of item levels (guides
 *   differ on which).
 * Pure.
 */
import { locationResolver, type LocationNameTable } from "../vendor-formats/location-names";
import { parseX12Time } from "./x12-data-types";
import type { X12Segment, X12Separators, X12TransactionSet } from "./x12-interchange";
import {
  bodyOf,
  dateElement,
  element,
  itemIds,
  partyLocationId,
  preferredId,
  SetProblems,
  unitQuantity,
  type UnitsPerPack,
  type X12Date,
  type X12ItemId,
  type X12SetRead,
} from "./x12-set-reading";

export interface ShipNotice856Options {
  /** For the ship-to location (N1*ST); without it, `shipTo.locationId` is null. */
  locationNames?: LocationNameTable;
  /** LIN qualifiers whose id is our SKU, in preference order; default BP, VN, SK, VP. */
  itemIdQualifiers?: readonly string[];
  unitsPerPack?: UnitsPerPack;
}

export interface ShippedLine {
  /** HL01 of the item level, and its parent's. */
  hlId: string;
  parentHlId: string | null;
  poNumber: string;
  poDate: string | null;
  sku: string;
  itemIds: X12ItemId[];
  /** SN102 in units. */
  quantity: number;
  unit: string;
  /** MAN02 of the pack it is in, when one. */
  packId: string | null;
  shippedDate: string | null;
  expectedDeliveryDate: string | null;
  /** The SN1 segment. */
  segmentIndex: number;
  line: number;
}

export interface ShipNotice {
  setControlNumber: string;
  purpose: string;
  shipmentId: string;
  date: string | null;
  time: string | null;
  /** BSN05, or null. */
  structureCode: string | null;
  shippedDate: string | null;
  expectedDeliveryDate: string | null;
  carrierScac: string | null;
  references: { qualifier: string; value: string }[];
  shipTo: { name: string | null; idQualifier: string | null; id: string | null; locationId: string | null } | null;
  lines: ShippedLine[];
}

const LEVELS = new Set(["S", "O", "P", "T", "I"]);

interface Level {
  hl: X12Segment;
  id: string;
  parent: Level | null;
  code: string;
  dates: X12Date[];
  prf: { poNumber: string; poDate: string | null } | null;
  man: string | null;
  lin: { sku: string | null; ids: X12ItemId[]; seg: X12Segment } | null;
  sn1: { seg: X12Segment; quantity: number; unit: string } | null;
  /** An LIN / SN1 was there, readable or not (a bad one is reported where it is). */
  linSeen: boolean;
  sn1Seen: boolean;
}

/** Reads one 856 set (from `parseX12`) into shipped lines, or every problem it has. */
export function read856(set: X12TransactionSet, separators: X12Separators, options: ShipNotice856Options = {}): X12SetRead<ShipNotice> {
  const problems = new SetProblems(set);
  const preference = options.itemIdQualifiers ?? ["BP", "VN", "SK", "VP"];
  const unitsPerPack = options.unitsPerPack ?? {};
  const resolve = locationResolver(options.locationNames ?? {});
  const body = bodyOf(set);
  const bsn = body[0];
  let purpose = "";
  let shipmentId = "";
  let date: string | null = null;
  let time: string | null = null;
  let structureCode: string | null = null;
  if (bsn === undefined || bsn.id !== "BSN") {
    problems.segmentError(bsn ?? set.segments[0]!, "missing_segment", "an 856 starts with BSN after ST", "3");
  } else {
    purpose = element(bsn, 1);
    shipmentId = element(bsn, 2);
    if (!/^\d{2}$/.test(purpose)) problems.elementError(bsn, 1, "invalid_code", `BSN01 "${purpose}" is not a transaction set purpose code`, "7");
    if (shipmentId === "") problems.elementError(bsn, 2, "missing_element", "BSN02 (the shipment id) is missing", "1");
    date = dateElement(bsn, 3, problems, true);
    time = parseX12Time(element(bsn, 4));
    if (time === null) problems.elementError(bsn, 4, "invalid_element", `BSN04 "${element(bsn, 4)}" is not a time`, "9");
    structureCode = element(bsn, 5) || null;
  }

  const headingDates: X12Date[] = [];
  const levels: Level[] = [];
  const byId = new Map<string, Level>();
  let level: Level | null = null;
  let shipment: Level | null = null;
  let carrierScac: string | null = null;
  const references: { qualifier: string; value: string }[] = [];
  let shipTo: ShipNotice["shipTo"] = null;
  let ctt: X12Segment | null = null;

  for (const seg of body.slice(bsn?.id === "BSN" ? 1 : 0)) {
    if (ctt !== null) {
      problems.segmentError(seg, "unexpected_segment", `${seg.id} after CTT (the summary ends the set)`, "7");
      continue;
    }
    if (seg.id === "HL") {
      const id = element(seg, 1);
      const parentId = element(seg, 2);
      const code = element(seg, 3);
      const next: Level = { hl: seg, id, parent: null, code, dates: [], prf: null, man: null, lin: null, sn1: null, linSeen: false, sn1Seen: false };
      if (id === "") problems.elementError(seg, 1, "missing_element", "HL01 (the level's id) is missing", "1");
      else if (byId.has(id)) problems.elementError(seg, 1, "invalid_hierarchy", `HL01 ${id} is used twice`, "6");
      if (!LEVELS.has(code)) problems.elementError(seg, 3, "invalid_code", `HL03 "${code}" is not a level we read (S, O, P, T, I)`, "7");
      if (parentId !== "") {
        const parent = byId.get(parentId);
        if (parent === undefined) problems.elementError(seg, 2, "invalid_hierarchy", `HL02 ${parentId} is not an earlier level`, "6");
        else next.parent = parent;
      }
      if (levels.length === 0) {
        if (code !== "S" || parentId !== "") problems.segmentError(seg, "invalid_hierarchy", "the first HL is the shipment level (HL03 S, no parent)", "7");
        shipment = next;
      } else if (code === "S") {
        problems.segmentError(seg, "invalid_hierarchy", "a second shipment level (one BSN is one shipment)", "5");
      } else if (parentId === "") {
        problems.elementError(seg, 2, "invalid_hierarchy", "every level but the shipment has a parent (HL02)", "1");
      }
      levels.push(next);
      if (id !== "" && !byId.has(id)) byId.set(id, next);
      level = next;
      continue;
    }
    switch (seg.id) {
      case "DTM": {
        const d = dateElement(seg, 2, problems, true);
        if (d !== null) (level === null ? headingDates : level.dates).push({ qualifier: element(seg, 1), date: d });
        break;
      }
      case "PRF":
        if (level === null) problems.segmentError(seg, "unexpected_segment", "PRF before any HL", "7");
        else if (element(seg, 1) === "") problems.elementError(seg, 1, "missing_element", "PRF01 (the PO number) is missing", "1");
        else level.prf = { poNumber: element(seg, 1), poDate: dateElement(seg, 4, problems, false) };
        break;
      case "MAN":
        if (level !== null) level.man = element(seg, 2) || null;
        break;
      case "LIN": {
        if (level === null || level.code !== "I") {
          problems.segmentError(seg, "unexpected_segment", "LIN outside an item level (HL03 I)", "2");
          break;
        }
        level.linSeen = true;
        const ids = itemIds(seg, 2, problems);
        const sku = preferredId(ids, preference);
        if (sku === null) problems.segmentError(seg, "missing_item_id", `LIN has no id qualified ${preference.join(", ")}`, "8");
        level.lin = { sku: sku?.id ?? null, ids, seg };
        break;
      }
      case "SN1": {
        if (level === null || level.code !== "I") {
          problems.segmentError(seg, "unexpected_segment", "SN1 outside an item level (HL03 I)", "2");
          break;
        }
        level.sn1Seen = true;
        const q = unitQuantity(seg, 2, 3, separators, unitsPerPack, problems, true);
        if (q !== null) {
          if (q.quantity < 0) problems.elementError(seg, 2, "invalid_quantity", "SN102 (units shipped) cannot be negative", "6");
          else level.sn1 = { seg, quantity: q.quantity, unit: q.unit };
        }
        break;
      }
      case "TD5":
        if (level === shipment && element(seg, 3) !== "") carrierScac = element(seg, 3);
        break;
      case "REF":
        if (level === shipment && element(seg, 1) !== "") references.push({ qualifier: element(seg, 1), value: element(seg, 2) });
        break;
      case "N1":
        if (level === shipment && element(seg, 1) === "ST") {
          shipTo = {
            name: element(seg, 2) || null,
            idQualifier: element(seg, 3) || null,
            id: element(seg, 4) || null,
            locationId: partyLocationId(seg, resolve).id,
          };
        }
        break;
      case "CTT":
        ctt = seg;
        break;
      default:
        break; // TD1, TD3, PO4, PID, N3/N4…: nothing we apply
    }
  }

  if (levels.length === 0) problems.segmentError(set.segments[set.segments.length - 1]!, "missing_segment", "an 856 has at least one HL", "3");
  const items = levels.filter((l) => l.code === "I");
  if (ctt !== null) {
    const declared = element(ctt, 1);
    if (!/^\d+$/.test(declared) || (Number(declared) !== levels.length && Number(declared) !== items.length)) {
      problems.elementError(ctt, 1, "count_mismatch", `CTT01 says ${declared}; the set has ${levels.length} HL (${items.length} items)`, "6");
    }
  }

  const up = <T>(from: Level, pick: (l: Level) => T | null): T | null => {
    for (let l: Level | null = from; l !== null; l = l.parent) {
      const v = pick(l);
      if (v !== null) return v;
    }
    return null;
  };
  const dated = (dates: readonly X12Date[], ...qualifiers: string[]) => {
    for (const q of qualifiers) {
      const d = dates.find((x) => x.qualifier === q);
      if (d !== undefined) return d.date;
    }
    return null;
  };
  const lines: ShippedLine[] = [];
  for (const l of items) {
    if (!l.linSeen) problems.segmentError(l.hl, "missing_segment", `item level ${l.id} has no LIN`, "3");
    if (!l.sn1Seen) problems.segmentError(l.hl, "missing_segment", `item level ${l.id} has no SN1`, "3");
    const prf = up(l, (x) => x.prf);
    if (prf === null) problems.segmentError(l.hl, "missing_po_reference", `item level ${l.id} has no PRF (PO number) above it`, "3");
    if (l.lin === null || l.lin.sku === null || l.sn1 === null || prf === null) continue;
    lines.push({
      hlId: l.id,
      parentHlId: l.parent?.id ?? null,
      poNumber: prf.poNumber,
      poDate: prf.poDate,
      sku: l.lin.sku,
      itemIds: l.lin.ids,
      quantity: l.sn1.quantity,
      unit: l.sn1.unit,
      packId: up(l, (x) => (x.code === "P" || x.code === "T" ? x.man : null)),
      shippedDate: up(l, (x) => dated(x.dates, "011")) ?? dated(headingDates, "011"),
      expectedDeliveryDate: up(l, (x) => dated(x.dates, "017", "067")) ?? dated(headingDates, "017", "067"),
      segmentIndex: l.sn1.seg.index,
      line: l.sn1.seg.line,
    });
  }
  const shipmentDates = [...(shipment?.dates ?? []), ...headingDates];
  return problems.result(() => ({
    setControlNumber: set.controlNumber,
    purpose,
    shipmentId,
    date,
    time,
    structureCode,
    shippedDate: dated(shipmentDates, "011"),
    expectedDeliveryDate: dated(shipmentDates, "017", "067"),
    carrierScac,
    references,
    shipTo,
    lines,
  }));
}
