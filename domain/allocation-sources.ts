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

/** A shipment's cost as `fixed + perUnit × units`, in cents. */
export interface SourceCostModel {
  fixed: number;
  perUnit: number;
}

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
  /** The cost model of a shipment from a location (used by `lowest_total_cost`). */
  costModel: (locationId: string) => SourceCostModel;
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

/** How a set of candidates fares; `used` marks the candidates that give units. */
interface Evaluation {
  members: Uint8Array;
  used: Uint8Array;
  served: number;
  shipments: number;
  cost: number;
}

/**
 * Picks the locations and units for the unpinned demand. Never takes more than `remaining`
 * from any location; serves as many units as the shipment limit allows.
 */
export function chooseSources(problem: SourceProblem): SourceChoice {
  const n = problem.ranked.length;
  const skus = [...problem.demand.keys()].sort();
  const demand = skus.map((sku) => problem.demand.get(sku)!);
  // available[s * n + k]: units of SKU s at candidate k, flat for a tight inner loop.
  const available = new Float64Array(skus.length * n);
  skus.forEach((sku, s) => {
    problem.ranked.forEach((id, k) => {
      available[s * n + k] = Math.max(0, problem.remaining.get(sku)?.get(id) ?? 0);
    });
  });
  const isPinned = Uint8Array.from(problem.ranked, (id) => (problem.pinnedUnits.has(id) ? 1 : 0));
  const pinnedCount = problem.pinnedUnits.size;
  const cap = problem.maxShipments === undefined ? Infinity : Math.max(problem.maxShipments, pinnedCount);
  const costs = problem.ranked.map((id) => problem.costModel(id));
  // Pinned shipments cost the same in every set except for the units added to them.
  let pinnedCost = 0;
  for (const [id, units] of problem.pinnedUnits) {
    const m = problem.costModel(id);
    pinnedCost += m.fixed + m.perUnit * units;
  }
  const units = new Float64Array(n);
  let setsEvaluated = 0;

  const evaluate = (members: Uint8Array): Evaluation => {
    setsEvaluated++;
    units.fill(0);
    let served = 0;
    for (let s = 0; s < skus.length; s++) {
      let left = demand[s]!;
      for (const k of problem.fillOrder) {
        if (left === 0) break;
        const a = available[s * n + k]!;
        if (members[k] === 0 || a <= 0) continue;
        const q = Math.min(left, a);
        units[k]! += q;
        left -= q;
      }
      served += demand[s]! - left;
    }
    const used = new Uint8Array(n);
    let shipments = pinnedCount;
    let cost = pinnedCost;
    for (let k = 0; k < n; k++) {
      if (units[k] === 0) continue;
      used[k] = 1;
      if (isPinned[k] === 0) {
        shipments++;
        cost += costs[k]!.fixed;
      }
      cost += costs[k]!.perUnit * units[k]!;
    }
    cost += problem.extraShipmentCost * Math.max(0, shipments - 1);
    return { members, used, served, shipments, cost };
  };

  /** Sorted rank positions compared lexicographically; a prefix comes first. */
  const rankOrder = (a: Uint8Array, b: Uint8Array): number => {
    let i = 0;
    let j = 0;
    for (;;) {
      while (i < n && a[i] === 0) i++;
      while (j < n && b[j] === 0) j++;
      if (i === n || j === n) return (i === n ? 0 : 1) - (j === n ? 0 : 1);
      if (i !== j) return i - j;
      i++;
      j++;
    }
  };

  const better = (a: Evaluation, b: Evaluation): boolean => {
    if (a.served !== b.served) return a.served > b.served;
    if (problem.objective === "fewest_shipments" && a.shipments !== b.shipments) return a.shipments < b.shipments;
    if (problem.objective === "lowest_total_cost" && a.cost !== b.cost) return a.cost < b.cost;
    return rankOrder(a.used, b.used) < 0;
  };

  const done = (e: Evaluation, method: SourceChoice["method"], searched: boolean): SourceChoice => ({
    takes: fill(problem, skus, e.members),
    served: e.served,
    method,
    setsEvaluated,
    searched,
  });

  const all = evaluate(new Uint8Array(n).fill(1));
  if (problem.objective === "ranked" && all.shipments <= cap) return done(all, "greedy", false);

  if (n <= EXACT_SEARCH_MAX_CANDIDATES) {
    // The empty set is always within the cap (pinned shipments only), so `best` starts valid.
    let best = evaluate(new Uint8Array(n));
    const members = new Uint8Array(n);
    for (let mask = 1; mask < 1 << n; mask++) {
      let added = 0;
      for (let k = 0; k < n; k++) {
        members[k] = (mask >> k) & 1;
        if (members[k] === 1 && isPinned[k] === 0) added++;
      }
      // A set with more new locations than the limit allows, or than the best fewest-shipments
      // answer so far, cannot win: the subset of its locations that give units is compared anyway.
      if (pinnedCount + added > cap) continue;
      if (problem.objective === "fewest_shipments" && best.served === all.served && pinnedCount + added > best.shipments) continue;
      const e = evaluate(members.slice());
      if (e.shipments <= cap && better(e, best)) best = e;
    }
    return done(best, "exact", true);
  }

  // Too many candidates to compare every subset: grow a set one location at a time.
  let current = evaluate(new Uint8Array(n));
  const withOne = (k: number) => {
    const members = current.members.slice();
    members[k] = 1;
    return evaluate(members);
  };
  if (problem.objective === "fewest_shipments") {
    // Greedy set cover: each step adds the location that serves the most more units.
    for (;;) {
      let next: Evaluation | undefined;
      for (let k = 0; k < n; k++) {
        if (current.members[k] === 1) continue;
        const e = withOne(k);
        if (e.shipments <= cap && e.served > current.served && (next === undefined || e.served > next.served)) next = e;
      }
      if (next === undefined) break;
      current = next;
    }
  } else {
    // In ranking order, keep each location that serves more units within the limit.
    for (let k = 0; k < n; k++) {
      const e = withOne(k);
      if (e.shipments <= cap && e.served > current.served) current = e;
    }
  }
  return done(current, "greedy_fallback", true);
}

/** The takes of each SKU when the member locations give units in fill order. */
function fill(problem: SourceProblem, skus: readonly string[], members: Uint8Array): Map<string, SourceTake[]> {
  const takes = new Map<string, SourceTake[]>();
  for (const sku of skus) {
    let left = problem.demand.get(sku)!;
    const list: SourceTake[] = [];
    for (const k of problem.fillOrder) {
      if (left === 0) break;
      const id = problem.ranked[k]!;
      const a = Math.max(0, problem.remaining.get(sku)?.get(id) ?? 0);
      if (members[k] === 0 || a <= 0) continue;
      const quantity = Math.min(left, a);
      list.push({ locationId: id, quantity });
      left -= quantity;
    }
    takes.set(sku, list);
  }
  return takes;
}
