/**
 * Webhook signatures: `X-EdgeInventory-Signature: v1=<hex>` where `<hex>` is the lowercase
 * hex HMAC-SHA256, keyed with the subscription's secret (its UTF-8 bytes), of
 * `<timestamp>.<raw body>`, and `<timestamp>` is the `X-EdgeInventory-Timestamp` header
 * (unix seconds). Binding the timestamp into the MAC lets receivers refuse replays older
 * than a tolerance. Pure (Web Crypto only).
 */

export const SIGNATURE_HEADER = "X-EdgeInventory-Signature";
export const TIMESTAMP_HEADER = "X-EdgeInventory-Timestamp";
export const EVENT_HEADER = "X-EdgeInventory-Event";
export const DELIVERY_HEADER = "X-EdgeInventory-Delivery";
/** Default age beyond which `verifyWebhookSignature` refuses a timestamp. */
export const SIGNATURE_TOLERANCE_SECONDS = 300;

const encoder = new TextEncoder();

async function hmacKey(secret: string): Promise<CryptoKey> {
  return crypto.subtle.importKey("raw", encoder.encode(secret), { name: "HMAC", hash: "SHA-256" }, false, ["sign"]);
}

function hex(bytes: ArrayBuffer): string {
  return [...new Uint8Array(bytes)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** The signature header value (`v1=<hex>`) for a body sent at `timestamp` (unix seconds). */
export async function signWebhook(secret: string, timestamp: number, rawBody: string): Promise<string> {
  const mac = await crypto.subtle.sign("HMAC", await hmacKey(secret), encoder.encode(`${timestamp}.${rawBody}`));
  return `v1=${hex(mac)}`;
}

/**
 * Checks a received signature as a receiver should: the timestamp is recent (within
 * `toleranceSeconds` of `nowSeconds`) and one of the `v1=` values in the header equals the
 * expected MAC (compared in constant time).
 */
export async function verifyWebhookSignature(
  secret: string,
  header: string,
  timestamp: string,
  rawBody: string,
  nowSeconds: number,
  toleranceSeconds = SIGNATURE_TOLERANCE_SECONDS,
): Promise<boolean> {
  if (!/^\d{1,12}$/.test(timestamp) || Math.abs(nowSeconds - Number(timestamp)) > toleranceSeconds) return false;
  const expected = encoder.encode(await signWebhook(secret, Number(timestamp), rawBody));
  let ok = false;
  for (const part of header.split(",")) {
    const candidate = encoder.encode(part.trim());
    if (candidate.byteLength === expected.byteLength && crypto.subtle.timingSafeEqual(candidate, expected)) ok = true;
  }
  return ok;
}
