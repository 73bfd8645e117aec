/** Shapes of the planning, transfers and purchase-order API answers the views read. */

export interface Interval {
  lower: number;
  upper: number;
}

export interface ForecastDay {
  day: string;
  mean: number;
  p80: Interval;
  p95: Interval;
}

export interface ReplenishmentPlan {
  stockPosition: number;
  leadTimeDays: number;
  leadTimeDemand: number;
  leadTimeDemandSd: number;
  z: number;
  safetyStock: number;
  reorderPoint: number;
  economicOrderQuantity: number;
  shouldReorder: boolean;
  orderQuantity: number;
  adjustments: string[];
  urgency: string;
  overridden: string[];
  locationId: string | null;
  costKnown: boolean;
  origin: string;
}

export interface Forecast {
  sku: string;
  vendorId: string;
  origin: string;
  fittedAt: string;
  method: string;
  reason: string;
  demandClass: string;
  pool: string | null;
  horizons: { days: number; mean: number; p80: Interval; p95: Interval }[];
  days: ForecastDay[];
  stockout: { day: string | null; daysUntil: number | null; stockPosition: number | null };
  plan: ReplenishmentPlan | null;
  plannedAt: string | null;
}

export interface PlanningSettings {
  sku: string;
  vendorId: string;
  settings: Record<string, number | string | null>;
  policy: {
    serviceLevel: number;
    leadTimeDays: number;
    leadTimeSdDays: number;
    orderingCost: number;
    unitCost: number | null;
    holdingRate: number;
    packSize: number;
    minimumOrderQuantity: number;
    maxStock: number | null;
  };
  /** The overstock / slow-moving thresholds in effect (the SKU's or the defaults). */
  alertThresholds?: { overstockNoSaleDays: number; overstockAgeDays: number; slowNoSaleDays: number };
}

export interface DailySales {
  sku: string;
  from: string;
  to: string;
  totalUnits: number;
  days: { day: string; units: number }[];
}

export interface HealthAnalysis {
  from: string;
  to: string;
  skus: number;
  score: number | null;
  grade: string | null;
  components: { name: string; value: number | null; points: number | null; fullAt: number; zeroAt: number }[];
}

export interface TurnoverAnalysis {
  from: string;
  to: string;
  skus: number;
  costedSkus: number;
  costOfGoodsSold: number;
  inventoryValue: number;
  turnover: number | null;
  daysOfInventory: number | null;
  slowest: { sku: string; unitsSold: number; onHand: number; turnover: number | null; daysOfInventory: number | null }[];
}

export interface AbcAnalysis {
  from: string;
  to: string;
  skus: number;
  pricedSkus: number;
  summary: Record<"A" | "B" | "C", { skus: number; revenue: number }>;
  items: { sku: string; revenue: number; share: number; cumulativeShare: number; class: string }[];
}

export interface StockMovement {
  asOf: string;
  skus: number;
  counts: Record<string, number>;
  items: { sku: string; class?: string; movement?: string; [k: string]: unknown }[];
}

export interface ReorderSuggestion {
  id: string;
  sku: string;
  vendorId: string;
  locationId: string | null;
  status: string;
  urgency: string;
  quantity: number;
  stockPosition: number;
  reorderPoint: number;
  safetyStock: number;
  economicOrderQuantity: number;
  stockoutDay: string | null;
  daysUntilStockout: number | null;
  origin: string;
  unitCost: number | null;
  estimatedCost: number | null;
  createdAt: string;
  updatedAt: string;
  closedAt: string | null;
  closedBy: string | null;
}

export interface TransferLine {
  lineNo: number;
  sku: string;
  quantity: number;
  received: number;
  damaged: number;
  short: number;
  returned: number;
  status: string;
  outstanding: number;
}

export interface Transfer {
  id: string;
  status: string;
  fromLocationId: string;
  toLocationId: string;
  expectedAt: string | null;
  reference: string | null;
  createdBy: string;
  failure: unknown;
  createdAt: string;
  updatedAt: string;
  lines: TransferLine[];
}

export interface PurchaseOrderLine {
  lineNo: number;
  sku: string;
  quantity: number;
  received: number;
  damaged: number;
  short: number;
  status: string;
  inTransit: number;
}

export interface PurchaseOrder {
  id: string;
  vendorId: string;
  locationId: string;
  status: string;
  expectedAt: string | null;
  reference: string | null;
  createdBy: string;
  createdAt: string;
  updatedAt: string;
  lines: PurchaseOrderLine[];
}

export interface DeadLetter {
  /** `<queue>:<message id>`, the replay's path parameter. */
  id: string;
  queue: string;
  messageId: string;
  deadLetterQueue: string;
  body: string;
  error: string | null;
  attempts: number | null;
  failedAt: string | null;
  receivedAt: string | null;
  replayedAt: string | null;
  replayedBy: string | null;
  replayReopened: "sync_chunk" | "webhook_delivery" | "none" | null;
}

/** `POST /api/v2/dead-letters/{id}/replay`. */
export interface DeadLetterReplay {
  id: string;
  queue: string;
  messageId: string;
  replayedAt: string | null;
  replayedBy: string | null;
  reopened: "sync_chunk" | "webhook_delivery" | "none" | null;
}
