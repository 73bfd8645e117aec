-- Webhook deliveries move to the read databases (issue 19): a delivery is written in the read
-- database of the vendor its event is about, and its subscription stays in `DB`, so the table
-- loses its foreign key to `webhook_subscriptions` (rebuilt; nothing references it). Rows made
-- before this (ids `whd_<hex>`) stay where they are: in `DB` they are read, sent and swept as
-- before until retention deletes them. No PRAGMA foreign_keys here: D1 runs a migration in a
-- transaction, where that pragma does nothing, and no other table points at this one.
CREATE TABLE `__new_webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`subscription_id` text NOT NULL,
	`event_id` text NOT NULL,
	`event_type` text NOT NULL,
	`sku` text,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_status_code` integer,
	`last_error` text,
	`last_failure` text,
	`enqueued_at` integer,
	`payload` text,
	`sends` integer DEFAULT 0 NOT NULL,
	`last_attempt_at` integer,
	`delivered_at` integer,
	`failed_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_webhook_deliveries`("id", "subscription_id", "event_id", "event_type", "sku", "status", "attempts", "last_status_code", "last_error", "last_failure", "enqueued_at", "payload", "sends", "last_attempt_at", "delivered_at", "failed_at", "created_at", "updated_at") SELECT "id", "subscription_id", "event_id", "event_type", "sku", "status", "attempts", "last_status_code", "last_error", "last_failure", "enqueued_at", "payload", "sends", "last_attempt_at", "delivered_at", "failed_at", "created_at", "updated_at" FROM `webhook_deliveries`;--> statement-breakpoint
DROP TABLE `webhook_deliveries`;--> statement-breakpoint
ALTER TABLE `__new_webhook_deliveries` RENAME TO `webhook_deliveries`;--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_deliveries_once` ON `webhook_deliveries` (`subscription_id`,`event_id`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_log` ON `webhook_deliveries` (`subscription_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_event` ON `webhook_deliveries` (`event_id`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_pending` ON `webhook_deliveries` (`updated_at`) WHERE "webhook_deliveries"."status" = 'pending';--> statement-breakpoint
CREATE INDEX `webhook_deliveries_finished` ON `webhook_deliveries` (`created_at`) WHERE "webhook_deliveries"."status" <> 'pending';