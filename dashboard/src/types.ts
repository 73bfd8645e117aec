/** The API's answers, as far as the dashboard reads them. */

export type Scope = "operator" | "vendor" | "checkout";

export interface Me {
  scope: Scope;
  vendorId: string | null;
  channel?: string | null;
}

export type LevelStatus = "in_stock" | "low_stock" | "out_of_stock" | "backorder";

export interface LevelRow {
  sku: string;
  vendorId: string;
  locationId: string;
  onHand: number;
  reserved: number;
  softHeld: number;
  committed: number;
  inTransit: number;
  damaged: number;
  onHold: number;
  available: number;
  status: LevelStatus;
  reorderPoint: number;
  sequence: number;
  updatedAt: string;
}

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

export interface Quantities {
  onHand: number;
  reserved: number;
  softHeld: number;
  committed: number;
  inTransit: number;
  damaged: number;
  onHold: number;
}

export interface LocationLevel extends Quantities {
  locationId: string;
  available: number;
  updatedAt: string;
}

export interface ReservationCounts {
  count: number;
  units: number;
}

export interface SkuStock {
  sku: string;
  vendorId: string;
  version: number;
  updatedAt: string | null;
  totals: Quantities & { available: number };
  locations: LocationLevel[];
  reservations: Record<string, ReservationCounts | number | unknown>;
}

export interface SkuMaster {
  sku: string;
  vendorId: string;
  productId: string;
  name: string;
  reorderPoint: number;
  safetyStock?: number;
  maxStock?: number | null;
  leadTimeDays?: number;
  status: string;
}

export interface LedgerEntry {
  seq: number;
  at: string;
  locationId: string;
  op: string;
  reason: string | null;
  actor: string;
  reference: string | null;
  reservationId: string | null;
  delta: Quantities;
  before: Quantities;
  after: Quantities;
}

export interface Location {
  id: string;
  name: string;
  type: string;
  countryCode: string | null;
  city: string | null;
  latitude: number | null;
  longitude: number | null;
  canShip: boolean;
  canPickup: boolean;
  priority: number;
  capacityUnits: number | null;
  active: boolean;
}

export type SyncStatus = "queued" | "processing" | "completed" | "completed_with_errors" | "failed" | string;

export interface SyncJob {
  jobId: string;
  vendorId: string;
  status: SyncStatus;
  mode: string;
  source: string;
  counts: { received: number; accepted: number; rejected: number; applied: number; unchanged: number; conflicts: number; errors: number; pending: number };
  chunks: { total: number; done: number };
  createdAt: string | null;
  startedAt: string | null;
  completedAt: string | null;
  durationMs: number | null;
}

export interface SyncError {
  item: number;
  row: number | null;
  sku: string | null;
  locationId: string | null;
  quantity: number | null;
  code: string;
  message: string;
}

export interface SyncReview {
  id: string;
  jobId: string;
  item: number;
  vendorId: string;
  sku: string;
  locationId: string;
  mode: string;
  vendorQuantity: number;
  onHandAtReview: number;
  proposed: number;
  reason: string;
  status: "open" | "accepted" | "rejected" | "superseded";
  createdAt: string | null;
  resolvedAt: string | null;
  resolvedBy: string | null;
}

export interface Webhook {
  id: string;
  url: string;
  description: string | null;
  eventTypes: string[];
  vendorId: string | null;
  status: "active" | "disabled";
  disabledAt: string | null;
  disabledReason: string | null;
  consecutiveFailures: number;
  secretRotatedAt: string | null;
  createdAt: string | null;
}

export interface Delivery {
  id: string;
  eventId: string;
  eventType: string;
  sku: string | null;
  status: "pending" | "delivered" | "failed";
  attempts: number;
  lastStatusCode: number | null;
  lastError: string | null;
  lastFailure: string | null;
  createdAt: string | null;
  lastAttemptAt: string | null;
  deliveredAt: string | null;
  failedAt: string | null;
}

/** `GET /api/v2/api-keys`: a key's metadata (never the key or its hash). */
export interface ApiKeyInfo {
  id: string;
  name: string;
  scope: "checkout" | "vendor" | "operator";
  vendorId: string | null;
  channel: string | null;
  status: "active" | "revoked";
  createdAt: string | null;
  revokedAt: string | null;
  revokedBy: string | null;
}

/** `GET /api/v2/vendors`: a vendor account. */
export interface VendorInfo {
  id: string;
  name: string;
  status: "active" | "suspended";
  createdAt: string;
  updatedAt: string;
}
