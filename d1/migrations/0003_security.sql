ALTER TABLE `api_keys` ADD `channel` text;--> statement-breakpoint
ALTER TABLE `webhook_deliveries` ADD `last_failure` text;