/**
 * Routing master data for the 12 demo fulfilment centres (`DEMO_LOCATIONS` in
 * scripts/local-stack.mjs: same ids, coordinates and priorities). Data only, no imports at
 * run time, so the seed script and the tests can both load it.
 *
 * The values are plausible, not measured: costs in euro cents (a parcel base of €3.20–€5.20,
 * 0.40–0.65 cents per km, 35–70 cents per unit; cheaper in Warsaw and Madrid, dearer in
 * London), packing times of 3–8 hours, carrier cut-offs between 14:00 and 19:00 local time
 * (UTC+1 on the continent, UTC+0 in Great Britain, daylight saving ignored), daily capacity
 * 6,000–12,000 units with today's load, and on-time/accuracy rates from 89% to 99.8%.
 */
import type { RoutingLocation } from "./allocation-locations";

/** A demo centre: routing data plus the names the seed script shows. */
export interface DemoRoutingLocation extends RoutingLocation {
  name: string;
  city: string;
  type: "fulfillment_center";
}

const centre = (
  id: string,
  city: string,
  countryCode: string,
  latitude: number,
  longitude: number,
  priority: number,
  rest: Omit<RoutingLocation, "id" | "countryCode" | "latitude" | "longitude" | "priority" | "active" | "canShip" | "canPickup">,
): DemoRoutingLocation => ({
  id,
  name: `${city} Fulfilment Centre`,
  city,
  type: "fulfillment_center",
  countryCode,
  latitude,
  longitude,
  priority,
  active: true,
  canShip: true,
  canPickup: false,
  ...rest,
});

/** The 12 demo centres, best priority (10) first. */
export const DEMO_ROUTING_LOCATIONS: readonly DemoRoutingLocation[] = Object.freeze([
  centre("FC-PAR", "Paris", "FR", 48.8566, 2.3522, 10, {
    shippingCost: { base: 450, perKm: 0.55, perUnit: 60 },
    handlingHours: 4,
    cutoffHour: 17,
    utcOffsetMinutes: 60,
    dailyCapacity: 12_000,
    currentLoad: 9_000,
    onTimeRate: 0.96,
    accuracyRate: 0.995,
  }),
  centre("FC-LYS", "Lyon", "FR", 45.764, 4.8357, 20, {
    shippingCost: { base: 400, perKm: 0.5, perUnit: 55 },
    handlingHours: 6,
    cutoffHour: 16,
    utcOffsetMinutes: 60,
    dailyCapacity: 8_000,
    currentLoad: 3_200,
    onTimeRate: 0.94,
    accuracyRate: 0.992,
  }),
  centre("FC-BER", "Berlin", "DE", 52.52, 13.405, 30, {
    shippingCost: { base: 420, perKm: 0.5, perUnit: 50 },
    handlingHours: 4,
    cutoffHour: 18,
    utcOffsetMinutes: 60,
    dailyCapacity: 10_000,
    currentLoad: 7_000,
    onTimeRate: 0.97,
    accuracyRate: 0.997,
  }),
  centre("FC-FRA", "Frankfurt", "DE", 50.1109, 8.6821, 40, {
    shippingCost: { base: 430, perKm: 0.48, perUnit: 52 },
    handlingHours: 3,
    cutoffHour: 18,
    utcOffsetMinutes: 60,
    dailyCapacity: 11_000,
    currentLoad: 5_500,
    onTimeRate: 0.98,
    accuracyRate: 0.998,
  }),
  centre("FC-LON", "London", "GB", 51.5074, -0.1278, 50, {
    shippingCost: { base: 520, perKm: 0.65, perUnit: 70 },
    handlingHours: 5,
    cutoffHour: 16,
    utcOffsetMinutes: 0,
    dailyCapacity: 9_000,
    currentLoad: 8_100,
    onTimeRate: 0.92,
    accuracyRate: 0.99,
  }),
  centre("FC-MAN", "Manchester", "GB", 53.4808, -2.2426, 60, {
    shippingCost: { base: 460, perKm: 0.6, perUnit: 60 },
    handlingHours: 6,
    cutoffHour: 15,
    utcOffsetMinutes: 0,
    dailyCapacity: 7_000,
    currentLoad: 2_800,
    onTimeRate: 0.93,
    accuracyRate: 0.993,
  }),
  centre("FC-MAD", "Madrid", "ES", 40.4168, -3.7038, 70, {
    shippingCost: { base: 380, perKm: 0.45, perUnit: 45 },
    handlingHours: 8,
    cutoffHour: 15,
    utcOffsetMinutes: 60,
    dailyCapacity: 7_500,
    currentLoad: 3_000,
    onTimeRate: 0.9,
    accuracyRate: 0.989,
  }),
  centre("FC-BCN", "Barcelona", "ES", 41.3874, 2.1686, 80, {
    shippingCost: { base: 390, perKm: 0.47, perUnit: 48 },
    handlingHours: 6,
    cutoffHour: 16,
    utcOffsetMinutes: 60,
    dailyCapacity: 7_000,
    currentLoad: 4_900,
    onTimeRate: 0.91,
    accuracyRate: 0.991,
  }),
  centre("FC-MIL", "Milan", "IT", 45.4642, 9.19, 90, {
    shippingCost: { base: 410, perKm: 0.5, perUnit: 52 },
    handlingHours: 5,
    cutoffHour: 16,
    utcOffsetMinutes: 60,
    dailyCapacity: 8_000,
    currentLoad: 4_000,
    onTimeRate: 0.93,
    accuracyRate: 0.994,
  }),
  centre("FC-AMS", "Amsterdam", "NL", 52.3676, 4.9041, 100, {
    shippingCost: { base: 440, perKm: 0.52, perUnit: 58 },
    handlingHours: 3,
    cutoffHour: 19,
    utcOffsetMinutes: 60,
    dailyCapacity: 10_000,
    currentLoad: 6_500,
    onTimeRate: 0.97,
    accuracyRate: 0.996,
  }),
  centre("FC-WAW", "Warsaw", "PL", 52.2297, 21.0122, 110, {
    shippingCost: { base: 320, perKm: 0.4, perUnit: 35 },
    handlingHours: 8,
    cutoffHour: 14,
    utcOffsetMinutes: 60,
    dailyCapacity: 9_000,
    currentLoad: 2_700,
    onTimeRate: 0.89,
    accuracyRate: 0.988,
  }),
  centre("FC-STO", "Stockholm", "SE", 59.3293, 18.0686, 120, {
    shippingCost: { base: 480, perKm: 0.6, perUnit: 65 },
    handlingHours: 6,
    cutoffHour: 15,
    utcOffsetMinutes: 60,
    dailyCapacity: 6_000,
    currentLoad: 2_400,
    onTimeRate: 0.95,
    accuracyRate: 0.996,
  }),
]);
