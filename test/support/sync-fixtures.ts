/**
 * Fixtures for the vendor sync suites: posting feeds (JSON or CSV) through the API,
 * creating SKUs in bulk through `POST /api/v2/skus/batch`, and waiting (bounded) for a job
 * to finish while the real local SYNC queue delivers its chunks.
 */
import { exports } from "cloudflare:workers";
import { api, type ApiResponse } from "./fixtures";

export const SYNC_QUEUE = "edge-inventory-sync";
export const SYNC_DLQ = "edge-inventory-sync-dlq";

const FINAL = new Set(["completed", "completed_with_errors", "failed"]);

export interface FeedItem {
  sku: string;
  locationId: string;
  quantity: number;
}

/** Posts a JSON feed. */
export function postFeed(
  key: string,
  items: unknown[],
  options: { idempotencyKey?: string; mode?: "absolute" | "delta"; query?: string; extra?: Record<string, unknown> } = {},
): Promise<ApiResponse> {
  return api("POST", `/api/v2/inventory/sync${options.query ? `?${options.query}` : ""}`, {
    key,
    idempotencyKey: options.idempotencyKey ?? crypto.randomUUID(),
    body: { items, ...(options.mode ? { mode: options.mode } : {}), ...options.extra },
  });
}

/** Posts a CSV feed, exactly as given. */
export async function postCsv(key: string, csv: string, options: { idempotencyKey?: string; query?: string } = {}): Promise<ApiResponse> {
  const response = await exports.default.fetch(
    new Request(`http://inventory.test/api/v2/inventory/sync${options.query ? `?${options.query}` : ""}`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "text/csv", "idempotency-key": options.idempotencyKey ?? crypto.randomUUID() },
      body: csv,
    }),
  );
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, headers: response.headers };
}

/** Creates SKUs owned by `vendorId` through the batch API (operator key), 10,000 per call. */
export async function createSkus(operatorKey: string, skus: readonly string[], vendorId: string): Promise<void> {
  for (let i = 0; i < skus.length; i += 10_000) {
    const items = skus.slice(i, i + 10_000).map((sku) => ({ sku, vendorId, productId: `P-${vendorId}`, name: `SKU ${sku}` }));
    const res = await api("POST", "/api/v2/skus/batch", { key: operatorKey, body: { items } });
    if (res.status !== 200) throw new Error(`SKU batch: ${res.status} ${JSON.stringify(res.body).slice(0, 500)}`);
  }
}

/** Polls the job until it is finished (bounded), and returns it. */
export async function waitForJob(key: string, jobId: string, ms = 30_000): Promise<any> {
  const deadline = Date.now() + ms;
  for (;;) {
    const res = await api("GET", `/api/v2/sync/${jobId}`, { key });
    if (res.status !== 200) throw new Error(`job ${jobId}: ${res.status} ${JSON.stringify(res.body)}`);
    if (FINAL.has(res.body.status)) return res.body;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for job ${jobId}: ${JSON.stringify(res.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Every item error of a job, through the paginated endpoint. */
export async function allErrors(key: string, jobId: string, limit = 100): Promise<any[]> {
  const items: any[] = [];
  let cursor: string | null = null;
  do {
    const res: ApiResponse = await api("GET", `/api/v2/sync/${jobId}/errors?limit=${limit}${cursor ? `&cursor=${cursor}` : ""}`, { key });
    if (res.status !== 200) throw new Error(`errors of ${jobId}: ${res.status} ${JSON.stringify(res.body)}`);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
  } while (cursor !== null);
  return items;
}
