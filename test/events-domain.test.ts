/**
 * The pure rules behind the event consumers, called directly: projection status, units
 * shipped per location and day, alert decisions, retry backoff, webhook URL rules, the
 * webhook signature (checked against Node's `crypto.createHmac`, as a receiver would
 * compute it) and pagination cursors.
 */
import { createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { z } from "zod";
import { alertDecisions } from "../domain/alerts";
import { backoffSeconds } from "../domain/backoff";
import { levelStatus, unitsByLocation, utcDayOf } from "../domain/inventory-levels";
import { signWebhook, verifyWebhookSignature } from "../domain/webhook-signature";
import { afterFailedAttempt, webhookRetryDelaySeconds, webhookUrlProblem } from "../domain/webhooks";
import { eventRetryDelaySeconds } from "../queues/events.consumer";
import { cursorParam, encodeCursor } from "../domain/schemas/cursor";
import { counts } from "./support/event-fixtures";

describe("projection status", () => {
  const t = { reorderPoint: 5, allowBackorder: false };
  it("above the reorder point → in stock; 1..reorder point → low; 0 → out; backorder SKUs → backorder", () => {
    expect(levelStatus(6, t)).toBe("in_stock");
    expect(levelStatus(5, t)).toBe("low_stock");
    expect(levelStatus(1, t)).toBe("low_stock");
    expect(levelStatus(0, t)).toBe("out_of_stock");
    expect(levelStatus(0, { ...t, allowBackorder: true })).toBe("backorder");
    expect(levelStatus(-3, { ...t, allowBackorder: true })).toBe("backorder");
    expect(levelStatus(1, { reorderPoint: 0, allowBackorder: false })).toBe("in_stock");
  });

  it("units shipped are summed per location, ignoring empty lines", () => {
    expect(
      unitsByLocation([
        { locationId: "L2", quantity: 1 },
        { locationId: "L1", quantity: 2 },
        { locationId: "L1", quantity: 3 },
        { locationId: "L3", quantity: 0 },
      ]),
    ).toEqual([
      { locationId: "L1", units: 5 },
      { locationId: "L2", units: 1 },
    ]);
  });

  it("days are UTC calendar days; a timestamp that does not parse throws", () => {
    expect(utcDayOf("2026-11-20T23:59:59.999Z").day).toBe("2026-11-20");
    expect(utcDayOf("2026-11-21T00:30:00+01:00").day).toBe("2026-11-20");
    expect(utcDayOf("2026-11-21T00:00:00Z")).toEqual({ day: "2026-11-21", ms: Date.parse("2026-11-21T00:00:00Z") });
    expect(() => utcDayOf("yesterday")).toThrow(RangeError);
  });
});

describe("alert decisions", () => {
  const countsAfter = (available: number) => counts({ onHand: Math.max(available, 0), available });
  it("threshold events open their kind", () => {
    expect(alertDecisions({ type: "inventory.low_stock", after: countsAfter(3) }, 5)).toEqual([{ action: "open", kind: "low_stock", available: 3 }]);
    expect(alertDecisions({ type: "inventory.out_of_stock", after: countsAfter(0) }, 5)).toEqual([{ action: "open", kind: "out_of_stock", available: 0 }]);
  });

  it("back in stock above the reorder point resolves both kinds; at or below it, it keeps low stock open", () => {
    expect(alertDecisions({ type: "inventory.back_in_stock", after: countsAfter(9) }, 5)).toEqual([
      { action: "resolve", kinds: ["out_of_stock", "low_stock"], resolution: "back_in_stock", whenProjectedTotalAbove: null },
    ]);
    expect(alertDecisions({ type: "inventory.back_in_stock", after: countsAfter(5) }, 5)).toEqual([
      { action: "resolve", kinds: ["out_of_stock"], resolution: "back_in_stock", whenProjectedTotalAbove: null },
      { action: "open", kind: "low_stock", available: 5 },
    ]);
  });

  it("an update resolves out of stock above zero and low stock above the reorder point (projected total); reservation events decide nothing", () => {
    expect(alertDecisions({ type: "inventory.updated", after: countsAfter(1) }, 5)).toEqual([
      { action: "resolve", kinds: ["out_of_stock"], resolution: "back_in_stock", whenProjectedTotalAbove: 0 },
      { action: "resolve", kinds: ["low_stock"], resolution: "above_reorder_point", whenProjectedTotalAbove: 5 },
    ]);
    expect(alertDecisions({ type: "reservation.fulfilled", after: null }, 5)).toEqual([]);
  });
});

describe("backoff", () => {
  it("doubles per attempt and is capped", () => {
    expect([1, 2, 3, 4, 5].map(eventRetryDelaySeconds)).toEqual([4, 8, 16, 32, 64]);
    expect([1, 2, 3, 8, 9, 10, 40].map(webhookRetryDelaySeconds)).toEqual([10, 20, 40, 1280, 2560, 3600, 3600]);
    expect(backoffSeconds(0, 1, 10)).toBe(2);
  });

  it("a failed webhook attempt is retried until the last one", () => {
    expect(afterFailedAttempt(1, 9)).toEqual({ retry: true, delaySeconds: 10 });
    expect(afterFailedAttempt(8, 9)).toEqual({ retry: true, delaySeconds: 1280 });
    expect(afterFailedAttempt(9, 9)).toEqual({ retry: false });
  });
});

describe("webhook URLs", () => {
  it.each([
    ["https://hooks.example.com/inventory", null],
    ["https://hooks.example.com:8443/x?y=1", null],
    ["http://localhost:8080/hook", null],
    ["http://127.0.0.1:9/hook", null],
    ["http://[::1]:9/hook", null],
    ["http://hooks.example.com/hook", "use https:// (http:// is allowed only for localhost and 127.0.0.1)"],
    ["http://127.0.0.2/hook", "use https:// (http:// is allowed only for localhost and 127.0.0.1)"],
    ["ftp://hooks.example.com/", "use an https:// URL"],
    ["https://user:pw@hooks.example.com/", "the URL must not carry credentials"],
    ["https://hooks.example.com/#frag", "the URL must not have a fragment"],
    ["/relative", "not an absolute URL"],
  ])("%s → %s", (url, problem) => {
    // The local rules; production's are in security-webhook-targets.test.ts.
    expect(webhookUrlProblem(url, "development")).toBe(problem);
  });
});

describe("webhook signatures", () => {
  const secret = "whsec_test-secret";
  const body = JSON.stringify({ id: "evt:S:1", type: "inventory.updated", note: "ünïcode" });

  it("v1 = hex HMAC-SHA256(secret, `${timestamp}.${body}`), the same as Node computes", async () => {
    const header = await signWebhook(secret, 1_795_000_000, body);
    const node = createHmac("sha256", secret).update(`1795000000.${body}`, "utf8").digest("hex");
    expect(header).toBe(`v1=${node}`);
  });

  it("verification accepts the right signature among several, refuses a changed body, another secret, or a stale timestamp", async () => {
    const ts = 1_795_000_000;
    const header = await signWebhook(secret, ts, body);
    expect(await verifyWebhookSignature(secret, header, String(ts), body, ts + 10)).toBe(true);
    expect(await verifyWebhookSignature(secret, `v1=${"0".repeat(64)}, ${header}`, String(ts), body, ts)).toBe(true);
    expect(await verifyWebhookSignature(secret, header, String(ts), `${body} `, ts)).toBe(false);
    expect(await verifyWebhookSignature("whsec_other", header, String(ts), body, ts)).toBe(false);
    expect(await verifyWebhookSignature(secret, header, String(ts), body, ts + 301)).toBe(false);
    expect(await verifyWebhookSignature(secret, header, "12abc", body, ts)).toBe(false);
  });
});

describe("cursors", () => {
  const schema = cursorParam("k1", z.tuple([z.string(), z.string()]));
  it("round-trip, and refuse cursors of another listing or garbage", () => {
    const cursor = encodeCursor("k1", ["SKU-ü", "L1"]);
    expect(cursor).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(schema.parse(cursor)).toEqual(["SKU-ü", "L1"]);
    expect(schema.safeParse(encodeCursor("k2", ["a", "b"])).success).toBe(false);
    expect(schema.safeParse(encodeCursor("k1", ["a"])).success).toBe(false);
    expect(schema.safeParse("not a cursor!").success).toBe(false);
    expect(schema.safeParse("e30").success).toBe(false);
  });
});
