/**
 * A strict reader of X12 interchanges (ISA … IEA), written for this code base: no
 * dependency, no clock, never throws. It reads the envelopes and splits the transaction
 * sets; the readers of each set (846, 855, 856) interpret their content.
 *
 * **Separators come from the ISA**, which is fixed width (106 characters, X12.5): the
 * element separator is its 4th character, the component (sub-element) separator is ISA16
 * (the 105th), and the segment terminator is the character right after ISA16 (the 106th).
 * From version 00402 on, ISA11 is the repetition separator when it is not a letter or
 * digit (before, ISA11 is the standards identifier `U`).
 *
 * **Tolerated, as files arrive in practice**: a UTF-8 BOM; whitespace and line breaks
 * after a terminator (pretty-printed, indented files); a line break as the terminator
 * itself (newline-only files: then the ISA's 106th character is the line break); and a
 * segment whose terminator is missing but which ends at a line break — read as a segment,
 * with a `missing_segment_terminator` warning at its line.
 *
 * **Checked, per X12.5/X12.6**: every envelope segment's elements; ISA13 = IEA02 and
 * IEA01 = number of groups; GS06 = GE02 and GE01 = number of sets; ST02 = SE02 and SE01 =
 * number of segments from ST to SE inclusive; set control numbers unique in their group;
 * segment ids well formed. Every problem names its position: the segment's 0-based index
 * in the interchange (ISA = 0), its line, its position in the set (ST = 1, as AK302
 * counts) and the group and set control numbers.
 *
 * **All or nothing per set.** A set is `ok` only when it, its group and the interchange
 * envelope are all sound, so a caller that applies `ok` sets never applies a set whose
 * envelope failed; the 997 (`x12-997.ts`) reports each one.
 */
import { parseX12Date, parseX12Time } from "./x12-data-types";

export interface X12Separators {
  element: string;
  component: string;
  segment: string;
  /** ISA11 from version 00402 on; null before (ISA11 is then the standards identifier). */
  repetition: string | null;
}

export interface X12Segment {
  /** The segment id (`LIN`, `QTY`, …). */
  id: string;
  /** `elements[0]` is the id; `elements[n]` is the nth element in X12 numbering (`N104` = `elements[4]`). */
  elements: string[];
  /** 0-based position in the interchange (ISA = 0). */
  index: number;
  /** 1-based line of the segment's first character. */
  line: number;
}

/** The codes of X12 problems, from the envelope reader and the set readers. */
export type X12IssueCode =
  // Interchange
  | "missing_segment_terminator"
  | "empty_segment"
  | "segment_outside_group"
  | "missing_iea"
  | "iea_control_mismatch"
  | "iea_group_count"
  | "invalid_iea"
  | "data_after_iea"
  // Group
  | "invalid_gs"
  | "missing_ge"
  | "ge_control_mismatch"
  | "ge_set_count"
  | "invalid_ge"
  | "segment_outside_set"
  // Set
  | "invalid_st"
  | "duplicate_set_control_number"
  | "missing_se"
  | "se_control_mismatch"
  | "se_segment_count"
  | "invalid_se"
  | "malformed_segment"
  // Set content (the set readers)
  | "unsupported_transaction_set"
  | "missing_segment"
  | "unexpected_segment"
  | "unsupported_segment"
  | "missing_element"
  | "invalid_element"
  | "invalid_code"
  | "invalid_date"
  | "invalid_quantity"
  | "unsupported_unit"
  | "missing_item_id"
  | "missing_location"
  | "ambiguous_location"
  | "unknown_location_name"
  | "missing_quantity"
  | "duplicate_quantity"
  | "count_mismatch"
  | "invalid_hierarchy"
  | "missing_po_reference"
  | "ack_without_line"
  // Against our purchase orders (services/purchase-order-edi.ts, domain/purchase-order-edi.ts)
  | "unknown_purchase_order"
  | "purchase_order_state"
  | "line_not_on_order"
  | "sku_mismatch"
  | "quantity_exceeds_order"
  | "unknown_quantity"
  | "ship_to_mismatch"
  | "nothing_shipped";

/**
 * The X12 acknowledgment codes a problem maps to, for the 997: 718 (AK5 transaction set
 * syntax error), 716 (AK9 functional group syntax error), 720 (AK304 segment syntax
 * error), 723 (AK403 data element syntax error).
 */
export interface X12AckHint {
  setCode?: string;
  groupCode?: string;
  segmentCode?: string;
  elementCode?: string;
}

/** A problem at a position of an interchange. */
export interface X12Issue {
  code: X12IssueCode;
  message: string;
  segmentIndex: number | null;
  line: number | null;
  segmentId: string | null;
  groupControlNumber: string | null;
  setControlNumber: string | null;
  /** Position in the transaction set, ST = 1 (AK302); null outside a set. */
  positionInSet: number | null;
  /** 1-based element position in the segment (AK401), when the problem is one element. */
  elementPosition: number | null;
  /** The bad element as sent (AK404), when one. */
  badValue: string | null;
  ack: X12AckHint;
}

/** The interchange header (ISA), values trimmed of their fixed-width padding. */
export interface X12InterchangeHeader {
  authorizationQualifier: string;
  authorization: string;
  securityQualifier: string;
  security: string;
  senderQualifier: string;
  senderId: string;
  receiverQualifier: string;
  receiverId: string;
  /** ISA09 as an ISO date. */
  date: string;
  /** ISA10 as HH:MM. */
  time: string;
  /** ISA12, e.g. `00401`, `00501`. */
  version: string;
  /** ISA13, nine digits as sent. */
  controlNumber: string;
  /** ISA14: the sender asks for a TA1. */
  acknowledgmentRequested: boolean;
  /** ISA15: P production, T test, I information. */
  usage: string;
}

export interface X12TransactionSet {
  /** ST01, e.g. `846`. */
  id: string;
  /** ST02 as sent. */
  controlNumber: string;
  /** ST03 (5010 implementation convention reference), when sent. */
  implementationReference: string | null;
  /** GS01 and GS06 of its group. */
  functionalId: string;
  groupControlNumber: string;
  /** Whether the set may be applied: no error in it, its group or the interchange envelope. */
  ok: boolean;
  /** The set's own errors (envelope and malformed segments); the set readers add content errors. */
  errors: X12Issue[];
  /** ST through SE inclusive (or as far as the set went). */
  segments: X12Segment[];
}

export interface X12Group {
  /** GS01: IB (846), PO (850), PR (855), SH (856), FA (997). */
  functionalId: string;
  applicationSender: string;
  applicationReceiver: string;
  /** GS04 as an ISO date, or null when it is not one (then an error says so). */
  date: string | null;
  time: string | null;
  /** GS06 as sent. */
  controlNumber: string;
  /** GS08, e.g. `004010`. */
  version: string;
  /** GE01 as sent (a number), or null without a readable GE. */
  declaredSetCount: number | null;
  /** Whether the group's envelope and the interchange's are sound. */
  ok: boolean;
  /** The group's own errors (GS/GE, segments between sets). */
  errors: X12Issue[];
  sets: X12TransactionSet[];
  segmentIndex: number;
  line: number;
}

export interface X12Interchange {
  separators: X12Separators;
  header: X12InterchangeHeader;
  /** No envelope error at the interchange level (warnings do not count). */
  ok: boolean;
  /** Interchange-level errors (IEA, segments outside any group, data after IEA). */
  errors: X12Issue[];
  /** Notes that change nothing: missing terminators at line ends, empty segments. */
  warnings: X12Issue[];
  groups: X12Group[];
}

/** A text that is not an interchange at all: nothing in it can be read. */
export interface X12Failure {
  ok: false;
  code: "empty" | "not_x12" | "invalid_isa";
  message: string;
  line: number | null;
  /** The ISA element at fault (1–16), when one. */
  elementPosition: number | null;
}

export type X12ParseResult = { ok: true; interchange: X12Interchange } | X12Failure;

/** ISA01 … ISA16 widths (X12.5). */
const ISA_WIDTHS = [2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1] as const;
/** The ISA's length including its terminator. */
export const ISA_LENGTH = 106;
const WHITESPACE = new Set([" ", "\t", "\r", "\n"]);
const SEGMENT_ID = /^[A-Z][A-Z0-9]{1,2}$/;

/** Line numbers of offsets, by binary search over the line starts. */
function lineIndex(text: string): (offset: number) => number {
  const starts = [0];
  for (let i = 0; i < text.length; i++) if (text[i] === "\n") starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

function isaFailure(message: string, line: number, elementPosition: number | null): X12Failure {
  return { ok: false, code: "invalid_isa", message, line, elementPosition };
}

/** Reads the fixed-width ISA at `start`: its elements and the separators it declares. */
function readIsa(text: string, start: number, line: number): { elements: string[]; separators: X12Separators } | X12Failure {
  const isa = text.slice(start, start + ISA_LENGTH);
  if (isa.length < ISA_LENGTH)
    return isaFailure(`the ISA segment is fixed width (${ISA_LENGTH} characters with its terminator); only ${isa.length} are there`, line, null);
  const element = isa[3]!;
  const elements = ["ISA"];
  let at = 3;
  for (let n = 0; n < ISA_WIDTHS.length; n++) {
    if (isa[at] !== element) return isaFailure(`ISA${String(n).padStart(2, "0")} must be ${ISA_WIDTHS[n - 1]} characters (the ISA is fixed width)`, line, n);
    elements.push(isa.slice(at + 1, at + 1 + ISA_WIDTHS[n]!));
    at += 1 + ISA_WIDTHS[n]!;
  }
  const component = elements[16]!;
  const segment = isa[105]!;
  const fixed = /[A-Za-z0-9]/;
  if (fixed.test(element) || WHITESPACE.has(element)) return isaFailure(`"${element}" cannot be the element separator`, line, null);
  if (fixed.test(component) || WHITESPACE.has(component)) return isaFailure(`ISA16 "${component}" cannot be the component separator`, line, 16);
  if (fixed.test(segment) || segment === " " || segment === "\t") return isaFailure(`"${segment}" (after ISA16) cannot be the segment terminator`, line, 16);
  if (new Set([element, component, segment]).size !== 3)
    return isaFailure("the element separator, component separator (ISA16) and segment terminator must differ", line, 16);
  const version = elements[12]!;
  const isa11 = elements[11]!;
  const repetition = /^\d{5}$/.test(version) && version >= "00402" && !fixed.test(isa11) ? isa11 : null;
  if (repetition !== null && [element, component, segment].includes(repetition))
    return isaFailure("the repetition separator (ISA11) must differ from the other separators", line, 11);
  const checks: [number, RegExp, string][] = [
    [1, /^\d{2}$/, "an authorization qualifier (2 digits)"],
    [3, /^\d{2}$/, "a security qualifier (2 digits)"],
    [5, /^[A-Z0-9]{2}$/, "an interchange id qualifier"],
    [6, /\S/, "the sender id"],
    [7, /^[A-Z0-9]{2}$/, "an interchange id qualifier"],
    [8, /\S/, "the receiver id"],
    [12, /^\d{5}$/, "a version number (5 digits)"],
    [13, /^\d{9}$/, "the interchange control number (9 digits)"],
    [14, /^[01]$/, "0 or 1 (acknowledgment requested)"],
    [15, /^[PTI]$/, "P, T or I (usage)"],
  ];
  for (const [n, re, what] of checks) {
    if (!re.test(elements[n]!)) return isaFailure(`ISA${String(n).padStart(2, "0")} "${elements[n]}" is not ${what}`, line, n);
  }
  if (parseX12Date(elements[9]!) === null) return isaFailure(`ISA09 "${elements[9]}" is not a date (YYMMDD)`, line, 9);
  if (parseX12Time(elements[10]!) === null) return isaFailure(`ISA10 "${elements[10]}" is not a time (HHMM)`, line, 10);
  return { elements, separators: { element, component, segment, repetition } };
}

interface RawSegment {
  text: string;
  offset: number;
  /** The segment's terminator was missing: a line break ended it, or the text did. */
  missingTerminator: "line_break" | "end" | null;
}

/**
 * Splits the text after the ISA into segment texts at the terminator, skipping the
 * whitespace around them; a line break inside a segment text (when the terminator is not
 * a line break) ends a segment whose terminator is missing.
 */
function splitSegments(text: string, from: number, terminator: string, emptySegment: (offset: number) => void): RawSegment[] {
  const out: RawSegment[] = [];
  const lineBreakTerminator = terminator === "\n" || terminator === "\r";
  let pos = from;
  while (pos < text.length) {
    let end = text.indexOf(terminator, pos);
    const terminated = end !== -1;
    if (!terminated) end = text.length;
    let a = pos;
    while (a < end && WHITESPACE.has(text[a]!)) a++;
    let b = end;
    while (b > a && WHITESPACE.has(text[b - 1]!)) b--;
    if (a === b) {
      if (terminated && !lineBreakTerminator) emptySegment(pos);
    } else {
      const body = text.slice(a, b);
      const pieces = lineBreakTerminator ? [body] : body.split(/(\r\n|\r|\n)/);
      let offset = a;
      for (let i = 0; i < pieces.length; i += 2) {
        const piece = pieces[i]!;
        const lead = piece.length - piece.trimStart().length;
        const trimmed = piece.trim();
        const last = i === pieces.length - 1;
        if (trimmed !== "") out.push({ text: trimmed, offset: offset + lead, missingTerminator: !last ? "line_break" : terminated ? null : "end" });
        offset += piece.length + (pieces[i + 1]?.length ?? 0);
      }
    }
    pos = end + 1;
  }
  return out;
}

interface OpenSet {
  set: X12TransactionSet;
  st: X12Segment;
}

interface OpenGroup {
  group: X12Group;
  gs: X12Segment;
  controlNumbers: Set<string>;
}

/**
 * Reads an interchange. `ok: true` means the text was readable as one (the ISA was sound);
 * each group and set then says whether it may be applied (`ok`) and what is wrong with it.
 */
export function parseX12(input: string): X12ParseResult {
  const text = input.startsWith("\uFEFF") ? input.slice(1) : input;
  const lineOf = lineIndex(text);
  let start = 0;
  while (start < text.length && WHITESPACE.has(text[start]!)) start++;
  if (start === text.length) return { ok: false, code: "empty", message: "there is no data", line: null, elementPosition: null };
  if (!text.startsWith("ISA", start)) {
    return { ok: false, code: "not_x12", message: "an X12 interchange starts with an ISA segment", line: lineOf(start), elementPosition: null };
  }
  const isa = readIsa(text, start, lineOf(start));
  if ("ok" in isa) return isa;
  const { separators } = isa;
  const e = isa.elements;
  const header: X12InterchangeHeader = {
    authorizationQualifier: e[1]!,
    authorization: e[2]!.trimEnd(),
    securityQualifier: e[3]!,
    security: e[4]!.trimEnd(),
    senderQualifier: e[5]!,
    senderId: e[6]!.trimEnd(),
    receiverQualifier: e[7]!,
    receiverId: e[8]!.trimEnd(),
    date: parseX12Date(e[9]!)!,
    time: parseX12Time(e[10]!)!,
    version: e[12]!,
    controlNumber: e[13]!,
    acknowledgmentRequested: e[14] === "1",
    usage: e[15]!,
  };

  const errors: X12Issue[] = [];
  const warnings: X12Issue[] = [];
  const groups: X12Group[] = [];
  const issue = (
    code: X12IssueCode,
    message: string,
    seg: X12Segment | null,
    where: { group?: string | null; set?: string | null; position?: number | null; element?: number | null; bad?: string | null; ack?: X12AckHint } = {},
  ): X12Issue => ({
    code,
    message,
    segmentIndex: seg?.index ?? null,
    line: seg?.line ?? null,
    segmentId: seg?.id ?? null,
    groupControlNumber: where.group ?? null,
    setControlNumber: where.set ?? null,
    positionInSet: where.position ?? null,
    elementPosition: where.element ?? null,
    badValue: where.bad ?? null,
    ack: where.ack ?? {},
  });

  const raw = splitSegments(text, start + ISA_LENGTH, separators.segment, (offset) => {
    warnings.push({ ...issue("empty_segment", "an empty segment (two terminators with nothing between) was skipped", null), line: lineOf(offset) });
  });
  const segments: X12Segment[] = raw.map((r, i) => {
    const elements = r.text.split(separators.element);
    const seg = { id: elements[0]!, elements, index: i + 1, line: lineOf(r.offset) };
    if (r.missingTerminator !== null) {
      const shown = JSON.stringify(separators.segment);
      const message =
        r.missingTerminator === "end" ? `the last segment has no terminator ${shown}` : `this segment has no terminator ${shown}; the line break ends it`;
      warnings.push(issue("missing_segment_terminator", message, seg));
    }
    return seg;
  });
  const el = (seg: X12Segment, n: number) => seg.elements[n] ?? "";

  let group: OpenGroup | null = null;
  let set: OpenSet | null = null;
  let iea: X12Segment | null = null;

  const closeSet = (reason: X12Segment | null) => {
    if (set === null) return;
    const s = set.set;
    s.errors.push(
      issue(
        "missing_se",
        `transaction set ${s.controlNumber} has no SE trailer${reason === null ? " before the end of the data" : ` before ${reason.id}`}`,
        reason ?? set.st,
        {
          group: s.groupControlNumber,
          set: s.controlNumber,
          ack: { setCode: "2" },
        },
      ),
    );
    set = null;
  };
  const closeGroup = (reason: X12Segment | null) => {
    if (group === null) return;
    closeSet(reason);
    const g = group.group;
    g.errors.push(
      issue(
        "missing_ge",
        `functional group ${g.controlNumber} has no GE trailer${reason === null ? " before the end of the data" : ` before ${reason.id}`}`,
        reason ?? group.gs,
        {
          group: g.controlNumber,
          ack: { groupCode: "3" },
        },
      ),
    );
    group = null;
  };

  for (const seg of segments) {
    if (iea !== null) {
      if (!errors.some((x) => x.code === "data_after_iea"))
        errors.push(issue("data_after_iea", "data follows the IEA trailer (one interchange per file)", seg));
      continue;
    }
    if (set !== null && seg.id !== "SE" && seg.id !== "ST" && seg.id !== "GE" && seg.id !== "GS" && seg.id !== "IEA" && seg.id !== "ISA") {
      const s = set.set;
      s.segments.push(seg);
      if (!SEGMENT_ID.test(seg.id)) {
        s.errors.push(
          issue("malformed_segment", `"${seg.id.slice(0, 20)}" is not a segment id (2–3 capital letters or digits, starting with a letter)`, seg, {
            group: s.groupControlNumber,
            set: s.controlNumber,
            position: s.segments.length,
            ack: { setCode: "5", segmentCode: "1" },
          }),
        );
      }
      continue;
    }
    switch (seg.id) {
      case "ISA":
        errors.push(issue("data_after_iea", "a second ISA inside the interchange (one interchange per file)", seg));
        break;
      case "GS": {
        closeGroup(seg);
        const g: X12Group = {
          functionalId: el(seg, 1),
          applicationSender: el(seg, 2),
          applicationReceiver: el(seg, 3),
          date: parseX12Date(el(seg, 4)),
          time: parseX12Time(el(seg, 5)),
          controlNumber: el(seg, 6),
          version: el(seg, 8),
          declaredSetCount: null,
          ok: false,
          errors: [],
          sets: [],
          segmentIndex: seg.index,
          line: seg.line,
        };
        const bad = (n: number, what: string) =>
          g.errors.push(
            issue("invalid_gs", `GS${String(n).padStart(2, "0")} "${el(seg, n)}" is not ${what}`, seg, {
              group: g.controlNumber,
              element: n,
              bad: el(seg, n),
              ack: { groupCode: n === 6 ? "6" : "1" },
            }),
          );
        if (seg.elements.length !== 9)
          g.errors.push(
            issue("invalid_gs", `GS has 8 elements, this one ${seg.elements.length - 1}`, seg, { group: g.controlNumber, ack: { groupCode: "1" } }),
          );
        if (!/^[A-Z]{2}$/.test(g.functionalId)) bad(1, "a functional identifier code");
        if (g.date === null) bad(4, "a date (CCYYMMDD)");
        if (g.time === null) bad(5, "a time (HHMM)");
        if (!/^\d{1,9}$/.test(g.controlNumber)) bad(6, "a group control number (1–9 digits)");
        if (!/^[TX]$/.test(el(seg, 7))) bad(7, "a responsible agency code (X or T)");
        if (!/^\w{1,12}$/.test(g.version)) bad(8, "a version code");
        groups.push(g);
        group = { group: g, gs: seg, controlNumbers: new Set() };
        break;
      }
      case "ST": {
        closeSet(seg);
        if (group === null) {
          // A set outside any group: keep it in a group of its own that says so, so it fails.
          const g: X12Group = {
            functionalId: "",
            applicationSender: "",
            applicationReceiver: "",
            date: null,
            time: null,
            controlNumber: "",
            version: "",
            declaredSetCount: null,
            ok: false,
            errors: [],
            sets: [],
            segmentIndex: seg.index,
            line: seg.line,
          };
          g.errors.push(issue("segment_outside_group", "a transaction set outside a functional group (no GS before it)", seg, { ack: { groupCode: "1" } }));
          errors.push(issue("segment_outside_group", "a transaction set outside a functional group (no GS before it)", seg));
          groups.push(g);
          group = { group: g, gs: seg, controlNumbers: new Set() };
        }
        const g: X12Group = group.group;
        const s: X12TransactionSet = {
          id: el(seg, 1),
          controlNumber: el(seg, 2),
          implementationReference: seg.elements[3] === undefined || seg.elements[3] === "" ? null : seg.elements[3],
          functionalId: g.functionalId,
          groupControlNumber: g.controlNumber,
          ok: false,
          errors: [],
          segments: [seg],
        };
        const where = { group: g.controlNumber, set: s.controlNumber, position: 1 };
        if (!/^\d{3}$/.test(s.id))
          s.errors.push(
            issue("invalid_st", `ST01 "${s.id}" is not a transaction set identifier (3 digits)`, seg, {
              ...where,
              element: 1,
              bad: s.id,
              ack: { setCode: "6" },
            }),
          );
        if (!/^[A-Za-z0-9]{4,9}$/.test(s.controlNumber)) {
          s.errors.push(
            issue("invalid_st", `ST02 "${s.controlNumber}" is not a transaction set control number (4–9 characters)`, seg, {
              ...where,
              element: 2,
              bad: s.controlNumber,
              ack: { setCode: "7" },
            }),
          );
        } else if (group.controlNumbers.has(s.controlNumber)) {
          s.errors.push(
            issue("duplicate_set_control_number", `ST02 ${s.controlNumber} is used twice in group ${g.controlNumber}`, seg, {
              ...where,
              element: 2,
              bad: s.controlNumber,
              ack: { setCode: "23" },
            }),
          );
        }
        group.controlNumbers.add(s.controlNumber);
        g.sets.push(s);
        set = { set: s, st: seg };
        break;
      }
      case "SE": {
        if (set === null) {
          const target = group?.group.errors ?? errors;
          target.push(
            issue("segment_outside_set", "an SE trailer without its ST header", seg, { group: group?.group.controlNumber ?? null, ack: { groupCode: "1" } }),
          );
          break;
        }
        const s: X12TransactionSet = set.set;
        s.segments.push(seg);
        const where = { group: s.groupControlNumber, set: s.controlNumber, position: s.segments.length };
        if (seg.elements.length !== 3)
          s.errors.push(
            issue("invalid_se", `SE has 2 elements, this one ${seg.elements.length - 1}`, seg, { ...where, ack: { setCode: "5", segmentCode: "8" } }),
          );
        const count = el(seg, 1);
        if (!/^\d{1,10}$/.test(count)) {
          s.errors.push(issue("invalid_se", `SE01 "${count}" is not a segment count`, seg, { ...where, element: 1, bad: count, ack: { setCode: "4" } }));
        } else if (Number(count) !== s.segments.length) {
          s.errors.push(
            issue("se_segment_count", `SE01 says ${Number(count)} segments; the set has ${s.segments.length} (ST to SE inclusive)`, seg, {
              ...where,
              element: 1,
              bad: count,
              ack: { setCode: "4" },
            }),
          );
        }
        if (el(seg, 2) !== s.controlNumber) {
          s.errors.push(
            issue("se_control_mismatch", `SE02 "${el(seg, 2)}" does not match ST02 "${s.controlNumber}"`, seg, {
              ...where,
              element: 2,
              bad: el(seg, 2),
              ack: { setCode: "3" },
            }),
          );
        }
        set = null;
        break;
      }
      case "GE": {
        if (group === null) {
          errors.push(issue("segment_outside_group", "a GE trailer without its GS header", seg));
          break;
        }
        closeSet(seg);
        const g: X12Group = group.group;
        const where = { group: g.controlNumber };
        if (seg.elements.length !== 3)
          g.errors.push(issue("invalid_ge", `GE has 2 elements, this one ${seg.elements.length - 1}`, seg, { ...where, ack: { groupCode: "1" } }));
        const count = el(seg, 1);
        if (!/^\d{1,6}$/.test(count)) {
          g.errors.push(
            issue("invalid_ge", `GE01 "${count}" is not a count of transaction sets`, seg, { ...where, element: 1, bad: count, ack: { groupCode: "5" } }),
          );
        } else {
          g.declaredSetCount = Number(count);
          if (Number(count) !== g.sets.length) {
            g.errors.push(
              issue("ge_set_count", `GE01 says ${Number(count)} transaction sets; the group has ${g.sets.length}`, seg, {
                ...where,
                element: 1,
                bad: count,
                ack: { groupCode: "5" },
              }),
            );
          }
        }
        if (el(seg, 2) !== g.controlNumber) {
          g.errors.push(
            issue("ge_control_mismatch", `GE02 "${el(seg, 2)}" does not match GS06 "${g.controlNumber}"`, seg, {
              ...where,
              element: 2,
              bad: el(seg, 2),
              ack: { groupCode: "4" },
            }),
          );
        }
        group = null;
        break;
      }
      case "IEA": {
        closeGroup(seg);
        iea = seg;
        if (seg.elements.length !== 3) errors.push(issue("invalid_iea", `IEA has 2 elements, this one ${seg.elements.length - 1}`, seg));
        const count = el(seg, 1);
        if (!/^\d{1,5}$/.test(count) || Number(count) !== groups.length) {
          errors.push(
            issue("iea_group_count", `IEA01 "${count}" does not match the ${groups.length} functional group(s) sent`, seg, { element: 1, bad: count }),
          );
        }
        if (el(seg, 2) !== header.controlNumber) {
          errors.push(
            issue("iea_control_mismatch", `IEA02 "${el(seg, 2)}" does not match ISA13 "${header.controlNumber}"`, seg, { element: 2, bad: el(seg, 2) }),
          );
        }
        break;
      }
      default: {
        if (group !== null) {
          const g: X12Group = group.group;
          g.errors.push(
            issue("segment_outside_set", `${seg.id.slice(0, 20)} between transaction sets (no ST before it)`, seg, {
              group: g.controlNumber,
              ack: { groupCode: "1" },
            }),
          );
        } else {
          errors.push(issue("segment_outside_group", `${seg.id.slice(0, 20)} outside any functional group`, seg));
        }
      }
    }
  }
  if (iea === null) {
    closeGroup(null);
    errors.push(issue("missing_iea", "the interchange has no IEA trailer", null));
  }

  const interchangeOk = errors.length === 0;
  for (const g of groups) {
    g.ok = interchangeOk && g.errors.length === 0;
    for (const s of g.sets) s.ok = g.ok && s.errors.length === 0;
  }
  return { ok: true, interchange: { separators, header, ok: interchangeOk, errors, warnings, groups } };
}

/** Every transaction set of an interchange, in order. */
export function transactionSets(interchange: X12Interchange): X12TransactionSet[] {
  return interchange.groups.flatMap((g) => g.sets);
}
