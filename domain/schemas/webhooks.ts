/** Input schemas of the webhook management endpoints. */
import { z } from "zod";
import { SYNC_COMPLETED_EVENT_TYPE, SYNC_FAILED_EVENT_TYPE } from "../sync-jobs";
import { webhookUrlProblem, type WebhookTargetPolicy } from "../webhook-targets";
import { PURCHASE_ORDER_EVENT_TYPES, SUBSCRIBABLE_EVENT_TYPES } from "../webhooks";
import { DELIVERY_ID_PATTERN } from "../webhook-store";
import { VendorId } from "./common";
import { cursorParam } from "./cursor";

export const WEBHOOK_LIST_CURSOR = "wl1";

/** What a subscription may ask for: every inventory event, `sync.completed` (vendor sync jobs), `sync.failed` (a vendor's syncs failing in a row) and `purchase_order.*` (each state change of an order). */
export const WEBHOOK_EVENT_TYPES = [...SUBSCRIBABLE_EVENT_TYPES, SYNC_COMPLETED_EVENT_TYPE, SYNC_FAILED_EVENT_TYPE, ...PURCHASE_ORDER_EVENT_TYPES] as const;
export const DELIVERY_LIST_CURSOR = "wd1";

/** A webhook target URL under a deployment's rules (`domain/webhook-targets.ts`). */
const webhookUrl = (policy: WebhookTargetPolicy) =>
  z
    .string()
    .max(2048)
    .superRefine((url, ctx) => {
      const problem = webhookUrlProblem(url, policy);
      if (problem !== null) ctx.addIssue({ code: "custom", message: problem });
    });

const createWebhookBody = (policy: WebhookTargetPolicy) =>
  z.strictObject({
    url: webhookUrl(policy),
    eventTypes: z
      .array(z.enum(WEBHOOK_EVENT_TYPES))
      .min(1)
      .max(WEBHOOK_EVENT_TYPES.length)
      .refine((types) => new Set(types).size === types.length, "eventTypes must not repeat a type"),
    /** Operators only: the vendor whose SKUs' events this subscription receives (omit: every event). */
    vendorId: VendorId.optional(),
    description: z.string().trim().min(1).max(200).optional(),
  });

/** `POST /api/v2/webhooks` under each deployment's rules; `CreateWebhookBody` (production's) is the documented one. */
export const CREATE_WEBHOOK_BODY = { production: createWebhookBody("production"), development: createWebhookBody("development") } as const;
export const CreateWebhookBody = CREATE_WEBHOOK_BODY.production;
export type CreateWebhookBody = z.infer<typeof CreateWebhookBody>;

/** `wh_` + 24 lowercase hex. */
export const WebhookId = z.string().regex(/^wh_[0-9a-f]{24}$/, "not a webhook subscription id");

export const WebhookListQuery = z.strictObject({
  cursor: cursorParam(WEBHOOK_LIST_CURSOR, z.tuple([WebhookId])).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  /** Operators: only this vendor's subscriptions. */
  vendorId: VendorId.optional(),
});

export const DeliveryListQuery = z.strictObject({
  cursor: cursorParam(DELIVERY_LIST_CURSOR, z.tuple([z.number().int().nonnegative(), z.string().regex(DELIVERY_ID_PATTERN)])).optional(),
  limit: z.coerce.number().int().min(1).max(500).default(100),
  status: z.enum(["pending", "delivered", "failed"]).optional(),
});
