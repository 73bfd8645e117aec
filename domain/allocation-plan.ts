/**
 * Order routing: which locations serve an order, how many units each, what is backordered
 * and what cannot be served. Pure and deterministic: plain data in, plain data out, the
 * current time is a parameter. docs/allocation.md explains the rules with a worked example.
 *
 * The plan does not depend on the order of the lines: lines pinned to a location are served
 * first, then the lines without a location share what remains, chosen by the strategy.
 */
import { claimInbound, openInbound, type InboundBatch } from "./allocation-backorders";
import { countryCentroid, isValidPoint, type GeoPoint } from "./allocation-geo";
import { canPickupAt, canShipFrom, locationDataProblems, type RoutingLocation } from "./allocation-locations";
import {
  ALLOCATION_STRATEGIES,
  DEFAULT_EXTRA_SHIPMENT_COST,
  DEFAULT_HYBRID_WEIGHTS,
  DEFAULT_SKU_ROUTING_POLICY,
  type AllocationInputProblem,
  type AllocationPlan,
  type AllocationRequest,
  type LineOutcome,
  type OrderLine,
  type PlannedBackorder,
  type PlannedShipment,
  type ShipmentReason,
  type ShipTo,
  type ShortfallReason,
  type SkuRoutingPolicy,
  type SkuStockLevel,
  type UnallocatedLine,
} from "./allocation-plan.types";
import { measureLocation, rankLocations, type RankingCandidate } from "./allocation-ranking";
import { isoDate, parseIsoDate, shipmentCost } from "./allocation-shipping";
import { chooseSources, type SourceObjective } from "./allocation-sources";

/** An order line with its id settled. */
export interface IdentifiedLine extends OrderLine {
  lineId: string;
}

/**
 * Gives every line an id: the caller's, or one derived from its content
 * (`sku|location or *|quantity`, then `|2`, `|3`… for identical lines). Identical lines are
 * interchangeable, so derived ids do not depend on the order of the lines.
 */
export function identifyLines(lines: readonly OrderLine[]): IdentifiedLine[] {
  const seen = new Map<string, number>();
  return lines.map((line) => {
    if (line.lineId !== undefined) return { ...line, lineId: line.lineId };
    const base = `${line.sku}|${line.locationId ?? "*"}|${line.quantity}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return { ...line, lineId: n === 1 ? base : `${base}|${n}` };
  });
}

/** The point a ship-to stands for, or `undefined` for invalid coordinates or an unknown country. */
export function resolveShipTo(shipTo: ShipTo): GeoPoint | undefined {
  if ("countryCode" in shipTo) return typeof shipTo.countryCode === "string" ? countryCentroid(shipTo.countryCode) : undefined;
  // `+ 0` turns -0 into 0: a plan must survive a JSON round trip unchanged.
  return isValidPoint(shipTo) ? { latitude: shipTo.latitude + 0, longitude: shipTo.longitude + 0 } : undefined;
}

const isPositiveInteger = (x: unknown): x is number => Number.isSafeInteger(x) && (x as number) > 0;
const isNonNegative = (x: unknown): x is number => typeof x === "number" && Number.isFinite(x) && x >= 0;
const isId = (x: unknown): x is string => typeof x === "string" && x.length > 0;

/**
 * Every reason the request cannot be planned, with field paths (empty when it can). The API
 * validates shapes with zod first; this checks what only the domain knows: ids that must
 * exist, ranges, dates, unique line ids, a resolvable ship-to.
 */
export function validateAllocationRequest(request: AllocationRequest, now: number): AllocationInputProblem[] {
  const problems: AllocationInputProblem[] = [];
  const add = (path: (string | number)[], code: string, message: string) => problems.push({ path, code, message });
  if (!Number.isFinite(now)) add(["now"], "invalid_time", "now must be epoch milliseconds");

  const locationIds = new Set<string>();
  request.locations.forEach((location, i) => {
    if (locationIds.has(location.id)) add(["locations", i, "id"], "duplicate_location", `location ${location.id} is listed twice`);
    locationIds.add(location.id);
    for (const p of locationDataProblems(location)) add(["locations", i, ...p.field.split(".")], "invalid_location_data", p.message);
  });

  if (request.lines.length === 0) add(["lines"], "no_lines", "an order needs at least one line");
  const ids = new Set<string>();
  identifyLines(request.lines).forEach((line, i) => {
    if (!isId(line.lineId)) add(["lines", i, "lineId"], "invalid_line_id", "lineId must be a non-empty string");
    else if (ids.has(line.lineId)) add(["lines", i, "lineId"], "duplicate_line_id", `line id ${line.lineId} is used twice`);
    ids.add(line.lineId);
    if (!isId(line.sku)) add(["lines", i, "sku"], "invalid_sku", "sku must be a non-empty string");
    if (!isPositiveInteger(line.quantity)) add(["lines", i, "quantity"], "invalid_quantity", "quantity must be a positive integer");
    if (line.locationId !== undefined && !locationIds.has(line.locationId)) {
      add(["lines", i, "locationId"], "unknown_location", `no location ${String(line.locationId)}`);
    }
  });

  const levels = new Set<string>();
  request.stock.forEach((level, i) => {
    const key = `${level.sku}\u0000${level.locationId}`;
    if (levels.has(key)) add(["stock", i], "duplicate_stock", `stock of ${level.sku} at ${level.locationId} is listed twice`);
    levels.add(key);
    if (!Number.isSafeInteger(level.available)) add(["stock", i, "available"], "invalid_quantity", "available must be an integer");
    (level.inbound ?? []).forEach((batch, j) => {
      if (!isPositiveInteger(batch.quantity)) add(["stock", i, "inbound", j, "quantity"], "invalid_quantity", "inbound quantity must be a positive integer");
      if (parseIsoDate(batch.expectedDate) === undefined) add(["stock", i, "inbound", j, "expectedDate"], "invalid_date", "expectedDate must be YYYY-MM-DD");
    });
  });

  const policySkus = new Set<string>();
  (request.policies ?? []).forEach((policy, i) => {
    if (policySkus.has(policy.sku)) add(["policies", i, "sku"], "duplicate_policy", `policy of ${policy.sku} is listed twice`);
    policySkus.add(policy.sku);
    if (!Number.isSafeInteger(policy.leadTimeDays) || policy.leadTimeDays < 0) {
      add(["policies", i, "leadTimeDays"], "invalid_lead_time", "leadTimeDays must be an integer ≥ 0");
    }
  });

  const o = request.options;
  if (!ALLOCATION_STRATEGIES.includes(o.strategy))
    add(["options", "strategy"], "unknown_strategy", `strategy must be one of ${ALLOCATION_STRATEGIES.join(", ")}`);
  if (o.pickupLocationId !== undefined) {
    if (!locationIds.has(o.pickupLocationId)) add(["options", "pickupLocationId"], "unknown_location", `no location ${String(o.pickupLocationId)}`);
  } else if (o.shipTo === undefined) {
    add(["options", "shipTo"], "missing_ship_to", "shipTo is required unless the order is picked up");
  }
  if (o.shipTo !== undefined && resolveShipTo(o.shipTo) === undefined) {
    add(["options", "shipTo"], "invalid_ship_to", "shipTo needs valid coordinates or a known country code");
  }
  if (o.maxShipments !== undefined && !isPositiveInteger(o.maxShipments))
    add(["options", "maxShipments"], "invalid_max_shipments", "maxShipments must be a positive integer");
  if (o.requiredBy !== undefined && parseIsoDate(o.requiredBy) === undefined) add(["options", "requiredBy"], "invalid_date", "requiredBy must be YYYY-MM-DD");
  if (o.extraShipmentCost !== undefined && !isNonNegative(o.extraShipmentCost))
    add(["options", "extraShipmentCost"], "invalid_cost", "extraShipmentCost must be ≥ 0");
  if (o.weights !== undefined) {
    const w = o.weights;
    if (![w.delivery, w.cost, w.performance].every(isNonNegative) || w.delivery + w.cost + w.performance <= 0) {
      add(["options", "weights"], "invalid_weights", "weights must be numbers ≥ 0 with a positive sum");
    }
  }
  return problems;
}

/** Units taken from stock for a line at a location. */
interface Allocation {
  lineId: string;
  sku: string;
  locationId: string;
  quantity: number;
  pinned: boolean;
}

const byLineId = (a: { lineId: string }, b: { lineId: string }) => (a.lineId < b.lineId ? -1 : a.lineId > b.lineId ? 1 : 0);

/**
 * Plans an order. Throws a `RangeError` when `validateAllocationRequest` finds a problem
 * (callers validate first and answer 400).
 *
 * 1. Pinned lines take from their own location; what it lacks is backordered there when the
 *    SKU allows it, otherwise it is short.
 * 2. Lines without a location share what remains at usable locations (active and able to
 *    ship — or the pickup location — and able to deliver by `requiredBy`), ranked by the
 *    strategy; one line may be split over several locations. `single_shipment` and
 *    `lowest_cost` choose the best set of locations; `maxShipments` limits any strategy.
 * 3. What no location can give is backordered, when the SKU allows it, at a location where
 *    the SKU is stocked or expected (earliest expected arrival, then the strategy's ranking);
 *    otherwise it is reported short with a reason.
 */
export function planAllocation(request: AllocationRequest, now: number): AllocationPlan {
  const problems = validateAllocationRequest(request, now);
  if (problems.length > 0) {
    const first = problems[0]!;
    throw new RangeError(`invalid allocation request at ${first.path.join(".")}: ${first.message}`);
  }
  const { options } = request;
  const strategy = options.strategy;
  const mode = options.pickupLocationId !== undefined ? "pickup" : "ship";
  const shipTo = mode === "pickup" ? null : resolveShipTo(options.shipTo!)!;
  const weights = options.weights ?? DEFAULT_HYBRID_WEIGHTS;
  const extraShipmentCost = options.extraShipmentCost ?? DEFAULT_EXTRA_SHIPMENT_COST;
  const today = isoDate(now);
  const locations = new Map(request.locations.map((l) => [l.id, l]));
  const lines = identifyLines(request.lines).sort(byLineId);
  const policies = new Map((request.policies ?? []).map((p) => [p.sku, p]));
  const policyOf = (sku: string): SkuRoutingPolicy => policies.get(sku) ?? { sku, ...DEFAULT_SKU_ROUTING_POLICY };

  // Stock at locations routing knows; entries for unknown locations are ignored.
  const levels = new Map<string, Map<string, SkuStockLevel>>();
  const remaining = new Map<string, Map<string, number>>();
  for (const level of request.stock) {
    if (!locations.has(level.locationId)) continue;
    if (!levels.has(level.sku)) levels.set(level.sku, new Map());
    levels.get(level.sku)!.set(level.locationId, level);
    if (!remaining.has(level.sku)) remaining.set(level.sku, new Map());
    remaining.get(level.sku)!.set(level.locationId, Math.max(0, level.available));
  }
  const remainingAt = (sku: string, locationId: string) => remaining.get(sku)?.get(locationId) ?? 0;
  const take = (sku: string, locationId: string, quantity: number) => remaining.get(sku)!.set(locationId, remainingAt(sku, locationId) - quantity);

  const usable = (l: RoutingLocation) => (mode === "pickup" ? l.id === options.pickupLocationId && canPickupAt(l) : canShipFrom(l));
  const baseMetrics = new Map<string, ReturnType<typeof measureLocation>>();
  const metricsNow = (l: RoutingLocation) => {
    if (!baseMetrics.has(l.id)) baseMetrics.set(l.id, measureLocation(l, shipTo, mode, 0, now, now));
    return baseMetrics.get(l.id)!;
  };
  const meetsDate = (deliveryDate: string) => options.requiredBy === undefined || deliveryDate <= options.requiredBy;
  const inTime = (l: RoutingLocation) => meetsDate(metricsNow(l).deliveryDate);

  const allocations: Allocation[] = [];
  const backorders: PlannedBackorder[] = [];
  const unallocated: UnallocatedLine[] = [];
  const inbound = new Map<string, InboundBatch[]>();
  const inboundAt = (sku: string, locationId: string) => {
    const key = `${sku}\u0000${locationId}`;
    if (!inbound.has(key)) inbound.set(key, openInbound(levels.get(sku)?.get(locationId)));
    return inbound.get(key)!;
  };
  const short = (line: IdentifiedLine, quantity: number, reason: ShortfallReason) =>
    unallocated.push({ lineId: line.lineId, sku: line.sku, locationId: line.locationId ?? null, quantity, reason });

  /**
   * Backorders `quantity` of a line at the best of `sites` (earliest expected arrival, then
   * the strategy's ranking), or reports it short.
   */
  const backorderOrShort = (line: IdentifiedLine, quantity: number, sites: readonly RoutingLocation[], pinned: boolean) => {
    const policy = policyOf(line.sku);
    if (!policy.allowBackorder) return short(line, quantity, "insufficient_stock");
    if (sites.length === 0) return short(line, quantity, "no_backorder_location");
    const offers = sites.map((location) => {
      const arrival = claimInbound(inboundAt(line.sku, location.id), quantity, today, policy.leadTimeDays);
      const from = Math.max(now, parseIsoDate(arrival.expectedDate)!);
      return { location, arrival, metrics: measureLocation(location, shipTo, mode, quantity, from, now) };
    });
    const inTimeOffers = offers.filter((o) => meetsDate(o.metrics.deliveryDate));
    if (inTimeOffers.length === 0) return short(line, quantity, "misses_required_by");
    const ranking = rankLocations(inTimeOffers, strategy, weights).map((r) => r.locationId);
    const [best] = inTimeOffers.sort((a, b) => {
      if (a.arrival.expectedDate !== b.arrival.expectedDate) return a.arrival.expectedDate < b.arrival.expectedDate ? -1 : 1;
      return ranking.indexOf(a.location.id) - ranking.indexOf(b.location.id);
    });
    inbound.set(`${line.sku}\u0000${best!.location.id}`, best!.arrival.rest);
    backorders.push({
      lineId: line.lineId,
      sku: line.sku,
      locationId: best!.location.id,
      quantity,
      pinned,
      expectedDate: best!.arrival.expectedDate,
      basis: best!.arrival.basis,
      estimatedDeliveryDate: best!.metrics.deliveryDate,
    });
  };

  // 1. Pinned lines, served first from their own location.
  for (const line of lines) {
    if (line.locationId === undefined) continue;
    const location = locations.get(line.locationId)!;
    if (mode === "pickup" && line.locationId !== options.pickupLocationId) short(line, line.quantity, "not_at_pickup_location");
    else if (!usable(location)) short(line, line.quantity, "location_unavailable");
    else if (!inTime(location)) short(line, line.quantity, "misses_required_by");
    else {
      const quantity = Math.min(line.quantity, remainingAt(line.sku, location.id));
      if (quantity > 0) {
        take(line.sku, location.id, quantity);
        allocations.push({ lineId: line.lineId, sku: line.sku, locationId: location.id, quantity, pinned: true });
      }
      // A pinned line's location is the caller's choice, so its backorder stays there.
      if (quantity < line.quantity) backorderOrShort(line, line.quantity - quantity, [location], true);
    }
  }

  // 2. Lines without a location share what remains.
  const unpinned = lines.filter((l) => l.locationId === undefined);
  const demand = new Map<string, number>();
  for (const line of unpinned) demand.set(line.sku, (demand.get(line.sku) ?? 0) + line.quantity);
  const units = unpinned.reduce((sum, l) => sum + l.quantity, 0);
  const usableLocations = request.locations.filter(usable);
  const candidates: RankingCandidate[] = usableLocations
    .filter((l) => inTime(l) && [...demand.keys()].some((sku) => remainingAt(sku, l.id) > 0))
    .map((location) => ({ location, metrics: measureLocation(location, shipTo, mode, units, now, now) }));
  const ranking = rankLocations(candidates, strategy, weights);
  const ranked = ranking.map((r) => r.locationId);
  const objective: SourceObjective = strategy === "single_shipment" ? "fewest_shipments" : strategy === "lowest_cost" ? "lowest_total_cost" : "ranked";
  // lowest_cost fills a chosen set by unit cost: the set's fixed costs are paid either way.
  const fillOrder = ranked.map((_, i) => i);
  if (objective === "lowest_total_cost")
    fillOrder.sort((a, b) => locations.get(ranked[a]!)!.shippingCost.perUnit - locations.get(ranked[b]!)!.shippingCost.perUnit || a - b);
  const pinnedUnits = new Map<string, number>();
  for (const a of allocations) pinnedUnits.set(a.locationId, (pinnedUnits.get(a.locationId) ?? 0) + a.quantity);
  const choice = chooseSources({
    ranked,
    fillOrder,
    demand,
    remaining,
    pinnedUnits,
    maxShipments: options.maxShipments,
    objective,
    costModel: (id) => {
      // The same arithmetic as shipmentCost(): base + round(perKm × km) is fixed per location.
      const l = locations.get(id)!;
      if (mode === "pickup") return { fixed: 0, perUnit: 0 };
      return { fixed: shipmentCost(l.shippingCost, metricsNow(l).distanceKm, 0), perUnit: l.shippingCost.perUnit };
    },
    extraShipmentCost,
  });
  const unpinnedReason: ShipmentReason = mode === "pickup" ? "pickup" : objective === "ranked" ? (choice.searched ? "max_shipments" : "ranked") : objective;

  for (const sku of [...demand.keys()].sort()) {
    const takes = (choice.takes.get(sku) ?? []).map((t) => ({ ...t }));
    for (const line of unpinned.filter((l) => l.sku === sku)) {
      let left = line.quantity;
      for (const t of takes) {
        if (left === 0) break;
        const quantity = Math.min(left, t.quantity);
        if (quantity === 0) continue;
        t.quantity -= quantity;
        left -= quantity;
        take(sku, t.locationId, quantity);
        allocations.push({ lineId: line.lineId, sku, locationId: t.locationId, quantity, pinned: false });
      }
      if (left === 0) continue;
      if (ranked.some((id) => remainingAt(sku, id) > 0)) short(line, left, "max_shipments");
      else if (usableLocations.some((l) => remainingAt(sku, l.id) > 0)) short(line, left, "misses_required_by");
      else {
        // Backorders go where the SKU is stocked or expected, never to a location that has
        // never seen it (a pickup order's backorder waits at the pickup location).
        const sites = mode === "pickup" ? usableLocations : usableLocations.filter((l) => levels.get(sku)?.has(l.id) === true);
        backorderOrShort(line, left, sites, false);
      }
    }
  }

  return assemblePlan({ request, lines, allocations, backorders, unallocated, ranking, choice, unpinnedReason, shipTo, mode, now, extraShipmentCost });
}

function assemblePlan(p: {
  request: AllocationRequest;
  lines: readonly IdentifiedLine[];
  allocations: readonly Allocation[];
  backorders: PlannedBackorder[];
  unallocated: UnallocatedLine[];
  ranking: AllocationPlan["ranking"];
  choice: ReturnType<typeof chooseSources>;
  unpinnedReason: ShipmentReason;
  shipTo: GeoPoint | null;
  mode: AllocationPlan["mode"];
  now: number;
  extraShipmentCost: number;
}): AllocationPlan {
  const locations = new Map(p.request.locations.map((l) => [l.id, l]));
  const byLocation = new Map<string, Allocation[]>();
  for (const a of p.allocations) {
    if (!byLocation.has(a.locationId)) byLocation.set(a.locationId, []);
    byLocation.get(a.locationId)!.push(a);
  }
  const shipments: PlannedShipment[] = [...byLocation].map(([locationId, list]) => {
    // Merge a line's takes at one location (a line meets a location once, but stay safe).
    const merged = new Map<string, Allocation>();
    for (const a of list) {
      const prev = merged.get(a.lineId);
      merged.set(a.lineId, prev === undefined ? { ...a } : { ...prev, quantity: prev.quantity + a.quantity });
    }
    const shipmentLines = [...merged.values()]
      .sort((a, b) => (a.sku < b.sku ? -1 : a.sku > b.sku ? 1 : byLineId(a, b)))
      .map(({ lineId, sku, quantity, pinned }) => ({ lineId, sku, quantity, pinned }));
    const units = shipmentLines.reduce((s, l) => s + l.quantity, 0);
    const m = measureLocation(locations.get(locationId)!, p.shipTo, p.mode, units, p.now, p.now);
    const hasUnpinned = shipmentLines.some((l) => !l.pinned);
    const ranked = hasUnpinned ? p.ranking.find((r) => r.locationId === locationId) : undefined;
    return {
      locationId,
      mode: p.mode,
      lines: shipmentLines,
      units,
      distanceKm: m.distanceKm,
      transitDays: m.transitDays,
      shipAt: m.shipAt,
      shipDate: m.shipDate,
      estimatedDeliveryDate: m.deliveryDate,
      estimatedCost: m.estimatedCost,
      reason: p.mode === "pickup" ? "pickup" : hasUnpinned ? p.unpinnedReason : "pinned",
      rank: ranked?.rank ?? null,
      score: ranked?.score ?? null,
    };
  });
  shipments.sort((a, b) => (a.rank ?? Infinity) - (b.rank ?? Infinity) || (a.locationId < b.locationId ? -1 : a.locationId > b.locationId ? 1 : 0));
  p.backorders.sort(byLineId);
  p.unallocated.sort(byLineId);

  const sumFor = (list: readonly { lineId: string; quantity: number }[], lineId: string) =>
    list.filter((x) => x.lineId === lineId).reduce((s, x) => s + x.quantity, 0);
  const lineOutcomes: LineOutcome[] = p.lines.map((line) => ({
    lineId: line.lineId,
    sku: line.sku,
    locationId: line.locationId ?? null,
    requested: line.quantity,
    allocated: sumFor(p.allocations, line.lineId),
    backordered: sumFor(p.backorders, line.lineId),
    unallocated: sumFor(p.unallocated, line.lineId),
  }));

  const sum = (xs: readonly number[]) => xs.reduce((s, x) => s + x, 0);
  const shippingCost = sum(shipments.map((s) => s.estimatedCost));
  const extraShipmentsCost = p.extraShipmentCost * Math.max(0, shipments.length - 1);
  const totals = {
    requested: sum(p.lines.map((l) => l.quantity)),
    allocated: sum(shipments.map((s) => s.units)),
    backordered: sum(p.backorders.map((b) => b.quantity)),
    unallocated: sum(p.unallocated.map((u) => u.quantity)),
    shipments: shipments.length,
    shippingCost,
    extraShipmentsCost,
    totalCost: shippingCost + extraShipmentsCost,
  };
  const latest = (dates: readonly string[]) => (dates.length === 0 ? null : [...dates].sort().at(-1)!);
  return {
    strategy: p.request.options.strategy,
    mode: p.mode,
    shipTo: p.shipTo,
    status: totals.unallocated > 0 ? "short" : totals.backordered > 0 ? "with_backorders" : "complete",
    shipments,
    backorders: p.backorders,
    unallocated: p.unallocated,
    lines: lineOutcomes,
    ranking: p.ranking,
    selection: { method: p.choice.method, candidates: p.ranking.length, setsEvaluated: p.choice.setsEvaluated },
    totals,
    estimatedShipDate: latest(shipments.map((s) => s.shipDate)),
    estimatedDeliveryDate: latest(shipments.map((s) => s.estimatedDeliveryDate)),
  };
}
