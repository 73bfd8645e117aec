/**
 * Scheduled pulls (issue 16), run by the per-minute cron: every vendor whose `pull_url` is
 * due is fetched — with its auth header, and `If-None-Match` / `If-Modified-Since` from the
 * last response, so an unchanged feed costs a 304 and nothing else — and the body is
 * ingested as a sync job in the vendor's format (`services/sync-ingest.ts`
 * `ingestVendorFile`). Every outcome is recorded on the vendor's row and in its health
 * (method `pull_url`): a 304 or the same bytes again is a successful check that makes no
 * job; a failure (network, timeout, a non-2xx answer, a redirect, a body too large or not
 * UTF-8, a file refused whole) is retried at the next due time.
 *
 * Bounded and idempotent like the sync sweeper: at most `SYNC_PULL.batchLimit` vendors per
 * run, each taken by a conditional lease (two overlapping runs never fetch one vendor at
 * once; a run that dies leaves a lease that lapses). The job's Idempotency-Key is derived
 * from the vendor, the previous pulled job and the body's SHA-256, so a pull repeated after
 * a crash finds the job it made instead of making a second one — and the same content
 * fetched twice in a row makes no second job at all (the stored hash matches), while a feed
 * that goes back to an earlier content after a change is a new job, as it should be.
 *
 * The URL is checked against the webhook target rules at every pull (`domain/webhook-targets.ts`:
 * in production no private, loopback or link-local address, no private-use name), and
 * redirects are not followed, so a public host cannot bounce a pull to an internal one.
 */
import type { VendorSyncSettingsRow } from "../d1/schema";
import { sha256Hex } from "../domain/hashing";
import { SYNC_LIMITS } from "../domain/sync-items";
import { webhookUrlProblem } from "../domain/webhook-targets";
import { duePulls, leasePull, recordPull, type PullRecord } from "../repositories/vendor-sync-settings";
import { ApiError } from "./api-error";
import { webhookTargetPolicy } from "./environment";
import type { Principal } from "./principal";
import { reportSyncAttempt } from "./sync-health";
import { ingestVendorFile } from "./sync-ingest";
import { settingsOfRow } from "./sync-settings";

export const SYNC_PULL = {
  /** Vendors pulled per cron run; the rest stay due for the next run (oldest due first). */
  batchLimit: 20,
  /** Fetches in flight at once. */
  concurrency: 4,
  /** How long a run holds a pull; a run that died releases it by lapsing. */
  leaseMs: 5 * 60_000,
  /** One fetch, headers and body. */
  timeoutMs: 30_000,
  /** The body, bytes: the sync request's limit. */
  maxBytes: SYNC_LIMITS.maxBodyBytes,
} as const;

/** What the pull sends as Accept: every format we read. */
const ACCEPT = "text/csv, application/edi-x12, text/plain;q=0.5, */*;q=0.1";

export interface PullSweepResult {
  due: number;
  ingested: number;
  unchanged: number;
  failed: number;
}

type PullOutcome = Pick<PullRecord, "outcome" | "status" | "error" | "etag" | "lastModified" | "contentHash" | "jobId">;

/** The principal a pull ingests as: the vendor itself (its jobs are its own), key `pull`. */
function pullPrincipal(vendorId: string): Principal {
  return { keyId: "pull", scope: "vendor", vendorId, channel: null };
}

/** Reads a body of at most `maxBytes` as UTF-8, or says why not. */
async function readBody(response: Response, maxBytes: number): Promise<{ ok: true; text: string } | { ok: false; error: string }> {
  const declared = Number(response.headers.get("content-length"));
  if (Number.isFinite(declared) && declared > maxBytes) {
    await response.body?.cancel();
    return { ok: false, error: `the body is ${declared} bytes; at most ${maxBytes}` };
  }
  if (response.body === null) return { ok: true, text: "" };
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > maxBytes) {
      await reader.cancel();
      return { ok: false, error: `the body is over ${maxBytes} bytes` };
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  try {
    return { ok: true, text: new TextDecoder("utf-8", { fatal: true, ignoreBOM: false }).decode(bytes) };
  } catch {
    return { ok: false, error: "the body is not valid UTF-8" };
  }
}

const failed = (error: string, status: number | null = null): PullOutcome => ({ outcome: "failed", status, error });

/** Fetches one vendor's feed and ingests it; the outcome to record. */
async function pullOne(env: Env, row: VendorSyncSettingsRow): Promise<PullOutcome> {
  const settings = settingsOfRow(row);
  if (settings === null || settings.pullUrl === undefined) return failed("the stored settings are not valid any more; PUT them again");
  const problem = webhookUrlProblem(settings.pullUrl, webhookTargetPolicy(env));
  if (problem !== null) return failed(`the pull URL is not allowed: ${problem}`);

  const headers = new Headers({ accept: ACCEPT, "user-agent": "edge-inventory-pull/1" });
  if (row.pullAuthHeader !== null && row.pullAuthSecret !== null) headers.set(row.pullAuthHeader, row.pullAuthSecret);
  if (row.pullEtag !== null) headers.set("if-none-match", row.pullEtag);
  if (row.pullLastModified !== null) headers.set("if-modified-since", row.pullLastModified);
  let response: Response;
  try {
    response = await fetch(settings.pullUrl, { headers, redirect: "manual", signal: AbortSignal.timeout(SYNC_PULL.timeoutMs) });
  } catch (error) {
    const timedOut = error instanceof Error && (error.name === "TimeoutError" || error.name === "AbortError");
    return failed(
      timedOut ? `no answer within ${SYNC_PULL.timeoutMs / 1000} s` : `the fetch failed: ${error instanceof Error ? error.message : "network error"}`,
    );
  }
  if (response.status === 304) {
    await response.body?.cancel();
    return { outcome: "not_modified", status: 304, error: null };
  }
  const validators = { etag: response.headers.get("etag"), lastModified: response.headers.get("last-modified") };
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel();
    return failed(
      `HTTP ${response.status}: redirects are not followed (Location: ${(response.headers.get("location") ?? "none").slice(0, 200)})`,
      response.status,
    );
  }
  if (response.status !== 200) {
    await response.body?.cancel();
    return failed(`HTTP ${response.status}`, response.status);
  }
  const body = await readBody(response, SYNC_PULL.maxBytes);
  if (!body.ok) return failed(body.error, 200);
  const contentHash = await sha256Hex(body.text);
  if (contentHash === row.pullContentHash) return { outcome: "same_content", status: 200, error: null, ...validators };

  const idempotencyKey = `pull-${(await sha256Hex(`pull\n${row.vendorId}\n${row.pullJobId ?? ""}\n${contentHash}`)).slice(0, 48)}`;
  try {
    const { job } = await ingestVendorFile(env, pullPrincipal(row.vendorId), {
      vendorId: row.vendorId,
      text: body.text,
      format: undefined,
      mode: "absolute",
      idempotencyKey,
      method: "pull_url",
    });
    const ok = job.accepted > 0 || job.rejected === 0;
    return {
      outcome: "ingested",
      status: 200,
      error: ok ? null : `every one of the ${job.received} items was refused (job ${job.id})`,
      contentHash,
      jobId: job.id,
      ...validators,
    };
  } catch (error) {
    if (error instanceof ApiError) return failed(`${error.code}: ${error.message}`, 200);
    throw error;
  }
}

/** Pulls every vendor due at `now` (at most `SYNC_PULL.batchLimit`), recording each outcome. */
export async function sweepPulls(env: Env, now: number): Promise<PullSweepResult> {
  const due = await duePulls(env.DB, now, SYNC_PULL.batchLimit);
  const result: PullSweepResult = { due: due.length, ingested: 0, unchanged: 0, failed: 0 };
  let next = 0;
  const worker = async () => {
    while (next < due.length) {
      const row = due[next++]!;
      if (!(await leasePull(env.DB, row.vendorId, row.version, now, now + SYNC_PULL.leaseMs))) continue;
      let outcome: PullOutcome;
      try {
        outcome = await pullOne(env, row);
      } catch (error) {
        // D1 or the queue failing: the lease lapses and the next run tries again.
        console.error(JSON.stringify({ event: "sync.pull_error", vendorId: row.vendorId, error: error instanceof Error ? error.message : "unknown" }));
        result.failed++;
        continue;
      }
      await recordPull(env.DB, { vendorId: row.vendorId, version: row.version, at: now, ...outcome });
      const ok = outcome.outcome !== "failed" && outcome.error === null;
      await reportSyncAttempt(env, { vendorId: row.vendorId, method: "pull_url", at: now, ok, error: outcome.error, jobId: outcome.jobId ?? null });
      if (outcome.outcome === "ingested") result.ingested++;
      else if (outcome.outcome === "failed") result.failed++;
      else result.unchanged++;
    }
  };
  await Promise.all(Array.from({ length: Math.min(SYNC_PULL.concurrency, due.length) }, worker));
  if (due.length > 0) console.log(JSON.stringify({ event: "sync.pull_sweep", ...result }));
  return result;
}
