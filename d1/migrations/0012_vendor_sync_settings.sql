CREATE TABLE `vendor_sync_health` (
	`vendor_id` text NOT NULL,
	`method` text NOT NULL,
	`monitored_since` integer NOT NULL,
	`last_attempt_at` integer,
	`last_success_at` integer,
	`last_failure_at` integer,
	`consecutive_failures` integer DEFAULT 0 NOT NULL,
	`failing_since` integer,
	`last_error` text,
	`alerted` integer DEFAULT false NOT NULL,
	`alert_event_id` text,
	`last_job_id` text,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	PRIMARY KEY(`vendor_id`, `method`),
	FOREIGN KEY (`vendor_id`) REFERENCES `vendors`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `vendor_sync_settings` (
	`vendor_id` text PRIMARY KEY NOT NULL,
	`settings` text NOT NULL,
	`enabled` integer NOT NULL,
	`method` text NOT NULL,
	`interval_minutes` integer NOT NULL,
	`pull_auth_header` text,
	`pull_auth_secret` text,
	`pull_auth_hint` text,
	`next_pull_at` integer,
	`pull_lease_until` integer,
	`last_pull_at` integer,
	`last_pull_outcome` text,
	`last_pull_error` text,
	`last_pull_status` integer,
	`pull_etag` text,
	`pull_last_modified` text,
	`pull_content_hash` text,
	`pull_job_id` text,
	`version` integer DEFAULT 1 NOT NULL,
	`updated_by` text NOT NULL,
	`created_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	`updated_at` integer DEFAULT (unixepoch('subsec') * 1000) NOT NULL,
	FOREIGN KEY (`vendor_id`) REFERENCES `vendors`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `vendor_sync_settings_due` ON `vendor_sync_settings` (`next_pull_at`) WHERE "vendor_sync_settings"."next_pull_at" IS NOT NULL;