ALTER TABLE `sync_job_chunks` ADD `event_ids` text;--> statement-breakpoint
ALTER TABLE `sync_job_chunks` ADD `events_check_at` integer;--> statement-breakpoint
ALTER TABLE `sync_job_chunks` ADD `event_checks` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `sync_job_chunks_events_check` ON `sync_job_chunks` (`events_check_at`) WHERE "sync_job_chunks"."events_check_at" IS NOT NULL;