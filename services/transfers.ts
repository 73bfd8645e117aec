/**
 * Transfer documents (issue 14): SKUs moved from one location to another. The document lives
 * in D1; each SKU's line moves that SKU's counts in its object (sku-inventory/transfers.ts),
 * keyed `<transfer id>:<line no>`, so every step is exact and safe to repeat.
 *
 * A document created with `draft: true` moves nothing until it is shipped
 * (`shipTransfer`), which then runs the same fan-out; a draft may be cancelled outright.
 *
 * Create is a sequential fan-out with compensation, like the reservation coordinator's but
 * simpler: the document is written `creating` first, then each SKU's line is created in
 * turn; if one fails, the lines already created are cancelled (units back to the origin)
 * and the document is `cancelled` with the failure, which is also the answer to a retry. If
 * the Worker dies mid-way, the document stays `creating`: a retry with the same key drives
 * it again (each step is idempotent), and the sweeper (`sweepTransfers`, every minute)
 * undoes one left so for more than a minute — a cancel of a line never created leaves a
 * tombstone in that SKU's object, so a create still in flight cannot move units afterwards.
 */
import { isFailure, type Failure } from "../domain/failures";
import type { TransferLine, TransferResult } from "../durable-objects/sku-inbound.types";
import { actorOf, principalName, type Principal } from "./principal";
import { ApiError, errorBody } from "./api-error";
import { type D1Write, runBatch } from "../repositories/d1-sql";
import { allLocations } from "../repositories/locations";
import type { SkuRow } from "../d1/schema";
import { findSkus } from "../repositories/skus";
import { findTransfer, insertTransfer, lineUpdate, staleCreating, statusUpdate, touchTransfer, type TransferDoc } from "../repositories/transfers";
import { requestHash } from "../domain/hashing";
import { receiptLot } from "../domain/lots";
import type { CreateTransferBody, ReceiveTransferBody } from "../domain/schemas/inbound";
import { policyOf } from "./sku-access";

/** A document left `creating` this long (ms) is taken to be abandoned by a crashed Worker. */
export const TRANSFER_CREATE_LEASE_MS = 60_000;

const lineId = (transferId: string, lineNo: number) => `${transferId}:${lineNo}`;

/** The document id for a principal's Idempotency-Key: a retry finds the same document. */
export async function transferIdFor(principal: string, idempotencyKey: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`transfer\n${principal}\n${idempotencyKey}`)));
  return `trf_${[...digest]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("")
    .slice(0, 26)}`;
}

async function call(fn: () => Promise<TransferResult | Failure>): Promise<TransferResult | Failure> {
  try {
    return await fn();
  } catch (error) {
    console.error(JSON.stringify({ event: "transfer.sku_call_failed", error: String(error) }));
    return { ok: false, code: "retry_later", message: "a SKU could not be reached; try again" };
  }
}

/** Creates a transfer document and its lines, all or none. */
export async function createTransfer(
  env: Env,
  principal: Principal,
  body: CreateTransferBody,
  idempotencyKey: string,
): Promise<{ doc: TransferDoc; replayed: boolean }> {
  const { byId } = await allLocations(env.DB);
  for (const field of ["fromLocationId", "toLocationId"] as const) {
    if (!byId.has(body[field])) {
      throw ApiError.invalid("unknown location", [{ path: ["body", field], message: `no location ${body[field]}`, code: "unknown_location" }]);
    }
  }
  const skus = await findSkus(
    env,
    body.lines.map((l) => l.sku),
  );
  const unknown = body.lines.flatMap((l, i) =>
    skus.has(l.sku) ? [] : [{ path: ["body", "lines", i, "sku"], message: `no SKU ${l.sku}`, code: "unknown_sku" }],
  );
  if (unknown.length > 0) throw ApiError.invalid("unknown SKU", unknown);

  const owner = principalName(principal);
  const id = await transferIdFor(owner, idempotencyKey);
  const hash = await requestHash(body);
  const existing = await findTransfer(env.DB, id);
  if (existing !== null) {
    if (existing.requestHash !== hash) throw new ApiError(422, "idempotency_conflict", "this Idempotency-Key was already used with a different request");
    // A draft's create answered the draft: its replay answers the document as it stands, never
    // the failure of a later ship (the inbound crash drill, seed 252997: a ship cut by the kill
    // and undone by the sweeper made the create's replay a 409 `interrupted`).
    if (body.draft === true) return { doc: existing, replayed: true };
    if (existing.status !== "creating") return answerCreate(existing, true);
  } else {
    await insertTransfer(env.DB, {
      id,
      fromLocationId: body.fromLocationId,
      toLocationId: body.toLocationId,
      expectedAt: body.expectedAt === undefined ? null : Date.parse(body.expectedAt),
      reference: body.reference ?? null,
      principal: owner,
      idempotencyKey,
      requestHash: hash,
      createdBy: actorOf(principal),
      lines: body.lines,
      now: Date.now(),
      status: body.draft === true ? "draft" : "creating",
    });
  }
  const doc = (await findTransfer(env.DB, id))!;
  if (doc.status === "draft") return { doc, replayed: existing !== null };
  if (doc.status !== "creating") return answerCreate(doc, true);
  return answerCreate(await drive(env, actorOf(principal), doc, skus), false);
}

/** Ships a draft: it becomes `creating` and is driven like a create (all lines or none). Repeating it answers the document. */
export async function shipTransfer(env: Env, principal: Principal, id: string): Promise<TransferDoc> {
  const doc = await findTransfer(env.DB, id);
  if (doc === null) throw new ApiError(404, "transfer_not_found", `no transfer ${id}`);
  if (doc.status === "draft") {
    await statusUpdate(env.DB, id, "creating", Date.now(), { from: ["draft"] }).run();
  } else if (doc.status !== "creating") {
    return answerCreate(doc, true).doc;
  }
  const current = (await findTransfer(env.DB, id))!;
  if (current.status !== "creating") return answerCreate(current, true).doc;
  const skus = await findSkus(
    env,
    current.lines.map((l) => l.sku),
  );
  return answerCreate(await drive(env, actorOf(principal), current, skus), false).doc;
}

/** Creates each line in its SKU's object in turn; undoes them all if one fails. Returns the document as it ends. */
async function drive(env: Env, actor: string, doc: TransferDoc, skus: Map<string, SkuRow>): Promise<TransferDoc> {
  const id = doc.id;
  await touchTransfer(env.DB, id, Date.now());
  const created: { lineNo: number; line: TransferLine }[] = [];
  for (const line of doc.lines) {
    const row = skus.get(line.sku)!;
    const result = await call(() =>
      env.SKU_INVENTORY.getByName(line.sku).createTransfer({
        sku: line.sku,
        actor,
        transferId: lineId(id, line.lineNo),
        fromLocationId: doc.fromLocationId,
        toLocationId: doc.toLocationId,
        quantity: line.quantity,
        expectedAt: doc.expectedAt,
        reference: doc.reference,
        policy: policyOf(row),
      }),
    );
    if (isFailure(result)) {
      await undoCreate(env, doc, actor, `line ${line.lineNo} (${line.sku}): ${result.code}`, {
        code: result.code,
        message: result.message,
        details: result.details ?? null,
      });
      return (await findTransfer(env.DB, id))!;
    }
    created.push({ lineNo: line.lineNo, line: result.line });
  }
  await runBatch(env.DB, [
    ...created.map((c) => lineUpdate(env.DB, id, c.lineNo, c.line)),
    statusUpdate(env.DB, id, "in_transit", Date.now(), { from: ["creating"] }),
  ]);
  return (await findTransfer(env.DB, id))!;
}

/** A document's create answer: the document, or the stored failure of a create that was undone. */
function answerCreate(doc: TransferDoc, replayed: boolean): { doc: TransferDoc; replayed: boolean } {
  if (doc.status === "cancelled" && doc.failure !== null && doc.failure.code !== "cancelled") {
    const f = doc.failure;
    const status = f.code === "insufficient_stock" || f.code === "invalid_state" || f.code === "interrupted" ? 409 : f.code === "retry_later" ? 503 : 409;
    throw new ApiError(status, f.code, f.message, { transferId: doc.id, cause: f.details });
  }
  return { doc, replayed };
}

/** Cancels every line of a document (units back to the origin; tombstones where never created) and marks it cancelled. */
async function undoCreate(env: Env, doc: TransferDoc, actor: string, why: string, failure: { code: string; message: string; details: unknown }): Promise<void> {
  const updates: D1Write[] = [];
  for (const line of doc.lines) {
    const result = await call(() =>
      env.SKU_INVENTORY.getByName(line.sku).cancelTransfer({ sku: line.sku, actor, transferId: lineId(doc.id, line.lineNo), reason: "compensation" }),
    );
    // A line that could not be cancelled now keeps the document `creating`: the sweeper tries again.
    if (isFailure(result)) {
      console.error(JSON.stringify({ event: "transfer.compensation_failed", transferId: doc.id, lineNo: line.lineNo, code: result.code }));
      return;
    }
    updates.push(lineUpdate(env.DB, doc.id, line.lineNo, result.line));
  }
  console.warn(JSON.stringify({ event: "transfer.create_undone", transferId: doc.id, why }));
  await runBatch(env.DB, [...updates, statusUpdate(env.DB, doc.id, "cancelled", Date.now(), { from: ["creating"], failure })]);
}

/** The document's status from its lines' figures. */
function docStatus(lines: { status: string; received: number; damaged: number; short: number }[]): TransferDoc["status"] {
  if (lines.every((l) => l.status === "cancelled")) return "cancelled";
  if (lines.every((l) => l.status === "received" || l.status === "cancelled")) return "received";
  return "partially_received";
}

/**
 * Receives part or all of some lines; idempotent by the caller's Idempotency-Key. On a
 * cancelled document only a retry of a receipt already applied gets through (the objects
 * replay it by receipt id); anything else is 409 `invalid_state`, as before the cancel.
 */
export async function receiveTransfer(env: Env, principal: Principal, id: string, body: ReceiveTransferBody, idempotencyKey: string): Promise<TransferDoc> {
  const doc = await findTransfer(env.DB, id);
  if (doc === null) throw new ApiError(404, "transfer_not_found", `no transfer ${id}`);
  const receiptId = `${principalName(principal)}\n${idempotencyKey}`;
  const bySku = new Map(doc.lines.map((l) => [l.sku, l]));
  const problems = body.lines.flatMap((l, i) =>
    bySku.has(l.sku) ? [] : [{ path: ["body", "lines", i, "sku"], message: `${l.sku} is not on transfer ${id}`, code: "not_on_transfer" }],
  );
  if (problems.length > 0) throw ApiError.invalid("SKU not on this transfer", problems);
  const refused = () => new ApiError(409, "invalid_state", `transfer ${id} is ${doc.status}`, { status: doc.status });
  if (doc.status !== "in_transit" && doc.status !== "partially_received" && doc.status !== "received" && doc.status !== "cancelled") throw refused();
  const skus = await findSkus(
    env,
    body.lines.map((l) => l.sku),
  );
  const updates: D1Write[] = [];
  for (const l of body.lines) {
    const line = bySku.get(l.sku)!;
    const result = await call(() =>
      env.SKU_INVENTORY.getByName(l.sku).receiveTransfer({
        sku: l.sku,
        actor: actorOf(principal),
        transferId: lineId(id, line.lineNo),
        receiptId,
        received: l.received,
        damaged: l.damaged,
        short: l.short,
        ...receiptLot(l),
        policy: policyOf(skus.get(l.sku)!),
      }),
    );
    if (isFailure(result)) {
      if (updates.length > 0) await runBatch(env.DB, updates);
      // A cancelled document's lines take no new receipt (the object refuses or never had the line).
      if (doc.status === "cancelled" && result.code !== "retry_later") throw refused();
      throw ApiError.fromFailure({ ...result, details: { sku: l.sku, lineNo: line.lineNo, cause: result.details ?? null } });
    }
    updates.push(lineUpdate(env.DB, id, line.lineNo, result.line));
    Object.assign(line, { received: result.line.received, damaged: result.line.damaged, short: result.line.short, status: result.line.status });
  }
  updates.push(statusUpdate(env.DB, id, docStatus(doc.lines), Date.now(), { from: ["in_transit", "partially_received"] }));
  await runBatch(env.DB, updates);
  return (await findTransfer(env.DB, id))!;
}

/** Cancels what is outstanding on every line: the units go back to the origin. */
export async function cancelTransfer(env: Env, principal: Principal, id: string, reason: string): Promise<TransferDoc> {
  const doc = await findTransfer(env.DB, id);
  if (doc === null) throw new ApiError(404, "transfer_not_found", `no transfer ${id}`);
  if (doc.status === "cancelled") return doc;
  if (doc.status === "draft") {
    await statusUpdate(env.DB, id, "cancelled", Date.now(), { from: ["draft"], failure: { code: "cancelled", message: reason, details: null } }).run();
    const now = (await findTransfer(env.DB, id))!;
    if (now.status !== "cancelled") throw new ApiError(409, "invalid_state", `transfer ${id} is ${now.status}`, { status: now.status });
    return now;
  }
  if (doc.status !== "in_transit" && doc.status !== "partially_received") {
    throw new ApiError(409, "invalid_state", `transfer ${id} is ${doc.status}`, { status: doc.status });
  }
  const updates: D1Write[] = [];
  for (const line of doc.lines) {
    if (line.status === "received" || line.status === "cancelled") continue;
    const result = await call(() =>
      env.SKU_INVENTORY.getByName(line.sku).cancelTransfer({ sku: line.sku, actor: actorOf(principal), transferId: lineId(id, line.lineNo), reason }),
    );
    if (isFailure(result)) {
      if (updates.length > 0) await runBatch(env.DB, updates);
      throw ApiError.fromFailure(result);
    }
    updates.push(lineUpdate(env.DB, id, line.lineNo, result.line));
  }
  updates.push(
    statusUpdate(env.DB, id, "cancelled", Date.now(), {
      from: ["in_transit", "partially_received"],
      failure: { code: "cancelled", message: reason, details: null },
    }),
  );
  await runBatch(env.DB, updates);
  return (await findTransfer(env.DB, id))!;
}

/**
 * The sweeper (cron, every minute): a document left `creating` for longer than the lease
 * was abandoned by a crashed Worker; its lines are cancelled (tombstones where never
 * created) and it becomes `cancelled` (`interrupted`). Returns how many it undid.
 */
export async function sweepTransfers(env: Env, now: number): Promise<number> {
  let undone = 0;
  for (const id of await staleCreating(env.DB, now - TRANSFER_CREATE_LEASE_MS, 20)) {
    const doc = await findTransfer(env.DB, id);
    if (doc === null || doc.status !== "creating") continue;
    await undoCreate(env, doc, "system:transfer-sweeper", "abandoned while creating", {
      code: "interrupted",
      message: "the create was interrupted and has been undone; send it again with a new Idempotency-Key",
      details: null,
    });
    undone++;
  }
  return undone;
}

/** The document as the API shows it (times as ISO strings, no internal fields). */
export function transferView(doc: TransferDoc) {
  return {
    id: doc.id,
    status: doc.status,
    fromLocationId: doc.fromLocationId,
    toLocationId: doc.toLocationId,
    expectedAt: doc.expectedAt === null ? null : new Date(doc.expectedAt).toISOString(),
    reference: doc.reference,
    createdBy: doc.createdBy,
    failure: doc.failure === null ? null : errorBody(doc.failure.code, doc.failure.message, doc.failure.details).error,
    createdAt: new Date(doc.createdAt).toISOString(),
    updatedAt: new Date(doc.updatedAt).toISOString(),
    lines: doc.lines.map((l) => ({
      ...l,
      outstanding: l.status === "cancelled" || l.status === "pending" ? 0 : l.quantity - l.received - l.damaged - l.short,
    })),
  };
}
