CREATE TABLE `reorder_run_chunks` (
	`origin` text NOT NULL,
	`seq` integer NOT NULL,
	`planned_at` integer NOT NULL,
	PRIMARY KEY(`origin`, `seq`)
);
--> statement-breakpoint
CREATE TABLE `vendor_planning` (
	`vendor_id` text PRIMARY KEY NOT NULL,
	`auto_submit_purchase_orders` integer DEFAULT false NOT NULL,
	`updated_by` text NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`vendor_id`) REFERENCES `vendors`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
ALTER TABLE `reorder_runs` ADD `planned_chunks` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `reorder_runs` ADD `last_planned_at` integer;--> statement-breakpoint
ALTER TABLE `reorder_runs` ADD `draft_status` text;--> statement-breakpoint
ALTER TABLE `reorder_runs` ADD `draft_cursor` text;--> statement-breakpoint
ALTER TABLE `reorder_runs` ADD `drafts` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `sku_planning` ADD `overstock_no_sale_days` integer;--> statement-breakpoint
ALTER TABLE `sku_planning` ADD `slow_moving_no_sale_days` integer;--> statement-breakpoint
CREATE INDEX `reorder_suggestions_claims` ON `reorder_suggestions` (`vendor_id`,`location_id`,`closed_by`) WHERE status = 'accepted' AND closed_by LIKE 'draft:%';--> statement-breakpoint
-- Runs finished before this migration have nothing left to draft (their suggestions were drafted by hand, if at all).
UPDATE `reorder_runs` SET `draft_status` = 'done' WHERE `status` = 'done';
