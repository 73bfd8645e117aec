-- vendor_planning without its foreign key to vendors (it lives in the vendor's read database,
-- issue 19, where `vendors` has no rows). Hand-edited: drizzle-kit's PRAGMA foreign_keys lines
-- removed (D1 runs a migration as one transaction, where that pragma has no effect; nothing
-- references vendor_planning, so the rebuild needs none).
CREATE TABLE `__new_vendor_planning` (
	`vendor_id` text PRIMARY KEY NOT NULL,
	`auto_submit_purchase_orders` integer DEFAULT false NOT NULL,
	`updated_by` text NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
INSERT INTO `__new_vendor_planning`("vendor_id", "auto_submit_purchase_orders", "updated_by", "updated_at") SELECT "vendor_id", "auto_submit_purchase_orders", "updated_by", "updated_at" FROM `vendor_planning`;--> statement-breakpoint
DROP TABLE `vendor_planning`;--> statement-breakpoint
ALTER TABLE `__new_vendor_planning` RENAME TO `vendor_planning`;