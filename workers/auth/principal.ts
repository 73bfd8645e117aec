/**
 * Who is calling, once their key is checked. Idempotency keys and reservations are scoped
 * to the principal: `checkout`, `operator`, or `vendor:<id>`.
 */
import type { Scope } from "./api-keys";

export interface Principal {
  keyId: string;
  scope: Scope;
  /** Set for vendor keys only. */
  vendorId: string | null;
}

/** The owner name idempotency keys and reservations are scoped to. */
export function principalName(p: Principal): string {
  return p.scope === "vendor" ? `vendor:${p.vendorId}` : p.scope;
}

/** The ledger's `actor` for changes this principal makes. */
export function actorOf(p: Principal): string {
  return `${principalName(p)}:key_${p.keyId}`;
}

/** Whether the principal may manage this vendor's SKUs. */
export function canManageVendor(p: Principal, vendorId: string): boolean {
  return p.scope === "operator" || (p.scope === "vendor" && p.vendorId === vendorId);
}
