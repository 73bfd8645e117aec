/**
 * A vendor's stock file, in any format we read (issue 16), as the items of one sync job:
 * our three-column CSV (read exactly as before, `domain/csv-feed.ts`), Shopify's three
 * inventory export generations and a generic mapped CSV (`domain/vendor-formats/`), or an
 * X12 846 (`domain/x12/`). The format is the one asked for, else the vendor's setting, else
 * detected: an ISA at the start is X12, otherwise the CSV header decides.
 *
 * What the file could not give becomes item errors at their positions (a CSV line, an X12
 * segment), numbered in one sequence with the items, so the job's report lists both in file
 * order. An X12 transaction set that failed gives no item at all — one error per problem
 * with its segment — so a set is never applied in part. Only a file that cannot be read at
 * all is refused (a `DecodeFailure`, which the endpoint answers 400/413 and a pull records).
 * Pure apart from nothing: no bindings here, so the pull and the endpoint share it.
 */
import { parseCsvFeed } from "../domain/csv-feed";
import type { SyncJobSource } from "../domain/sync-jobs";
import { SYNC_LIMITS, type RawSyncItem, type SyncItemError } from "../domain/sync-items";
import { importInventoryCsv } from "../domain/vendor-formats/inventory-csv-import";
import { toRawSyncItems, toSyncItemErrors, type QuantityKind } from "../domain/vendor-formats/vendor-feed-items";
import { csvImportOptionsOf, x12OptionsOf, type SyncMethod, type VendorSyncSettings } from "../domain/vendor-sync-settings";
import { readInboundX12, type InboundSet } from "../domain/x12/x12-inbound";
import type { X12Issue, X12TransactionSet } from "../domain/x12/x12-interchange";
import { groupAckOf, type GroupAck } from "../domain/x12/x12-997";

/** What a file may be read as (`format` of the endpoint and the CLI). */
export type UploadFormat = "auto" | "ours" | "shopify" | "generic" | "x12";

/** A file read into a job's items. */
export interface DecodedFile {
  /** How `checkSyncItems` reads the quantities: every file gives integer text. */
  format: "csv";
  /** The format the file was read as, recorded on the job. */
  source: SyncJobSource;
  /** Which health method a push of it counts for. */
  method: Extract<SyncMethod, "push_csv" | "edi">;
  items: RawSyncItem[];
  preRejected: SyncItemError[];
  quantityKind: QuantityKind;
  /** X12: each transaction set and what became of it. */
  sets?: { transactionSetId: string; setControlNumber: string; groupControlNumber: string; ok: boolean; items: number; errors: number }[];
  /**
   * X12: what the 997 acknowledges, per group — a set is accepted exactly when its items
   * were taken (`sets[].ok`) — and who sent the interchange (ISA05/06, ISA12), to address it.
   */
  x12?: { acknowledgments: GroupAck[]; senderQualifier: string; senderId: string; version: string };
}

/** A file refused whole: nothing in it is applied. */
export interface DecodeFailure {
  status: 400 | 413;
  code: string;
  message: string;
  details: Record<string, unknown>;
}

export type DecodeResult = { ok: true; file: DecodedFile } | ({ ok: false } & DecodeFailure);

/** An X12 interchange starts with ISA (after a BOM and whitespace). */
export function looksLikeX12(text: string): boolean {
  return /^\uFEFF?\s*ISA/.test(text);
}

/** The format a request asks for, else the vendor's setting (its CSV/X12 choice), else auto. */
export function effectiveFormat(asked: UploadFormat | undefined, settings: VendorSyncSettings | null): UploadFormat {
  if (asked !== undefined) return asked;
  return settings?.format ?? "auto";
}

function tooMany(received: number): DecodeResult {
  return {
    ok: false,
    status: 413,
    code: "too_many_items",
    message: `at most ${SYNC_LIMITS.maxItems} items per sync request; split the feed`,
    details: { maxItems: SYNC_LIMITS.maxItems, received },
  };
}

/** Our three-column CSV, read exactly as the endpoint always read it. */
function decodeOurs(text: string): DecodeResult {
  const parsed = parseCsvFeed(text);
  if (!parsed.ok) {
    if (parsed.code === "too_many_items") return tooMany(parsed.details.received as number);
    return { ok: false, status: 400, code: parsed.code, message: parsed.message, details: parsed.details };
  }
  return { ok: true, file: { format: "csv", source: "csv", method: "push_csv", items: parsed.items, preRejected: [], quantityKind: "on_hand" } };
}

/** A CSV file in a vendor format (or ours, detected). */
function decodeCsv(text: string, format: Exclude<UploadFormat, "x12">, settings: VendorSyncSettings | null): DecodeResult {
  if (format === "ours") return decodeOurs(text);
  const options = settings === null ? { format } : { ...csvImportOptionsOf(settings), format };
  const result = importInventoryCsv(text, options);
  if (!result.ok) {
    // A header that is no format we know, in auto: our own reader says what our format wants, as it always did.
    if (format === "auto" && result.code === "unknown_format") return decodeOurs(text);
    if (result.code === "too_many_items") return tooMany(result.details.received as number);
    return { ok: false, status: 400, code: result.code, message: result.message, details: result.details };
  }
  if (result.format === "ours") return decodeOurs(text);
  const items = toRawSyncItems(result.items);
  const preRejected = toSyncItemErrors(result.errors);
  // Problems of the header or a whole column (a location column not in the table) are listed after the rows.
  let next = result.items.length + preRejected.length;
  for (const issue of result.errors) {
    if (issue.itemIndex !== null) continue;
    preRejected.push({
      itemIndex: next++,
      row: issue.row,
      sku: null,
      locationId: issue.column,
      quantity: null,
      code: "invalid_item",
      message: `${issue.code}${issue.column === null ? "" : ` (column "${issue.column}")`}: ${issue.message}`,
    });
  }
  return { ok: true, file: { format: "csv", source: result.format, method: "push_csv", items, preRejected, quantityKind: result.quantityKind } };
}

/** An X12 problem as the job's error message: what, then where. */
function x12Message(set: InboundSet, issue: X12Issue): string {
  const where = [
    `set ${set.transactionSetId} ${set.setControlNumber} in group ${set.groupControlNumber}`,
    issue.segmentIndex === null ? null : `segment ${issue.segmentIndex}${issue.segmentId === null ? "" : ` (${issue.segmentId})`}`,
    issue.positionInSet === null ? null : `position ${issue.positionInSet} in the set`,
    issue.elementPosition === null ? null : `element ${issue.elementPosition}`,
  ].filter((p) => p !== null);
  return `X12 ${issue.code}: ${issue.message} [${where.join(", ")}]; nothing in this set was applied`;
}

/** The 997's reason for an 855/856 sent to the sync endpoint: AK5 1, not supported here (it goes to the purchase-order endpoint). */
function notHereIssue(set: X12TransactionSet): X12Issue {
  return {
    code: "unsupported_transaction_set",
    message: `transaction set ${set.id} is not read by the sync endpoint`,
    segmentIndex: set.segments[0]?.index ?? null,
    line: set.segments[0]?.line ?? null,
    segmentId: "ST",
    groupControlNumber: set.groupControlNumber,
    setControlNumber: set.controlNumber,
    positionInSet: 1,
    elementPosition: 1,
    badValue: set.id,
    ack: { setCode: "1" },
  };
}

/** The 997's reason for an 846 of the other quantity kind than the file's first: its first QTY of that kind, code value not accepted (AK3 8, AK4 7). */
function otherKindIssue(set: X12TransactionSet, kind: QuantityKind): X12Issue {
  const qualifier = kind === "on_hand" ? "17" : "33";
  const at = Math.max(
    0,
    set.segments.findIndex((s) => s.id === "QTY" && s.elements[1] === qualifier),
  );
  const segment = set.segments[at];
  return {
    code: "invalid_code",
    message: `QTY ${qualifier}: the file's first set gave the other kind of quantity`,
    segmentIndex: segment?.index ?? null,
    line: segment?.line ?? null,
    segmentId: segment?.id ?? "ST",
    groupControlNumber: set.groupControlNumber,
    setControlNumber: set.controlNumber,
    positionInSet: at + 1,
    elementPosition: 1,
    badValue: qualifier,
    ack: { setCode: "5", segmentCode: "8", elementCode: "7" },
  };
}

/** An X12 interchange: every 846 set that is sound gives its items; every other set, its errors. */
function decodeX12(text: string, settings: VendorSyncSettings | null): DecodeResult {
  const result = readInboundX12(text, settings === null ? { locationNames: {} } : x12OptionsOf(settings));
  if (!result.ok) {
    return {
      ok: false,
      status: 400,
      code: "malformed_x12",
      message: `the file is not readable as X12: ${result.message}`,
      details: { reason: result.code, line: result.line, elementPosition: result.elementPosition },
    };
  }
  if (result.sets.length === 0) {
    return {
      ok: false,
      status: 400,
      code: "empty_feed",
      message: "the interchange holds no transaction set",
      details: { groups: result.interchange.groups.length },
    };
  }
  const items: RawSyncItem[] = [];
  const preRejected: SyncItemError[] = [];
  const sets: NonNullable<DecodedFile["sets"]> = [];
  const reported = new Set<string>();
  // The raw sets in file order (as `result.sets`), and the sets the sync endpoint refuses although they read well.
  const rawSets = result.interchange.groups.flatMap((g) => g.sets);
  const refusedHere = new Map<X12TransactionSet, X12Issue[]>();
  let kind: QuantityKind | null = null;
  let next = 0;
  const reject = (row: number | null, badValue: string | null, message: string) => {
    preRejected.push({ itemIndex: next++, row, sku: null, locationId: null, quantity: badValue, code: "invalid_item", message });
  };
  for (const [setIndex, set] of result.sets.entries()) {
    const before = { items: items.length, errors: preRejected.length };
    let applied = false;
    const content = set.ok ? set.content : null;
    if (content !== null && content.type === "846" && kind !== null && content.inventory.quantityKind !== kind) {
      reject(
        null,
        content.inventory.quantityKind,
        `set 846 ${set.setControlNumber} gives ${content.inventory.quantityKind === "on_hand" ? "on-hand (QTY 17)" : "available (QTY 33)"} quantities and an earlier set the other kind; send them in separate files, or set x12.quantity; nothing in this set was applied`,
      );
      refusedHere.set(rawSets[setIndex]!, [otherKindIssue(rawSets[setIndex]!, content.inventory.quantityKind)]);
    } else if (content !== null && content.type === "846") {
      kind ??= content.inventory.quantityKind;
      applied = true;
      for (const item of content.inventory.items) {
        items.push({ itemIndex: next++, row: item.row, value: { sku: item.sku, locationId: item.locationId, quantity: String(item.quantity) } });
      }
    } else if (content !== null) {
      reject(
        null,
        set.transactionSetId,
        `set ${set.transactionSetId} ${set.setControlNumber} is not stock (846); purchase-order acknowledgments and ship notices are not read by the sync endpoint; nothing in this set was applied`,
      );
      refusedHere.set(rawSets[setIndex]!, [notHereIssue(rawSets[setIndex]!)]);
    } else {
      for (const issue of set.errors) {
        // The interchange's and a group's envelope errors fail each of their sets: report each once.
        const key = `${issue.code}|${issue.segmentIndex}|${issue.elementPosition}|${issue.setControlNumber ?? ""}`;
        const shared = issue.setControlNumber === null || issue.setControlNumber !== set.setControlNumber;
        if (shared && reported.has(key)) continue;
        reported.add(key);
        reject(issue.line, issue.badValue, x12Message(set, issue));
      }
      if (set.errors.length === 0) reject(null, null, `set ${set.transactionSetId} ${set.setControlNumber} failed; nothing in it was applied`);
    }
    sets.push({
      transactionSetId: set.transactionSetId,
      setControlNumber: set.setControlNumber,
      groupControlNumber: set.groupControlNumber,
      ok: applied,
      items: items.length - before.items,
      errors: preRejected.length - before.errors,
    });
  }
  if (items.length + preRejected.length > SYNC_LIMITS.maxItems) return tooMany(items.length + preRejected.length);
  // The 997: each set's content problems (its envelope's are the set's own) and our refusals.
  const envelopeIssues = new Set<X12Issue>([
    ...result.interchange.errors,
    ...result.interchange.groups.flatMap((g) => [...g.errors, ...g.sets.flatMap((s) => s.errors)]),
  ]);
  const acknowledgments = result.interchange.groups.map((group) => {
    const content = new Map<X12TransactionSet, X12Issue[]>();
    for (const raw of group.sets) {
      const inbound = result.sets[rawSets.indexOf(raw)]!;
      content.set(raw, [...inbound.errors.filter((e) => !envelopeIssues.has(e)), ...(refusedHere.get(raw) ?? [])]);
    }
    return groupAckOf(group, content);
  });
  const { senderQualifier, senderId, version } = result.interchange.header;
  return {
    ok: true,
    file: {
      format: "csv",
      source: "x12_846",
      method: "edi",
      items,
      preRejected,
      quantityKind: kind ?? "on_hand",
      sets,
      x12: { acknowledgments, senderQualifier, senderId, version },
    },
  };
}

/** Reads a vendor file (decoded text) as `format` ("auto": an ISA is X12, else the CSV header decides). */
export function decodeVendorFile(text: string, format: UploadFormat, settings: VendorSyncSettings | null): DecodeResult {
  if (format === "x12" || (format === "auto" && looksLikeX12(text))) return decodeX12(text, settings);
  return decodeCsv(text, format, settings);
}
