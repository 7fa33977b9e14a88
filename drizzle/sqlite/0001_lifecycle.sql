CREATE TABLE `two_factor_challenges` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`code_hash` text NOT NULL,
	`status` text NOT NULL,
	`attempts_left` integer NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`used_at` text,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `two_factor_challenges_customer_idx` ON `two_factor_challenges` (`customer_id`);--> statement-breakpoint
CREATE TABLE `verification_sessions` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`provider` text NOT NULL,
	`token_hash` text NOT NULL,
	`url` text NOT NULL,
	`status` text NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `verification_sessions_token_uq` ON `verification_sessions` (`token_hash`);--> statement-breakpoint
CREATE INDEX `verification_sessions_customer_idx` ON `verification_sessions` (`customer_id`);--> statement-breakpoint
CREATE TABLE `wallet_challenges` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`address` text NOT NULL,
	`chain` text NOT NULL,
	`message` text NOT NULL,
	`status` text NOT NULL,
	`created_at` text NOT NULL,
	`expires_at` text NOT NULL,
	`used_at` text,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `wallet_challenges_customer_idx` ON `wallet_challenges` (`customer_id`);--> statement-breakpoint
ALTER TABLE `customers` ADD `status_before_deactivation` text;--> statement-breakpoint
ALTER TABLE `customers` ADD `status_before_archive` text;--> statement-breakpoint
ALTER TABLE `customers` ADD `registration_account` text;--> statement-breakpoint
ALTER TABLE `customers` ADD `data_center` text;--> statement-breakpoint
CREATE UNIQUE INDEX `customers_registration_account_uq` ON `customers` (`registration_account`);--> statement-breakpoint
ALTER TABLE `memberships` ADD `suspended` integer DEFAULT false NOT NULL;--> statement-breakpoint
ALTER TABLE `organizations` ADD `registration_policy` text DEFAULT '{"requiredFields":[]}' NOT NULL;--> statement-breakpoint
ALTER TABLE `persons` ADD `two_factor_target` text;--> statement-breakpoint
ALTER TABLE `wallets` ADD `suspended` integer DEFAULT false NOT NULL;