/**
 * REORDER queue messages (issue 15). Validated on receipt: a queue message is delivered at
 * least once and may come from an older producer.
 *
 * - `chunk`: up to REORDER_CHUNK_SKUS SKUs of a nightly run (a keyset page of `skus`), with its
 *   number in the run (`seq`, from 0; absent from older producers), so the run can tell when
 *   every chunk has been planned;
 * - `sku`: one SKU at once, after its `inventory.low_stock` event;
 * - `draft`: draft a purchase order from one vendor × receiving location's open suggestions
 *   (`run`: the run's chunks are all planned; `sweep`: the per-minute sweep found the group's
 *   suggestions waiting past the settling window; `more`: the group had more than one
 *   purchase order's lines, the next one).
 * `origin` is the last complete day of sales the forecasts use, fixed by the producer, so a
 * redelivery plans against the same day.
 */
import { z } from "zod";

/** SKUs per chunk message: ~100 D1 rows of master data, ≤ 100 × history days of sales, 100 object reads. */
export const REORDER_CHUNK_SKUS = 100;

const Sku = z.string().min(1).max(64);
const Id = z.string().min(1).max(64);
const Day = z.string().regex(/^\d{4}-\d{2}-\d{2}$/);

export const ReorderMessageSchema = z.discriminatedUnion("kind", [
  z.object({
    v: z.literal(1),
    kind: z.literal("chunk"),
    origin: Day,
    skus: z.array(Sku).min(1).max(REORDER_CHUNK_SKUS),
    seq: z.int().min(0).optional(),
  }),
  z.object({ v: z.literal(1), kind: z.literal("sku"), origin: Day, sku: Sku, reason: z.enum(["low_stock", "manual"]) }),
  z.object({ v: z.literal(1), kind: z.literal("draft"), vendorId: Id, locationId: Id, reason: z.enum(["run", "sweep", "more"]) }),
]);
export type ReorderMessage = z.infer<typeof ReorderMessageSchema>;
export type DraftMessage = Extract<ReorderMessage, { kind: "draft" }>;

/** The SKUs a message asks to plan (none for a draft). */
export function skusOf(message: ReorderMessage): string[] {
  return message.kind === "chunk" ? message.skus : message.kind === "sku" ? [message.sku] : [];
}
