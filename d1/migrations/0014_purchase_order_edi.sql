CREATE TABLE `purchase_order_x12` (
	`purchase_order_id` text NOT NULL,
	`content_hash` text NOT NULL,
	`control_number` integer NOT NULL,
	`created_at` integer NOT NULL,
	PRIMARY KEY(`purchase_order_id`, `content_hash`),
	FOREIGN KEY (`purchase_order_id`) REFERENCES `purchase_orders`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `x12_control_numbers` (
	`partner` text PRIMARY KEY NOT NULL,
	`last` integer NOT NULL
);
--> statement-breakpoint
ALTER TABLE `purchase_order_lines` ADD `ordered_quantity` integer;--> statement-breakpoint
ALTER TABLE `purchase_order_lines` ADD `expected_at` integer;--> statement-breakpoint
ALTER TABLE `purchase_orders` ADD `shipment_id` text;