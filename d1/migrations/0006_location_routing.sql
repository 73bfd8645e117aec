ALTER TABLE `locations` ADD `shipping_base` integer DEFAULT 450 NOT NULL;--> statement-breakpoint
ALTER TABLE `locations` ADD `shipping_per_km` real DEFAULT 0.5 NOT NULL;--> statement-breakpoint
ALTER TABLE `locations` ADD `shipping_per_unit` integer DEFAULT 50 NOT NULL;--> statement-breakpoint
ALTER TABLE `locations` ADD `handling_hours` real DEFAULT 4 NOT NULL;--> statement-breakpoint
ALTER TABLE `locations` ADD `cutoff_hour` real DEFAULT 17 NOT NULL;--> statement-breakpoint
ALTER TABLE `locations` ADD `utc_offset_minutes` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `locations` ADD `daily_capacity` integer DEFAULT 10000 NOT NULL;--> statement-breakpoint
ALTER TABLE `locations` ADD `current_load` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `locations` ADD `on_time_rate` real DEFAULT 0.95 NOT NULL;--> statement-breakpoint
ALTER TABLE `locations` ADD `accuracy_rate` real DEFAULT 0.99 NOT NULL;