ALTER TABLE `api_keys` ADD `revoked_by` text;--> statement-breakpoint
ALTER TABLE `dead_letters` ADD `replayed_at` integer;--> statement-breakpoint
ALTER TABLE `dead_letters` ADD `replayed_by` text;--> statement-breakpoint
ALTER TABLE `dead_letters` ADD `replay_reopened` text;