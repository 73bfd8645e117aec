/**
 * Reading an X12 846 Inventory Inquiry/Advice into stock items, whole or not at all.
 *
 * - `BIA` (mandatory, first): BIA01 purpose (00 original…), BIA02 report type (DD
 *   distributor inventory report, SI seller inventory report, MM…), BIA03 reference, BIA04
 *   date, BIA05 time.
 * - Heading `N1` loops: an N1 whose N101 (98, entity identifier) names a stock location —
 *   WH warehouse, SF ship from, ST ship to, SN store, RL reporting location — is the
 *   location of every quantity that has no location of its own. With N103 = 92 (assigned
 *   by the buyer: us) N104 is our location id; otherwise N104, then the name N102, is
 *   looked up in the vendor's location-name table (`partyLocationId`).
 *   Other N1s (SU supplier…) are not locations. Two heading locations are ambiguous.
 * - `LIN` starts an item: LIN02/03, LIN04/05… are qualifier/id pairs (235/234); the SKU is
 *   the id of the first qualifier in the vendor's preference (default BP buyer's part
 *   number — our SKU when the vendor echoes it —, then SK, VN, VP).
 * - In a LIN loop, an `N1` naming a location applies to the `QTY`s after it (a vendor
 *   reporting several warehouses repeats N1 + QTY); `QTY01` (673) qualifies the quantity:
 *   17 quantity on hand, 33 quantity available for sale, others (02 cumulative, 63 on
 *   order, BQ backorder…) are kept as `otherQuantities`. QTY02 is the quantity (R), QTY03
 *   its unit (355; the first component of the composite in 5010), converted to units
 *   through the vendor's units-per-pack (EA = 1). `DTM`s of the LIN loop are kept (018
 *   available, 036 expiration…).
 * - `SDQ` (destination quantities) is not read: it is refused rather than silently lost.
 * - `CTT01`, when present, must equal the number of LIN segments.
 *
 * One set has one `quantityKind`: the vendor's setting, or with `auto`, on-hand when any
 * QTY of the set is an on-hand qualifier, else available. Every item (LIN × location) must
 * then have exactly one QTY of that kind. Pure.
 */
import { locationResolver, type LocationNameTable } from "../vendor-formats/location-names";
import type { QuantityKind, VendorFeedItem } from "../vendor-formats/vendor-feed-items";
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

export interface Inventory846Options {
  locationNames: LocationNameTable;
  /** LIN qualifiers whose id is our SKU, in preference order; default BP, SK, VN, VP. */
  itemIdQualifiers?: readonly string[];
  /** Default `auto` (see the module comment). */
  quantity?: "auto" | QuantityKind;
  /** QTY01 codes and what they are; default 17 on hand, 33 available. */
  qualifierKinds?: Readonly<Record<string, QuantityKind>>;
  unitsPerPack?: UnitsPerPack;
  /** N101 codes that name a stock location; default WH, SF, ST, SN, RL. */
  locationEntityCodes?: readonly string[];
}

export interface InventoryAdviceItem extends VendorFeedItem {
  /** The QTY segment the quantity came from. */
  segmentIndex: number;
  positionInSet: number;
  /** QTY01 of the quantity used. */
  qualifier: string;
  /** QTY03 as sent (the quantity is in units). */
  unit: string;
  itemIds: X12ItemId[];
  otherQuantities: { qualifier: string; quantity: number; unit: string }[];
  dates: X12Date[];
}

export interface InventoryAdvice {
  setControlNumber: string;
  /** BIA01, BIA02, BIA03. */
  purpose: string;
  reportType: string;
  reference: string;
  /** BIA04 as an ISO date; BIA05 as HH:MM[:SS]. */
  date: string | null;
  time: string | null;
  quantityKind: QuantityKind;
  items: InventoryAdviceItem[];
  /** Heading DTMs. */
  dates: X12Date[];
}

const DEFAULT_QUALIFIERS = ["BP", "SK", "VN", "VP"];
const DEFAULT_KINDS: Readonly<Record<string, QuantityKind>> = { "17": "on_hand", "33": "available" };
const DEFAULT_LOCATION_CODES = ["WH", "SF", "ST", "SN", "RL"];

interface Quantity {
  seg: X12Segment;
  qualifier: string;
  quantity: number;
  unit: string;
}
interface Line {
  lin: X12Segment;
  sku: string | null;
  ids: X12ItemId[];
  dates: X12Date[];
  /** Per location (our id), the QTYs in order. */
  byLocation: Map<string, Quantity[]>;
  /** QTY segments of the loop, readable or not. */
  quantitiesSeen: number;
}

/** Reads one 846 set (from `parseX12`) into stock items, or every problem it has. */
export function read846(set: X12TransactionSet, separators: X12Separators, options: Inventory846Options): X12SetRead<InventoryAdvice> {
  const problems = new SetProblems(set);
  const resolve = locationResolver(options.locationNames);
  const preference = options.itemIdQualifiers ?? DEFAULT_QUALIFIERS;
  const kinds = options.qualifierKinds ?? DEFAULT_KINDS;
  const kindOf = (q: string): QuantityKind | null => (Object.hasOwn(kinds, q) ? kinds[q]! : null);
  const unitsPerPack = options.unitsPerPack ?? {};
  const locationCodes = new Set(options.locationEntityCodes ?? DEFAULT_LOCATION_CODES);
  const body = bodyOf(set);

  const bia = body[0];
  let purpose = "";
  let reportType = "";
  let reference = "";
  let date: string | null = null;
  let time: string | null = null;
  if (bia === undefined || bia.id !== "BIA") {
    problems.segmentError(bia ?? set.segments[0]!, "missing_segment", "an 846 starts with BIA after ST", "3");
  } else {
    purpose = element(bia, 1);
    reportType = element(bia, 2);
    reference = element(bia, 3);
    if (!/^\d{2}$/.test(purpose)) problems.elementError(bia, 1, "invalid_code", `BIA01 "${purpose}" is not a transaction set purpose code`, "7");
    if (!/^[A-Z0-9]{2}$/.test(reportType)) problems.elementError(bia, 2, "invalid_code", `BIA02 "${reportType}" is not a report type code`, "7");
    if (reference === "") problems.elementError(bia, 3, "missing_element", "BIA03 (the reference) is missing", "1");
    date = dateElement(bia, 4, problems, true);
    if (element(bia, 5) !== "") {
      time = parseX12Time(element(bia, 5));
      if (time === null) problems.elementError(bia, 5, "invalid_element", `BIA05 "${element(bia, 5)}" is not a time`, "9");
    }
  }

  /** The location an N1 names: null when it names none; undefined (after an error) when it is not in the table. */
  const locationOf = (n1: X12Segment): string | null | undefined => {
    if (!locationCodes.has(element(n1, 1))) return null;
    const found = partyLocationId(n1, resolve);
    if (found.id === null) {
      if (found.ours) problems.elementError(n1, 4, "invalid_element", `N104 "${element(n1, 4)}" (qualified 92, our code) is not a location id`, "6");
      else {
        const shown = [element(n1, 4), element(n1, 2)]
          .filter((v) => v !== "")
          .map((v) => `"${v}"`)
          .join(" / ");
        problems.segmentError(n1, "unknown_location_name", `the location ${shown || "(unnamed)"} is not in the vendor's location table`, "8");
      }
      return undefined;
    }
    return found.id;
  };

  const headingDates: X12Date[] = [];
  let headingLocation: string | null | undefined = null;
  let headingLocationSeg: X12Segment | null = null;
  const lines: Line[] = [];
  let line: Line | null = null;
  let lineLocation: string | null | undefined = null;
  let ctt: X12Segment | null = null;

  for (const seg of body.slice(bia?.id === "BIA" ? 1 : 0)) {
    if (ctt !== null) {
      problems.segmentError(seg, "unexpected_segment", `${seg.id} after CTT (the summary ends the set)`, "7");
      continue;
    }
    switch (seg.id) {
      case "BIA":
        problems.segmentError(seg, "unexpected_segment", "a second BIA", "5");
        break;
      case "LIN": {
        const ids = itemIds(seg, 2, problems);
        const sku = preferredId(ids, preference);
        if (sku === null)
          problems.segmentError(
            seg,
            "missing_item_id",
            `LIN has no id qualified ${preference.join(", ")} (it has ${ids.map((i) => i.qualifier).join(", ") || "none"})`,
            "8",
          );
        line = { lin: seg, sku: sku?.id ?? null, ids, dates: [], byLocation: new Map(), quantitiesSeen: 0 };
        lines.push(line);
        lineLocation = null;
        break;
      }
      case "N1": {
        const location = locationOf(seg);
        if (line === null) {
          if (location === null) break;
          if (headingLocationSeg !== null) {
            problems.segmentError(
              seg,
              "ambiguous_location",
              `a second heading location (the first is at segment ${problems.position(headingLocationSeg)}); give locations per LIN instead`,
              "5",
            );
            break;
          }
          headingLocation = location;
          headingLocationSeg = seg;
        } else if (location !== null) {
          lineLocation = location;
        }
        break;
      }
      case "DTM": {
        const d = dateElement(seg, 2, problems, true);
        if (d !== null) (line === null ? headingDates : line.dates).push({ qualifier: element(seg, 1), date: d });
        break;
      }
      case "QTY": {
        if (line === null) {
          problems.segmentError(seg, "unexpected_segment", "QTY before any LIN", "7");
          break;
        }
        line.quantitiesSeen += 1;
        const qualifier = element(seg, 1);
        if (!/^[A-Z0-9]{2}$/.test(qualifier)) {
          problems.elementError(seg, 1, "invalid_code", `QTY01 "${qualifier}" is not a quantity qualifier`, "7");
          break;
        }
        const q = unitQuantity(seg, 2, 3, separators, unitsPerPack, problems, true);
        if (q === null) break;
        const location = lineLocation !== null ? lineLocation : headingLocation;
        if (location === undefined) break; // its N1 was not in the table: already reported
        if (location === null) {
          problems.segmentError(seg, "missing_location", "no location for this quantity: give an N1 (WH…) in the heading or in the LIN loop before it", "8");
          break;
        }
        const list = line.byLocation.get(location) ?? [];
        list.push({ seg, qualifier, quantity: q.quantity, unit: q.unit });
        line.byLocation.set(location, list);
        break;
      }
      case "SDQ":
        problems.segmentError(seg, "unsupported_segment", "SDQ (destination quantities) is not read; send N1 + QTY per location instead", "2");
        break;
      case "CTT":
        ctt = seg;
        break;
      default:
        // Other 846 segments (CUR, REF, PER, MEA, N2–N4, PID, CTP, SCH, LDT, LS, LE…) carry nothing we apply.
        break;
    }
  }

  if (lines.length === 0) problems.segmentError(set.segments[set.segments.length - 1]!, "missing_segment", "an 846 has at least one LIN", "3");
  if (ctt !== null) {
    const declared = element(ctt, 1);
    if (!/^\d+$/.test(declared)) problems.elementError(ctt, 1, "invalid_element", `CTT01 "${declared}" is not a count`, "6");
    else if (Number(declared) !== lines.length)
      problems.elementError(ctt, 1, "count_mismatch", `CTT01 says ${declared} line items; the set has ${lines.length} LIN`, "6");
  }

  let kind: QuantityKind;
  if (options.quantity === "on_hand" || options.quantity === "available") kind = options.quantity;
  else {
    const anyOnHand = lines.some((l) => [...l.byLocation.values()].some((qs) => qs.some((q) => kindOf(q.qualifier) === "on_hand")));
    kind = anyOnHand ? "on_hand" : "available";
  }
  const wanted = Object.keys(kinds).filter((q) => kinds[q] === kind);

  const items: InventoryAdviceItem[] = [];
  for (const l of lines) {
    if (l.quantitiesSeen === 0) {
      problems.segmentError(l.lin, "missing_quantity", "the LIN has no QTY", "3");
      continue;
    }
    for (const [locationId, quantities] of l.byLocation) {
      const chosen = quantities.filter((q) => kindOf(q.qualifier) === kind);
      if (chosen.length === 0) {
        problems.segmentError(
          l.lin,
          "missing_quantity",
          `no QTY ${wanted.join("/")} (${kind}) for ${l.sku ?? "this item"} at ${locationId}; this set's quantities are ${kind}`,
          "3",
        );
        continue;
      }
      if (chosen.length > 1) {
        problems.segmentError(chosen[1]!.seg, "duplicate_quantity", `a second QTY ${chosen[1]!.qualifier} for ${l.sku ?? "this item"} at ${locationId}`, "5");
        continue;
      }
      if (l.sku === null) continue;
      const q = chosen[0]!;
      items.push({
        itemIndex: items.length,
        row: q.seg.line,
        column: null,
        sku: l.sku,
        locationId,
        quantity: q.quantity,
        segmentIndex: q.seg.index,
        positionInSet: problems.position(q.seg),
        qualifier: q.qualifier,
        unit: q.unit,
        itemIds: l.ids,
        otherQuantities: quantities.filter((x) => x !== q).map((x) => ({ qualifier: x.qualifier, quantity: x.quantity, unit: x.unit })),
        dates: l.dates,
      });
    }
  }
  return problems.result(() => ({
    setControlNumber: set.controlNumber,
    purpose,
    reportType,
    reference,
    date,
    time,
    quantityKind: kind,
    items,
    dates: headingDates,
  }));
}
