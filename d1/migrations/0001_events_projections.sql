CREATE TABLE `alert_cursors` (
	`sku` text PRIMARY KEY NOT NULL,
	`last_sequence` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `alerts` (
	`id` text PRIMARY KEY NOT NULL,
	`sku` text NOT NULL,
	`location_id` text,
	`kind` text NOT NULL,
	`status` text NOT NULL,
	`available` integer NOT NULL,
	`reorder_point` integer NOT NULL,
	`occurrences` integer DEFAULT 1 NOT NULL,
	`opened_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`resolved_at` integer,
	`resolution` text,
	`opened_event_id` text NOT NULL,
	`last_event_id` text NOT NULL,
	`resolved_event_id` text,
	`last_sequence` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `alerts_one_open` ON `alerts` (`sku`,`kind`) WHERE status = 'open';--> statement-breakpoint
CREATE INDEX `alerts_status` ON `alerts` (`status`,`opened_at`);--> statement-breakpoint
CREATE INDEX `alerts_sku` ON `alerts` (`sku`,`opened_at`);--> statement-breakpoint
CREATE TABLE `daily_sales` (
	`sku` text NOT NULL,
	`location_id` text NOT NULL,
	`day` text NOT NULL,
	`units` integer NOT NULL,
	`fulfilments` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`sku`, `location_id`, `day`)
);
--> statement-breakpoint
CREATE INDEX `daily_sales_day` ON `daily_sales` (`day`);--> statement-breakpoint
CREATE TABLE `dead_letters` (
	`queue` text NOT NULL,
	`message_id` text NOT NULL,
	`dead_letter_queue` text NOT NULL,
	`body` text NOT NULL,
	`error` text,
	`attempts` integer,
	`failed_at` integer,
	`received_at` integer,
	PRIMARY KEY(`queue`, `message_id`)
);
--> statement-breakpoint
CREATE INDEX `dead_letters_received` ON `dead_letters` (`received_at`);--> statement-breakpoint
CREATE TABLE `inventory_levels` (
	`sku` text NOT NULL,
	`location_id` text NOT NULL,
	`on_hand` integer NOT NULL,
	`reserved` integer NOT NULL,
	`soft_held` integer NOT NULL,
	`committed` integer NOT NULL,
	`in_transit` integer NOT NULL,
	`damaged` integer NOT NULL,
	`on_hold` integer NOT NULL,
	`available` integer NOT NULL,
	`status` text NOT NULL,
	`last_sequence` integer NOT NULL,
	`last_event_id` text NOT NULL,
	`updated_at` integer NOT NULL,
	`projected_at` integer NOT NULL,
	PRIMARY KEY(`sku`, `location_id`)
);
--> statement-breakpoint
CREATE INDEX `inventory_levels_location` ON `inventory_levels` (`location_id`,`sku`);--> statement-breakpoint
CREATE INDEX `inventory_levels_status` ON `inventory_levels` (`status`,`sku`,`location_id`);--> statement-breakpoint
CREATE INDEX `inventory_levels_updated` ON `inventory_levels` (`updated_at`);--> statement-breakpoint
CREATE TABLE `processed_events` (
	`event_id` text PRIMARY KEY NOT NULL,
	`type` text NOT NULL,
	`sku` text NOT NULL,
	`sequence` integer NOT NULL,
	`processed_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `processed_events_age` ON `processed_events` (`processed_at`);--> statement-breakpoint
CREATE TABLE `webhook_deliveries` (
	`id` text PRIMARY KEY NOT NULL,
	`subscription_id` text NOT NULL,
	`event_id` text NOT NULL,
	`event_type` text NOT NULL,
	`sku` text,
	`status` text NOT NULL,
	`attempts` integer DEFAULT 0 NOT NULL,
	`last_status_code` integer,
	`last_error` text,
	`enqueued_at` integer,
	`last_attempt_at` integer,
	`delivered_at` integer,
	`failed_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`subscription_id`) REFERENCES `webhook_subscriptions`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `webhook_deliveries_once` ON `webhook_deliveries` (`subscription_id`,`event_id`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_log` ON `webhook_deliveries` (`subscription_id`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `webhook_deliveries_event` ON `webhook_deliveries` (`event_id`);--> statement-breakpoint
CREATE TABLE `webhook_subscriptions` (
	`id` text PRIMARY KEY NOT NULL,
	`vendor_id` text,
	`url` text NOT NULL,
	`description` text,
	`event_types` text NOT NULL,
	`secret` text NOT NULL,
	`secret_rotated_at` integer,
	`consecutive_failures` integer DEFAULT 0 NOT NULL,
	`disabled_at` integer,
	`disabled_reason` text,
	`deleted_at` integer,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`vendor_id`) REFERENCES `vendors`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `webhook_subscriptions_vendor` ON `webhook_subscriptions` (`vendor_id`,`id`);