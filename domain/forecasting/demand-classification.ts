/**
 * Demand classification by ADI and CV² (Syntetos, Boylan & Croston, "On the categorization of
 * demand patterns", JORS 56, 2005). Pure.
 *
 * ADI is the average interval between days with a sale; CV² the squared coefficient of
 * variation of the units on those days. The cut-offs 1.32 and 0.49 are the paper's: below
 * ADI 1.32 demand is regular enough for smoothing methods (smooth if sizes vary little,
 * erratic if they vary a lot); above it, Croston-type methods do better (intermittent, lumpy).
 */
import type { DemandClassification } from "./forecast-model";

export const ADI_CUTOFF = 1.32;
export const CV2_CUTOFF = 0.49;
/** Classification looks at the most recent 52 weeks: older behaviour says little about today's. */
export const CLASSIFICATION_DAYS = 364;

/** Classifies the last (up to) 364 days of a daily series. */
export function classifyDemand(units: readonly number[]): DemandClassification {
  const from = Math.max(0, units.length - CLASSIFICATION_DAYS);
  const days = units.length - from;
  if (days === 0) return { class: "new", adi: Infinity, cv2: 0, days: 0, demandDays: 0 };
  let demandDays = 0;
  let sum = 0;
  let sumSq = 0;
  for (let i = from; i < units.length; i++) {
    const u = units[i]!;
    if (u > 0) {
      demandDays++;
      sum += u;
      sumSq += u * u;
    }
  }
  if (demandDays === 0) return { class: "inactive", adi: Infinity, cv2: 0, days, demandDays };
  const adi = days / demandDays;
  const mean = sum / demandDays;
  const cv2 = Math.max(0, sumSq / demandDays - mean * mean) / (mean * mean);
  const regular = adi < ADI_CUTOFF;
  const steady = cv2 < CV2_CUTOFF;
  return {
    class: regular ? (steady ? "smooth" : "erratic") : steady ? "intermittent" : "lumpy",
    adi,
    cv2,
    days,
    demandDays,
  };
}
