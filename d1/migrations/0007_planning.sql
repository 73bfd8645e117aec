CREATE TABLE `forecasts` (
	`sku` text PRIMARY KEY NOT NULL,
	`vendor_id` text NOT NULL,
	`origin` text NOT NULL,
	`method` text NOT NULL,
	`reason` text NOT NULL,
	`demand_class` text NOT NULL,
	`model` text NOT NULL,
	`horizons` text NOT NULL,
	`fitted_at` integer NOT NULL,
	`accuracy_forecast` real,
	`accuracy_actual` real,
	`stock_position` integer,
	`stockout_day` text,
	`days_until_stockout` integer,
	`plan` text,
	`planned_at` integer
);
--> statement-breakpoint
CREATE INDEX `forecasts_vendor` ON `forecasts` (`vendor_id`,`sku`);--> statement-breakpoint
CREATE INDEX `forecasts_origin` ON `forecasts` (`origin`);--> statement-breakpoint
CREATE TABLE `reorder_runs` (
	`origin` text PRIMARY KEY NOT NULL,
	`cursor` text DEFAULT '' NOT NULL,
	`status` text NOT NULL,
	`chunks` integer DEFAULT 0 NOT NULL,
	`skus` integer DEFAULT 0 NOT NULL,
	`started_at` integer NOT NULL,
	`finished_at` integer
);
--> statement-breakpoint
CREATE TABLE `reorder_suggestions` (
	`id` text PRIMARY KEY NOT NULL,
	`sku` text NOT NULL,
	`vendor_id` text NOT NULL,
	`location_id` text,
	`status` text NOT NULL,
	`urgency` text NOT NULL,
	`quantity` integer NOT NULL,
	`stock_position` integer NOT NULL,
	`reorder_point` real NOT NULL,
	`safety_stock` real NOT NULL,
	`economic_order_quantity` real NOT NULL,
	`stockout_day` text,
	`days_until_stockout` integer,
	`origin` text NOT NULL,
	`unit_cost` real,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`closed_at` integer,
	`closed_by` text
);
--> statement-breakpoint
CREATE UNIQUE INDEX `reorder_suggestions_one_open` ON `reorder_suggestions` (`sku`) WHERE status = 'open';--> statement-breakpoint
CREATE INDEX `reorder_suggestions_list` ON `reorder_suggestions` (`status`,`vendor_id`,`location_id`,`id`);--> statement-breakpoint
CREATE INDEX `reorder_suggestions_sku` ON `reorder_suggestions` (`sku`,`created_at`);--> statement-breakpoint
CREATE TABLE `sku_planning` (
	`sku` text PRIMARY KEY NOT NULL,
	`category` text,
	`unit_cost` real,
	`unit_price` real,
	`service_level` real,
	`lead_time_days` real,
	`lead_time_sd_days` real,
	`minimum_order_quantity` integer,
	`pack_size` integer,
	`max_stock` integer,
	`ordering_cost` real,
	`holding_rate` real,
	`updated_at` integer NOT NULL,
	CONSTRAINT "sku_planning_service_level" CHECK("sku_planning"."service_level" IS NULL OR ("sku_planning"."service_level" > 0 AND "sku_planning"."service_level" < 1)),
	CONSTRAINT "sku_planning_positive" CHECK(coalesce("sku_planning"."unit_cost", 0) >= 0 AND coalesce("sku_planning"."unit_price", 0) >= 0 AND coalesce("sku_planning"."pack_size", 1) >= 1)
);
--> statement-breakpoint
ALTER TABLE `alerts` ADD `acknowledged_at` integer;--> statement-breakpoint
ALTER TABLE `alerts` ADD `acknowledged_by` text;--> statement-breakpoint
ALTER TABLE `alerts` ADD `snoozed_until` integer;