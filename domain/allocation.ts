/**
 * Picking a location for a reservation line that names none. Pure.
 *
 * The core rule (allocation strategies come later): among the active locations that can
 * ship, the one with the most available units; ties go to the better priority, which is the
 * order the candidates arrive in.
 */

export interface LocationCandidate {
  locationId: string;
  /** Units available to this kind of reservation here (hard: available; soft: hold headroom). */
  available: number;
}

/**
 * Returns the candidate with the most `available`; the first one wins a tie. Returns
 * `undefined` only when there are no candidates.
 */
export function pickMostAvailable(candidates: readonly LocationCandidate[]): LocationCandidate | undefined {
  let best: LocationCandidate | undefined;
  for (const c of candidates) {
    if (best === undefined || c.available > best.available) best = c;
  }
  return best;
}
