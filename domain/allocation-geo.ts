/**
 * Geography for order routing: great-circle distance and a built-in table of country
 * centroids for ship-to points given only as a country code. Pure.
 */

/** A point on the globe in decimal degrees (WGS 84, as the locations table stores it). */
export interface GeoPoint {
  latitude: number;
  longitude: number;
}

/** Mean Earth radius (IUGG), in km. A sphere is close enough: carriers do not drive great circles either. */
export const EARTH_RADIUS_KM = 6371;

const RADIANS_PER_DEGREE = Math.PI / 180;

/**
 * Great-circle distance between two points in km (haversine), unrounded. The haversine form
 * stays accurate for the short distances that dominate routing, unlike the spherical law of
 * cosines.
 */
export function greatCircleKm(a: GeoPoint, b: GeoPoint): number {
  const dLat = (b.latitude - a.latitude) * RADIANS_PER_DEGREE;
  const dLng = (b.longitude - a.longitude) * RADIANS_PER_DEGREE;
  const h = Math.sin(dLat / 2) ** 2 + Math.cos(a.latitude * RADIANS_PER_DEGREE) * Math.cos(b.latitude * RADIANS_PER_DEGREE) * Math.sin(dLng / 2) ** 2;
  return 2 * EARTH_RADIUS_KM * Math.asin(Math.min(1, Math.sqrt(h)));
}

/**
 * Distance in km rounded to 0.1 km. Plans compare and report rounded distances, so two
 * locations the same distance away tie visibly (and the tie rule decides) instead of being
 * ordered by floating-point noise.
 */
export function roundedDistanceKm(a: GeoPoint, b: GeoPoint): number {
  return Math.round(greatCircleKm(a, b) * 10) / 10;
}

/**
 * Approximate geographic centres of countries (ISO 3166-1 alpha-2), used when a ship-to
 * address gives only a country. Every EU and EEA country, the micro-states inside them, GB,
 * CH, US and CA. A centroid is a coarse stand-in for an address: good enough to rank
 * European fulfilment centres, not to quote a delivery date to the hour.
 */
export const COUNTRY_CENTROIDS: Readonly<Record<string, Readonly<GeoPoint>>> = Object.freeze({
  // European Union
  AT: { latitude: 47.5162, longitude: 14.5501 },
  BE: { latitude: 50.5039, longitude: 4.4699 },
  BG: { latitude: 42.7339, longitude: 25.4858 },
  CY: { latitude: 35.1264, longitude: 33.4299 },
  CZ: { latitude: 49.8175, longitude: 15.473 },
  DE: { latitude: 51.1657, longitude: 10.4515 },
  DK: { latitude: 56.2639, longitude: 9.5018 },
  EE: { latitude: 58.5953, longitude: 25.0136 },
  ES: { latitude: 40.4637, longitude: -3.7492 },
  FI: { latitude: 61.9241, longitude: 25.7482 },
  FR: { latitude: 46.2276, longitude: 2.2137 },
  GR: { latitude: 39.0742, longitude: 21.8243 },
  HR: { latitude: 45.1, longitude: 15.2 },
  HU: { latitude: 47.1625, longitude: 19.5033 },
  IE: { latitude: 53.4129, longitude: -8.2439 },
  IT: { latitude: 41.8719, longitude: 12.5674 },
  LT: { latitude: 55.1694, longitude: 23.8813 },
  LU: { latitude: 49.8153, longitude: 6.1296 },
  LV: { latitude: 56.8796, longitude: 24.6032 },
  MT: { latitude: 35.9375, longitude: 14.3754 },
  NL: { latitude: 52.1326, longitude: 5.2913 },
  PL: { latitude: 51.9194, longitude: 19.1451 },
  PT: { latitude: 39.3999, longitude: -8.2245 },
  RO: { latitude: 45.9432, longitude: 24.9668 },
  SE: { latitude: 60.1282, longitude: 18.6435 },
  SI: { latitude: 46.1512, longitude: 14.9955 },
  SK: { latitude: 48.669, longitude: 19.699 },
  // Rest of the EEA
  IS: { latitude: 64.9631, longitude: -19.0208 },
  LI: { latitude: 47.166, longitude: 9.5554 },
  NO: { latitude: 60.472, longitude: 8.4689 },
  // Micro-states inside the EU's borders
  AD: { latitude: 42.5462, longitude: 1.6016 },
  MC: { latitude: 43.7503, longitude: 7.4128 },
  SM: { latitude: 43.9424, longitude: 12.4578 },
  VA: { latitude: 41.9029, longitude: 12.4534 },
  // Others the marketplace ships to
  CH: { latitude: 46.8182, longitude: 8.2275 },
  GB: { latitude: 55.3781, longitude: -3.436 },
  US: { latitude: 37.0902, longitude: -95.7129 },
  CA: { latitude: 56.1304, longitude: -106.3468 },
});

/**
 * The centroid of a country code (case-insensitive), or `undefined` for a code the table
 * does not know. Looks at own entries only, so `"__proto__"` or `"constructor"` is unknown.
 */
export function countryCentroid(countryCode: string): GeoPoint | undefined {
  const code = countryCode.toUpperCase();
  return Object.hasOwn(COUNTRY_CENTROIDS, code) ? COUNTRY_CENTROIDS[code] : undefined;
}

/** True when a point's coordinates are finite and within the latitude/longitude ranges. */
export function isValidPoint(p: GeoPoint): boolean {
  return Number.isFinite(p.latitude) && Number.isFinite(p.longitude) && p.latitude >= -90 && p.latitude <= 90 && p.longitude >= -180 && p.longitude <= 180;
}
