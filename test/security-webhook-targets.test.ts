/**
 * Webhook targets (issue 12, finding B). In production (`ENVIRONMENT` anything but
 * "development") a subscription may only deliver `https://` to a public host: internal,
 * loopback, link-local, unique-local, multicast, CGNAT, IPv4-mapped and numerically spelled
 * addresses and non-public names are refused when the subscription is created AND again
 * before each delivery (nothing is fetched). The local rules (this test runtime runs as
 * "development") also allow loopback receivers. The delivery log shows a vendor only the class
 * of a failure; the status code and error text are for operators.
 */
import { createExecutionContext, waitOnExecutionContext } from "cloudflare:test";
import { env } from "cloudflare:workers";
import { afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { webhookUrlProblem } from "../domain/webhook-targets";
import type { WebhookMessage } from "../domain/webhooks";
import worker from "../workers/index";
import { api, seedBasics, type Keys } from "./support/fixtures";
import { WEBHOOKS_QUEUE, mockOutboundFetch, runQueue, withEnv } from "./support/event-fixtures";

let keys: Keys;
beforeAll(async () => {
  keys = await seedBasics();
});
afterEach(() => {
  vi.restoreAllMocks();
});

/** The bindings with ENVIRONMENT set as a deployment might (the generated type is wrangler.toml's literal). */
const runsAs = (environment: string) => ({ ENVIRONMENT: environment }) as unknown as Partial<Env>;

const INTERNAL = [
  "https://169.254.169.254/latest/meta-data/",
  "https://10.0.0.5/hook",
  "https://172.16.3.4/hook",
  "https://192.168.1.10/hook",
  "https://100.64.0.1/hook",
  "https://127.0.0.1/hook",
  "https://127.1/hook",
  "https://0x7f000001/hook",
  "https://2130706433/hook",
  "https://017700000001/hook",
  "https://0.0.0.0/hook",
  "https://224.0.0.251/hook",
  "https://255.255.255.255/hook",
  "https://[::1]/hook",
  "https://[::]/hook",
  "https://[fd00::1]/hook",
  "https://[fe80::1]/hook",
  "https://[ff02::1]/hook",
  "https://[::ffff:127.0.0.1]/hook",
  "https://[::ffff:a9fe:a9fe]/hook",
  "https://[64:ff9b::a9fe:a9fe]/hook",
  "https://[2002:a9fe:a9fe::1]/hook",
  "https://[2001::1]/hook",
  "https://metadata.google.internal/computeMetadata/v1/",
  "https://metadata/hook",
  "https://localhost/hook",
  "https://api.localhost/hook",
  "https://printer.local/hook",
  "https://nas.home.arpa/hook",
  "https://router.lan/hook",
  "https://hooks.example/hook",
  "https://hooks.partner.test/hook",
  "https://1.1.1.1.in-addr.arpa/hook",
  "http://127.0.0.1:9/hook",
  "http://localhost:8080/hook",
  "http://[::1]:9/hook",
  "http://hooks.partner.com/hook",
];
const PUBLIC = [
  "https://hooks.partner.com/inventory",
  "https://hooks.partner.com:8443/x?y=1",
  "https://xn--bcher-kva.de/hook",
  "https://8.8.8.8/hook",
  "https://[2606:4700:4700::1111]/hook",
  "https://hooks.partner.com./hook",
];

describe("the rules (domain/webhook-targets.ts)", () => {
  it.each(INTERNAL)("production refuses %s", (url) => {
    expect(webhookUrlProblem(url, "production")).not.toBeNull();
  });
  it.each(PUBLIC)("production accepts %s", (url) => {
    expect(webhookUrlProblem(url, "production")).toBeNull();
  });
  it("development also accepts loopback receivers (http or https, any port) and documentation names, nothing else internal", () => {
    for (const url of [
      "http://127.0.0.1:9/hook",
      "http://localhost:8080/hook",
      "http://[::1]:9/hook",
      "https://localhost/hook",
      "https://hooks.partner.test/hook",
    ]) {
      expect(webhookUrlProblem(url, "development"), url).toBeNull();
    }
    for (const url of [
      "https://169.254.169.254/",
      "https://10.0.0.5/",
      "https://[fd00::1]/",
      "https://0x7f000002/",
      "https://metadata.google.internal/",
      "http://127.0.0.2/hook",
      "http://hooks.partner.com/",
    ]) {
      expect(webhookUrlProblem(url, "development"), url).not.toBeNull();
    }
  });
});

/** Calls the Worker with ENVIRONMENT overridden, as a deployment configured that way would run. */
async function inEnvironment(environment: string, method: string, path: string, key: string, body?: unknown) {
  const ctx = createExecutionContext();
  const response = await worker.fetch!(
    new Request(`http://inventory.test${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { "content-type": "application/json" }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }) as Request<unknown, IncomingRequestCfProperties>,
    withEnv(runsAs(environment)),
    ctx,
  );
  await waitOnExecutionContext(ctx);
  return { status: response.status, body: (await response.json()) as any };
}

describe("creating a subscription", () => {
  it("production (the wrangler.toml default, and any value but development) refuses internal targets with a 400 at body.url", async () => {
    for (const environment of ["production", "staging", ""]) {
      for (const url of [
        "http://127.0.0.1:9/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://0x7f000001/",
        "https://[fd00::1]/x",
        "https://metadata.google.internal/",
      ]) {
        const res = await inEnvironment(environment, "POST", "/api/v2/webhooks", keys.vendor, { url, eventTypes: ["inventory.updated"] });
        expect(res.status, `${environment} ${url}`).toBe(400);
        expect(res.body.error.details).toEqual([expect.objectContaining({ path: ["body", "url"] })]);
      }
    }
    const ok = await inEnvironment("production", "POST", "/api/v2/webhooks", keys.vendor, {
      url: "https://hooks.partner.com/inv",
      eventTypes: ["inventory.updated"],
    });
    expect(ok.status).toBe(201);
  });

  it("this test runtime runs as development: a loopback receiver is accepted, an internal address still is not", async () => {
    expect(env.ENVIRONMENT as string).toBe("development");
    const local = await api("POST", "/api/v2/webhooks", { key: keys.vendor, body: { url: "http://127.0.0.1:9/dev", eventTypes: ["inventory.updated"] } });
    expect(local.status).toBe(201);
    const internal = await api("POST", "/api/v2/webhooks", { key: keys.vendor, body: { url: "https://10.0.0.5/x", eventTypes: ["inventory.updated"] } });
    expect(internal.status).toBe(400);
  });
});

async function pendingDelivery(subscriptionId: string): Promise<WebhookMessage> {
  const deliveryId = `whd_${crypto.randomUUID().replace(/-/g, "").slice(0, 24)}`;
  const eventId = `evt_sec_${crypto.randomUUID()}`;
  await env.DB.prepare(
    "INSERT INTO webhook_deliveries (id, subscription_id, event_id, event_type, status, attempts, created_at, updated_at) VALUES (?, ?, ?, 'inventory.updated', 'pending', 0, ?, ?)",
  )
    .bind(deliveryId, subscriptionId, eventId, Date.now(), Date.now())
    .run();
  return { v: 1, deliveryId, subscriptionId, eventId, eventType: "inventory.updated", payload: { id: eventId, type: "inventory.updated" } };
}

const logAs = async (key: string, id: string) => (await api("GET", `/api/v2/webhooks/${id}/deliveries`, { key })).body.items[0];

describe("delivering", () => {
  it("a subscription whose target is not allowed where it is delivered fails with url_refused and nothing is fetched", async () => {
    const created = await api("POST", "/api/v2/webhooks", {
      key: keys.vendor,
      body: { url: "http://127.0.0.1:9/later-refused", eventTypes: ["inventory.updated"] },
    });
    expect(created.status).toBe(201);
    // A subscription created before these rules, pointing at a metadata service.
    await env.DB.prepare(
      "INSERT INTO webhook_subscriptions (id, vendor_id, url, event_types, secret) VALUES ('wh_000000000000000000000042', 'V1', 'https://169.254.169.254/latest/meta-data/iam', '[\"inventory.updated\"]', 's')",
    ).run();
    const receiver = mockOutboundFetch(() => 200);
    for (const [subscription, environment] of [
      [created.body.id as string, "production"],
      ["wh_000000000000000000000042", "development"],
    ] as const) {
      const message = await pendingDelivery(subscription);
      await runQueue(WEBHOOKS_QUEUE, [message], runsAs(environment));
      const row = await env.DB.prepare("SELECT status, last_failure, last_error FROM webhook_deliveries WHERE id = ?")
        .bind(message.deliveryId)
        .first<Record<string, unknown>>();
      expect(row).toMatchObject({ status: "failed", last_failure: "url_refused" });
    }
    expect(receiver.received).toEqual([]);
    // Positive control: the same loopback subscription is delivered in development.
    const message = await pendingDelivery(created.body.id);
    await runQueue(WEBHOOKS_QUEUE, [message], runsAs("development"));
    expect(receiver.received.map((r) => r.url)).toEqual(["http://127.0.0.1:9/later-refused"]);
  });

  it("the delivery log shows a vendor the failure class only; operators see the status and the error", async () => {
    const created = await api("POST", "/api/v2/webhooks", { key: keys.vendor, body: { url: "http://127.0.0.1:9/log", eventTypes: ["inventory.updated"] } });
    const id = created.body.id as string;
    const answers: (number | Error)[] = [503, new TypeError("connect ECONNREFUSED 10.0.0.5:5432 (postgres)"), 418];
    vi.spyOn(globalThis, "fetch").mockImplementation(async () => {
      const next = answers.shift()!;
      if (next instanceof Error) throw next;
      return new Response("internal admin panel v2.3", { status: next });
    });
    for (const [vendorSees, operatorSees] of [
      [
        { lastStatusCode: null, lastError: "http_5xx", lastFailure: "http_5xx" },
        { lastStatusCode: 503, lastError: "HTTP 503", lastFailure: "http_5xx" },
      ],
      [
        { lastStatusCode: null, lastError: "network_error", lastFailure: "network_error" },
        { lastError: expect.stringContaining("ECONNREFUSED 10.0.0.5"), lastFailure: "network_error" },
      ],
      [
        { lastStatusCode: null, lastError: "http_4xx", lastFailure: "http_4xx" },
        { lastStatusCode: 418, lastFailure: "http_4xx" },
      ],
    ] as const) {
      await runQueue(WEBHOOKS_QUEUE, [await pendingDelivery(id)]);
      const vendor = await logAs(keys.vendor, id);
      expect(vendor).toMatchObject(vendorSees);
      expect(JSON.stringify(vendor)).not.toMatch(/ECONNREFUSED|10\.0\.0\.5|admin|HTTP/);
      expect(await logAs(keys.operator, id)).toMatchObject(operatorSees);
    }
  });
});
