/**
 * Ranking candidate locations by an allocation strategy. Pure.
 *
 * Each strategy ranks by one rounded metric; equal metrics are decided by the location's
 * priority (lower first) and then its id, so a ranking never depends on input order.
 */
import { roundedDistanceKm, type GeoPoint } from "./allocation-geo";
import { compareByPriority, type RoutingLocation } from "./allocation-locations";
import type { AllocationStrategy, HybridWeights, LocationMetrics, RankedLocation, RankingMetric } from "./allocation-plan.types";
import { shipmentCost, shippingTimes, type FulfilmentMode } from "./allocation-shipping";

/** A location with what was measured about it for this order. */
export interface RankingCandidate {
  location: RoutingLocation;
  metrics: LocationMetrics;
}

const STRATEGY_METRICS: Record<AllocationStrategy, { metric: RankingMetric; better: "lower" | "higher" }> = {
  nearest: { metric: "distance_km", better: "lower" },
  lowest_cost: { metric: "cost", better: "lower" },
  fastest: { metric: "delivery_days", better: "lower" },
  // single_shipment picks sets of locations; inside that, nearer is better.
  single_shipment: { metric: "distance_km", better: "lower" },
  balanced: { metric: "load_ratio", better: "lower" },
  performance: { metric: "performance", better: "higher" },
  hybrid: { metric: "hybrid_score", better: "higher" },
};

/** The metric a strategy ranks by and which direction is better. */
export function strategyMetric(strategy: AllocationStrategy): { metric: RankingMetric; better: "lower" | "higher" } {
  return STRATEGY_METRICS[strategy];
}

/** Rounds to 4 decimals, the precision scores are compared and reported at. */
export function round4(x: number): number {
  return Math.round(x * 10_000) / 10_000;
}

/**
 * Measures a location for an order: distance to the ship-to point (0 for pickup), shipping
 * times for an order released at `from`, the cost of one shipment of `units`, the load it
 * would have after taking them, and its performance.
 */
export function measureLocation(
  location: RoutingLocation,
  shipTo: GeoPoint | null,
  mode: FulfilmentMode,
  units: number,
  from: number,
  now: number,
): LocationMetrics {
  const distanceKm = mode === "pickup" || shipTo === null ? 0 : roundedDistanceKm(location, shipTo);
  const times = shippingTimes(location, distanceKm, mode, from, now);
  return {
    distanceKm,
    transitDays: times.transitDays,
    shipAt: times.shipAt,
    shipDate: times.shipDate,
    deliveryDate: times.deliveryDate,
    deliveryDays: times.deliveryDays,
    estimatedCost: mode === "pickup" ? 0 : shipmentCost(location.shippingCost, distanceKm, units),
    loadRatio: location.dailyCapacity > 0 ? round4((location.currentLoad + units) / location.dailyCapacity) : 1,
    performance: round4((location.onTimeRate + location.accuracyRate) / 2),
  };
}

function rawMetric(metric: RankingMetric, m: LocationMetrics): number {
  switch (metric) {
    case "distance_km":
      return m.distanceKm;
    case "cost":
      return m.estimatedCost;
    case "delivery_days":
      return m.deliveryDays;
    case "load_ratio":
      return m.loadRatio;
    case "performance":
      return m.performance;
    case "hybrid_score":
      throw new Error("the hybrid score is relative to the other candidates");
  }
}

/** Min-max normalisation to 0..1 where 1 is the best candidate; all equal → 1. */
function normalise(value: number, min: number, max: number, better: "lower" | "higher"): number {
  if (max === min) return 1;
  return better === "lower" ? (max - value) / (max - min) : (value - min) / (max - min);
}

/**
 * The hybrid components and score of each candidate: delivery days and cost (lower better)
 * and performance (higher better) normalised across the candidates, then the weighted mean.
 */
function hybridScores(candidates: readonly RankingCandidate[], weights: HybridWeights) {
  const range = (pick: (m: LocationMetrics) => number) => {
    const values = candidates.map((c) => pick(c.metrics));
    return { min: Math.min(...values), max: Math.max(...values) };
  };
  const delivery = range((m) => m.deliveryDays);
  const cost = range((m) => m.estimatedCost);
  const performance = range((m) => m.performance);
  const total = weights.delivery + weights.cost + weights.performance;
  return candidates.map(({ metrics: m }) => {
    const components = {
      delivery: normalise(m.deliveryDays, delivery.min, delivery.max, "lower"),
      cost: normalise(m.estimatedCost, cost.min, cost.max, "lower"),
      performance: normalise(m.performance, performance.min, performance.max, "higher"),
    };
    const score = (weights.delivery * components.delivery + weights.cost * components.cost + weights.performance * components.performance) / total;
    return {
      score: round4(score),
      components: { delivery: round4(components.delivery), cost: round4(components.cost), performance: round4(components.performance) },
    };
  });
}

/**
 * Ranks candidates by the strategy's metric, ties by priority then id. Each entry says which
 * of those decided its place among candidates with the same score (`tieBreak`).
 */
export function rankLocations(candidates: readonly RankingCandidate[], strategy: AllocationStrategy, weights: HybridWeights): RankedLocation[] {
  const { metric, better } = strategyMetric(strategy);
  const hybrid = metric === "hybrid_score" ? hybridScores(candidates, weights) : undefined;
  const scored = candidates.map((c, i) => ({
    c,
    score: hybrid !== undefined ? hybrid[i]!.score : rawMetric(metric, c.metrics),
    components: hybrid === undefined ? undefined : hybrid[i]!.components,
  }));
  scored.sort((a, b) => {
    if (a.score !== b.score) return better === "lower" ? a.score - b.score : b.score - a.score;
    return compareByPriority(a.c.location, b.c.location);
  });
  return scored.map((s, i) => {
    const peers = scored.filter((o) => o !== s && o.score === s.score);
    const tieBreak = peers.length === 0 ? null : peers.some((o) => o.c.location.priority === s.c.location.priority) ? "id" : "priority";
    return {
      locationId: s.c.location.id,
      rank: i + 1,
      metric,
      score: s.score,
      better,
      priority: s.c.location.priority,
      tieBreak,
      metrics: s.c.metrics,
      ...(s.components !== undefined ? { components: s.components } : {}),
    };
  });
}
