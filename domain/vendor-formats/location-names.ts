/**
 * A vendor's location names (what its files call a warehouse or store: "Paris Warehouse",
 * an X12 N104 code "WH-EAST") mapped to our location ids. The table is plain data, saved
 * with the vendor's sync settings. Names are matched after `locationNameKey`: surrounding
 * spaces dropped, inner runs of spaces collapsed, case ignored, so "paris  warehouse " is
 * "Paris Warehouse". Lookups go through a Map: names come from files, and a name such as
 * `constructor` must not find what every object inherits. Pure.
 */

/** Vendor location name → our location id. */
export type LocationNameTable = Readonly<Record<string, string>>;

/** Our location ids: 1–64 of `A–Z a–z 0–9 . _ -`, starting alphanumeric (as in `domain/sync-items.ts`). */
export const LOCATION_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** The form two names are compared in. */
export function locationNameKey(name: string): string {
  return name.trim().replace(/\s+/g, " ").toLowerCase();
}

/** A lookup from the table: our location id for a vendor's name, or null when the table has none. */
export function locationResolver(table: LocationNameTable): (name: string) => string | null {
  const byKey = new Map<string, string>();
  for (const [name, id] of Object.entries(table)) byKey.set(locationNameKey(name), id);
  return (name) => byKey.get(locationNameKey(name)) ?? null;
}

/** A fault in a location-name table. */
export interface LocationTableProblem {
  name: string;
  message: string;
}

/**
 * The faults of a table: an empty name, a value that is not a location id, or two names
 * that compare equal but map to different ids (which one a file meant would be a guess).
 */
export function checkLocationNameTable(table: LocationNameTable): LocationTableProblem[] {
  const problems: LocationTableProblem[] = [];
  const seen = new Map<string, { name: string; id: string }>();
  for (const [name, id] of Object.entries(table)) {
    const key = locationNameKey(name);
    if (key === "") {
      problems.push({ name, message: "a location name must not be blank" });
      continue;
    }
    if (typeof id !== "string" || !LOCATION_ID.test(id)) {
      problems.push({ name, message: `"${String(id)}" is not a location id (1–64 of A–Z a–z 0–9 . _ -)` });
      continue;
    }
    const earlier = seen.get(key);
    if (earlier !== undefined && earlier.id !== id) {
      problems.push({ name, message: `"${name}" and "${earlier.name}" are the same name but map to ${id} and ${earlier.id}` });
      continue;
    }
    seen.set(key, { name, id });
  }
  return problems;
}
