CREATE TABLE `sku_master_push` (
	`sku` text PRIMARY KEY NOT NULL,
	`version` integer DEFAULT 1 NOT NULL,
	`acked_version` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`sku`) REFERENCES `skus`(`sku`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `sku_master_push_behind` ON `sku_master_push` (`sku`) WHERE "sku_master_push"."acked_version" < "sku_master_push"."version";--> statement-breakpoint
-- Hand-written (drizzle-kit does not generate triggers): the version of a SKU's master facts
-- rises with every write that changes them, whichever code path writes `skus`. (No OR IGNORE
-- here: an outer statement's conflict clause, e.g. the upsert's, overrides a trigger's.)
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
-- SKUs that exist before this migration: their objects fill their facts from D1 once, on
-- first use (sku-inventory/master.ts), so the sweep does not push 50M rows at the upgrade.
INSERT OR IGNORE INTO `sku_master_push` (`sku`, `version`, `acked_version`) SELECT `sku`, 1, 1 FROM `skus`;
