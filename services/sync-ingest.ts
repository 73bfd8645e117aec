/**
 * Taking in a vendor's sync request: check every item up front (bad items become item
 * errors of the job, never a 400 for the batch), record the job, its chunks and the
 * rejected items in D1, and send the chunks to SYNC. Keyed by (principal,
 * Idempotency-Key): a repeat of the same request returns the same job and queues only
 * what an earlier attempt did not manage to queue; the same key with another body is a
 * 422.
 */
import type { SyncJobRow } from "../d1/schema";
import type { SyncMode } from "../domain/sync";
import type { SyncJobSource } from "../domain/sync-jobs";
import type { QuantityKind } from "../domain/vendor-formats/vendor-feed-items";
import { planChunks, SYNC_CHUNK_LIMITS, type ChunkPlan, type SyncChunkMessage } from "../domain/sync-chunks";
import { checkSyncItems, type RawSyncItem, type SyncItemError } from "../domain/sync-items";
import { sha256Hex } from "../domain/hashing";
import { actorOf, principalName, type Principal } from "./principal";
import { ApiError } from "./api-error";
import { allLocations } from "../repositories/locations";
import { createSyncJob, findSyncJob, markChunksEnqueued, unsentChunks } from "../repositories/sync-jobs";
import { notifyIfFinished } from "./sync-jobs";
import { decodeVendorFile, effectiveFormat, type DecodedFile, type UploadFormat } from "./sync-formats";
import { reportSyncAttempt } from "./sync-health";
import { vendorSyncSettingsOf } from "./sync-settings";
import type { SyncMethod } from "../domain/vendor-sync-settings";
import { parseSyncChunk } from "./sync-apply";
import { sendChunkMessages, syncPartitionCount } from "./sync-send";
import { generate997 } from "../domain/x12/x12-997";
import { nextControlNumber } from "../repositories/purchase-orders";
import { OUR_X12_ID } from "./purchase-order-edi";
import { vendorWriteDb } from "./purchase-orders";

/** A validated request: whose feed, how to read it, and its items as sent. */
export interface SyncRequest {
  vendorId: string;
  mode: SyncMode;
  /** How the items were sent: JSON values or CSV text (decides how a quantity is read). */
  format: "json" | "csv";
  /** The vendor's file format, recorded on the job. */
  source: SyncJobSource;
  items: RawSyncItem[];
  /**
   * Vendor files (issue 16): the item errors found while reading the file (a row without a
   * SKU, an X12 set that failed), numbered in one sequence with `items`. Default none.
   */
  preRejected?: SyncItemError[];
  /** Vendor files: what the quantities are (default `on_hand`; `available` needs mode absolute). */
  quantityKind?: QuantityKind;
  /** The health method a new job counts for (`services/sync-health.ts`); default push_api, or push_csv for CSV. */
  method?: SyncMethod;
  idempotencyKey: string;
}

/** `sync_` + 32 hex: SHA-256 of the caller's principal and Idempotency-Key, so a retry finds its job. */
export async function syncJobIdFor(principal: string, idempotencyKey: string): Promise<string> {
  return `sync_${(await sha256Hex(`sync\n${principal}\n${idempotencyKey}`)).slice(0, 32)}`;
}

/** What tells one request from another under the same key: vendor, mode, source and every item as sent. */
async function requestHashOf(request: SyncRequest): Promise<string> {
  return sha256Hex(
    JSON.stringify([
      request.vendorId,
      request.mode,
      request.format,
      request.source,
      request.items.map((i) => [i.row, i.value ?? null, i.fieldCountProblem ?? null]),
      // Only vendor files have these, so the hash of a JSON or CSV request is what it always was.
      ...(request.preRejected !== undefined && request.preRejected.length > 0 ? [request.preRejected.map((e) => [e.itemIndex, e.code, e.message])] : []),
      ...(request.quantityKind === "available" ? ["available"] : []),
    ]),
  );
}

/**
 * Checks the items against the current locations and splits the accepted ones into chunks,
 * a job of several chunks partition by partition (each chunk's SKUs in one SYNC partition).
 */
async function plan(env: Env, request: SyncRequest) {
  const { byId } = await allLocations(env.DB);
  // An available value may be negative (a vendor that oversold): it is checked against the delta's range (see rangeModeOf).
  const rangeMode = request.quantityKind === "available" ? "delta" : request.mode;
  const checked = checkSyncItems(request.items, rangeMode, request.format, (id) => {
    const location = byId.get(id);
    return location === undefined ? null : { active: location.active };
  });
  const rejected =
    request.preRejected === undefined ? checked.rejected : [...request.preRejected, ...checked.rejected].sort((a, b) => a.itemIndex - b.itemIndex);
  return { accepted: checked.accepted, rejected, chunks: planChunks(checked.accepted, SYNC_CHUNK_LIMITS, syncPartitionCount(env)) };
}

/** The SYNC message of each planned chunk of a job. */
function chunkMessages(
  job: Pick<SyncJobRow, "id" | "vendorId" | "mode" | "actor">,
  chunks: readonly ChunkPlan[],
  kind: QuantityKind = "on_hand",
): SyncChunkMessage[] {
  return chunks.map((c) => ({
    v: 1,
    jobId: job.id,
    chunkIndex: c.chunkIndex,
    vendorId: job.vendorId,
    mode: job.mode,
    actor: job.actor,
    ...(kind === "available" ? { kind } : {}),
    skus: c.skus,
  }));
}

/** Sends chunk messages of a job to their SYNC partitions, in groups within the sendBatch limits, marking each group sent. */
async function enqueue(env: Env, jobId: string, messages: readonly SyncChunkMessage[]): Promise<void> {
  try {
    await sendChunkMessages(env, messages, (group) =>
      markChunksEnqueued(
        env.DB,
        jobId,
        group.map((m) => m.chunkIndex),
        Date.now(),
      ),
    );
  } catch (error) {
    console.error(JSON.stringify({ event: "sync.enqueue_failed", jobId, error: error instanceof Error ? error.message : "unknown" }));
    throw new ApiError(503, "retry_later", "the job is recorded but could not be queued in full; repeat the request with the same Idempotency-Key", {
      jobId,
    });
  }
}

/**
 * Records and queues a sync request, or finds the job an earlier identical request
 * created (`replayed`), queueing any chunk that earlier attempt left unsent.
 */
export async function ingestSync(env: Env, principal: Principal, request: SyncRequest): Promise<{ job: SyncJobRow; replayed: boolean }> {
  const owner = principalName(principal);
  const jobId = await syncJobIdFor(owner, request.idempotencyKey);
  const requestHash = await requestHashOf(request);
  const conflict = () =>
    new ApiError(422, "idempotency_conflict", "this Idempotency-Key was used for a different sync request; use a new key for new data", { jobId });

  const existing = await findSyncJob(env.DB, jobId);
  if (existing !== undefined) {
    if (existing.requestHash !== requestHash) throw conflict();
    await resume(env, existing, request);
    return { job: (await findSyncJob(env.DB, jobId)) ?? existing, replayed: true };
  }

  const now = Date.now();
  const { accepted, rejected, chunks } = await plan(env, request);
  const actor = actorOf(principal);
  const messages = chunkMessages({ id: jobId, vendorId: request.vendorId, mode: request.mode, actor }, chunks, request.quantityKind);
  const job = await createSyncJob(
    env.DB,
    {
      id: jobId,
      vendorId: request.vendorId,
      principal: owner,
      idempotencyKey: request.idempotencyKey,
      requestHash,
      actor,
      mode: request.mode,
      source: request.source,
      received: request.items.length + (request.preRejected?.length ?? 0),
      accepted: accepted.length,
      rejected: rejected.length,
      chunks: chunks.map((c, i) => ({ chunkIndex: c.chunkIndex, itemCount: c.itemCount, payload: JSON.stringify(messages[i]) })),
      now,
    },
    rejected,
  );
  // Another request with the same key got there first.
  if (job.requestHash !== requestHash) throw conflict();
  if (job.createdAt !== now) {
    await resume(env, job, request);
    return { job: (await findSyncJob(env.DB, jobId)) ?? job, replayed: true };
  }
  await enqueue(env, job.id, messages);
  // A job with nothing to queue is finished already.
  if (chunks.length === 0) await notifyIfFinished(env, job.id);
  // A file whose every item was refused is a failed sync; anything that got through, or nothing wrong, a successful one.
  // A pull reports its own attempts, on the cron's clock (services/sync-pull.ts).
  const ok = job.accepted > 0 || job.rejected === 0;
  if (request.method !== "pull_url") {
    await reportSyncAttempt(env, {
      vendorId: request.vendorId,
      method: request.method ?? (request.source === "csv" ? "push_csv" : "push_api"),
      at: now,
      ok,
      error: ok ? null : `every one of the ${job.received} items was refused (job ${job.id})`,
      jobId: job.id,
    });
  }
  return { job: (await findSyncJob(env.DB, jobId)) ?? job, replayed: false };
}

/** A vendor file to ingest: its text, how to read it (default the vendor's setting, else detected), and the request's mode. */
export interface VendorFileRequest {
  vendorId: string;
  text: string;
  format: UploadFormat | undefined;
  mode: SyncMode | undefined;
  idempotencyKey: string;
  /** The health method it counts for; default from the file (push_csv, or edi for X12). */
  method?: SyncMethod;
}

/**
 * Reads a vendor file with the vendor's settings (`services/sync-formats.ts`) and ingests
 * it as one job; a pushed X12 file also gets its 997 (`functionalAcknowledgment`). A file that cannot be read is refused whole (400/413 `ApiError`, recorded
 * as a failed attempt in the vendor's health) and changes nothing.
 */
export async function ingestVendorFile(
  env: Env,
  principal: Principal,
  request: VendorFileRequest,
): Promise<{ job: SyncJobRow; replayed: boolean; file: DecodedFile; functionalAcknowledgment: FunctionalAcknowledgment | null }> {
  const settings = await vendorSyncSettingsOf(env, request.vendorId);
  const format = effectiveFormat(request.format, settings);
  const decoded = decodeVendorFile(request.text, format, settings);
  if (!decoded.ok) {
    if (request.method !== "pull_url")
      await reportSyncAttempt(env, {
        vendorId: request.vendorId,
        method: request.method ?? (format === "x12" ? "edi" : "push_csv"),
        at: Date.now(),
        ok: false,
        error: `${decoded.code}: ${decoded.message}`,
      });
    throw new ApiError(decoded.status, decoded.code, decoded.message, decoded.details);
  }
  const file = decoded.file;
  if (file.source !== "csv" && request.mode === "delta") {
    throw ApiError.invalid("a vendor file gives stock levels, not deltas", [
      { path: ["query", "mode"], message: `a ${file.source} file is applied as absolute levels; omit mode or say absolute`, code: "invalid_mode" },
    ]);
  }
  const { job, replayed } = await ingestSync(env, principal, {
    vendorId: request.vendorId,
    mode: request.mode ?? "absolute",
    format: file.format,
    source: file.source,
    items: file.items,
    preRejected: file.preRejected,
    quantityKind: file.quantityKind,
    method: request.method ?? file.method,
    idempotencyKey: request.idempotencyKey,
  });
  // A pulled file has no one to answer: its 997 would only spend a control number.
  const ack = file.x12 === undefined || request.method === "pull_url" ? null : await acknowledge(env, request.vendorId, file.x12);
  return { job, replayed, file, functionalAcknowledgment: ack };
}

/** The 997 answering an X12 file: its interchange control number (also GS06) and the text. */
export interface FunctionalAcknowledgment {
  controlNumber: number;
  x12: string;
}

/**
 * The 997 of a received 846 file, addressed to its sender (ISA05/06, else the vendor id),
 * in its version (4010 or 5010), with the next control number of the vendor's counter —
 * the one its 850s and purchase-order 997s take (`x12_control_numbers`, partner
 * `vendor:<id>`). Each answer is an interchange sent, so a replayed request gets its 997
 * again under a new number. A 997 that cannot be written is logged and left out (null).
 */
async function acknowledge(env: Env, vendorId: string, x12: NonNullable<DecodedFile["x12"]>): Promise<FunctionalAcknowledgment | null> {
  if (x12.acknowledgments.length === 0) return null;
  // The counter lives with the vendor's orders, in its read database (services/purchase-orders.ts).
  const controlNumber = await nextControlNumber(await vendorWriteDb(env, vendorId), `vendor:${vendorId}`);
  const receiverOk = /^[A-Z0-9]{2}$/.test(x12.senderQualifier) && /^[\x21-\x7E][\x20-\x7E]{0,14}$/.test(x12.senderId);
  const written = generate997(x12.acknowledgments, {
    senderQualifier: OUR_X12_ID.qualifier,
    senderId: OUR_X12_ID.id,
    receiverQualifier: receiverOk ? x12.senderQualifier : "ZZ",
    receiverId: receiverOk ? x12.senderId : vendorId.slice(0, 15),
    createdAt: new Date().toISOString().replace(/\.\d{3}Z$/, "Z"),
    interchangeControlNumber: controlNumber,
    groupControlNumber: controlNumber,
    firstSetControlNumber: 1,
    version: x12.version >= "00501" ? "005010" : "004010",
    lineBreak: "\n",
  });
  if (written.ok) return { controlNumber, x12: written.text };
  console.error(JSON.stringify({ event: "sync.x12_997_unwritable", vendorId, problems: written.errors }));
  return null;
}

/**
 * Queues the chunks an earlier attempt recorded but did not send: their stored messages.
 * A job recorded before messages were stored has its chunks planned again from the same
 * request; should the master data have changed the plan meanwhile (a location
 * deactivated), the stored chunk sizes no longer match and the request is refused rather
 * than queueing a different job.
 */
async function resume(env: Env, job: SyncJobRow, request: SyncRequest): Promise<void> {
  const unsent = await unsentChunks(env.DB, job.id);
  if (unsent.length === 0) return;
  const stored = unsent.flatMap((c) => (c.payload === null ? [] : [parseSyncChunk(JSON.parse(c.payload))]));
  if (stored.length === unsent.length) return enqueue(env, job.id, stored);
  const missing = unsent.map((c) => c.chunkIndex);
  const { chunks } = await plan(env, request);
  if (chunks.length !== job.chunksTotal) {
    throw new ApiError(
      409,
      "job_changed",
      "master data changed since this job was recorded and part of it was never queued; send the items again with a new Idempotency-Key",
      {
        jobId: job.id,
      },
    );
  }
  const wanted = new Set(missing);
  await enqueue(
    env,
    job.id,
    chunkMessages(
      job,
      chunks.filter((c) => wanted.has(c.chunkIndex)),
      request.quantityKind,
    ),
  );
}
