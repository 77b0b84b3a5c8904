CREATE TABLE `accounts` (
	`id` text PRIMARY KEY NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `api_keys` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`key_hash` text NOT NULL,
	`name` text NOT NULL,
	`created_at` integer NOT NULL,
	`revoked_at` integer,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `api_keys_key_hash_unique` ON `api_keys` (`key_hash`);--> statement-breakpoint
CREATE TABLE `hosts` (
	`id` text PRIMARY KEY NOT NULL,
	`join_token_id` text NOT NULL,
	`account_id` text NOT NULL,
	`host_key` text,
	`ophid` text,
	`host_serial` text NOT NULL,
	`src_ip` text,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`join_token_id`) REFERENCES `join_tokens`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `hosts_token_host_key_unique` ON `hosts` (`join_token_id`,`host_key`);--> statement-breakpoint
CREATE INDEX `hosts_token_id_idx` ON `hosts` (`join_token_id`,`id`);--> statement-breakpoint
CREATE TABLE `join_tokens` (
	`id` text PRIMARY KEY NOT NULL,
	`account_id` text NOT NULL,
	`token_id` text NOT NULL,
	`secret_hash` text NOT NULL,
	`name` text NOT NULL,
	`description` text DEFAULT '' NOT NULL,
	`tags` text DEFAULT '{}' NOT NULL,
	`expires_at` integer,
	`use_limit` integer,
	`use_counter` integer DEFAULT 0 NOT NULL,
	`last_used_at` integer,
	`revoked_at` integer,
	`created_at` integer NOT NULL,
	`updated_at` integer NOT NULL,
	`rejected_attempts` integer DEFAULT 0 NOT NULL,
	`last_rejected_at` integer,
	`last_rejected_ip` text,
	FOREIGN KEY (`account_id`) REFERENCES `accounts`(`id`) ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX `join_tokens_token_id_unique` ON `join_tokens` (`token_id`);--> statement-breakpoint
CREATE UNIQUE INDEX `join_tokens_account_name_live_unique` ON `join_tokens` (`account_id`,`name`) WHERE "join_tokens"."revoked_at" IS NULL;--> statement-breakpoint
CREATE INDEX `join_tokens_account_id_idx` ON `join_tokens` (`account_id`,`id`);