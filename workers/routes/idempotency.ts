/** Reading the `Idempotency-Key` header. */
import type { Context } from "hono";
import { ApiError } from "../../services/api-error";
import { validate } from "../http/read-input";
import { IdempotencyKey } from "../../domain/schemas/common";

/** The header's value, validated; `required` makes its absence a 400. */
export function idempotencyKeyOf(c: Context, required: true): string;
export function idempotencyKeyOf(c: Context, required: false): string | undefined;
export function idempotencyKeyOf(c: Context, required: boolean): string | undefined {
  const value = c.req.header("idempotency-key");
  if (value === undefined) {
    if (!required) return undefined;
    throw ApiError.invalid("the Idempotency-Key header is required", [
      { path: ["headers", "idempotency-key"], message: "required: a unique key per logical request (e.g. a UUID)", code: "required" },
    ]);
  }
  return validate(IdempotencyKey, value, "Idempotency-Key header", ["headers", "idempotency-key"]);
}
