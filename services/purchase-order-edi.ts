/**
 * Purchase orders over X12 (issue 16 item 2): the 850 we send a vendor for an order, and the
 * 855 acknowledgments and 856 ship notices a vendor sends us, which move its orders through
 * the same steps as the API (`services/purchase-orders.ts`: confirm with the vendor's
 * changes, ship), answered with a 997.
 *
 * **Control numbers.** Every interchange we send a vendor takes the next number of that
 * vendor's counter (`x12_control_numbers`, partner `vendor:<id>`; ISA13 = GS06, the one set is
 * ST02 0001), so they increase per vendor. An 850 is recorded per version of the order's
 * content (`purchase_order_x12`: the hash of what the 850 says), so downloading the same
 * version again gives the same interchange byte for byte (same control number, same
 * creation time); a new version (the order cancelled: BEG01 01) gets the next number. The
 * 850 carries the order as ordered (`orderedQuantity`), so the vendor's own changes do not
 * make a new version. Each 997 takes a new number. The counter and the 850 records are the
 * vendor's, so they live with its orders in its read database (services/purchase-orders.ts).
 *
 * **Reading a file** (`readInboundX12`): each set is read whole; a sound 855 or 856 is then
 * planned against the orders it names (`domain/purchase-order-edi.ts`) and applied only when
 * the whole plan holds, so a set with any problem — envelope, content, or against our
 * orders — changes nothing, and the 997 rejects it with the segment and element positions.
 * A vendor acts on its own orders only: a file naming another vendor's order is refused
 * whole (403) before anything is applied. Applying is idempotent per set (a confirmed order
 * acknowledged the same way again, an order shipped under the same BSN02 again: accepted,
 * unchanged), so a file may be sent again after a 503.
 */
import { sha256Hex } from "../domain/hashing";
import {
  planConfirmation,
  planShipments,
  poNumberForm,
  x12PoNumber,
  type EdiPurchaseOrder,
  type PlanResult,
  type ShipmentPlan,
  type ConfirmationPlan,
} from "../domain/purchase-order-edi";
import { generate850, type PurchaseOrder as X12PurchaseOrder } from "../domain/x12/x12-850";
import { generate997, groupAckOf } from "../domain/x12/x12-997";
import { readInboundX12, type InboundSet } from "../domain/x12/x12-inbound";
import type { X12Issue, X12TransactionSet } from "../domain/x12/x12-interchange";
import { envelopeSeparators, type X12EnvelopeOptions } from "../domain/x12/x12-writer";
import { allLocations } from "../repositories/locations";
import { findPurchaseOrder, issue850, nextControlNumber, type PurchaseOrder } from "../repositories/purchase-orders";
import { vendorReadDb } from "../repositories/read-partitions";
import { ApiError } from "./api-error";
import { actorOf, type Principal } from "./principal";
import { applyConfirmation, findPurchaseOrdersByNumberAcross, shipPurchaseOrder, vendorWriteDb } from "./purchase-orders";

/** Limits of `POST /api/v2/purchase-orders/edi`. */
export const PO_EDI_LIMITS = {
  /** Largest file, bytes (413 past it). */
  maxBytes: 1024 * 1024,
  /** Most transaction sets in one file (413 past it): each may move orders. */
  maxSets: 50,
} as const;

/** Our interchange id (ISA05/06) in what we send, and what a vendor addresses. */
export const OUR_X12_ID = { qualifier: "ZZ", id: "EDGEINVENTORY" } as const;

const partnerOf = (vendorId: string) => `vendor:${vendorId}`;

/** A vendor id as an ISA receiver id (1–15 characters: longer ids are cut). */
const x12IdOf = (vendorId: string) => vendorId.slice(0, 15);

const isoSeconds = (ms: number) => new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z");

const DEFAULT_SEPARATORS = envelopeSeparators({} as X12EnvelopeOptions);

/** Free text for an X12 element: separators and control characters become spaces (X12 has no escape). */
function x12Text(text: string, max: number): string {
  const out = [...text]
    .map((ch) => (ch < " " || ch === "\x7f" || Object.values(DEFAULT_SEPARATORS).includes(ch) ? " " : ch))
    .join("")
    .trim()
    .slice(0, max);
  return out.length === 0 ? "-" : out;
}

/** The 850 an order is, as plain data for `generate850`. */
function x12OrderOf(po: PurchaseOrder, locationName: string): X12PurchaseOrder {
  return {
    poNumber: x12PoNumber(po.id),
    orderDate: new Date(po.createdAt).toISOString().slice(0, 10),
    purpose: po.status === "cancelled" ? "cancellation" : "original",
    ...(po.expectedAt === null ? {} : { requestedDeliveryDate: new Date(po.expectedAt).toISOString().slice(0, 10) }),
    shipTo: { name: x12Text(locationName, 60), locationId: po.locationId },
    lines: po.lines.map((l) => ({ lineNumber: String(l.lineNo + 1), sku: l.sku, quantity: l.orderedQuantity ?? l.quantity })),
  };
}

/**
 * The order as an X12 850 interchange (see the module comment for its control numbers).
 * A draft has not been sent to the vendor: 409.
 */
export async function purchaseOrder850(env: Env, po: PurchaseOrder): Promise<{ text: string; controlNumber: number; poNumber: string }> {
  if (po.status === "draft") {
    throw new ApiError(409, "invalid_state", `purchase order ${po.id} is a draft; submit it before sending it as an 850`, { status: po.status });
  }
  const { byId } = await allLocations(env.DB);
  const order = x12OrderOf(po, byId.get(po.locationId)?.name ?? po.locationId);
  const { controlNumber, createdAt } = await issue850(await vendorWriteDb(env, po.vendorId), {
    purchaseOrderId: po.id,
    contentHash: await sha256Hex(JSON.stringify(order)),
    partner: partnerOf(po.vendorId),
    now: Date.now(),
  });
  const result = generate850(order, {
    senderQualifier: OUR_X12_ID.qualifier,
    senderId: OUR_X12_ID.id,
    receiverQualifier: "ZZ",
    receiverId: x12IdOf(po.vendorId),
    createdAt: isoSeconds(createdAt),
    interchangeControlNumber: controlNumber,
    groupControlNumber: controlNumber,
    setControlNumber: 1,
    lineBreak: "\n",
  });
  if (!result.ok) {
    throw new ApiError(422, "x12_unwritable", `purchase order ${po.id} cannot be written as an 850`, { problems: result.errors });
  }
  return { text: result.text, controlNumber, poNumber: order.poNumber };
}

/** What happened to one order named by a set. */
export interface SetOrderOutcome {
  id: string;
  /** confirmed, cancelled (every line rejected), shipped, or unchanged (a resend). */
  outcome: "confirmed" | "cancelled" | "shipped" | "unchanged";
  status: PurchaseOrder["status"];
}

/** One transaction set of the file and what became of it. */
export interface SetOutcome {
  groupControlNumber: string;
  transactionSetId: string;
  setControlNumber: string;
  accepted: boolean;
  purchaseOrders: SetOrderOutcome[];
  errors: Pick<X12Issue, "code" | "message" | "segmentId" | "segmentIndex" | "line" | "positionInSet" | "elementPosition" | "badValue">[];
}

export interface EdiReceipt {
  interchange: { senderId: string; controlNumber: string };
  accepted: number;
  rejected: number;
  sets: SetOutcome[];
  functionalAcknowledgment: { controlNumber: number; x12: string } | null;
}

const ediOrder = (po: PurchaseOrder): EdiPurchaseOrder => po;

/** The issue that refuses a set of a type this endpoint does not take (AK5 1, as `readInboundX12` does). */
function unsupported(set: X12TransactionSet): X12Issue {
  const st = set.segments[0]!;
  return {
    code: "unsupported_transaction_set",
    message: `transaction set ${set.id} is not read here (855, 856); send 846 inventory to POST /api/v2/inventory/sync`,
    segmentIndex: st.index,
    line: st.line,
    segmentId: "ST",
    groupControlNumber: set.groupControlNumber,
    setControlNumber: set.controlNumber,
    positionInSet: 1,
    elementPosition: 1,
    badValue: set.id,
    ack: { setCode: "1" },
  };
}

/** The PO numbers a sound set names. */
function poNumbersOf(inbound: InboundSet): string[] {
  if (inbound.content?.type === "855") return [inbound.content.acknowledgment.poNumber];
  if (inbound.content?.type === "856") return [...new Set(inbound.content.shipNotice.lines.map((l) => l.poNumber))];
  return [];
}

/** The refusal of a set whose order another step moved between the plan and its commit. */
function raced(set: X12TransactionSet, error: ApiError): X12Issue {
  const seg = set.segments[1] ?? set.segments[0]!;
  return {
    code: "purchase_order_state",
    message: error.message,
    segmentIndex: seg.index,
    line: seg.line,
    segmentId: seg.id,
    groupControlNumber: set.groupControlNumber,
    setControlNumber: set.controlNumber,
    positionInSet: seg.index - set.segments[0]!.index + 1,
    elementPosition: null,
    badValue: null,
    ack: { setCode: "5", segmentCode: "8" },
  };
}

/**
 * Reads a vendor's X12 file (855s and 856s, any number of groups and sets up to the limit),
 * applies each sound set whose plan holds, and answers per set plus the 997. `vendorId`: the
 * vendor the file is from (a vendor key's own). A text that is no interchange is a 400.
 */
export async function receivePurchaseOrderEdi(env: Env, principal: Principal, vendorId: string, text: string): Promise<EdiReceipt> {
  const read = readInboundX12(text, { locationNames: {} });
  if (!read.ok) {
    throw new ApiError(400, "malformed_x12", `the body is not an X12 interchange: ${read.message}`, {
      reason: read.code,
      line: read.line,
      elementPosition: read.elementPosition,
    });
  }
  if (read.sets.length > PO_EDI_LIMITS.maxSets) {
    throw new ApiError(413, "too_many_sets", `at most ${PO_EDI_LIMITS.maxSets} transaction sets per file; split it`, {
      maxSets: PO_EDI_LIMITS.maxSets,
      received: read.sets.length,
    });
  }
  const { interchange } = read;
  const rawSets = interchange.groups.flatMap((g) => g.sets);

  // Every order the file names, before anything is applied: another vendor's refuses the file.
  const numbers = [...new Set(read.sets.flatMap(poNumbersOf))];
  const forms = numbers.flatMap((n) => {
    const form = poNumberForm(n);
    return form === null ? [] : [{ text: n, kind: form.kind }];
  });
  // The vendor's rows must not be moving (503 before anything is applied), and its 997 takes its counter there.
  const vendorDb = await vendorWriteDb(env, vendorId);
  const found = await findPurchaseOrdersByNumberAcross(env, forms);
  const idOf = new Map<string, string | null>();
  for (const n of numbers) {
    const orders = found.get(n) ?? [];
    const foreign = orders.find((o) => o.vendorId !== vendorId);
    if (foreign !== undefined) {
      throw new ApiError(403, "forbidden", `purchase order ${n} is not vendor ${vendorId}'s; a file may act on that vendor's orders only`, {
        poNumber: n,
        vendorId,
      });
    }
    idOf.set(n, orders.length === 1 ? orders[0]!.id : null);
  }
  const fresh = async (n: string) => {
    const id = idOf.get(n) ?? null;
    return id === null ? null : await findPurchaseOrder(await vendorReadDb(env, vendorId), id);
  };

  const actor = actorOf(principal);
  const appErrors = new Map<X12TransactionSet, X12Issue[]>();
  const outcomes: SetOrderOutcome[][] = [];
  for (const [i, inbound] of read.sets.entries()) {
    const set = rawSets[i]!;
    const applied: SetOrderOutcome[] = [];
    outcomes.push(applied);
    if (!inbound.ok || inbound.content === null) continue;
    const content = inbound.content;
    if (content.type === "846") {
      appErrors.set(set, [unsupported(set)]);
      continue;
    }
    try {
      if (content.type === "855") {
        const po = await fresh(content.acknowledgment.poNumber);
        const plan: PlanResult<ConfirmationPlan> = planConfirmation(set, content.acknowledgment, po === null ? null : ediOrder(po));
        if (!plan.ok) {
          appErrors.set(set, plan.errors);
          continue;
        }
        const p = plan.plans[0]!;
        const after = await applyConfirmation(env, po!, p);
        applied.push({
          id: after.id,
          outcome: p.action === "unchanged" ? "unchanged" : p.action === "cancel" ? "cancelled" : "confirmed",
          status: after.status,
        });
      } else {
        const orders = new Map<string, EdiPurchaseOrder | null>();
        const docs = new Map<string, PurchaseOrder>();
        for (const n of new Set(content.shipNotice.lines.map((l) => l.poNumber))) {
          const po = await fresh(n);
          orders.set(n, po === null ? null : ediOrder(po));
          if (po !== null) docs.set(po.id, po);
        }
        const plan: PlanResult<ShipmentPlan> = planShipments(set, content.shipNotice, orders);
        if (!plan.ok) {
          appErrors.set(set, plan.errors);
          continue;
        }
        for (const p of plan.plans) {
          const po = docs.get(p.poId)!;
          if (p.action === "unchanged") {
            applied.push({ id: po.id, outcome: "unchanged", status: po.status });
            continue;
          }
          const after = await shipPurchaseOrder(env, actor, po, p.action === "ship" ? { shipmentId: p.shipmentId, lines: p.lines } : undefined);
          applied.push({ id: after.id, outcome: p.action === "ship" ? "shipped" : "unchanged", status: after.status });
        }
      }
    } catch (error) {
      // Another step moved the order between the plan and its commit: the set is refused
      // (nothing of it committed). A SKU that could not be reached (503) fails the request:
      // what committed is finished by a resend of the file or by the sweeper.
      if (error instanceof ApiError && error.status === 409) appErrors.set(set, [raced(set, error)]);
      else throw error;
    }
  }

  // The 997: each group's sets with their content problems and the problems against our orders.
  const envelopeIssues = new Set<X12Issue>([...interchange.errors, ...interchange.groups.flatMap((g) => [...g.errors, ...g.sets.flatMap((s) => s.errors)])]);
  const setIndex = new Map(rawSets.map((s, i) => [s, i]));
  const acks = interchange.groups.map((group) => {
    const content = new Map<X12TransactionSet, X12Issue[]>();
    for (const set of group.sets) {
      const inbound = read.sets[setIndex.get(set)!]!;
      content.set(set, [...inbound.errors.filter((e) => !envelopeIssues.has(e)), ...(appErrors.get(set) ?? [])]);
    }
    return groupAckOf(group, content);
  });
  const sets: SetOutcome[] = read.sets.map((inbound, i) => {
    const extra = appErrors.get(rawSets[i]!) ?? [];
    const accepted = inbound.ok && extra.length === 0;
    return {
      groupControlNumber: inbound.groupControlNumber,
      transactionSetId: inbound.transactionSetId,
      setControlNumber: inbound.setControlNumber,
      accepted,
      purchaseOrders: accepted ? outcomes[i]! : [],
      errors: [...inbound.errors, ...extra].map((e) => ({
        code: e.code,
        message: e.message,
        segmentId: e.segmentId,
        segmentIndex: e.segmentIndex,
        line: e.line,
        positionInSet: e.positionInSet,
        elementPosition: e.elementPosition,
        badValue: e.badValue,
      })),
    };
  });
  let functionalAcknowledgment: EdiReceipt["functionalAcknowledgment"] = null;
  if (acks.length > 0) {
    const controlNumber = await nextControlNumber(vendorDb, partnerOf(vendorId));
    const header = interchange.header;
    const receiverOk = /^[A-Z0-9]{2}$/.test(header.senderQualifier) && /^[\x21-\x7E][\x20-\x7E]{0,14}$/.test(header.senderId);
    const written = generate997(acks, {
      senderQualifier: OUR_X12_ID.qualifier,
      senderId: OUR_X12_ID.id,
      receiverQualifier: receiverOk ? header.senderQualifier : "ZZ",
      receiverId: receiverOk ? header.senderId : x12IdOf(vendorId),
      createdAt: isoSeconds(Date.now()),
      interchangeControlNumber: controlNumber,
      groupControlNumber: controlNumber,
      firstSetControlNumber: 1,
      version: header.version >= "00501" ? "005010" : "004010",
      lineBreak: "\n",
    });
    if (written.ok) functionalAcknowledgment = { controlNumber, x12: written.text };
    else console.error(JSON.stringify({ event: "purchase_order.x12_997_unwritable", problems: written.errors }));
  }
  const accepted = sets.filter((s) => s.accepted).length;
  return {
    interchange: { senderId: interchange.header.senderId, controlNumber: interchange.header.controlNumber },
    accepted,
    rejected: sets.length - accepted,
    sets,
    functionalAcknowledgment,
  };
}
