CREATE TABLE `purchase_order_lines` (
	`purchase_order_id` text NOT NULL,
	`line_no` integer NOT NULL,
	`sku` text NOT NULL,
	`quantity` integer NOT NULL,
	`received` integer DEFAULT 0 NOT NULL,
	`damaged` integer DEFAULT 0 NOT NULL,
	`short` integer DEFAULT 0 NOT NULL,
	`status` text DEFAULT 'open' NOT NULL,
	PRIMARY KEY(`purchase_order_id`, `line_no`),
	FOREIGN KEY (`purchase_order_id`) REFERENCES `purchase_orders`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `purchase_order_lines_sku` ON `purchase_order_lines` (`sku`);--> statement-breakpoint
CREATE TABLE `purchase_orders` (
	`id` text PRIMARY KEY NOT NULL,
	`vendor_id` text NOT NULL,
	`location_id` text NOT NULL,
	`status` text NOT NULL,
	`expected_at` integer,
	`reference` text,
	`principal` text NOT NULL,
	`idempotency_key` text NOT NULL,
	`request_hash` text NOT NULL,
	`created_by` text NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `purchase_orders_idempotency` ON `purchase_orders` (`principal`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `purchase_orders_vendor` ON `purchase_orders` (`vendor_id`,`id`);--> statement-breakpoint
CREATE INDEX `purchase_orders_status` ON `purchase_orders` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `purchase_orders_shipping` ON `purchase_orders` (`updated_at`) WHERE "purchase_orders"."status" = 'shipping';