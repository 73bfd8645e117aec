/** Largest request bodies each kind of endpoint accepts (bytes); documented in the README. */
export const BODY_LIMITS = {
  reserve: 64 * 1024,
  action: 4 * 1024,
  shards: 1024,
  adjust: 8 * 1024,
  masterData: 16 * 1024,
  skuBatch: 8 * 1024 * 1024,
} as const;
