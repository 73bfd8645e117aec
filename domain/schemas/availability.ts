/** Query schemas of the public availability endpoints. */
import { z } from "zod";
import { SkuId } from "./common";

/** Most SKUs one listing request may ask for. */
export const AVAILABILITY_BATCH_MAX = 100;

const LocationsFlag = z
  .enum(["1", "0", "true", "false"])
  .optional()
  .transform((v) => v === "1" || v === "true");

export const AvailabilityQuery = z.strictObject({ locations: LocationsFlag });

export const AvailabilityBatchQuery = z.strictObject({
  locations: LocationsFlag,
  skus: z
    .string()
    .min(1, "give skus=A,B,C")
    .transform((v) => v.split(","))
    .pipe(z.array(SkuId).min(1).max(AVAILABILITY_BATCH_MAX, `at most ${AVAILABILITY_BATCH_MAX} SKUs per request`)),
});
