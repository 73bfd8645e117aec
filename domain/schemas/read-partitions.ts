/** Input of the re-partitioning endpoints (`/api/v2/read-partitions`, issue 19 item 2). */
import { z } from "zod";
import { VendorId } from "./common";

/** Move a vendor's read-model rows to read database `to` (0..M−1; the API checks M). */
export const StartMoveBody = z.strictObject({
  vendorId: VendorId,
  to: z.int().min(0).max(63),
});

/** A move's id as issued (`rmv_` + 24 hex). */
export const MoveId = z.string().regex(/^rmv_[0-9a-f]{24}$/, "a move id (rmv_ and 24 hex digits)");

/** `GET /read-partitions/moves[?vendorId=]`: a vendor's moves (without `vendorId`: every vendor's), newest first. */
export const MoveListQuery = z.strictObject({
  vendorId: VendorId.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(20),
});
