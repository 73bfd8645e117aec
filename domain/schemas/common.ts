/**
 * Building blocks of the API's input schemas. Limits come from `domain/reservation-rules`.
 */
import { z } from "zod";
import { LIMITS } from "../reservation-rules";

/** SKU, product, vendor and location ids: 1–64 of `A–Z a–z 0–9 . _ -`, starting alphanumeric. */
export const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

const id = (what: string) => z.string().regex(ID_PATTERN, `${what} must be 1–64 characters of A–Z, a–z, 0–9, '.', '_' or '-', starting with a letter or digit`);

export const SkuId = id("sku");
export const LocationId = id("locationId");
export const VendorId = id("vendorId");
export const ProductId = id("productId");
/** A storefront (sales channel) of checkout keys; no `:`, so `checkout:<channel>` is unambiguous. */
export const ChannelId = id("channel");

/** Units on one reservation line: an integer in 1..1,000,000. */
export const LineQuantity = z.int().min(LIMITS.quantityMin).max(LIMITS.quantityMax);

export const Reference = z.string().trim().min(1).max(LIMITS.referenceMaxLength);

/** Idempotency keys: 1–128 visible ASCII characters. */
export const IdempotencyKey = z.string().regex(/^[\x21-\x7e]{1,128}$/, "Idempotency-Key must be 1–128 visible ASCII characters");

/**
 * A reservation id as issued by this API: `rsv_` + 2 hex shard + 26 base32, and for a direct
 * (single-SKU) reservation `_` + the SKU, and `~<index>` when a hot-SKU shard holds it
 * (domain/reservation-ids.ts).
 */
export const ReservationId = z.string().regex(/^rsv_[0-9a-f]{2}[a-z2-7]{26}(?:_[A-Za-z0-9][A-Za-z0-9._-]{0,63}(?:~\d{1,2})?)?$/, "not a reservation id");
