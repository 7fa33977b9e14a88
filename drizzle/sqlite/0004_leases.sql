CREATE TABLE `leases` (
	`name` text PRIMARY KEY NOT NULL,
	`owner` text NOT NULL,
	`until` text NOT NULL
);
--> statement-breakpoint
ALTER TABLE `webhook_deliveries` ADD `lease_owner` text;