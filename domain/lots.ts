/**
 * Lots of perishable units (issue 14, item 6): what a receipt line says of its lot, and when a
 * lot expires. Pure; the SKU object keeps the lots (durable-objects/sku-inventory/lots.ts).
 */

/** The expiring alert's horizon when the SKU sets none (the seed's "< 7 days"). */
export const DEFAULT_EXPIRY_HORIZON_DAYS = 7;

/**
 * When units of a lot expiring on `expiresOn` (`YYYY-MM-DD`) stop being sellable: the first
 * millisecond of that date, UTC ("expires on the 1st" = not sold on the 1st).
 */
export function expiryInstant(expiresOn: string): number {
  return Date.parse(`${expiresOn}T00:00:00Z`);
}

/**
 * The lot fields of a receipt line, as the SKU object's `receiveTransfer` takes them:
 * `{ lot, expiresAt }` when the line names a lot, nothing otherwise.
 */
export function receiptLot(line: { lot?: string | undefined; expiresOn?: string | undefined }): { lot?: string; expiresAt?: number } {
  return line.lot === undefined || line.expiresOn === undefined ? {} : { lot: line.lot, expiresAt: expiryInstant(line.expiresOn) };
}
