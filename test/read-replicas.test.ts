/**
 * D1 read replication for list reads (issue 19; workers/http/read-replicas.ts): a list route
 * runs in a D1 session and answers its bookmark; a client sends it back (or `first-primary`) to
 * read at least that fresh; a malformed bookmark is a 400 before any query; routes that are not
 * list reads carry no bookmark. Locally D1 has no replicas: the session API is the real one.
 */
import { beforeAll, describe, expect, it } from "vitest";
import { api, createSku, seedBasics, type Keys } from "./support/fixtures";

const ONE = "[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}";
/** The header: a bookmark per database the answer read (DB, and the read databases READ_<n>). */
const BOOKMARK = new RegExp(`^(DB|READ_\\d)=${ONE}(,(DB|READ_\\d)=${ONE})*$`);
const bookmarkOf = (header: string | null, database: string) =>
  header
    ?.split(",")
    .find((p) => p.startsWith(`${database}=`))
    ?.slice(database.length + 1);
let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
  await createSku("RR-1");
});

describe("list reads in a D1 session", () => {
  it("the document names the header on the list reads, and on GET operations only", async () => {
    const doc = (await api("GET", "/api/v2/openapi.json")).body;
    const withHeader: string[] = [];
    for (const [path, ops] of Object.entries(doc.paths as Record<string, Record<string, { parameters?: { name: string }[] }>>)) {
      for (const [method, op] of Object.entries(ops)) if (op.parameters?.some((p) => p.name === "D1-Bookmark")) withHeader.push(`${method} ${path}`);
    }
    expect(withHeader).toContain("get /api/v2/vendors");
    expect(withHeader).toContain("get /api/v2/inventory");
    // 14 list routes and the 4 period analyses (one definition, workers/routes/analytics.ts).
    expect(withHeader.length).toBe(18);
    expect(withHeader.every((op) => op.startsWith("get "))).toBe(true);
  });

  it("a list answers its bookmark; sending it back, or first-primary, reads at least that fresh", async () => {
    const first = await api("GET", "/api/v2/vendors", { key: keys.operator });
    expect(first.status).toBe(200);
    const bookmark = first.headers.get("d1-bookmark");
    expect(bookmark).toMatch(BOOKMARK);
    // A write, then a list that carries the bookmark: the new vendor is there.
    expect((await api("POST", "/api/v2/vendors", { key: keys.operator, body: { id: "V-RR", name: "Replica Vendor" } })).status).toBe(201);
    for (const header of [bookmark!, "first-primary"]) {
      const again = await api("GET", "/api/v2/vendors?limit=200", { key: keys.operator, headers: { "D1-Bookmark": header } });
      expect(again.status).toBe(200);
      expect(again.body.items.map((v: { id: string }) => v.id)).toContain("V-RR");
      // The session's bookmark never goes backwards.
      expect(bookmarkOf(again.headers.get("d1-bookmark"), "DB")! >= bookmarkOf(bookmark, "DB")!).toBe(true);
    }
    for (const path of ["/api/v2/inventory", "/api/v2/alerts", "/api/v2/sync", "/api/v2/webhooks", "/api/v2/purchase-orders", "/api/v2/transfers"]) {
      const res = await api("GET", path, { key: keys.operator });
      expect([path, res.status, BOOKMARK.test(res.headers.get("d1-bookmark") ?? "")]).toEqual([path, 200, true]);
    }
  });

  it("a malformed bookmark is a 400 naming the header; a read that is not a list has no bookmark", async () => {
    const bad = await api("GET", "/api/v2/vendors", { key: keys.operator, headers: { "D1-Bookmark": "yesterday" } });
    expect(bad.status).toBe(400);
    expect(bad.body.error.details[0].path).toEqual(["headers", "d1-bookmark"]);
    const one = await api("GET", "/api/v2/skus/RR-1", { key: keys.operator });
    expect(one.status).toBe(200);
    expect(one.headers.get("d1-bookmark")).toBeNull();
  });
});
