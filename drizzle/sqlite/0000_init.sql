CREATE TABLE `companies` (
	`customer_id` text PRIMARY KEY NOT NULL,
	`legal_name` text NOT NULL,
	`short_name` text,
	`registration_number` text,
	`country_code` text,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `customer_addresses` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`purpose` text NOT NULL,
	`is_primary` integer NOT NULL,
	`country` text NOT NULL,
	`area` text,
	`zip_code` text,
	`city` text,
	`street` text,
	`street_number` text NOT NULL,
	`building` text,
	`apartment` text,
	`entrance` text,
	`floor` text,
	`door_number` text,
	`latitude` real,
	`longitude` real,
	`altitude` real,
	`alt_word1` text,
	`alt_word2` text,
	`alt_word3` text,
	`related_to` text NOT NULL,
	`additional_data` text NOT NULL,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `customer_addresses_customer_idx` ON `customer_addresses` (`customer_id`);--> statement-breakpoint
CREATE INDEX `customer_addresses_country_idx` ON `customer_addresses` (`country`);--> statement-breakpoint
CREATE TABLE `customer_events` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`type` text NOT NULL,
	`customer_id` text NOT NULL,
	`organization_id` text NOT NULL,
	`changed_fields` text NOT NULL,
	`actor` text NOT NULL,
	`via` text NOT NULL,
	`occurred_at` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `customer_events_id_uq` ON `customer_events` (`id`);--> statement-breakpoint
CREATE INDEX `customer_events_customer_idx` ON `customer_events` (`customer_id`,`seq`);--> statement-breakpoint
CREATE TABLE `customers` (
	`id` text PRIMARY KEY NOT NULL,
	`organization_id` text NOT NULL,
	`type` text NOT NULL,
	`status` text NOT NULL,
	`display_name` text NOT NULL,
	`nickname` text,
	`email` text,
	`phone` text,
	`categorization` text,
	`tags` text NOT NULL,
	`external_reference` text,
	`risk_level` text,
	`manager` text,
	`search_text` text NOT NULL,
	`verification_status` text NOT NULL,
	`verification_level` integer NOT NULL,
	`verification_url` text,
	`verification_updated_at` text,
	`version` integer NOT NULL,
	`created_at` text NOT NULL,
	`created_by` text NOT NULL,
	`created_via` text NOT NULL,
	`updated_at` text NOT NULL,
	`updated_by` text NOT NULL,
	`updated_via` text NOT NULL,
	`archived_at` text,
	`archived_by` text,
	`archived_via` text,
	`deactivated_at` text,
	`deactivation_reason` text,
	`erased_at` text,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `customers_org_external_ref_uq` ON `customers` (`organization_id`,`external_reference`);--> statement-breakpoint
CREATE INDEX `customers_created_idx` ON `customers` (`created_at`,`id`);--> statement-breakpoint
CREATE INDEX `customers_updated_idx` ON `customers` (`updated_at`,`id`);--> statement-breakpoint
CREATE INDEX `customers_email_idx` ON `customers` (`email`);--> statement-breakpoint
CREATE INDEX `customers_status_idx` ON `customers` (`status`);--> statement-breakpoint
CREATE TABLE `documents` (
	`id` text PRIMARY KEY NOT NULL,
	`customer_id` text NOT NULL,
	`purpose` text NOT NULL,
	`document_type` text NOT NULL,
	`name` text NOT NULL,
	`location` text,
	`status` text NOT NULL,
	`verification_response` text,
	`metadata` text NOT NULL,
	`expires_at` text,
	`created_at` text NOT NULL,
	`reviewed_at` text,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `documents_customer_idx` ON `documents` (`customer_id`,`id`);--> statement-breakpoint
CREATE TABLE `memberships` (
	`customer_id` text NOT NULL,
	`organization_id` text NOT NULL,
	`management_mode` integer NOT NULL,
	`tags` text NOT NULL,
	`onboarded_at` text NOT NULL,
	`active` integer NOT NULL,
	PRIMARY KEY(`customer_id`, `organization_id`),
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade,
	FOREIGN KEY (`organization_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `memberships_org_idx` ON `memberships` (`organization_id`,`customer_id`);--> statement-breakpoint
CREATE TABLE `notification_preferences` (
	`customer_id` text NOT NULL,
	`notification_type` text NOT NULL,
	`channel` text NOT NULL,
	`is_enabled` integer NOT NULL,
	`updated_at` text NOT NULL,
	PRIMARY KEY(`customer_id`, `notification_type`, `channel`),
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `organizations` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`legal_name` text,
	`country_code` text,
	`data_center` text,
	`parent_id` text,
	`created_at` text NOT NULL,
	`updated_at` text NOT NULL,
	FOREIGN KEY (`parent_id`) REFERENCES `organizations`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX `organizations_parent_idx` ON `organizations` (`parent_id`);--> statement-breakpoint
CREATE TABLE `person_names` (
	`customer_id` text NOT NULL,
	`part` text NOT NULL,
	`name` text NOT NULL,
	`order` integer,
	`abbreviation` text,
	`language` text,
	`native` text,
	`prefix` text,
	`suffix` text,
	PRIMARY KEY(`customer_id`, `part`),
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `persons` (
	`customer_id` text PRIMARY KEY NOT NULL,
	`full_name` text NOT NULL,
	`gender` text,
	`date_of_birth` text,
	`place_of_birth` text,
	`nationality` text,
	`email` text,
	`password_hash` text,
	`pin_code_hash` text,
	`two_factor_type` text,
	`two_factor_masked` text,
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `secret_questions` (
	`customer_id` text NOT NULL,
	`position` integer NOT NULL,
	`question` text NOT NULL,
	`answer_hash` text NOT NULL,
	PRIMARY KEY(`customer_id`, `position`),
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `telephone_numbers` (
	`customer_id` text NOT NULL,
	`position` integer NOT NULL,
	`phone_type` text NOT NULL,
	`number` text NOT NULL,
	`country` text,
	`operator` text,
	`encoding` text,
	`purpose` text,
	PRIMARY KEY(`customer_id`, `position`),
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE TABLE `wallets` (
	`customer_id` text NOT NULL,
	`address` text NOT NULL,
	`chain` text NOT NULL,
	`verified_at` text,
	`active` integer NOT NULL,
	PRIMARY KEY(`customer_id`, `chain`, `address`),
	FOREIGN KEY (`customer_id`) REFERENCES `customers`(`id`) ON UPDATE no action ON DELETE cascade
);
