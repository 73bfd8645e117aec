-- Issue 19 item 3: master data partitioned like the read model. A SKU's `skus` row (with its
-- `sku_master_push` row) lives in its vendor's read database; `DB` keeps `sku_directory`
-- (SKU → vendor: global uniqueness and the way to the vendor's database) and `products`.
-- Every database gets every migration, so each has all these tables; only their rows differ.
-- Hand-edited from drizzle-kit's output: its `PRAGMA foreign_keys` lines have no effect in D1's
-- migration transaction; `defer_foreign_keys` lets `skus` be rebuilt while `sku_master_push`
-- references it (checked at commit, when the rebuilt table has the same rows). The rebuild drops
-- the triggers on `skus` (0010, 0018): they are created again, unchanged. The CHECK constraints
-- are written unqualified (drizzle-kit qualifies them with the temporary table's name).
PRAGMA defer_foreign_keys = on;--> statement-breakpoint
CREATE TABLE `sku_directory` (
	`sku` text PRIMARY KEY NOT NULL,
	`vendor_id` text NOT NULL,
	FOREIGN KEY (`vendor_id`) REFERENCES `vendors`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
-- The SKUs this database already has (a database from before the split: `DB`).
INSERT INTO `sku_directory` (`sku`, `vendor_id`) SELECT `sku`, `vendor_id` FROM `skus`;--> statement-breakpoint
CREATE TABLE `__new_sku_shards` (
	`sku` text PRIMARY KEY NOT NULL,
	`shards` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`sku`) REFERENCES `sku_directory`(`sku`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
INSERT INTO `__new_sku_shards`("sku", "shards", "updated_at") SELECT "sku", "shards", "updated_at" FROM `sku_shards`;--> statement-breakpoint
DROP TABLE `sku_shards`;--> statement-breakpoint
ALTER TABLE `__new_sku_shards` RENAME TO `sku_shards`;--> statement-breakpoint
CREATE TABLE `__new_skus` (
	`sku` text PRIMARY KEY NOT NULL,
	`product_id` text NOT NULL,
	`vendor_id` text NOT NULL,
	`name` text NOT NULL,
	`status` text DEFAULT 'active' NOT NULL,
	`reorder_point` integer DEFAULT 0 NOT NULL,
	`safety_stock` integer DEFAULT 0 NOT NULL,
	`max_stock` integer,
	`lead_time_days` integer DEFAULT 7 NOT NULL,
	`allow_backorder` integer DEFAULT false NOT NULL,
	`soft_buffer_pct` integer DEFAULT 10 NOT NULL,
	`perishable` integer DEFAULT false NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	CONSTRAINT "skus_thresholds" CHECK("reorder_point" >= 0 AND "safety_stock" >= 0 AND "lead_time_days" >= 0),
	CONSTRAINT "skus_buffer" CHECK("soft_buffer_pct" BETWEEN 0 AND 100)
);
--> statement-breakpoint
INSERT INTO `__new_skus`("sku", "product_id", "vendor_id", "name", "status", "reorder_point", "safety_stock", "max_stock", "lead_time_days", "allow_backorder", "soft_buffer_pct", "perishable", "created_at", "updated_at") SELECT "sku", "product_id", "vendor_id", "name", "status", "reorder_point", "safety_stock", "max_stock", "lead_time_days", "allow_backorder", "soft_buffer_pct", "perishable", "created_at", "updated_at" FROM `skus`;--> statement-breakpoint
DROP TABLE `skus`;--> statement-breakpoint
ALTER TABLE `__new_skus` RENAME TO `skus`;--> statement-breakpoint
CREATE INDEX `skus_vendor` ON `skus` (`vendor_id`,`sku`);--> statement-breakpoint
CREATE INDEX `skus_product` ON `skus` (`product_id`);--> statement-breakpoint
CREATE TRIGGER `skus_master_created` AFTER INSERT ON `skus` BEGIN
	INSERT INTO `sku_master_push` (`sku`, `version`, `acked_version`)
		SELECT NEW.`sku`, 1, 0 WHERE NOT EXISTS (SELECT 1 FROM `sku_master_push` WHERE `sku` = NEW.`sku`);
END;
--> statement-breakpoint
CREATE TRIGGER `skus_master_changed` AFTER UPDATE OF `vendor_id`, `status`, `allow_backorder`, `soft_buffer_pct`, `reorder_point`, `lead_time_days` ON `skus`
WHEN OLD.`vendor_id` IS NOT NEW.`vendor_id` OR OLD.`status` IS NOT NEW.`status` OR OLD.`allow_backorder` IS NOT NEW.`allow_backorder`
	OR OLD.`soft_buffer_pct` IS NOT NEW.`soft_buffer_pct` OR OLD.`reorder_point` IS NOT NEW.`reorder_point` OR OLD.`lead_time_days` IS NOT NEW.`lead_time_days`
BEGIN
	INSERT INTO `sku_master_push` (`sku`, `version`, `acked_version`)
		SELECT NEW.`sku`, 0, 0 WHERE NOT EXISTS (SELECT 1 FROM `sku_master_push` WHERE `sku` = NEW.`sku`);
	UPDATE `sku_master_push` SET `version` = `version` + 1 WHERE `sku` = NEW.`sku`;
END;
--> statement-breakpoint
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
