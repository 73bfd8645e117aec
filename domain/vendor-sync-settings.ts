/**
 * A vendor's sync settings (issue 16, "vendor channels"): whether sync is on, how the
 * vendor's stock reaches us (`push_api` JSON batches, `push_csv` file uploads, `pull_url`
 * a file we fetch, `edi` X12), how often (tiers from the spec: critical every 5 minutes,
 * standard every 30, or a custom interval of 5 minutes to a day), the file format
 * (`auto` detects from the header), the generic column map, the location-name table, and
 * the health rule's thresholds. Validated with zod; `parseVendorSyncSettings` never throws
 * and lists every problem with its path. Helpers turn settings into the options of the
 * format readers, so the wiring passes one object. Pure.
 */
import { z } from "zod";
import type { Inventory846Options } from "./x12/x12-846";
import type { InboundX12Options } from "./x12/x12-inbound";
import { GenericColumnMapSchema } from "./vendor-formats/generic-csv";
import type { CsvImportOptions } from "./vendor-formats/inventory-csv-import";
import { checkLocationNameTable } from "./vendor-formats/location-names";

export const SYNC_METHODS = ["push_api", "push_csv", "pull_url", "edi"] as const;
export type SyncMethod = (typeof SYNC_METHODS)[number];
export const SYNC_FORMATS = ["auto", "ours", "shopify", "x12", "generic"] as const;
export type SyncFormat = (typeof SYNC_FORMATS)[number];
/** Minutes between syncs of each tier (the spec: critical items every 5 minutes, standard every 30). */
export const SYNC_TIER_MINUTES = { critical: 5, standard: 30 } as const;
export const SYNC_INTERVAL_BOUNDS = { min: 5, max: 24 * 60 } as const;
/** Consecutive failures before `sync.failed`, by default. */
export const DEFAULT_FAILURE_ALERT_AFTER = 3;
/** A vendor is stale, by default, after three intervals without a success. */
export const DEFAULT_STALE_INTERVALS = 3;

const UNIT_CODE = /^[A-Z0-9]{2}$/;

export const VendorSyncSettingsSchema = z
  .object({
    enabled: z.boolean(),
    method: z.enum(SYNC_METHODS),
    tier: z.enum(["critical", "standard", "custom"]).default("standard"),
    /** Only with tier `custom`. */
    intervalMinutes: z.number().int().min(SYNC_INTERVAL_BOUNDS.min).max(SYNC_INTERVAL_BOUNDS.max).optional(),
    format: z.enum(SYNC_FORMATS).default("auto"),
    /** The generic column map (format `generic`, or `auto` when the header fits it). */
    mapping: GenericColumnMapSchema.optional(),
    /** Vendor location name (or X12 N104 code) → our location id. */
    locationNames: z.record(z.string(), z.string()).default({}),
    /** `pull_url` only: where we fetch the file (https). */
    pullUrl: z.string().max(2048).optional(),
    shopifyColumn: z.enum(["on_hand_new", "on_hand_current", "available"]).default("on_hand_new"),
    x12: z
      .object({
        itemIdQualifiers: z.array(z.string().regex(UNIT_CODE)).min(1).max(10).optional(),
        quantity: z.enum(["auto", "on_hand", "available"]).default("auto"),
        unitsPerPack: z.record(z.string().regex(UNIT_CODE), z.number().int().min(1).max(100_000)).default({}),
      })
      .strict()
      .optional(),
    health: z
      .object({
        /** Silence before a vendor is stale; default three intervals. */
        staleAfterMinutes: z
          .number()
          .int()
          .min(1)
          .max(7 * 24 * 60)
          .optional(),
        failureAlertAfter: z.number().int().min(1).max(100).default(DEFAULT_FAILURE_ALERT_AFTER),
      })
      .strict()
      .default({ failureAlertAfter: DEFAULT_FAILURE_ALERT_AFTER }),
  })
  .strict()
  .superRefine((s, ctx) => {
    const issue = (path: (string | number)[], message: string) => ctx.addIssue({ code: "custom", path, message });
    if ((s.tier === "custom") !== (s.intervalMinutes !== undefined)) issue(["intervalMinutes"], "give intervalMinutes exactly when tier is custom");
    if ((s.method === "pull_url") !== (s.pullUrl !== undefined)) issue(["pullUrl"], "give pullUrl exactly when method is pull_url");
    if (s.pullUrl !== undefined) {
      let url: URL | null = null;
      try {
        url = new URL(s.pullUrl);
      } catch {
        url = null;
      }
      if (url === null || url.protocol !== "https:" || url.username !== "" || url.password !== "") issue(["pullUrl"], "an https URL without credentials in it");
    }
    if (s.format === "generic" && s.mapping === undefined) issue(["mapping"], "a generic format needs the column map");
    if (s.mapping !== undefined && s.format !== "generic" && s.format !== "auto") issue(["mapping"], "a column map is for the generic (or auto) format");
    const allowed: Record<SyncMethod, readonly SyncFormat[]> = {
      push_api: ["auto", "ours"],
      push_csv: ["auto", "ours", "shopify", "generic"],
      pull_url: ["auto", "ours", "shopify", "generic", "x12"],
      edi: ["auto", "x12"],
    };
    if (!allowed[s.method].includes(s.format)) issue(["format"], `method ${s.method} takes format ${allowed[s.method].join(", ")}`);
    for (const problem of checkLocationNameTable(s.locationNames)) issue(["locationNames", problem.name], problem.message);
  });

export type VendorSyncSettings = z.output<typeof VendorSyncSettingsSchema>;

export type SettingsParse = { ok: true; settings: VendorSyncSettings } | { ok: false; issues: { path: (string | number)[]; message: string }[] };

/** Validates settings from a request or storage; every problem with its path. */
export function parseVendorSyncSettings(input: unknown): SettingsParse {
  const parsed = VendorSyncSettingsSchema.safeParse(input);
  if (parsed.success) return { ok: true, settings: parsed.data };
  return { ok: false, issues: parsed.error.issues.map((i) => ({ path: i.path.map((p) => (typeof p === "number" ? p : String(p))), message: i.message })) };
}

/** Minutes between syncs. */
export function syncIntervalMinutes(settings: VendorSyncSettings): number {
  return settings.tier === "custom" ? settings.intervalMinutes! : SYNC_TIER_MINUTES[settings.tier];
}

/** The health rule's thresholds, in milliseconds and attempts. */
export function syncHealthPolicy(settings: VendorSyncSettings): { staleAfterMs: number; failureAlertAfter: number } {
  const minutes = settings.health.staleAfterMinutes ?? DEFAULT_STALE_INTERVALS * syncIntervalMinutes(settings);
  return { staleAfterMs: minutes * 60_000, failureAlertAfter: settings.health.failureAlertAfter };
}

/** For `pull_url`: whether a fetch is due at `now` (epoch ms) after the last attempt (null: never). */
export function isPullDue(settings: VendorSyncSettings, lastAttemptAt: number | null, now: number): boolean {
  if (!settings.enabled || settings.method !== "pull_url") return false;
  return lastAttemptAt === null || now - lastAttemptAt >= syncIntervalMinutes(settings) * 60_000;
}

/** The options of `importInventoryCsv` these settings stand for (not for x12). */
export function csvImportOptionsOf(settings: VendorSyncSettings): CsvImportOptions {
  const format = settings.format === "x12" ? "auto" : settings.format;
  return {
    format,
    locationNames: settings.locationNames,
    shopifyColumn: settings.shopifyColumn,
    ...(settings.mapping === undefined ? {} : { mapping: settings.mapping }),
  };
}

/** The options of `readInboundX12` these settings stand for. */
export function x12OptionsOf(settings: VendorSyncSettings): InboundX12Options {
  const inventory: Omit<Inventory846Options, "locationNames"> = { quantity: settings.x12?.quantity ?? "auto", unitsPerPack: settings.x12?.unitsPerPack ?? {} };
  if (settings.x12?.itemIdQualifiers !== undefined) inventory.itemIdQualifiers = settings.x12.itemIdQualifiers;
  return {
    locationNames: settings.locationNames,
    inventory,
    acknowledgment: { unitsPerPack: settings.x12?.unitsPerPack ?? {} },
    shipNotice: { unitsPerPack: settings.x12?.unitsPerPack ?? {} },
  };
}
