/**
 * Reservation ids (their coordinator is `coordinatorFor` in `repositories/objects.ts`).
 *
 * The id is derived from the caller's principal and Idempotency-Key, so a retried request
 * reaches the same coordinator row without any lookup: `rsv_` + 2 hex (the coordinator
 * shard, 256 of them) + 26 base32 (128 bits of SHA-256).
 *
 * A direct reservation (one SKU, the fast path: its SKU's object holds it, no coordinator)
 * appends `_` and the SKU, so any later call finds the object from the id alone; the key's
 * coordinator shard (the first part) still keeps the key's claim.
 */

const BASE32 = "abcdefghijklmnopqrstuvwxyz234567";

function base32(bytes: Uint8Array): string {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = (buffer << 8) | byte;
    bits += 8;
    while (bits >= 5) {
      out += BASE32[(buffer >>> (bits - 5)) & 31];
      bits -= 5;
    }
  }
  if (bits > 0) out += BASE32[(buffer << (5 - bits)) & 31];
  return out;
}

/** The reservation id for a principal's Idempotency-Key. */
export async function reservationIdFor(principal: string, idempotencyKey: string): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(`${principal}\n${idempotencyKey}`)));
  const shard = digest[0]!.toString(16).padStart(2, "0");
  return `rsv_${shard}${base32(digest.slice(1, 17))}`;
}

/** The length of a key's id (`rsv_` + 2 hex + 26 base32); a direct reservation's id continues with `_<sku>`. */
const KEY_ID_LENGTH = 32;

/** The id of a direct (single-SKU) reservation: the key's id, `_`, the SKU (and `~<index>` on a hot-SKU shard). */
export function directReservationId(keyId: string, sku: string, shard?: number): string {
  return shard === undefined ? `${keyId}_${sku}` : `${keyId}_${sku}~${shard}`;
}

/**
 * Where a reservation lives: its coordinator (by the key's id), or an object of its SKU
 * (direct): `object` is the SKU itself, or for a hot-SKU shard `<sku>~<index>`.
 */
export type ReservationHome = { kind: "coordinator"; keyId: string } | { kind: "direct"; keyId: string; sku: string; object: string };

/** Where reservation `id` (a valid id: `ReservationId` in domain/schemas/common.ts) lives. */
export function reservationHome(id: string): ReservationHome {
  const keyId = id.slice(0, KEY_ID_LENGTH);
  if (id.length <= KEY_ID_LENGTH) return { kind: "coordinator", keyId };
  const object = id.slice(KEY_ID_LENGTH + 1);
  const tilde = object.indexOf("~");
  return { kind: "direct", keyId, sku: tilde === -1 ? object : object.slice(0, tilde), object };
}

/** The shard (of `shards`) a key's reservation of a hot SKU goes to: from the key's id, so a retry reaches the same one. */
export function shardForKey(keyId: string, shards: number): number {
  let h = 0;
  for (let i = 4; i < keyId.length; i++) h = (Math.imul(h, 31) + keyId.charCodeAt(i)) >>> 0;
  return h % shards;
}
