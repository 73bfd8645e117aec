/**
 * One entry point for an X12 file a vendor sends us: read the envelopes, read each set by
 * its type (846 inventory, 855 PO acknowledgment, 856 ship notice), and prepare the 997
 * that answers it. Each set comes back whole: `ok` with its content, or failed with every
 * problem at its position and no content — a caller applies `ok` sets only, so no set is
 * ever applied in part. A set of another type is rejected (AK5 code 1, "transaction set
 * not supported"). Pure.
 */
import type { LocationNameTable } from "../vendor-formats/location-names";
import { read846, type Inventory846Options, type InventoryAdvice } from "./x12-846";
import { read855, type PoAck855Options, type PoAcknowledgment } from "./x12-855";
import { read856, type ShipNotice, type ShipNotice856Options } from "./x12-856";
import { groupAckOf, type GroupAck } from "./x12-997";
import { parseX12, type X12Failure, type X12Interchange, type X12Issue, type X12TransactionSet } from "./x12-interchange";

export interface InboundX12Options {
  /** The vendor's location names (846 locations, 856 ship-to). */
  locationNames: LocationNameTable;
  inventory?: Omit<Inventory846Options, "locationNames">;
  acknowledgment?: PoAck855Options;
  shipNotice?: Omit<ShipNotice856Options, "locationNames">;
}

export type InboundContent =
  | { type: "846"; inventory: InventoryAdvice }
  | { type: "855"; acknowledgment: PoAcknowledgment }
  | { type: "856"; shipNotice: ShipNotice };

export interface InboundSet {
  /** ST01, ST02, GS06. */
  transactionSetId: string;
  setControlNumber: string;
  groupControlNumber: string;
  /** May be applied: envelope and content sound. */
  ok: boolean;
  /** Envelope errors of the set, its group and the interchange, then content errors. */
  errors: X12Issue[];
  warnings: X12Issue[];
  /** The content, only when `ok`. */
  content: InboundContent | null;
}

export type InboundX12Result = { ok: true; interchange: X12Interchange; sets: InboundSet[]; acknowledgments: GroupAck[] } | X12Failure;

/** GS01 functional identifier codes of the sets we read. */
const FUNCTIONAL_IDS: Readonly<Record<string, string>> = { "846": "IB", "855": "PR", "856": "SH" };

/**
 * Reads an X12 file into its sets, each ok (with content) or failed, and the group
 * acknowledgments for `generate997`. A text that is no interchange is an `X12Failure`.
 */
export function readInboundX12(text: string, options: InboundX12Options): InboundX12Result {
  const parsed = parseX12(text);
  if (!parsed.ok) return parsed;
  const { interchange } = parsed;
  const sets: InboundSet[] = [];
  const acknowledgments: GroupAck[] = [];
  for (const group of interchange.groups) {
    const contentErrors = new Map<X12TransactionSet, X12Issue[]>();
    for (const set of group.sets) {
      const envelopeErrors = [...interchange.errors, ...group.errors, ...set.errors];
      let content: InboundContent | null = null;
      let errors: X12Issue[] = [];
      let warnings: X12Issue[] = [];
      const expected = FUNCTIONAL_IDS[set.id];
      if (set.errors.length > 0) {
        // A set whose own syntax failed (a malformed segment, a broken trailer) is not read:
        // its content errors would only echo the syntax error.
      } else if (set.id === "846") {
        const r = read846(set, interchange.separators, { ...options.inventory, locationNames: options.locationNames });
        warnings = r.warnings;
        if (r.ok) content = { type: "846", inventory: r.value };
        else errors = r.errors;
      } else if (set.id === "855") {
        const r = read855(set, interchange.separators, options.acknowledgment);
        warnings = r.warnings;
        if (r.ok) content = { type: "855", acknowledgment: r.value };
        else errors = r.errors;
      } else if (set.id === "856") {
        const r = read856(set, interchange.separators, { ...options.shipNotice, locationNames: options.locationNames });
        warnings = r.warnings;
        if (r.ok) content = { type: "856", shipNotice: r.value };
        else errors = r.errors;
      } else {
        errors = [
          {
            code: "unsupported_transaction_set",
            message: `transaction set ${set.id} is not one we read (846, 855, 856)`,
            segmentIndex: set.segments[0]!.index,
            line: set.segments[0]!.line,
            segmentId: "ST",
            groupControlNumber: set.groupControlNumber,
            setControlNumber: set.controlNumber,
            positionInSet: 1,
            elementPosition: 1,
            badValue: set.id,
            ack: { setCode: "1" },
          },
        ];
      }
      if (expected !== undefined && group.functionalId !== "" && group.functionalId !== expected) {
        warnings = [
          ...warnings,
          {
            code: "invalid_code",
            message: `a ${set.id} belongs in a ${expected} group; this group is ${group.functionalId}`,
            segmentIndex: group.segmentIndex,
            line: group.line,
            segmentId: "GS",
            groupControlNumber: group.controlNumber,
            setControlNumber: set.controlNumber,
            positionInSet: null,
            elementPosition: 1,
            badValue: group.functionalId,
            ack: {},
          },
        ];
      }
      contentErrors.set(set, errors);
      const ok = set.ok && errors.length === 0;
      sets.push({
        transactionSetId: set.id,
        setControlNumber: set.controlNumber,
        groupControlNumber: set.groupControlNumber,
        ok,
        errors: [...envelopeErrors, ...errors],
        warnings,
        content: ok ? content : null,
      });
    }
    acknowledgments.push(groupAckOf(group, contentErrors));
  }
  return { ok: true, interchange, sets, acknowledgments };
}
