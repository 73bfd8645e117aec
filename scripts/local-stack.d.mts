// Types for scripts/local-stack.mjs, the facade over scripts/local-stack/ (used by the TypeScript
// end-to-end and Node tests).

export declare const ROOT: string;
export declare const QUIET_ENV: Readonly<Record<string, string>>;
export declare const DEMO_VENDOR_ID: "V-ACME";
export declare const DEMO_KEYS_FILE: "demo-keys.json";
export declare const DEMO_SKU_COUNT: number;

export interface DemoKeys {
  checkout: string;
  operator: string;
  vendor: string;
  vendorId: string;
}

/** The contents of `<stateDir>/demo-keys.json`. */
export interface DemoState {
  baseUrl: string;
  keys: DemoKeys;
  stockSeeded?: boolean;
  /** Set by `npm start` once the whole demo (master data and stock) is in: later starts seed nothing. */
  demoSeeded?: boolean;
}

export declare function generateApiKey(): { id: string; key: string; hash: string };
export declare function demoKeysPath(stateDir: string): string;
export declare function readDemoKeys(stateDir: string): Promise<DemoState | null>;
export declare function updateDemoKeys(stateDir: string, patch: Partial<DemoState>): Promise<DemoState>;

/** The kept demo keys, or new ones with the SQL steps that store them (and the planning demo); nothing written. */
export declare function demoStatePlan(
  stateDir: string,
  options?: { baseUrl?: string; demoSales?: boolean; skuCount?: number },
): Promise<{ demo: DemoState; steps: { label: string; sql: string }[] }>;

/** Writes `<stateDir>/demo-keys.json` whole. */
export declare function writeDemoState(stateDir: string, demo: DemoState): Promise<void>;

export declare function prepareState(
  stateDir: string,
  options?: { baseUrl?: string; log?: (msg: string) => void; demoSales?: boolean; skuCount?: number },
): Promise<DemoState>;

export declare function getFreePort(): Promise<number>;

export interface WorkerHandle {
  url: string;
  port: number;
  pid: number;
  /** wrangler's captured output (the last 64 KiB). */
  output(): string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** SIGTERM, wait for exit (SIGKILL to the process group after 10 s). Safe to call twice. */
  stop(): Promise<void>;
}

export declare function startWorker(options: {
  stateDir: string;
  port?: number;
  inspectorPort?: number;
  timeoutMs?: number;
  onOutput?: (chunk: string) => void;
  config?: string;
  /** Extra `[vars]` for this run (`--var NAME:value`). */
  vars?: Record<string, string>;
}): Promise<WorkerHandle>;

/** What `startMiniflareWorker` gave Miniflare, from wrangler.toml. */
export interface MiniflareBindings {
  d1: string[];
  durableObjects: Record<string, { className: string; useSQLite?: boolean }>;
  queueProducers: string[];
  /** Consumed queue names, dead-letter queues included. */
  queueConsumers: string[];
  /** The dead-letter queues the consumers name. */
  deadLetterQueues: string[];
  ratelimits: string[];
  crons: string[];
}

/**
 * `npm start`'s runtime: the deploy bundle in Miniflare on 127.0.0.1, persisting to
 * `<stateDir>/v3` (wrangler dev's layout), the D1 migrations and the steps' SQL applied before it answers.
 */
export declare function startMiniflareWorker(options: {
  stateDir: string;
  port?: number;
  vars?: Record<string, string>;
  steps?: { label: string; sql: string }[];
  timeoutMs?: number;
  onOutput?: (chunk: string) => void;
  log?: (msg: string) => void;
}): Promise<WorkerHandle & { bindings: MiniflareBindings }>;

export interface DemoLocation {
  id: string;
  name: string;
  type: "fulfillment_center";
  countryCode: string;
  city: string;
  latitude: number;
  longitude: number;
  canShip: boolean;
  canPickup: boolean;
  priority: number;
  capacityUnits: number;
  active: boolean;
}

export interface DemoSku {
  sku: string;
  vendorId: string;
  productId: string;
  productName: string;
  name: string;
  reorderPoint: number;
  safetyStock: number;
  maxStock: number;
  leadTimeDays: number;
  allowBackorder: boolean;
  softBufferPct: number;
  perishable: boolean;
  status: "active";
}

export declare const DEMO_VENDORS: ReadonlyArray<{ id: string; name: string; prefix: string; categories: string[] }>;
export declare const DEMO_LOCATIONS: ReadonlyArray<DemoLocation>;

/** A demo centre with its order-routing data, as `PUT /api/v2/locations/{id}` takes it. */
export interface DemoLocationBody extends DemoLocation {
  shippingCost: { base: number; perKm: number; perUnit: number };
  handlingHours: number;
  cutoffHour: number;
  utcOffsetMinutes: number;
  dailyCapacity: number;
  currentLoad: number;
  onTimeRate: number;
  accuracyRate: number;
}

/** DEMO_LOCATIONS with their routing data from domain/allocation-demo-locations.ts (checked to agree). */
export declare function demoLocationBodies(): Promise<DemoLocationBody[]>;

export declare function demoCatalogue(count?: number): {
  vendors: { id: string; name: string }[];
  locations: DemoLocation[];
  skus: DemoSku[];
  stock: { sku: string; locationId: string; onHand: number }[];
};

export declare function api(
  baseUrl: string,
  key: string | null,
  method: string,
  path: string,
  options?: { body?: unknown; headers?: Record<string, string>; ok?: number[]; retries?: number },
): Promise<{ status: number; body: any }>;

export declare function seedDemoData(
  baseUrl: string,
  keys: Pick<DemoKeys, "operator">,
  options?: { stateDir?: string; concurrency?: number; log?: (msg: string) => void; progress?: boolean; skuCount?: number },
): Promise<{ vendors: number; locations: number; skus: number; stockRows: number; stockSkipped: boolean }>;

/** Days of the demo sales history the first start loads into daily_sales. */
export declare const DEMO_PLANNING_DAYS: number;

/** SQL loading the planning demo (recent daily sales ending yesterday, per-SKU category, price and cost). */
export declare function demoPlanningSql(options?: { days?: number; now?: number; skuCount?: number }): Promise<string>;
