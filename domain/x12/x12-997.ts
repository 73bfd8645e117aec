/**
 * The X12 997 Functional Acknowledgment we send for the groups we received: one 997
 * transaction set per acknowledged group, all in one FA group, in envelopes whose control
 * numbers are passed in.
 *
 * - `AK1*<GS01>*<GS06>[*<GS08>]`: the group acknowledged (AK103, the version, from 5010).
 * - Per set, `AK2*<ST01>*<ST02>[*<ST03>]`, then per segment in error `AK3*<id>*<position
 *   in set>*<loop>*<720 code>` (1 unrecognized segment id, 2 unexpected, 3 mandatory
 *   missing, 5 exceeds maximum use, 7 not in proper sequence, 8 has data element errors),
 *   per element in error `AK4*<position>**<723 code>*<copy of the bad value>` (1 mandatory
 *   element missing, 2 conditional required missing, 6 invalid character, 7 invalid code
 *   value, 8 invalid date, 9 invalid time), and `AK5*<A|R>[*<718 codes>]` (2 trailer
 *   missing, 3 control numbers differ, 4 segment count wrong, 5 segments in error, 6/7
 *   invalid set id/control number, 23 control number not unique; at most 5).
 * - `AK9*<A|P|R>*<sets included>*<sets received>*<sets accepted>[*<716 codes>]` (3 group
 *   trailer missing, 4 group control numbers differ, 5 set count wrong, 6 control number
 *   syntax; at most 5): A when every set is accepted, P when some are, R when none are or
 *   the group's own envelope failed. We never answer E ("accepted, errors noted"): a set
 *   with an error is not applied, so it is rejected.
 * Pure.
 */
import type { X12Group, X12Issue, X12TransactionSet } from "./x12-interchange";
import { envelopeSeparators, unwritableReason, writeX12Interchange, type X12EnvelopeOptions, type X12WriteResult } from "./x12-writer";

export interface ElementAck {
  /** AK401: 1-based position in the segment. */
  position: number;
  /** AK403 (723). */
  code: string;
  /** AK404: the bad value as received (left out when it cannot be written). */
  badValue: string | null;
}

export interface SegmentAck {
  /** AK301, AK302 (ST = 1), AK304 (720). */
  segmentId: string;
  position: number;
  code: string;
  elements: ElementAck[];
}

export interface SetAck {
  /** ST01, ST02, ST03 as received. */
  id: string;
  controlNumber: string;
  implementationReference: string | null;
  accepted: boolean;
  /** AK502–AK506 (718). */
  errorCodes: string[];
  segmentErrors: SegmentAck[];
}

export interface GroupAck {
  /** GS01, GS06, GS08 as received. */
  functionalId: string;
  groupControlNumber: string;
  version: string | null;
  /** AK902: GE01 as received, or the sets counted when it was unreadable. */
  includedSets: number;
  sets: SetAck[];
  /** AK905–AK909 (716). */
  errorCodes: string[];
}

const unique = (codes: Iterable<string | undefined>) => [...new Set([...codes].filter((c): c is string => c !== undefined))];

/**
 * The acknowledgment of a received group: each set's envelope errors (from `parseX12`)
 * plus the content errors its reader found (`contentErrors`, by set). A set is accepted
 * only when it is `ok` and has no content error.
 */
export function groupAckOf(group: X12Group, contentErrors: ReadonlyMap<X12TransactionSet, readonly X12Issue[]> = new Map()): GroupAck {
  const sets = group.sets.map((set): SetAck => {
    const issues = [...set.errors, ...(contentErrors.get(set) ?? [])];
    const bySegment = new Map<number, SegmentAck>();
    for (const issue of issues) {
      if (issue.positionInSet === null || issue.segmentId === null || issue.ack.segmentCode === undefined) continue;
      let seg = bySegment.get(issue.positionInSet);
      if (seg === undefined)
        bySegment.set(issue.positionInSet, (seg = { segmentId: issue.segmentId, position: issue.positionInSet, code: issue.ack.segmentCode, elements: [] }));
      if (issue.elementPosition !== null && issue.ack.elementCode !== undefined) {
        seg.elements.push({ position: issue.elementPosition, code: issue.ack.elementCode, badValue: issue.badValue });
      }
    }
    return {
      id: set.id,
      controlNumber: set.controlNumber,
      implementationReference: set.implementationReference,
      accepted: set.ok && issues.length === 0,
      errorCodes: unique(issues.map((i) => i.ack.setCode)),
      segmentErrors: [...bySegment.values()].sort((a, b) => a.position - b.position),
    };
  });
  return {
    functionalId: group.functionalId,
    groupControlNumber: group.controlNumber,
    version: group.version || null,
    includedSets: group.declaredSetCount ?? group.sets.length,
    sets,
    errorCodes: unique(group.errors.map((i) => i.ack.groupCode)),
  };
}

/** AK901 for a group: A, P or R (see the module comment). */
export function groupAckCode(ack: GroupAck): "A" | "P" | "R" {
  const accepted = ack.sets.filter((s) => s.accepted).length;
  if (ack.errorCodes.length > 0 || accepted === 0) return "R";
  return accepted === ack.sets.length ? "A" : "P";
}

/**
 * Generates the 997 interchange acknowledging `groups`: one 997 set per group, numbered
 * from `firstSetControlNumber`. `version` of the envelope decides whether AK103/AK203 are
 * written (5010) or not (4010).
 */
export function generate997(groups: readonly GroupAck[], envelope: X12EnvelopeOptions & { firstSetControlNumber: number }): X12WriteResult {
  if (groups.length === 0) return { ok: false, errors: [{ path: ["groups"], message: "a 997 acknowledges at least one group" }] };
  const seps = envelopeSeparators(envelope);
  const v5010 = (envelope.version ?? "004010") >= "005010";
  const sets = groups.map((g, i) => {
    const segments: string[][] = [["AK1", g.functionalId, g.groupControlNumber, ...(v5010 && g.version !== null ? [g.version] : [])]];
    for (const s of g.sets) {
      segments.push(["AK2", s.id, s.controlNumber, ...(v5010 && s.implementationReference !== null ? [s.implementationReference] : [])]);
      for (const seg of s.segmentErrors) {
        segments.push(["AK3", seg.segmentId, String(seg.position), "", seg.code]);
        for (const e of seg.elements) {
          // AK404 is a copy of the bad data (1–99 characters); one we cannot write is left out.
          const copy = e.badValue === null || e.badValue === "" || unwritableReason(e.badValue, seps) !== null ? "" : e.badValue.slice(0, 99);
          segments.push(["AK4", String(e.position), "", e.code, copy]);
        }
      }
      segments.push(["AK5", s.accepted ? "A" : "R", ...s.errorCodes.slice(0, 5)]);
    }
    const accepted = g.sets.filter((s) => s.accepted).length;
    segments.push(["AK9", groupAckCode(g), String(g.includedSets), String(g.sets.length), String(accepted), ...g.errorCodes.slice(0, 5)]);
    return { id: "997", controlNumber: envelope.firstSetControlNumber + i, segments };
  });
  return writeX12Interchange(envelope, "FA", sets);
}
