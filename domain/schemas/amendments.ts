/**
 * `POST /api/v2/reservations/{id}/amend` (issue 13, item 5): one amendment of a live
 * reservation, a discriminated union on `kind` (the rules behind each kind are in
 * domain/reservation-amendments.ts). Everything that can be checked without the reservation
 * is checked here, so bad input never reaches a Durable Object; what depends on the
 * reservation (a line it holds, more than it holds, the TTL bounds of its type) is its
 * coordinator's answer (409 `invalid_state` with a `reason`).
 */
import { z } from "zod";
import type { Amendment } from "../reservation-amendments";
import { LIMITS, TTL_SECONDS } from "../reservation-rules";
import { LineQuantity, LocationId, SkuId } from "./common";

const AmendLineBody = z.strictObject({ sku: SkuId, locationId: LocationId, quantity: LineQuantity });

/** 1–100 lines, each (sku, locationId) at most once. */
const AmendLines = z
  .array(AmendLineBody)
  .min(1)
  .max(LIMITS.linesPerReservation)
  .superRefine((lines, ctx) => {
    const seen = new Map<string, number>();
    lines.forEach((line, i) => {
      const key = `${line.sku}\u0000${line.locationId}`;
      const first = seen.get(key);
      if (first === undefined) seen.set(key, i);
      else ctx.addIssue({ code: "custom", path: [i], message: `duplicates lines[${first}] (same sku and location); name a line once` });
    });
  });

/** The widest TTL bounds over the reservation types; the reservation's own type narrows them (its coordinator checks). */
const TTL_MIN = Math.min(TTL_SECONDS.soft.min, TTL_SECONDS.hard.min);
const TTL_MAX = Math.max(TTL_SECONDS.soft.max, TTL_SECONDS.hard.max);

export const AmendReservationBody = z.discriminatedUnion("kind", [
  /** `quantity`: each line's new quantity (release the line, or part of it, to give units back). */
  z.strictObject({ kind: z.literal("change_quantity"), lines: AmendLines }),
  /** `quantity`: units of each line to give back (the whole line removes it). */
  z.strictObject({ kind: z.literal("release_part"), lines: AmendLines }),
  /** `quantity`: units of each line to ship (hard reservations, active or committed). */
  z.strictObject({ kind: z.literal("fulfil_part"), lines: AmendLines }),
  /** Every line expires `ttlSeconds` from now (soft 60 s – 24 h, hard 60 s – 30 days). */
  z.strictObject({ kind: z.literal("refresh_expiry"), ttlSeconds: z.int().min(TTL_MIN).max(TTL_MAX) }),
  /** `quantity` units (the whole line when absent) of one SKU from one location to another. */
  z
    .strictObject({
      kind: z.literal("move_line"),
      sku: SkuId,
      fromLocationId: LocationId,
      toLocationId: LocationId,
      quantity: LineQuantity.optional(),
    })
    .refine((b) => b.fromLocationId !== b.toLocationId, { path: ["toLocationId"], message: "a line moves to another location" }),
]);
export type AmendReservationBody = z.infer<typeof AmendReservationBody>;

/** The body as the coordinator takes it (the same shape; `quantity` left out of a whole-line move). */
export function amendmentOf(body: AmendReservationBody): Amendment {
  if (body.kind !== "move_line") return body;
  const { quantity, ...move } = body;
  return quantity === undefined ? move : { ...move, quantity };
}
