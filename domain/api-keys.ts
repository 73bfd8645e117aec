/**
 * API keys: `eik_<id>_<secret>`, id = 12 of [a-z0-9], secret = 32 of [A-Za-z0-9]. Only the
 * SHA-256 of the whole key is stored; the id (part of the key) finds the row, and the
 * digests are compared in constant time.
 */

export const API_KEY_PATTERN = /^eik_([a-z0-9]{12})_([A-Za-z0-9]{32})$/;

export type Scope = "checkout" | "vendor" | "operator";

const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
const LOWER_ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";

function randomString(alphabet: string, length: number): string {
  // Rejection sampling keeps every character equally likely.
  const limit = 256 - (256 % alphabet.length);
  let out = "";
  while (out.length < length) {
    for (const byte of crypto.getRandomValues(new Uint8Array(length * 2))) {
      if (byte < limit && out.length < length) out += alphabet[byte % alphabet.length];
    }
  }
  return out;
}

/** A new random key and its id. */
export function generateApiKey(): { id: string; key: string } {
  const id = randomString(LOWER_ALNUM, 12);
  return { id, key: `eik_${id}_${randomString(ALNUM, 32)}` };
}

/** The key's id, or null when the text is not shaped like a key. */
export function apiKeyId(key: string): string | null {
  return API_KEY_PATTERN.exec(key)?.[1] ?? null;
}

/** Compares a presented key with a stored hex digest in constant time. */
export async function keyMatchesHash(key: string, storedHex: string): Promise<boolean> {
  const presented = new Uint8Array(await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key)));
  const stored = hexToBytes(storedHex);
  if (stored === null || stored.byteLength !== presented.byteLength) return false;
  return crypto.subtle.timingSafeEqual(presented, stored);
}

function hexToBytes(hex: string): Uint8Array | null {
  if (!/^[0-9a-f]{64}$/.test(hex)) return null;
  const bytes = new Uint8Array(32);
  for (let i = 0; i < 32; i++) bytes[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return bytes;
}
