CREATE TABLE `markers` (
	`timeline` text PRIMARY KEY NOT NULL,
	`last_read_id` text NOT NULL,
	`version` integer NOT NULL,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `oauth_apps` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`client_id` text NOT NULL,
	`client_secret_hash` text NOT NULL,
	`name` text NOT NULL,
	`website` text,
	`redirect_uris` text NOT NULL,
	`scopes` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `oauth_apps_client_id_unique` ON `oauth_apps` (`client_id`);--> statement-breakpoint
CREATE TABLE `oauth_codes` (
	`code_hash` text PRIMARY KEY NOT NULL,
	`app_seq` integer NOT NULL,
	`redirect_uri` text NOT NULL,
	`scopes` text NOT NULL,
	`code_challenge` text,
	`created_at` integer NOT NULL,
	`token_seq` integer,
	FOREIGN KEY (`app_seq`) REFERENCES `oauth_apps`(`seq`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `oauth_codes_app_idx` ON `oauth_codes` (`app_seq`);--> statement-breakpoint
CREATE INDEX `oauth_codes_created_idx` ON `oauth_codes` (`created_at`);--> statement-breakpoint
CREATE TABLE `oauth_tokens` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`token_hash` text NOT NULL,
	`app_seq` integer NOT NULL,
	`kind` text NOT NULL,
	`scopes` text NOT NULL,
	`created_at` integer NOT NULL,
	`last_used_at` integer,
	FOREIGN KEY (`app_seq`) REFERENCES `oauth_apps`(`seq`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE UNIQUE INDEX `oauth_tokens_token_hash_unique` ON `oauth_tokens` (`token_hash`);--> statement-breakpoint
CREATE INDEX `oauth_tokens_app_idx` ON `oauth_tokens` (`app_seq`);--> statement-breakpoint
CREATE TABLE `profile` (
	`id` integer PRIMARY KEY NOT NULL,
	`display_name` text NOT NULL,
	`note` text NOT NULL,
	`fields` text NOT NULL,
	`locked` integer NOT NULL,
	`bot` integer NOT NULL,
	`discoverable` integer NOT NULL,
	`indexable` integer NOT NULL,
	`privacy` text NOT NULL,
	`sensitive` integer NOT NULL,
	`language` text,
	`updated_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `sessions` (
	`token_hash` text PRIMARY KEY NOT NULL,
	`created_at` integer NOT NULL,
	`expires_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `sessions_expires_idx` ON `sessions` (`expires_at`);--> statement-breakpoint
ALTER TABLE `actors` ADD `created_at` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `actors_api_id_idx` ON `actors` (("created_at" << 16) | (("seq" & 32767) << 1) | 1);--> statement-breakpoint
CREATE INDEX `notes_api_id_idx` ON `notes` (("published" << 16) | (("seq" & 32767) << 1));--> statement-breakpoint
CREATE INDEX `notifications_api_id_idx` ON `notifications` (("created_at" << 16) | ("seq" & 65535));--> statement-breakpoint
CREATE INDEX `reactions_api_id_idx` ON `reactions` (("created_at" << 16) | (("seq" & 32767) << 1) | 1);