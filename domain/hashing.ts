/** SHA-256 digests as lowercase hex: API key hashes, ETags, and request fingerprints. */

/** Lowercase hex SHA-256 of a string. */
export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** SHA-256 (hex) of a value's JSON, used to tell a retry from a different request. */
export function requestHash(value: unknown): Promise<string> {
  return sha256Hex(JSON.stringify(value));
}
