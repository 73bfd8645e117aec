/**
 * `/api/v2/transfers`: transfer documents between two locations (operators). Create (or
 * draft, then ship),
 * receive (in full or in part; damaged and short reported), cancel, list and detail. The
 * counts move in the SKU objects (services/transfers.ts).
 */
import { invalidateAvailability } from "../availability/availability-cache";
import { ApiError } from "../../services/api-error";
import { RouteGroup } from "../http/route-table";
import { CancelTransferBody, CreateTransferBody, ReceiveTransferBody, TransferId, TransferListQuery } from "../../domain/schemas/inbound";
import { listTransfers, findTransfer } from "../../repositories/transfers";
import { cancelTransfer, createTransfer, receiveTransfer, shipTransfer, transferView } from "../../services/transfers";
import { BODY_LIMITS } from "./limits";

export const transfers = new RouteGroup("transfers", ["operator"]);

const params = { id: TransferId };

transfers.route(
  {
    method: "post",
    path: "/",
    summary: "Transfer SKUs between two locations: units leave the origin's sellable stock and are in transit to the destination, every line or none",
    scopes: ["operator"],
    body: CreateTransferBody,
    maxBytes: BODY_LIMITS.reserve,
    idempotency: "required",
    success: { status: 201, description: "the transfer document (200 on a replay)" },
    errors: [400, 401, 403, 409, 413, 415, 422, 503],
  },
  async (c, input) => {
    const key = input.idempotencyKey();
    const body = await input.body();
    const { doc, replayed } = await createTransfer(c.env, c.get("principal"), body, key);
    if (replayed) c.header("Idempotent-Replayed", "true");
    else
      await invalidateAvailability(
        new URL(c.req.url).origin,
        doc.lines.map((l) => l.sku),
      );
    return c.json(transferView(doc), replayed ? 200 : 201);
  },
);

transfers.route(
  {
    method: "get",
    path: "/",
    reads: "replica",
    summary: "Transfer documents by id, optionally of one status",
    scopes: ["operator"],
    query: TransferListQuery,
    success: { status: 200, description: "{items, nextCursor}" },
    errors: [400, 401, 403],
  },
  async (c, input) => {
    const query = input.query();
    const items = await listTransfers(c.env.DB, query.status, query.cursor, query.limit);
    c.header("Cache-Control", "private, no-store");
    return c.json({ items: items.map(transferView), nextCursor: items.length === query.limit ? items[items.length - 1]!.id : null });
  },
);

transfers.route(
  {
    method: "get",
    path: "/:id",
    summary: "A transfer document and its lines",
    scopes: ["operator"],
    params,
    success: { status: 200, description: "the transfer document" },
    errors: [400, 401, 403, 404],
  },
  async (c, input) => {
    const id = input.param("id");
    const doc = await findTransfer(c.env.DB, id);
    if (doc === null) throw new ApiError(404, "transfer_not_found", `no transfer ${id}`);
    c.header("Cache-Control", "private, no-store");
    return c.json(transferView(doc));
  },
);

transfers.route(
  {
    method: "post",
    path: "/:id/ship",
    summary: "Ship a draft transfer: every line leaves the origin and is in transit, or none (as a create)",
    scopes: ["operator"],
    params,
    idempotency: "optional",
    success: { status: 200, description: "the transfer document" },
    errors: [400, 401, 403, 404, 409, 503],
  },
  async (c, input) => {
    const id = input.param("id");
    input.idempotencyKey();
    const doc = await shipTransfer(c.env, c.get("principal"), id);
    await invalidateAvailability(
      new URL(c.req.url).origin,
      doc.lines.map((l) => l.sku),
    );
    return c.json(transferView(doc));
  },
);

transfers.route(
  {
    method: "post",
    path: "/:id/receive",
    summary: "Receive part or all of some lines (good, damaged, short); arriving units cover backorders at the destination first",
    scopes: ["operator"],
    params,
    body: ReceiveTransferBody,
    maxBytes: BODY_LIMITS.reserve,
    idempotency: "required",
    success: { status: 200, description: "the transfer document" },
    errors: [400, 401, 403, 404, 409, 413, 415, 422, 503],
  },
  async (c, input) => {
    const id = input.param("id");
    const key = input.idempotencyKey();
    const body = await input.body();
    const doc = await receiveTransfer(c.env, c.get("principal"), id, body, key);
    await invalidateAvailability(
      new URL(c.req.url).origin,
      body.lines.map((l) => l.sku),
    );
    return c.json(transferView(doc));
  },
);

transfers.route(
  {
    method: "post",
    path: "/:id/cancel",
    summary: "Cancel what is outstanding: the units go back to the origin",
    scopes: ["operator"],
    params,
    body: CancelTransferBody,
    maxBytes: BODY_LIMITS.action,
    idempotency: "optional",
    success: { status: 200, description: "the transfer document" },
    errors: [400, 401, 403, 404, 409, 413, 415, 503],
  },
  async (c, input) => {
    const id = input.param("id");
    input.idempotencyKey();
    const body = await input.body();
    const doc = await cancelTransfer(c.env, c.get("principal"), id, body.reason);
    await invalidateAvailability(
      new URL(c.req.url).origin,
      doc.lines.map((l) => l.sku),
    );
    return c.json(transferView(doc));
  },
);
