/**
 * Who is calling, once their key is checked. Idempotency keys and reservations are scoped
 * to the principal: `operator`, `vendor:<id>`, `checkout:<channel>` for a checkout key
 * issued to a storefront (sales channel), or `checkout` for checkout keys without one.
 *
 * The principal name feeds the reservation id (`domain/reservation-ids.ts`) and the
 * coordinator's owner check, so a storefront's reservations are its own: another channel's
 * key (or an unchannelled one) cannot see, replay, commit, fulfil or release them. Only
 * operators act on every principal's reservations.
 */
import type { Scope } from "../domain/api-keys";

export interface Principal {
  keyId: string;
  scope: Scope;
  /** Set for vendor keys only. */
  vendorId: string | null;
  /** Checkout keys only, optional: the storefront the key was issued to. */
  channel: string | null;
}

/** The owner name idempotency keys and reservations are scoped to. */
export function principalName(p: Principal): string {
  if (p.scope === "vendor") return `vendor:${p.vendorId}`;
  if (p.scope === "checkout" && p.channel !== null) return `checkout:${p.channel}`;
  return p.scope;
}

/** The ledger's `actor` for changes this principal makes. */
export function actorOf(p: Principal): string {
  return `${principalName(p)}:key_${p.keyId}`;
}

/** Whether the principal may manage this vendor's SKUs. */
export function canManageVendor(p: Principal, vendorId: string): boolean {
  return p.scope === "operator" || (p.scope === "vendor" && p.vendorId === vendorId);
}
