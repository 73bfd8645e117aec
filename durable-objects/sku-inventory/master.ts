/**
 * The SKU's master facts (v7 `master` table, one row): whether it exists, its status, its
 * owning vendor and its reservation policy, as D1 `skus` last told this object. Stock
 * changes and reservations are checked against them here, so no request reads D1 to change
 * stock (issue 19 item 3).
 *
 * How the facts arrive, and why none is lost:
 * - **push**: every master-data write pushes the new facts after its D1 write commits
 *   (services/sku-master.ts); the newer `version` wins, an older or repeated push is a no-op;
 * - **repair**: D1 `skus.master_acked_version` records the version an object acknowledged;
 *   the per-minute sweep pushes every row whose acknowledged version is behind, so a push
 *   lost after the D1 commit reaches the object within a minute, with no operator;
 * - **lazy fill**: an object with no facts (a SKU created before v7, or one whose first push
 *   is still on its way) reads its row from D1 once (`MasterGate`), then holds it. A SKU D1
 *   does not have is remembered as absent in memory for ABSENT_RECHECK_MS only, so an unknown
 *   SKU costs at most one D1 read per object per interval and never a stored row.
 */
import { fail, type Failure } from "../../domain/failures";
import { DEFAULT_SOFT_BUFFER_PCT } from "../../domain/reservation-rules";
import type { MasterPushResult, SkuMasterFacts, SkuPolicy, StockCaller } from "../sku-inventory.types";
import type { SkuDb } from "./rows";
import { storeSku } from "./meta";

/** How long an object trusts "D1 has no such SKU" before it asks again (ms). */
export const ABSENT_RECHECK_MS = 60_000;

/**
 * What a request needs of the SKU: `stock` (on-hand, stock states, transfers) that it exists
 * and, for a vendor, is its own; `reserve` that it exists and is active; `none` only its policy.
 */
export type AccessNeed = "stock" | "reserve" | "none";

/** The facts as a row, in this object's `master` table and in D1 `skus` (the lazy fill's query). */
export type MasterRow = {
  sku: string;
  vendor_id: string;
  status: "active" | "discontinued";
  allow_backorder: number;
  soft_buffer_pct: number;
  reorder_point: number;
  lead_time_days: number;
  version: number;
  updated_at: number;
};

/** The facts of a row. */
export function readMasterRow(row: MasterRow): SkuMasterFacts {
  return {
    sku: row.sku,
    vendorId: row.vendor_id,
    status: row.status,
    allowBackorder: row.allow_backorder === 1,
    softBufferPct: row.soft_buffer_pct,
    reorderPoint: row.reorder_point,
    leadTimeDays: row.lead_time_days,
    version: row.version,
    updatedAt: row.updated_at,
  };
}

/** The facts this object holds, or null if it has none yet. */
export function readMaster(sql: SqlStorage): SkuMasterFacts | null {
  const row = sql
    .exec<MasterRow>(
      "SELECT sku, vendor_id, status, allow_backorder, soft_buffer_pct, reorder_point, lead_time_days, version, updated_at FROM master WHERE id = 1",
    )
    .toArray()[0];
  return row === undefined ? null : readMasterRow(row);
}

/** The reservation rules in the facts. */
export function policyOf(facts: SkuMasterFacts): SkuPolicy {
  return { allowBackorder: facts.allowBackorder, softBufferPct: facts.softBufferPct, reorderPoint: facts.reorderPoint };
}

/**
 * Stores `facts` unless this object already holds that version or a newer one, in one
 * transaction with the `meta` policy that expiries and threshold events read (so a changed
 * reorder point applies at once, not at the next request).
 */
export function storeMaster(db: SkuDb, facts: SkuMasterFacts, source: "push" | "fill", now: number): MasterPushResult {
  const result = db.storage.transactionSync((): MasterPushResult => {
    const held = readMaster(db.sql);
    if (held !== null && held.version >= facts.version) return { ok: true, outcome: "stale", version: held.version };
    db.sql.exec(
      `INSERT INTO master (id, sku, vendor_id, status, allow_backorder, soft_buffer_pct, reorder_point, lead_time_days, version, updated_at, source, received_at)
       VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET sku = excluded.sku, vendor_id = excluded.vendor_id, status = excluded.status,
         allow_backorder = excluded.allow_backorder, soft_buffer_pct = excluded.soft_buffer_pct, reorder_point = excluded.reorder_point,
         lead_time_days = excluded.lead_time_days, version = excluded.version, updated_at = excluded.updated_at,
         source = excluded.source, received_at = excluded.received_at`,
      facts.sku,
      facts.vendorId,
      facts.status,
      facts.allowBackorder ? 1 : 0,
      facts.softBufferPct,
      facts.reorderPoint,
      facts.leadTimeDays,
      facts.version,
      facts.updatedAt,
      source,
      now,
    );
    storeSku(db.sql, facts.sku);
    db.sql.exec("INSERT INTO meta (key, value) VALUES ('policy', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value", JSON.stringify(policyOf(facts)));
    return { ok: true, outcome: "applied", version: facts.version };
  });
  // The policy cache reads the new `meta` policy on its next use.
  if (result.outcome === "applied") db.policy.forget();
  return result;
}

/**
 * The refusal for a request the facts do not allow, or null. Messages and details are the
 * Worker's of before v7 (services/sku-access.ts maps them to the same HTTP errors).
 */
export function refusal(facts: SkuMasterFacts | null, sku: string, caller: StockCaller | undefined, need: AccessNeed): Failure | null {
  if (need === "none") return null;
  if (facts === null) return fail("sku_not_found", `no SKU ${sku}`, { sku });
  if (caller?.scope === "vendor" && caller.vendorId !== facts.vendorId) return fail("forbidden", `SKU ${sku} belongs to another vendor`, { sku });
  if (need === "reserve" && facts.status !== "active") return fail("sku_unavailable", `SKU ${sku} is ${facts.status}`, { sku, status: facts.status });
  return null;
}

/** Reads a SKU's facts from D1 (the object's one-time lazy fill); null when D1 has no such SKU. */
export type MasterLoader = (sku: string) => Promise<SkuMasterFacts | null>;

/**
 * The object's facts for a request: those it holds, else one lazy fill from D1 shared by
 * every request that arrives while it runs. A fill that fails answers `retry_later` (nothing
 * was changed); D1 having no such SKU is remembered in memory for ABSENT_RECHECK_MS.
 */
/** Where the gate keeps the facts: the object's store. */
export interface MasterHolder {
  masterFacts(): SkuMasterFacts | null;
  storeMaster(facts: SkuMasterFacts, source: "push" | "fill", now: number): MasterPushResult;
}

export class MasterGate {
  readonly #holder: () => MasterHolder;
  readonly #load: MasterLoader;
  readonly #now: () => number;
  #filling: Promise<SkuMasterFacts | null | Failure> | null = null;
  #absentUntil = 0;

  constructor(holder: () => MasterHolder, load: MasterLoader, now: () => number) {
    this.#holder = holder;
    this.#load = load;
    this.#now = now;
  }

  /** The facts this object holds, without asking D1. */
  held(): SkuMasterFacts | null {
    return this.#holder().masterFacts();
  }

  /** The facts, filling them from D1 once if the object has none. */
  async facts(sku: string): Promise<SkuMasterFacts | null | Failure> {
    const held = this.held();
    if (held !== null) return held;
    if (this.#now() < this.#absentUntil) return null;
    this.#filling ??= this.#fill(sku).finally(() => {
      this.#filling = null;
    });
    return this.#filling;
  }

  async #fill(sku: string): Promise<SkuMasterFacts | null | Failure> {
    let loaded: SkuMasterFacts | null;
    try {
      loaded = await this.#load(sku);
    } catch (error) {
      console.error(JSON.stringify({ event: "sku.master_fill_failed", sku, error: String(error) }));
      return fail("retry_later", "the SKU's master data could not be read; nothing was changed, retry", { sku });
    }
    if (loaded === null) {
      this.#absentUntil = this.#now() + ABSENT_RECHECK_MS;
      return null;
    }
    // A push may have landed while D1 answered: the newer version stays either way.
    this.#holder().storeMaster(loaded, "fill", this.#now());
    return this.held();
  }

  /** Forgets a remembered absence (a push brought the facts). */
  pushed(): void {
    this.#absentUntil = 0;
  }
}

/**
 * The policy a request runs with and whether it may run. A request that names its caller
 * (or sends no policy) is checked against the facts, filled once if missing; an older
 * caller's request that still carries a D1-read policy and no caller was checked by its
 * Worker, and runs with the facts' policy when the object has them, else with its own.
 */
export async function admit(
  gate: MasterGate,
  input: { sku: string; caller?: StockCaller | undefined; policy?: SkuPolicy | undefined },
  need: AccessNeed,
  storedPolicy: () => SkuPolicy | null,
): Promise<SkuPolicy | Failure> {
  if (input.caller === undefined && input.policy !== undefined) {
    const held = gate.held();
    return held === null ? input.policy : policyOf(held);
  }
  const facts = await gate.facts(input.sku);
  if (facts !== null && "ok" in facts) return facts;
  const refused = refusal(facts, input.sku, input.caller, need);
  if (refused !== null) return refused;
  if (facts !== null) return policyOf(facts);
  return storedPolicy() ?? { allowBackorder: false, softBufferPct: DEFAULT_SOFT_BUFFER_PCT, reorderPoint: 0 };
}
