ALTER TABLE `sync_job_chunks` ADD `payload` text;--> statement-breakpoint
ALTER TABLE `sync_job_chunks` ADD `sends` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `sync_job_chunks_queued_sent` ON `sync_job_chunks` (`enqueued_at`) WHERE "sync_job_chunks"."status" = 'queued';