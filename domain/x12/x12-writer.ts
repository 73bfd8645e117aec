/**
 * Writing X12 interchanges: the ISA/GS/ST…SE/GE/IEA envelopes around the segments of one
 * or more transaction sets, with the control numbers and date the caller passes in (no
 * clock, no counters here). X12 has no escape character, so a value holding a separator
 * cannot be sent: it is refused with its path instead of being written. Trailing empty
 * elements are dropped, as X12.6 requires. Pure.
 */
import { formatX12Date, formatX12Time } from "./x12-data-types";
import type { X12Separators } from "./x12-interchange";

/** The envelope of an outbound interchange. */
export interface X12EnvelopeOptions {
  /** ISA05/ISA06: our interchange id and its qualifier (`ZZ` mutually defined, `01` DUNS, `12` phone…). */
  senderQualifier: string;
  senderId: string;
  /** ISA07/ISA08: the trading partner's. */
  receiverQualifier: string;
  receiverId: string;
  /** GS02/GS03; default the ISA ids. */
  applicationSenderCode?: string;
  applicationReceiverCode?: string;
  /** When the interchange is created, ISO 8601 (`2026-11-22T09:30:00Z`): its date and HH:MM are written as given. */
  createdAt: string;
  /** ISA13/IEA02, 1–999,999,999 (written as 9 digits). */
  interchangeControlNumber: number;
  /** GS06/GE02, 1–999,999,999. */
  groupControlNumber: number;
  /** ISA15; default `P` (production). */
  usage?: "P" | "T";
  /** ISA14: ask for a TA1; default false. */
  acknowledgmentRequested?: boolean;
  /** GS08 (and ISA12 from it); default `004010`. */
  version?: "004010" | "005010";
  /** Default `*`, `>`, `~`, and `^` for repetitions (5010 only). */
  separators?: Partial<X12Separators>;
  /** Written after each terminator for readability; default none. */
  lineBreak?: "" | "\n" | "\r\n";
}

/** One transaction set's body: its segments between ST and SE, each as [id, element1, element2, …]. */
export interface X12SetBody {
  /** ST01, e.g. `850`. */
  id: string;
  /** ST02, 1–999,999,999 (written with at least 4 digits). */
  controlNumber: number;
  segments: string[][];
}

/** A problem with the input of a writer, at a path in it. */
export interface X12WriteProblem {
  path: (string | number)[];
  message: string;
}

export type X12WriteResult = { ok: true; text: string } | { ok: false; errors: X12WriteProblem[] };

const MAX_CONTROL = 999_999_999;

/** The separators an envelope uses, defaults filled in. */
export function envelopeSeparators(options: X12EnvelopeOptions): X12Separators {
  const version = options.version ?? "004010";
  return {
    element: options.separators?.element ?? "*",
    component: options.separators?.component ?? ">",
    segment: options.separators?.segment ?? "~",
    repetition: version >= "005010" ? (options.separators?.repetition ?? "^") : null,
  };
}

/** The problems of an envelope's options (each with its path under `envelope`). */
function checkEnvelope(options: X12EnvelopeOptions, seps: X12Separators): X12WriteProblem[] {
  const problems: X12WriteProblem[] = [];
  const p = (field: string, message: string) => problems.push({ path: ["envelope", field], message });
  const all = [seps.element, seps.component, seps.segment, ...(seps.repetition === null ? [] : [seps.repetition])];
  if (all.some((s) => s.length !== 1 || /[A-Za-z0-9 ]/.test(s)) || new Set(all).size !== all.length) {
    p("separators", "separators are single characters, not letters, digits or space, all different");
  }
  for (const field of ["senderQualifier", "receiverQualifier"] as const)
    if (!/^[A-Z0-9]{2}$/.test(options[field])) p(field, "a 2-character interchange id qualifier");
  for (const field of ["senderId", "receiverId"] as const) {
    if (!/^[\x21-\x7E][\x20-\x7E]{0,14}$/.test(options[field])) p(field, "1–15 printable characters");
  }
  if (formatX12Date(options.createdAt) === null || formatX12Time(options.createdAt) === null)
    p("createdAt", "an ISO 8601 date-time such as 2026-11-22T09:30:00Z");
  for (const field of ["interchangeControlNumber", "groupControlNumber"] as const) {
    const n = options[field];
    if (!Number.isInteger(n) || n < 1 || n > MAX_CONTROL) p(field, `an integer from 1 to ${MAX_CONTROL}`);
  }
  return problems;
}

/** Why a value cannot be written in an interchange with these separators (one of them, or a control character), or null when it can. */
export function unwritableReason(value: string, seps: X12Separators): string | null {
  for (const s of [seps.element, seps.component, seps.segment, ...(seps.repetition === null ? [] : [seps.repetition])]) {
    if (value.includes(s)) return `holds "${s}", a separator of this interchange (X12 has no escape)`;
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: finding control characters is the point (X12 cannot carry them).
  if (/[\x00-\x1F\x7F]/.test(value)) return "holds a control character or line break";
  return null;
}

/**
 * Writes one interchange with one functional group (GS01 `functionalId`) holding the given
 * sets. The generators check their input's values at their own paths first; a value that
 * still cannot be written is reported here at `sets[i].segments[s][k]`.
 */
export function writeX12Interchange(options: X12EnvelopeOptions, functionalId: string, sets: readonly X12SetBody[]): X12WriteResult {
  const seps = envelopeSeparators(options);
  const errors = checkEnvelope(options, seps);
  const version = options.version ?? "004010";
  for (const [i, set] of sets.entries()) {
    if (!Number.isInteger(set.controlNumber) || set.controlNumber < 1 || set.controlNumber > MAX_CONTROL) {
      errors.push({ path: ["sets", i, "controlNumber"], message: `an integer from 1 to ${MAX_CONTROL}` });
    }
    set.segments.forEach((segment, s) => {
      segment.forEach((value, k) => {
        if (k === 0) return;
        const problem = unwritableReason(value, seps);
        if (problem !== null) errors.push({ path: ["sets", i, "segments", s, k], message: problem });
      });
    });
  }
  for (const field of ["applicationSenderCode", "applicationReceiverCode"] as const) {
    const v = options[field];
    if (v !== undefined && (!/^[\x21-\x7E][\x20-\x7E]{1,14}$/.test(v) || unwritableReason(v, seps) !== null)) {
      errors.push({ path: ["envelope", field], message: "2–15 printable characters, no separator" });
    }
  }
  if (errors.length > 0) return { ok: false, errors };

  const line = (elements: readonly string[]) => {
    let end = elements.length;
    while (end > 1 && elements[end - 1] === "") end--;
    return elements.slice(0, end).join(seps.element) + seps.segment + (options.lineBreak ?? "");
  };
  const date8 = formatX12Date(options.createdAt, 8)!;
  const date6 = formatX12Date(options.createdAt, 6)!;
  const time = formatX12Time(options.createdAt)!;
  const icn = String(options.interchangeControlNumber).padStart(9, "0");
  const gcn = String(options.groupControlNumber);
  // The ISA keeps every element at its fixed width, empty or not (X12.5), so it is built by hand.
  const isa =
    [
      "ISA",
      "00",
      " ".repeat(10),
      "00",
      " ".repeat(10),
      options.senderQualifier,
      options.senderId.padEnd(15),
      options.receiverQualifier,
      options.receiverId.padEnd(15),
      date6,
      time,
      seps.repetition ?? "U",
      version === "005010" ? "00501" : "00401",
      icn,
      options.acknowledgmentRequested === true ? "1" : "0",
      options.usage ?? "P",
      seps.component,
    ].join(seps.element) +
    seps.segment +
    (options.lineBreak ?? "");
  let out = isa;
  out += line([
    "GS",
    functionalId,
    options.applicationSenderCode ?? options.senderId,
    options.applicationReceiverCode ?? options.receiverId,
    date8,
    time,
    gcn,
    "X",
    version,
  ]);
  for (const set of sets) {
    const st = String(set.controlNumber).padStart(4, "0");
    out += line(["ST", set.id, st]);
    for (const segment of set.segments) out += line(segment);
    out += line(["SE", String(set.segments.length + 2), st]);
  }
  out += line(["GE", String(sets.length), gcn]);
  out += line(["IEA", "1", icn]);
  return { ok: true, text: out };
}
