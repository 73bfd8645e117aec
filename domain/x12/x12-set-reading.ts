/**
 * What the readers of transaction sets (846, 855, 856) share: element access in X12
 * numbering, problems at a segment's position in its set (with the 997 codes they map
 * to), item identifier pairs, dates and quantities with units. A set is read whole: a
 * reader collects every problem and returns the set's content only when there is none.
 * Pure.
 */
import { LOCATION_ID } from "../vendor-formats/location-names";
import { parseX12Date, parseX12Decimal } from "./x12-data-types";
import type { X12AckHint, X12Issue, X12IssueCode, X12Segment, X12Separators, X12TransactionSet } from "./x12-interchange";

/** A set read whole: its content, or every problem found (then nothing of it is usable). */
export type X12SetRead<T> = { ok: true; value: T; warnings: X12Issue[] } | { ok: false; errors: X12Issue[]; warnings: X12Issue[] };

/** An item identifier pair (LIN, PO1, SLN: 235 product/service id qualifier and 234 product/service id). */
export interface X12ItemId {
  /** 235: BP buyer's part number, SK stock keeping unit, VN vendor's item number, VP vendor's part number, UP UPC, EN EAN, UK GTIN-14, IN buyer's item number… */
  qualifier: string;
  id: string;
}

/** A dated reference (DTM01 374 date/time qualifier: 011 shipped, 017 estimated delivery, 018 available…; DTM02 the date, ISO). */
export interface X12Date {
  qualifier: string;
  date: string;
}

/** Units per unit-of-measure code (355: EA each, CA case, PK package, BX box, DZ dozen…); EA is always 1. */
export type UnitsPerPack = Readonly<Record<string, number>>;

/** The nth element of a segment in X12 numbering (`element(n1, 4)` = N104), "" when absent. */
export function element(seg: X12Segment, n: number): string {
  return seg.elements[n] ?? "";
}

/** Problems and notes about one set, each at its segment's position. */
export class SetProblems {
  readonly errors: X12Issue[] = [];
  readonly warnings: X12Issue[] = [];
  readonly #set: X12TransactionSet;

  constructor(set: X12TransactionSet) {
    this.#set = set;
  }

  /** The position of a segment in the set (ST = 1), as AK302 counts. */
  position(seg: X12Segment): number {
    return seg.index - this.#set.segments[0]!.index + 1;
  }

  #issue(seg: X12Segment, code: X12IssueCode, message: string, elementPosition: number | null, ack: X12AckHint): X12Issue {
    return {
      code,
      message,
      segmentIndex: seg.index,
      line: seg.line,
      segmentId: seg.id,
      groupControlNumber: this.#set.groupControlNumber,
      setControlNumber: this.#set.controlNumber,
      positionInSet: this.position(seg),
      elementPosition,
      badValue: elementPosition === null ? null : (seg.elements[elementPosition] ?? null),
      ack: { setCode: "5", ...ack },
    };
  }

  /** A problem with one element (AK3 code 8 "segment has data element errors", AK4 with `elementCode`, 723). */
  elementError(seg: X12Segment, n: number, code: X12IssueCode, message: string, elementCode: string): void {
    this.errors.push(this.#issue(seg, code, message, n, { segmentCode: "8", elementCode }));
  }

  /** A problem with a whole segment (`segmentCode`, 720: 2 unexpected, 3 mandatory missing, 7 out of sequence, 8 element errors). */
  segmentError(seg: X12Segment, code: X12IssueCode, message: string, segmentCode: string): void {
    this.errors.push(this.#issue(seg, code, message, null, { segmentCode }));
  }

  /** A note that does not fail the set. */
  warning(seg: X12Segment, code: X12IssueCode, message: string): void {
    this.warnings.push({ ...this.#issue(seg, code, message, null, {}), ack: {} });
  }

  /** The reader's answer: the value when nothing failed. */
  result<T>(value: () => T): X12SetRead<T> {
    return this.errors.length === 0 ? { ok: true, value: value(), warnings: this.warnings } : { ok: false, errors: this.errors, warnings: this.warnings };
  }
}

/** The segments between ST and SE (or to the end when SE is missing). */
export function bodyOf(set: X12TransactionSet): X12Segment[] {
  const segs = set.segments.slice(1);
  return segs.length > 0 && segs[segs.length - 1]!.id === "SE" ? segs.slice(0, -1) : segs;
}

/** The qualifier/id pairs of a segment from element `from` on (LIN02/03, …; PO106/07, …). */
export function itemIds(seg: X12Segment, from: number, problems: SetProblems): X12ItemId[] {
  const ids: X12ItemId[] = [];
  for (let n = from; n < seg.elements.length; n += 2) {
    const qualifier = element(seg, n);
    const id = element(seg, n + 1);
    if (qualifier === "" && id === "") continue;
    // Paired elements (X12 syntax note P): one without the other is an error.
    if (qualifier === "") problems.elementError(seg, n, "missing_element", `${seg.id}${String(n).padStart(2, "0")} (qualifier of "${id}") is missing`, "2");
    else if (id === "")
      problems.elementError(seg, n + 1, "missing_element", `${seg.id}${String(n + 1).padStart(2, "0")} (the ${qualifier} id) is missing`, "2");
    else ids.push({ qualifier, id });
  }
  return ids;
}

/** The first id whose qualifier comes first in the preference list, or null. */
export function preferredId(ids: readonly X12ItemId[], preference: readonly string[]): X12ItemId | null {
  for (const qualifier of preference) {
    const found = ids.find((i) => i.qualifier === qualifier);
    if (found !== undefined) return found;
  }
  return null;
}

/** A DT element as an ISO date, reporting a bad one (723 code 8 "invalid date"); null when absent or bad. */
export function dateElement(seg: X12Segment, n: number, problems: SetProblems, required: boolean): string | null {
  const text = element(seg, n);
  if (text === "") {
    if (required) problems.elementError(seg, n, "missing_element", `${seg.id}${String(n).padStart(2, "0")} (a date) is missing`, "1");
    return null;
  }
  const date = parseX12Date(text);
  if (date === null) problems.elementError(seg, n, "invalid_date", `${seg.id}${String(n).padStart(2, "0")} "${text}" is not a date (CCYYMMDD)`, "8");
  return date;
}

/**
 * A quantity element (R) with its unit element, in units: the unit's first component (a
 * composite C001 in 5010) must be EA or in `unitsPerPack`, and the result a whole number.
 * Reports the problem and returns null when it is not usable.
 */
export function unitQuantity(
  seg: X12Segment,
  quantityAt: number,
  unitAt: number,
  separators: X12Separators,
  unitsPerPack: UnitsPerPack,
  problems: SetProblems,
  required: boolean,
): { quantity: number; unit: string; sent: number } | null {
  const text = element(seg, quantityAt);
  const name = `${seg.id}${String(quantityAt).padStart(2, "0")}`;
  if (text === "") {
    if (required) problems.elementError(seg, quantityAt, "missing_element", `${name} (the quantity) is missing`, "1");
    return null;
  }
  const sent = parseX12Decimal(text);
  if (sent === null) {
    problems.elementError(seg, quantityAt, "invalid_element", `${name} "${text}" is not a number`, "6");
    return null;
  }
  const unit = element(seg, unitAt).split(separators.component)[0] || "EA";
  const per = unit === "EA" ? 1 : Object.hasOwn(unitsPerPack, unit) ? unitsPerPack[unit] : undefined;
  if (per === undefined || !Number.isSafeInteger(per) || per < 1) {
    problems.elementError(seg, unitAt, "unsupported_unit", `unit "${unit}" has no units-per-pack in the vendor's settings (EA is 1)`, "7");
    return null;
  }
  const quantity = sent * per;
  if (!Number.isSafeInteger(quantity)) {
    problems.elementError(seg, quantityAt, "invalid_quantity", `${name} "${text}" ${unit} is not a whole number of units`, "6");
    return null;
  }
  return { quantity: quantity === 0 ? 0 : quantity, unit, sent };
}

/**
 * Our location id for a party (N1): N103 (66, identification code qualifier) 92 means
 * "assigned by buyer" — we are the buyer, so N104 is our own location id, taken as is;
 * any other qualifier (91 assigned by seller, 1 DUNS, UL GLN…) is the vendor's code, looked
 * up in its location table by N104, then by the name N102. Null when the table has neither.
 */
export function partyLocationId(n1: X12Segment, resolve: (name: string) => string | null): { id: string | null; ours: boolean } {
  const id = element(n1, 4);
  const name = element(n1, 2);
  if (element(n1, 3) === "92") return { id: LOCATION_ID.test(id) ? id : null, ours: true };
  return { id: (id === "" ? null : resolve(id)) ?? (name === "" ? null : resolve(name)), ours: false };
}
