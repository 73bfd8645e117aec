CREATE TABLE `transfer_lines` (
	`transfer_id` text NOT NULL,
	`line_no` integer NOT NULL,
	`sku` text NOT NULL,
	`quantity` integer NOT NULL,
	`received` integer DEFAULT 0 NOT NULL,
	`damaged` integer DEFAULT 0 NOT NULL,
	`short` integer DEFAULT 0 NOT NULL,
	`returned` integer DEFAULT 0 NOT NULL,
	`status` text DEFAULT 'pending' NOT NULL,
	PRIMARY KEY(`transfer_id`, `line_no`),
	FOREIGN KEY (`transfer_id`) REFERENCES `transfers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `transfer_lines_sku` ON `transfer_lines` (`sku`);--> statement-breakpoint
CREATE TABLE `transfers` (
	`id` text PRIMARY KEY NOT NULL,
	`status` text NOT NULL,
	`from_location_id` text NOT NULL,
	`to_location_id` text NOT NULL,
	`expected_at` integer,
	`reference` text,
	`principal` text NOT NULL,
	`idempotency_key` text NOT NULL,
	`request_hash` text NOT NULL,
	`created_by` text NOT NULL,
	`failure_json` text,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `transfers_idempotency` ON `transfers` (`principal`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `transfers_status` ON `transfers` (`status`,`id`);--> statement-breakpoint
CREATE INDEX `transfers_creating` ON `transfers` (`updated_at`) WHERE "transfers"."status" = 'creating';