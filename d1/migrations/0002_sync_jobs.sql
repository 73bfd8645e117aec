CREATE TABLE `sync_job_chunks` (
	`job_id` text NOT NULL,
	`chunk_index` integer NOT NULL,
	`item_count` integer NOT NULL,
	`status` text NOT NULL,
	`applied` integer DEFAULT 0 NOT NULL,
	`unchanged` integer DEFAULT 0 NOT NULL,
	`conflicts` integer DEFAULT 0 NOT NULL,
	`errors` integer DEFAULT 0 NOT NULL,
	`enqueued_at` integer,
	`finished_at` integer,
	`error` text,
	PRIMARY KEY(`job_id`, `chunk_index`),
	FOREIGN KEY (`job_id`) REFERENCES `sync_jobs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `sync_job_errors` (
	`job_id` text NOT NULL,
	`item_index` integer NOT NULL,
	`row` integer,
	`sku` text,
	`location_id` text,
	`quantity` text,
	`code` text NOT NULL,
	`message` text NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`job_id`, `item_index`),
	FOREIGN KEY (`job_id`) REFERENCES `sync_jobs`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE `sync_jobs` (
	`id` text PRIMARY KEY NOT NULL,
	`vendor_id` text NOT NULL,
	`principal` text NOT NULL,
	`idempotency_key` text NOT NULL,
	`request_hash` text NOT NULL,
	`actor` text NOT NULL,
	`mode` text NOT NULL,
	`source` text NOT NULL,
	`status` text NOT NULL,
	`received` integer NOT NULL,
	`accepted` integer NOT NULL,
	`rejected` integer NOT NULL,
	`applied` integer DEFAULT 0 NOT NULL,
	`unchanged` integer DEFAULT 0 NOT NULL,
	`conflicts` integer DEFAULT 0 NOT NULL,
	`errors` integer DEFAULT 0 NOT NULL,
	`chunks_total` integer NOT NULL,
	`chunks_done` integer DEFAULT 0 NOT NULL,
	`created_at` integer NOT NULL,
	`started_at` integer,
	`completed_at` integer,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`vendor_id`) REFERENCES `vendors`(`id`) ON UPDATE no action ON DELETE no action,
	CONSTRAINT "sync_jobs_counts" CHECK("sync_jobs"."accepted" + "sync_jobs"."rejected" = "sync_jobs"."received" AND "sync_jobs"."chunks_done" <= "sync_jobs"."chunks_total")
);
--> statement-breakpoint
CREATE UNIQUE INDEX `sync_jobs_idempotency` ON `sync_jobs` (`principal`,`idempotency_key`);--> statement-breakpoint
CREATE INDEX `sync_jobs_vendor` ON `sync_jobs` (`vendor_id`,`created_at`);--> statement-breakpoint
CREATE TABLE `sync_reviews` (
	`id` text PRIMARY KEY NOT NULL,
	`job_id` text NOT NULL,
	`item_index` integer NOT NULL,
	`vendor_id` text NOT NULL,
	`sku` text NOT NULL,
	`location_id` text NOT NULL,
	`mode` text NOT NULL,
	`vendor_quantity` integer NOT NULL,
	`on_hand_at_review` integer NOT NULL,
	`proposed` integer NOT NULL,
	`reason` text NOT NULL,
	`status` text NOT NULL,
	`created_at` integer NOT NULL,
	`resolved_at` integer,
	`resolved_by` text
);
--> statement-breakpoint
CREATE INDEX `sync_reviews_status` ON `sync_reviews` (`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `sync_reviews_vendor` ON `sync_reviews` (`vendor_id`,`status`,`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `sync_reviews_location` ON `sync_reviews` (`sku`,`location_id`) WHERE status = 'open';--> statement-breakpoint
CREATE INDEX `sync_reviews_job` ON `sync_reviews` (`job_id`);