/**
 * The OpenAPI 3.1 document, generated from the same zod schemas the routes validate with,
 * served at `GET /api/v2/openapi.json`.
 */
import { z } from "zod";
import { BODY_LIMITS } from "./routes/limits";
import { ReservationId, SkuId, LocationId, VendorId } from "./schemas/common";
import { PlanBody } from "./schemas/allocation";
import { AdjustStockBody, LedgerQuery, PromoteBody, ReservationActionBody, ReserveBody } from "./schemas/inventory";
import { CreateApiKeyBody, CreateVendorBody, LocationBody, SkuBatchBody, SkuBody, TransferSkuBody } from "./schemas/master-data";
import { AvailabilityBatchQuery, AvailabilityQuery } from "./schemas/availability";
import { InventoryListQuery } from "./schemas/inventory-list";
import { CreateWebhookBody, DeliveryListQuery, WebhookId, WebhookListQuery } from "./schemas/webhooks";
import { WEBHOOK_BODY_LIMIT } from "./routes/webhooks";
import { SYNC_LIMITS } from "../domain/sync-items";
import { ConfirmPurchaseOrderBody, CreatePurchaseOrderBody, PurchaseOrderId, PurchaseOrderListQuery, ReceivePurchaseOrderBody } from "./schemas/purchase-orders";
import { CancelTransferBody, CreateTransferBody, ReceiveTransferBody, StockStateBody, TransferId, TransferListQuery } from "./schemas/inbound";
import { AlertId, AlertListQuery, AnalyticsQuery, DailySalesQuery, DeadLetterQuery, DraftPurchaseOrderBody, ForecastQuery, PlanningSettingsBody, SnoozeBody, SuggestionId, SuggestionListQuery } from "./schemas/planning";
import { SyncErrorsQuery, SyncIngestQuery, SyncJobId, SyncJsonBodyDoc, SyncReviewId, SyncReviewsQuery } from "./schemas/sync";

type Scope = "checkout" | "vendor" | "operator";

interface Operation {
  method: "get" | "put" | "post" | "patch" | "delete";
  path: string;
  summary: string;
  /** Empty for public endpoints. */
  scopes: Scope[];
  /** A zod object whose fields are the query parameters. */
  query?: z.ZodObject;
  body?: z.ZodType;
  /** The body may also be sent as `text/csv`; this describes the file. */
  csvBody?: string;
  maxBytes?: number;
  idempotencyKey?: "required" | "optional";
  pathParams?: Record<string, z.ZodType>;
  success: { status: number; description: string };
  errors: number[];
}

const OPERATIONS: Operation[] = [
  { method: "get", path: "/healthz", summary: "Liveness: the Worker answers", scopes: [], success: { status: 200, description: "{ok: true}" }, errors: [] },
  { method: "get", path: "/api/v2/openapi.json", summary: "This OpenAPI 3.1 document", scopes: [], success: { status: 200, description: "the document" }, errors: [] },
  { method: "get", path: "/api/v2/me", summary: "Who the key is: its scope, its vendor (vendor keys) and its storefront channel (checkout keys)", scopes: ["operator", "vendor", "checkout"], success: { status: 200, description: "{scope, vendorId, channel?}" }, errors: [401, 403] },
  { method: "get", path: "/api/v2/availability/{sku}", summary: "Public availability of one SKU (CDN-cached, ETag/304)", scopes: [], pathParams: { sku: SkuId }, query: AvailabilityQuery, success: { status: 200, description: "{sku, status, available, locations?, updatedAt}" }, errors: [400, 404] },
  { method: "get", path: "/api/v2/availability", summary: "Public availability of up to 100 SKUs", scopes: [], query: AvailabilityBatchQuery, success: { status: 200, description: "{items, notFound}" }, errors: [400] },
  { method: "get", path: "/api/v2/availability/{sku}/live", summary: "WebSocket live feed of a SKU's public availability (Upgrade: websocket)", scopes: [], pathParams: { sku: SkuId }, success: { status: 101, description: "switching protocols" }, errors: [400, 404, 426, 429, 503] },
  { method: "get", path: "/api/v2/inventory", summary: "Stock list from the inventory_levels projection, cursor-paginated and filtered", scopes: ["operator", "vendor"], query: InventoryListQuery, success: { status: 200, description: "{items, nextCursor}" }, errors: [400, 401, 403] },
  { method: "post", path: "/api/v2/webhooks", summary: "Create a webhook subscription (the signing secret is shown once)", scopes: ["operator", "vendor"], body: CreateWebhookBody, maxBytes: WEBHOOK_BODY_LIMIT, success: { status: 201, description: "the subscription and its secret" }, errors: [400, 401, 403, 409, 413, 415] },
  { method: "get", path: "/api/v2/webhooks", summary: "List webhook subscriptions (no secrets)", scopes: ["operator", "vendor"], query: WebhookListQuery, success: { status: 200, description: "{items, nextCursor}" }, errors: [400, 401, 403] },
  { method: "get", path: "/api/v2/webhooks/{id}", summary: "One webhook subscription", scopes: ["operator", "vendor"], pathParams: { id: WebhookId }, success: { status: 200, description: "the subscription" }, errors: [400, 401, 403, 404] },
  { method: "delete", path: "/api/v2/webhooks/{id}", summary: "Delete a webhook subscription", scopes: ["operator", "vendor"], pathParams: { id: WebhookId }, success: { status: 204, description: "deleted" }, errors: [400, 401, 403, 404] },
  { method: "post", path: "/api/v2/webhooks/{id}/rotate-secret", summary: "Rotate the signing secret (the new one is shown once)", scopes: ["operator", "vendor"], pathParams: { id: WebhookId }, success: { status: 200, description: "the new secret" }, errors: [400, 401, 403, 404] },
  { method: "post", path: "/api/v2/webhooks/{id}/enable", summary: "Re-enable a subscription disabled after repeated failures", scopes: ["operator", "vendor"], pathParams: { id: WebhookId }, success: { status: 200, description: "the subscription" }, errors: [400, 401, 403, 404] },
  { method: "get", path: "/api/v2/webhooks/{id}/deliveries", summary: "The subscription's delivery log", scopes: ["operator", "vendor"], pathParams: { id: WebhookId }, query: DeliveryListQuery, success: { status: 200, description: "{items, nextCursor}" }, errors: [400, 401, 403, 404] },
  { method: "post", path: "/api/v2/webhooks/{id}/test", summary: "Send a signed webhook.test event through the delivery path", scopes: ["operator", "vendor"], pathParams: { id: WebhookId }, success: { status: 202, description: "the queued delivery" }, errors: [400, 401, 403, 404] },
  { method: "post", path: "/api/v2/inventory/sync", summary: "Vendor stock feed (JSON or CSV, up to 10,000 items), applied asynchronously; bad items become item errors of the job", scopes: ["vendor", "operator"], query: SyncIngestQuery, body: SyncJsonBodyDoc, csvBody: "header row sku,location_id,quantity (any order), then one row per SKU and location; quoted fields, BOM, CRLF and blank lines are fine", maxBytes: SYNC_LIMITS.maxBodyBytes, idempotencyKey: "required", success: { status: 202, description: "{jobId, status, received, accepted, rejected, links}" }, errors: [400, 401, 403, 409, 413, 415, 422, 429, 503] },
  { method: "get", path: "/api/v2/sync/{jobId}", summary: "A sync job: status, counts (received, applied, unchanged, conflicts, errors), timings", scopes: ["vendor", "operator"], pathParams: { jobId: SyncJobId }, success: { status: 200, description: "the job" }, errors: [400, 401, 403, 404] },
  { method: "get", path: "/api/v2/sync/{jobId}/errors", summary: "A sync job's item errors, cursor-paginated (or the whole report as CSV: format=csv or Accept: text/csv)", scopes: ["vendor", "operator"], pathParams: { jobId: SyncJobId }, query: SyncErrorsQuery, success: { status: 200, description: "{jobId, status, items, nextCursor} or text/csv" }, errors: [400, 401, 403, 404] },
  { method: "get", path: "/api/v2/sync/reviews", summary: "Feed values held for review by the conflict rule (vendors: their SKUs' only)", scopes: ["vendor", "operator"], query: SyncReviewsQuery, success: { status: 200, description: "{items, nextCursor}" }, errors: [400, 401, 403] },
  { method: "post", path: "/api/v2/sync/reviews/{id}/accept", summary: "Accept a held feed value: it is applied, with the local movements since", scopes: ["operator"], pathParams: { id: SyncReviewId }, success: { status: 200, description: "{review, level}" }, errors: [400, 401, 403, 404, 409] },
  { method: "post", path: "/api/v2/sync/reviews/{id}/reject", summary: "Reject a held feed value: our count stays", scopes: ["operator"], pathParams: { id: SyncReviewId }, success: { status: 200, description: "{review, level}" }, errors: [400, 401, 403, 404, 409] },
  { method: "post", path: "/api/v2/inventory/reserve", summary: "Hold (soft) or reserve (hard) every line, or none; lines without a location are routed by an allocation plan (allocation options, or a default)", scopes: ["checkout", "operator"], body: ReserveBody, maxBytes: BODY_LIMITS.reserve, idempotencyKey: "required", success: { status: 201, description: "the reservation" }, errors: [400, 401, 403, 404, 409, 413, 415, 422, 503] },
  { method: "post", path: "/api/v2/allocations/plan", summary: "Plan an order's routing from current availability (docs/allocation.md): shipments, backorders, unallocated units, dates, cost, reasons; nothing is held", scopes: ["checkout", "operator"], body: PlanBody, maxBytes: BODY_LIMITS.reserve, success: { status: 200, description: "the plan" }, errors: [400, 401, 403, 404, 409, 413, 415] },
  { method: "post", path: "/api/v2/inventory/promote", summary: "Promote a soft hold to a hard reservation", scopes: ["checkout", "operator"], body: PromoteBody, maxBytes: BODY_LIMITS.action, idempotencyKey: "optional", success: { status: 200, description: "the reservation" }, errors: [400, 401, 403, 404, 409, 503] },
  { method: "post", path: "/api/v2/inventory/commit", summary: "Commit (pick) a hard reservation", scopes: ["checkout", "operator"], body: ReservationActionBody, maxBytes: BODY_LIMITS.action, idempotencyKey: "optional", success: { status: 200, description: "the reservation" }, errors: [400, 401, 403, 404, 409, 503] },
  { method: "post", path: "/api/v2/inventory/fulfil", summary: "Fulfil (ship) a reservation, committing it first if needed", scopes: ["checkout", "operator"], body: ReservationActionBody, maxBytes: BODY_LIMITS.action, idempotencyKey: "optional", success: { status: 200, description: "the reservation" }, errors: [400, 401, 403, 404, 409, 503] },
  { method: "post", path: "/api/v2/inventory/release", summary: "Release (cancel) a reservation", scopes: ["checkout", "operator"], body: ReservationActionBody, maxBytes: BODY_LIMITS.action, idempotencyKey: "optional", success: { status: 200, description: "the reservation" }, errors: [400, 401, 403, 404, 409, 503] },
  { method: "get", path: "/api/v2/reservations/{id}", summary: "A reservation as it stands", scopes: ["checkout", "operator"], pathParams: { id: ReservationId }, success: { status: 200, description: "the reservation" }, errors: [400, 401, 403, 404] },
  { method: "get", path: "/api/v2/inventory/{sku}", summary: "Per-location quantities, totals and reservation counts", scopes: ["operator", "vendor"], pathParams: { sku: SkuId }, success: { status: 200, description: "the SKU's stock" }, errors: [400, 401, 403, 404] },
  { method: "get", path: "/api/v2/inventory/{sku}/ledger", summary: "Ledger rows after a sequence number", scopes: ["operator", "vendor"], pathParams: { sku: SkuId }, query: LedgerQuery, success: { status: 200, description: "ledger rows, oldest first, and the cursor for the next page" }, errors: [400, 401, 403, 404] },
  { method: "get", path: "/api/v2/inventory/{sku}/audit", summary: "Check every invariant and replay the ledger against the counts", scopes: ["operator"], pathParams: { sku: SkuId }, success: { status: 200, description: "the audit report" }, errors: [400, 401, 403, 404] },
  { method: "patch", path: "/api/v2/inventory/{sku}", summary: "Adjust on-hand by a delta, or set it (optionally compare-and-set)", scopes: ["operator", "vendor"], pathParams: { sku: SkuId }, body: AdjustStockBody, maxBytes: BODY_LIMITS.adjust, idempotencyKey: "optional", success: { status: 200, description: "the location's new level" }, errors: [400, 401, 403, 404, 409, 413, 415, 422] },
  { method: "post", path: "/api/v2/inventory/{sku}/states", summary: "Move units between sellable, damaged and on_hold, or write them off (disposal), with a reason; units back to sellable cover backorders first", scopes: ["operator", "vendor"], pathParams: { sku: SkuId }, body: StockStateBody, maxBytes: BODY_LIMITS.adjust, idempotencyKey: "required", success: { status: 200, description: "{sku, level, ledgerSeq, backordersCovered, replayed}" }, errors: [400, 401, 403, 404, 409, 413, 415, 422] },
  { method: "post", path: "/api/v2/transfers", summary: "Transfer SKUs between two locations: units leave the origin's sellable stock and are in transit to the destination, every line or none", scopes: ["operator"], body: CreateTransferBody, maxBytes: BODY_LIMITS.reserve, idempotencyKey: "required", success: { status: 201, description: "the transfer document (200 on a replay)" }, errors: [400, 401, 403, 409, 413, 415, 422, 503] },
  { method: "get", path: "/api/v2/transfers", summary: "Transfer documents by id, optionally of one status", scopes: ["operator"], query: TransferListQuery, success: { status: 200, description: "{items, nextCursor}" }, errors: [400, 401, 403] },
  { method: "get", path: "/api/v2/transfers/{id}", summary: "A transfer document and its lines", scopes: ["operator"], pathParams: { id: TransferId }, success: { status: 200, description: "the transfer document" }, errors: [400, 401, 403, 404] },
  { method: "post", path: "/api/v2/transfers/{id}/ship", summary: "Ship a draft transfer: every line leaves the origin and is in transit, or none (as a create)", scopes: ["operator"], pathParams: { id: TransferId }, idempotencyKey: "optional", success: { status: 200, description: "the transfer document" }, errors: [400, 401, 403, 404, 409, 503] },
  { method: "post", path: "/api/v2/transfers/{id}/receive", summary: "Receive part or all of some lines (good, damaged, short); arriving units cover backorders at the destination first", scopes: ["operator"], pathParams: { id: TransferId }, body: ReceiveTransferBody, maxBytes: BODY_LIMITS.reserve, idempotencyKey: "required", success: { status: 200, description: "the transfer document" }, errors: [400, 401, 403, 404, 409, 413, 415, 422, 503] },
  { method: "post", path: "/api/v2/transfers/{id}/cancel", summary: "Cancel what is outstanding: the units go back to the origin", scopes: ["operator"], pathParams: { id: TransferId }, body: CancelTransferBody, maxBytes: BODY_LIMITS.action, idempotencyKey: "optional", success: { status: 200, description: "the transfer document" }, errors: [400, 401, 403, 404, 409, 413, 415, 503] },
  { method: "post", path: "/api/v2/purchase-orders", summary: "Create a draft purchase order to one vendor for one receiving location (every SKU the vendor's)", scopes: ["operator"], body: CreatePurchaseOrderBody, maxBytes: BODY_LIMITS.reserve, idempotencyKey: "required", success: { status: 201, description: "the purchase order (200 on a replay)" }, errors: [400, 401, 403, 413, 415, 422] },
  { method: "get", path: "/api/v2/purchase-orders", summary: "Purchase orders by id, optionally of one status and vendor (vendors: their own)", scopes: ["operator", "vendor"], query: PurchaseOrderListQuery, success: { status: 200, description: "{items, nextCursor}" }, errors: [400, 401, 403] },
  { method: "get", path: "/api/v2/purchase-orders/{id}", summary: "A purchase order and its lines (vendors: their own)", scopes: ["operator", "vendor"], pathParams: { id: PurchaseOrderId }, success: { status: 200, description: "the purchase order" }, errors: [400, 401, 403, 404] },
  { method: "post", path: "/api/v2/purchase-orders/{id}/submit", summary: "Submit a draft to the vendor", scopes: ["operator"], pathParams: { id: PurchaseOrderId }, maxBytes: BODY_LIMITS.action, success: { status: 200, description: "the purchase order" }, errors: [400, 401, 403, 404, 409] },
  { method: "post", path: "/api/v2/purchase-orders/{id}/confirm", summary: "Confirm a submitted order, optionally with the expected arrival (the vendor, or an operator)", scopes: ["vendor", "operator"], pathParams: { id: PurchaseOrderId }, body: ConfirmPurchaseOrderBody, maxBytes: BODY_LIMITS.action, success: { status: 200, description: "the purchase order" }, errors: [400, 401, 403, 404, 409] },
  { method: "post", path: "/api/v2/purchase-orders/{id}/ship", summary: "Ship a confirmed order: every line in transit at the receiving location", scopes: ["vendor", "operator"], pathParams: { id: PurchaseOrderId }, maxBytes: BODY_LIMITS.action, success: { status: 200, description: "the purchase order" }, errors: [400, 401, 403, 404, 409, 503] },
  { method: "post", path: "/api/v2/purchase-orders/{id}/receive", summary: "Receive part or all of some lines (good or damaged): in transit to on hand; covers backorders first", scopes: ["operator"], pathParams: { id: PurchaseOrderId }, body: ReceivePurchaseOrderBody, maxBytes: BODY_LIMITS.reserve, idempotencyKey: "required", success: { status: 200, description: "the purchase order" }, errors: [400, 401, 403, 404, 409, 413, 415, 422, 503] },
  { method: "post", path: "/api/v2/purchase-orders/{id}/close", summary: "Close a shipped order: what never came leaves in transit (short)", scopes: ["operator"], pathParams: { id: PurchaseOrderId }, maxBytes: BODY_LIMITS.action, success: { status: 200, description: "the purchase order" }, errors: [400, 401, 403, 404, 409, 503] },
  { method: "post", path: "/api/v2/purchase-orders/{id}/cancel", summary: "Cancel an order nothing was received from (after shipping its units leave in transit)", scopes: ["operator"], pathParams: { id: PurchaseOrderId }, maxBytes: BODY_LIMITS.action, success: { status: 200, description: "the purchase order" }, errors: [400, 401, 403, 404, 409, 503] },
  { method: "put", path: "/api/v2/skus/{sku}", summary: "Create or update a SKU (omitted fields keep their values)", scopes: ["operator", "vendor"], pathParams: { sku: SkuId }, body: SkuBody, maxBytes: BODY_LIMITS.masterData, success: { status: 200, description: "the SKU (201 when created)" }, errors: [400, 401, 403, 409, 413, 415] },
  { method: "get", path: "/api/v2/skus/{sku}", summary: "A SKU's master data", scopes: ["operator", "vendor"], pathParams: { sku: SkuId }, success: { status: 200, description: "the SKU" }, errors: [400, 401, 403, 404] },
  { method: "post", path: "/api/v2/skus/{sku}/transfer", summary: "Transfer a SKU to another vendor (the only way a SKU changes vendor)", scopes: ["operator"], pathParams: { sku: SkuId }, body: TransferSkuBody, maxBytes: BODY_LIMITS.masterData, success: { status: 200, description: "the SKU, with previousVendorId" }, errors: [400, 401, 403, 404, 409, 413, 415] },
  { method: "post", path: "/api/v2/skus/batch", summary: "Create or update up to 10,000 SKUs, all or none", scopes: ["operator", "vendor"], body: SkuBatchBody, maxBytes: BODY_LIMITS.skuBatch, success: { status: 200, description: "counts of created and updated SKUs" }, errors: [400, 401, 403, 409, 413, 415] },
  { method: "get", path: "/api/v2/locations", summary: "Every location, best priority first", scopes: ["operator", "vendor", "checkout"], success: { status: 200, description: "the locations" }, errors: [401] },
  { method: "put", path: "/api/v2/locations/{id}", summary: "Create or replace a location", scopes: ["operator"], pathParams: { id: LocationId }, body: LocationBody, maxBytes: BODY_LIMITS.masterData, success: { status: 200, description: "the location (201 when created)" }, errors: [400, 401, 403, 413, 415] },
  { method: "post", path: "/api/v2/vendors", summary: "Create a vendor", scopes: ["operator"], body: CreateVendorBody, maxBytes: BODY_LIMITS.masterData, success: { status: 201, description: "the vendor" }, errors: [400, 401, 403, 409, 413, 415] },
  { method: "get", path: "/api/v2/vendors/{id}", summary: "A vendor", scopes: ["operator"], pathParams: { id: VendorId }, success: { status: 200, description: "the vendor" }, errors: [400, 401, 403, 404] },
  { method: "get", path: "/api/v2/forecasts/{sku}", summary: "A SKU's demand forecast: daily values with 80/95 % intervals, 7/30/90-day totals, expected stockout, method and reason, and the last replenishment plan (safety stock, reorder point, EOQ)", scopes: ["operator", "vendor"], pathParams: { sku: SkuId }, query: ForecastQuery, success: { status: 200, description: "the forecast" }, errors: [400, 401, 403, 404] },
  { method: "get", path: "/api/v2/reorder-suggestions", summary: "Reorder suggestions (drafts) by vendor and location, filtered, cursor-paginated", scopes: ["operator", "vendor"], query: SuggestionListQuery, success: { status: 200, description: "{items, nextCursor}" }, errors: [400, 401, 403] },
  { method: "post", path: "/api/v2/reorder-suggestions/{id}/dismiss", summary: "Dismiss an open reorder suggestion (no new one for the SKU for 7 days)", scopes: ["operator"], pathParams: { id: SuggestionId }, success: { status: 200, description: "the suggestion" }, errors: [400, 401, 403, 404, 409] },
  { method: "post", path: "/api/v2/reorder-suggestions/draft-purchase-order", summary: "Draft one purchase order from a vendor × location's open suggestions (most urgent first) and mark them accepted", scopes: ["operator"], body: DraftPurchaseOrderBody, maxBytes: BODY_LIMITS.action, success: { status: 201, description: "{purchaseOrder, accepted, left}" }, errors: [400, 401, 403, 409, 413, 415] },
  { method: "get", path: "/api/v2/planning-settings/{sku}", summary: "A SKU's planning settings (category, unit cost and price, policy overrides) and the policy in effect", scopes: ["operator", "vendor"], pathParams: { sku: SkuId }, success: { status: 200, description: "{sku, vendorId, settings, policy}" }, errors: [400, 401, 403, 404] },
  { method: "put", path: "/api/v2/planning-settings/{sku}", summary: "Set a SKU's planning settings (omitted fields keep their values, null clears one)", scopes: ["operator", "vendor"], pathParams: { sku: SkuId }, body: PlanningSettingsBody, maxBytes: BODY_LIMITS.masterData, success: { status: 200, description: "{sku, vendorId, settings, policy}" }, errors: [400, 401, 403, 404, 413, 415] },
  { method: "get", path: "/api/v2/analytics/abc", summary: "ABC classes by revenue over the period", scopes: ["operator", "vendor"], query: AnalyticsQuery, success: { status: 200, description: "{summary, items}" }, errors: [400, 401, 403] },
  { method: "get", path: "/api/v2/analytics/turnover", summary: "Inventory turnover and days of inventory, and the slowest SKUs", scopes: ["operator", "vendor"], query: AnalyticsQuery, success: { status: 200, description: "{turnover, daysOfInventory, slowest}" }, errors: [400, 401, 403] },
  { method: "get", path: "/api/v2/analytics/health", summary: "Stock health score (0–100) with its five components", scopes: ["operator", "vendor"], query: AnalyticsQuery, success: { status: 200, description: "{score, grade, components}" }, errors: [400, 401, 403] },
  { method: "get", path: "/api/v2/analytics/stock-movement", summary: "Overstock and slow-moving SKUs", scopes: ["operator", "vendor"], query: AnalyticsQuery, success: { status: 200, description: "{counts, items}" }, errors: [400, 401, 403] },
  { method: "get", path: "/api/v2/alerts", summary: "Stock alerts, filtered by kind, status, vendor and SKU, newest first, cursor-paginated", scopes: ["operator", "vendor"], query: AlertListQuery, success: { status: 200, description: "{items, nextCursor}" }, errors: [400, 401, 403] },
  { method: "post", path: "/api/v2/alerts/{id}/acknowledge", summary: "Acknowledge an alert (it stays until the stock recovers)", scopes: ["operator", "vendor"], pathParams: { id: AlertId }, success: { status: 200, description: "the alert" }, errors: [400, 401, 403, 404] },
  { method: "post", path: "/api/v2/alerts/{id}/snooze", summary: "Snooze an open alert until a time (at most 90 days ahead)", scopes: ["operator", "vendor"], pathParams: { id: AlertId }, body: SnoozeBody, maxBytes: BODY_LIMITS.action, success: { status: 200, description: "the alert" }, errors: [400, 401, 403, 404, 409, 413, 415] },
  { method: "get", path: "/api/v2/daily-sales", summary: "A SKU's units shipped per day and location (default the last 30 days, at most 400)", scopes: ["operator", "vendor"], query: DailySalesQuery as unknown as z.ZodObject, success: { status: 200, description: "{sku, from, to, totalUnits, days}" }, errors: [400, 401, 403, 404] },
  { method: "get", path: "/api/v2/dead-letters", summary: "Messages that ended in a dead-letter queue, with their last error", scopes: ["operator"], query: DeadLetterQuery, success: { status: 200, description: "{items, nextCursor}" }, errors: [400, 401, 403] },
  { method: "post", path: "/api/v2/api-keys", summary: "Issue an API key (returned once; only its hash is stored)", scopes: ["operator"], body: CreateApiKeyBody, maxBytes: BODY_LIMITS.masterData, success: { status: 201, description: "the key" }, errors: [400, 401, 403, 413, 415] },
];

const ERROR_SCHEMA = {
  type: "object",
  required: ["error"],
  properties: {
    error: {
      type: "object",
      required: ["code", "message", "details"],
      properties: { code: { type: "string" }, message: { type: "string" }, details: {} },
    },
  },
};

function jsonSchema(schema: z.ZodType) {
  return z.toJSONSchema(schema, { io: "input", unrepresentable: "any" });
}

/** Builds the document (once per isolate). */
export const openApiDocument = (() => {
  let doc: unknown;
  return () => (doc ??= build());
})();

function build() {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const parameters: unknown[] = Object.entries(op.pathParams ?? {}).map(([name, schema]) => ({
      name,
      in: "path",
      required: true,
      schema: jsonSchema(schema),
    }));
    for (const [name, schema] of Object.entries(op.query?.shape ?? {})) {
      parameters.push({ name, in: "query", required: !(schema as z.ZodType).safeParse(undefined).success, schema: jsonSchema(schema as z.ZodType) });
    }
    if (op.idempotencyKey !== undefined) {
      parameters.push({
        name: "Idempotency-Key",
        in: "header",
        required: op.idempotencyKey === "required",
        description: "1–128 visible ASCII characters; a retry with the same key and body returns the first answer",
        schema: { type: "string", maxLength: 128 },
      });
    }
    const responses: Record<string, unknown> = {
      [op.success.status]: { description: op.success.description, content: { "application/json": { schema: {} } } },
    };
    for (const status of op.errors) {
      responses[status] = { description: "error", content: { "application/json": { schema: { $ref: "#/components/schemas/Error" } } } };
    }
    (paths[op.path] ??= {})[op.method] = {
      summary: op.summary,
      description: `${op.scopes.length > 0 ? `Scopes: ${op.scopes.join(", ")}.` : "Public, no key."}${op.maxBytes ? ` Body at most ${op.maxBytes} bytes.` : ""}`,
      security: op.scopes.length > 0 ? [{ apiKey: [] }] : [],
      parameters,
      ...(op.body
        ? {
            requestBody: {
              required: true,
              content: {
                "application/json": { schema: jsonSchema(op.body) },
                ...(op.csvBody ? { "text/csv": { schema: { type: "string", description: op.csvBody } } } : {}),
              },
            },
          }
        : {}),
      responses,
    };
  }
  return {
    openapi: "3.1.0",
    info: { title: "edge-inventory", version: "2" },
    components: {
      securitySchemes: { apiKey: { type: "http", scheme: "bearer", description: "eik_<id>_<secret>" } },
      schemas: { Error: ERROR_SCHEMA },
    },
    paths,
  };
}
