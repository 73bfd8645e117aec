/**
 * The live availability feed of one SKU, served by its Durable Object with the WebSocket
 * Hibernation API: a snapshot on connect, then one message per change of the public view
 * (debounced; nothing is sent when a change does not alter what storefronts see, such as a
 * soft hold). Each socket's last sent view rides in its attachment, so the comparison
 * survives hibernation.
 *
 * Messages (JSON text frames):
 * - `{"type":"snapshot","sku","status","available","locations":[{locationId,available}],"updatedAt"}` on connect
 * - `{"type":"update", …same fields}` after a change
 * - `"pong"` in answer to a `"ping"` text frame (answered by the runtime without waking the object)
 */
import { publicAvailability, samePublicView, type PublicAvailability, type PublicViewConfig } from "../domain/availability";
import type { SkuInventoryStore } from "./sku-inventory.store";

/** Most live connections one SKU object accepts. */
export const MAX_LIVE_CONNECTIONS = 1000;
/** Most live connections one client address may hold to one SKU's feed (issue 12). */
export const MAX_LIVE_CONNECTIONS_PER_CLIENT = 20;
/** Changes within this window (ms) are sent as one message. */
export const LIVE_DEBOUNCE_MS = 50;

interface Attachment {
  last: PublicAvailability;
}

export class LiveFeed {
  readonly #ctx: DurableObjectState;
  readonly #store: () => SkuInventoryStore;
  #timer: ReturnType<typeof setTimeout> | null = null;

  constructor(ctx: DurableObjectState, store: () => SkuInventoryStore) {
    this.#ctx = ctx;
    this.#store = store;
    // Keep-alive pings are answered by the runtime, without waking a hibernated object.
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }

  /**
   * Accepts a connection (the Worker has validated the SKU and sends the view settings, and
   * `clientKey`, a digest of the caller's address). Each socket is tagged with its client, so
   * the per-address count survives hibernation.
   */
  connect(sku: string, config: PublicViewConfig, clientKey: string | null = null): Response {
    if (this.#ctx.getWebSockets().length >= MAX_LIVE_CONNECTIONS) {
      return Response.json(
        { error: { code: "too_many_connections", message: `at most ${MAX_LIVE_CONNECTIONS} live connections per SKU`, details: null } },
        { status: 503, headers: { "Retry-After": "30" } },
      );
    }
    const tag = clientKey === null ? null : `client:${clientKey}`;
    if (tag !== null && this.#ctx.getWebSockets(tag).length >= MAX_LIVE_CONNECTIONS_PER_CLIENT) {
      return Response.json(
        {
          error: {
            code: "too_many_connections",
            message: `at most ${MAX_LIVE_CONNECTIONS_PER_CLIENT} live connections per SKU from one address`,
            details: null,
          },
        },
        { status: 429, headers: { "Retry-After": "30" } },
      );
    }
    this.#store().setLiveConfig(config);
    const [client, server] = Object.values(new WebSocketPair()) as [WebSocket, WebSocket];
    this.#ctx.acceptWebSocket(server, tag === null ? [] : [tag]);
    const view = this.#view(config);
    server.serializeAttachment({ last: view.availability } satisfies Attachment);
    server.send(JSON.stringify({ type: "snapshot", sku, ...view.availability, updatedAt: view.updatedAt }));
    return new Response(null, { status: 101, webSocket: client });
  }

  /** Call after every change: schedules one message to each socket whose view changed. */
  changed(): void {
    if (this.#timer !== null || this.#ctx.getWebSockets().length === 0) return;
    this.#timer = setTimeout(() => {
      this.#timer = null;
      this.#publish();
    }, LIVE_DEBOUNCE_MS);
  }

  /** A client closed: finish the close handshake. */
  closed(ws: WebSocket, code: number, reason: string): void {
    try {
      ws.close(code === 1005 ? 1000 : code, reason);
    } catch {
      // Already closed.
    }
  }

  #publish(): void {
    const config = this.#store().liveConfig();
    if (config === null) return;
    const view = this.#view(config);
    const sku = this.#store().snapshotSku();
    for (const ws of this.#ctx.getWebSockets()) {
      const attachment = ws.deserializeAttachment() as Attachment | null;
      if (attachment !== null && samePublicView(attachment.last, view.availability)) continue;
      try {
        ws.send(JSON.stringify({ type: "update", sku, ...view.availability, updatedAt: view.updatedAt }));
        ws.serializeAttachment({ last: view.availability } satisfies Attachment);
      } catch {
        // The socket is closing; the runtime drops it.
      }
    }
  }

  #view(config: PublicViewConfig): { availability: PublicAvailability; updatedAt: string | null } {
    const { levels, updatedAt } = this.#store().publicLevels();
    return { availability: publicAvailability(levels, config), updatedAt: updatedAt === null ? null : new Date(updatedAt).toISOString() };
  }
}
