CREATE TABLE `read_moves` (
	`id` text PRIMARY KEY NOT NULL,
	`vendor_id` text NOT NULL,
	`from_partition` integer NOT NULL,
	`to_partition` integer NOT NULL,
	`state` text NOT NULL,
	`cursor` text,
	`rows_copied` integer DEFAULT 0 NOT NULL,
	`rows_deleted` integer DEFAULT 0 NOT NULL,
	`requested_by` text NOT NULL,
	`state_at` integer NOT NULL,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `read_moves_open_vendor` ON `read_moves` (`vendor_id`) WHERE "read_moves"."state" <> 'done';--> statement-breakpoint
CREATE INDEX `read_moves_vendor` ON `read_moves` (`vendor_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `read_sku_facts` (
	`sku` text PRIMARY KEY NOT NULL,
	`vendor_id` text NOT NULL,
	`product_id` text NOT NULL,
	`name` text NOT NULL,
	`status` text NOT NULL,
	`reorder_point` integer NOT NULL,
	`safety_stock` integer NOT NULL,
	`lead_time_days` integer NOT NULL,
	`allow_backorder` integer NOT NULL,
	`version` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `read_sku_facts_vendor` ON `read_sku_facts` (`vendor_id`,`sku`);--> statement-breakpoint
ALTER TABLE `sku_master_push` ADD `read_acked_version` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `sku_master_push_read_behind` ON `sku_master_push` (`sku`) WHERE "sku_master_push"."read_acked_version" < "sku_master_push"."version";--> statement-breakpoint
ALTER TABLE `vendors` ADD `read_partition` integer;--> statement-breakpoint
-- Hand-written below the generated part (drizzle-kit does not model triggers): the read
-- model's copy of a SKU's facts (read_sku_facts) also shows its name, product and safety
-- stock, so a change of those raises the push version too (0010's trigger covers the rest).
CREATE TRIGGER `skus_read_facts_changed` AFTER UPDATE OF `name`, `product_id`, `safety_stock` ON `skus`
WHEN (OLD.`name` IS NOT NEW.`name` OR OLD.`product_id` IS NOT NEW.`product_id` OR OLD.`safety_stock` IS NOT NEW.`safety_stock`)
	-- Not when 0010's trigger fires for the same update (one raise per write).
	AND NOT (OLD.`vendor_id` IS NOT NEW.`vendor_id` OR OLD.`status` IS NOT NEW.`status` OR OLD.`allow_backorder` IS NOT NEW.`allow_backorder`
		OR OLD.`soft_buffer_pct` IS NOT NEW.`soft_buffer_pct` OR OLD.`reorder_point` IS NOT NEW.`reorder_point` OR OLD.`lead_time_days` IS NOT NEW.`lead_time_days`)
BEGIN
	INSERT INTO `sku_master_push` (`sku`, `version`, `acked_version`)
		SELECT NEW.`sku`, 0, 0 WHERE NOT EXISTS (SELECT 1 FROM `sku_master_push` WHERE `sku` = NEW.`sku`);
	UPDATE `sku_master_push` SET `version` = `version` + 1 WHERE `sku` = NEW.`sku`;
END;
