/**
 * Choosing which locations serve the lines that name none, and how many units each takes.
 * Pure and deterministic.
 *
 * Lines are independent per SKU, so a set of locations serves an SKU's demand exactly when
 * their units add up: a set is judged by filling each SKU's demand from it in a fixed order.
 * Depending on the strategy, the set is every candidate (fill in ranking order), or the best
 * subset under an objective, found by comparing every subset of up to
 * `EXACT_SEARCH_MAX_CANDIDATES` candidates (4,096 sets) and greedily beyond that.
 */

/** Exact search compares all 2^n subsets up to this many candidate locations. */
export const EXACT_SEARCH_MAX_CANDIDATES = 12;

/**
 * What a subset is judged by after "serve the most units", which always comes first:
 * `ranked`: best-ranked locations (compared as sorted rank positions);
 * `fewest_shipments`: fewest shipments, then best-ranked;
 * `lowest_total_cost`: lowest plan cost, then best-ranked.
 */
export type SourceObjective = "ranked" | "fewest_shipments" | "lowest_total_cost";

export interface SourceProblem {
  /** Candidate location ids, best-ranked first. */
  ranked: readonly string[];
  /** Order in which a chosen set's locations give units (indices into `ranked`). */
  fillOrder: readonly number[];
  /** Units wanted per SKU by the lines without a location. */
  demand: ReadonlyMap<string, number>;
  /** Units still available per SKU per location (after pinned lines). */
  remaining: ReadonlyMap<string, ReadonlyMap<string, number>>;
  /** Units already shipping from a location for pinned lines (those shipments exist anyway). */
  pinnedUnits: ReadonlyMap<string, number>;
  /** Shipments allowed in all, pinned ones included; undefined = no limit. */
  maxShipments: number | undefined;
  objective: SourceObjective;
  /** Cents for one shipment of `units` from a location. */
  shipmentCost: (locationId: string, units: number) => number;
  /** Cents for each shipment after the first. */
  extraShipmentCost: number;
}

/** Units one location gives to one SKU. */
export interface SourceTake {
  locationId: string;
  quantity: number;
}

export interface SourceChoice {
  /** Per SKU, the takes in fill order. */
  takes: Map<string, SourceTake[]>;
  served: number;
  method: "greedy" | "exact" | "greedy_fallback";
  setsEvaluated: number;
  /** True when the result is the outcome of a set search (not a plain fill in ranking order). */
  searched: boolean;
}

interface Evaluation {
  members: boolean[];
  takes: Map<string, SourceTake[]>;
  served: number;
  shipments: number;
  cost: number;
  /** Rank positions of the locations that give units, ascending. */
  rankKey: number[];
}

function lexicographic(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

/**
 * Picks the locations and units for the unpinned demand. Never takes more than `remaining`
 * from any location; serves as many units as the shipment limit allows.
 */
export function chooseSources(problem: SourceProblem): SourceChoice {
  const n = problem.ranked.length;
  const skus = [...problem.demand.keys()].sort();
  const remainingBySku = new Map(skus.map((sku) => [sku, problem.ranked.map((id) => Math.max(0, problem.remaining.get(sku)?.get(id) ?? 0))]));
  const pinned = new Set(problem.pinnedUnits.keys());
  const cap = problem.maxShipments === undefined ? Infinity : Math.max(problem.maxShipments, pinned.size);
  let setsEvaluated = 0;

  const evaluate = (members: boolean[]): Evaluation => {
    setsEvaluated++;
    const units = new Array<number>(n).fill(0);
    const takes = new Map<string, SourceTake[]>();
    let served = 0;
    for (const sku of skus) {
      let left = problem.demand.get(sku)!;
      const available = remainingBySku.get(sku)!;
      const list: SourceTake[] = [];
      for (const idx of problem.fillOrder) {
        if (left === 0) break;
        if (!members[idx] || available[idx]! <= 0) continue;
        const quantity = Math.min(left, available[idx]!);
        list.push({ locationId: problem.ranked[idx]!, quantity });
        units[idx]! += quantity;
        left -= quantity;
      }
      served += problem.demand.get(sku)! - left;
      takes.set(sku, list);
    }
    const rankKey: number[] = [];
    const shipping = new Map(problem.pinnedUnits);
    units.forEach((u, idx) => {
      if (u === 0) return;
      rankKey.push(idx);
      const id = problem.ranked[idx]!;
      shipping.set(id, (shipping.get(id) ?? 0) + u);
    });
    let cost = 0;
    if (problem.objective === "lowest_total_cost") {
      for (const [id, u] of shipping) cost += problem.shipmentCost(id, u);
      cost += problem.extraShipmentCost * Math.max(0, shipping.size - 1);
    }
    return { members, takes, served, shipments: shipping.size, cost, rankKey };
  };

  const better = (a: Evaluation, b: Evaluation): boolean => {
    if (a.served !== b.served) return a.served > b.served;
    if (problem.objective === "fewest_shipments" && a.shipments !== b.shipments) return a.shipments < b.shipments;
    if (problem.objective === "lowest_total_cost" && a.cost !== b.cost) return a.cost < b.cost;
    return lexicographic(a.rankKey, b.rankKey) < 0;
  };

  const done = (e: Evaluation, method: SourceChoice["method"], searched: boolean): SourceChoice => ({
    takes: e.takes,
    served: e.served,
    method,
    setsEvaluated,
    searched,
  });

  const all = evaluate(new Array<boolean>(n).fill(true));
  if (problem.objective === "ranked" && all.shipments <= cap) return done(all, "greedy", false);

  if (n <= EXACT_SEARCH_MAX_CANDIDATES) {
    let best: Evaluation | undefined;
    for (let mask = 0; mask < 1 << n; mask++) {
      const e = evaluate(problem.ranked.map((_, idx) => (mask & (1 << idx)) !== 0));
      if (e.shipments <= cap && (best === undefined || better(e, best))) best = e;
    }
    // The empty set is always within the cap (pinned shipments only), so `best` exists.
    return done(best!, "exact", true);
  }

  // Too many candidates to compare every subset: grow a set one location at a time.
  let current = evaluate(new Array<boolean>(n).fill(false));
  if (problem.objective === "fewest_shipments") {
    // Greedy set cover: each step adds the location that serves the most more units.
    for (;;) {
      let next: Evaluation | undefined;
      for (let idx = 0; idx < n; idx++) {
        if (current.members[idx]) continue;
        const e = evaluate(current.members.map((m, j) => m || j === idx));
        if (e.shipments <= cap && e.served > current.served && (next === undefined || e.served > next.served)) next = e;
      }
      if (next === undefined) break;
      current = next;
    }
  } else {
    // In ranking order, keep each location that serves more units within the limit.
    for (let idx = 0; idx < n; idx++) {
      const e = evaluate(current.members.map((m, j) => m || j === idx));
      if (e.shipments <= cap && e.served > current.served) current = e;
    }
  }
  return done(current, "greedy_fallback", true);
}
