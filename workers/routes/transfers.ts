/**
 * `/api/v2/transfers`: transfer documents between two locations (operators). Create (or
 * draft, then ship),
 * receive (in full or in part; damaged and short reported), cancel, list and detail. The
 * counts move in the SKU objects (services/transfers.ts).
 */
import { Hono } from "hono";
import type { AppEnv } from "../app-env";
import { authenticate } from "../auth/authenticate";
import { invalidateAvailability } from "../availability/availability-cache";
import { ApiError } from "../../services/api-error";
import { readJson, readParam, readQuery } from "../http/read-input";
import { CancelTransferBody, CreateTransferBody, ReceiveTransferBody, TransferId, TransferListQuery } from "../../domain/schemas/inbound";
import { listTransfers, findTransfer } from "../../repositories/transfers";
import { cancelTransfer, createTransfer, receiveTransfer, shipTransfer, transferView } from "../../services/transfers";
import { idempotencyKeyOf } from "./idempotency";
import { BODY_LIMITS } from "./limits";

export const transfers = new Hono<AppEnv>();

transfers.use("*", authenticate("operator"));

transfers.post("/", async (c) => {
  const key = idempotencyKeyOf(c, true);
  const body = await readJson(c, CreateTransferBody, BODY_LIMITS.reserve);
  const { doc, replayed } = await createTransfer(c.env, c.get("principal"), body, key);
  if (replayed) c.header("Idempotent-Replayed", "true");
  else
    await invalidateAvailability(
      new URL(c.req.url).origin,
      doc.lines.map((l) => l.sku),
    );
  return c.json(transferView(doc), replayed ? 200 : 201);
});

transfers.get("/", async (c) => {
  const query = readQuery(c, TransferListQuery);
  const items = await listTransfers(c.env.DB, query.status, query.cursor, query.limit);
  c.header("Cache-Control", "private, no-store");
  return c.json({ items: items.map(transferView), nextCursor: items.length === query.limit ? items[items.length - 1]!.id : null });
});

transfers.get("/:id", async (c) => {
  const id = readParam(c, "id", TransferId);
  const doc = await findTransfer(c.env.DB, id);
  if (doc === null) throw new ApiError(404, "transfer_not_found", `no transfer ${id}`);
  c.header("Cache-Control", "private, no-store");
  return c.json(transferView(doc));
});

transfers.post("/:id/ship", async (c) => {
  const id = readParam(c, "id", TransferId);
  idempotencyKeyOf(c, false);
  const doc = await shipTransfer(c.env, c.get("principal"), id);
  await invalidateAvailability(
    new URL(c.req.url).origin,
    doc.lines.map((l) => l.sku),
  );
  return c.json(transferView(doc));
});

transfers.post("/:id/receive", async (c) => {
  const id = readParam(c, "id", TransferId);
  const key = idempotencyKeyOf(c, true);
  const body = await readJson(c, ReceiveTransferBody, BODY_LIMITS.reserve);
  const doc = await receiveTransfer(c.env, c.get("principal"), id, body, key);
  await invalidateAvailability(
    new URL(c.req.url).origin,
    body.lines.map((l) => l.sku),
  );
  return c.json(transferView(doc));
});

transfers.post("/:id/cancel", async (c) => {
  const id = readParam(c, "id", TransferId);
  idempotencyKeyOf(c, false);
  const body = await readJson(c, CancelTransferBody, BODY_LIMITS.action);
  const doc = await cancelTransfer(c.env, c.get("principal"), id, body.reason);
  await invalidateAvailability(
    new URL(c.req.url).origin,
    doc.lines.map((l) => l.sku),
  );
  return c.json(transferView(doc));
});
