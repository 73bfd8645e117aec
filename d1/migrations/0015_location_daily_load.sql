CREATE TABLE `location_daily_load` (
	`location_id` text NOT NULL,
	`day` text NOT NULL,
	`units` integer NOT NULL,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`day`, `location_id`)
);
