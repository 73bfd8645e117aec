// API keys in the Worker's format, made locally (the demo's keys, the benchmark's, and
// `npm run key:operator`).

import { createHash, randomInt } from "node:crypto";

const LOWER_DIGITS = "abcdefghijklmnopqrstuvwxyz0123456789";
const ALNUM = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

function randomString(alphabet, length) {
  let s = "";
  for (let i = 0; i < length; i++) s += alphabet[randomInt(alphabet.length)];
  return s;
}

/**
 * A new API key in the Worker's format, `eik_<id>_<secret>`: id 12 × [a-z0-9], secret
 * 32 × [A-Za-z0-9], both from crypto. `hash` is the lowercase hex SHA-256 of the whole key.
 */
export function generateApiKey() {
  const id = randomString(LOWER_DIGITS, 12);
  const key = `eik_${id}_${randomString(ALNUM, 32)}`;
  return { id, key, hash: createHash("sha256").update(key).digest("hex") };
}
