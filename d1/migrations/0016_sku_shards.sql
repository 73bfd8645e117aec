CREATE TABLE `sku_shards` (
	`sku` text PRIMARY KEY NOT NULL,
	`shards` integer NOT NULL,
	`updated_at` integer NOT NULL,
	FOREIGN KEY (`sku`) REFERENCES `skus`(`sku`) ON UPDATE no action ON DELETE no action
);
