CREATE TABLE `note_versions` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`note` text NOT NULL,
	`content` text NOT NULL,
	`summary` text,
	`sensitive` integer NOT NULL,
	`attachments` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `note_versions_note_idx` ON `note_versions` (`note`,`seq`);--> statement-breakpoint
CREATE TABLE `bookmarks` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`note` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `bookmarks_note_unique` ON `bookmarks` (`note`);--> statement-breakpoint
CREATE TABLE `filter_keywords` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`filter` integer NOT NULL,
	`keyword` text NOT NULL,
	`whole_word` integer DEFAULT true NOT NULL
);
--> statement-breakpoint
CREATE INDEX `filter_keywords_filter_idx` ON `filter_keywords` (`filter`);--> statement-breakpoint
CREATE TABLE `filter_statuses` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`filter` integer NOT NULL,
	`note` text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `filter_statuses_once_unique` ON `filter_statuses` (`filter`,`note`);--> statement-breakpoint
CREATE TABLE `filters` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`title` text NOT NULL,
	`context` text NOT NULL,
	`action` text DEFAULT 'warn' NOT NULL,
	`expires_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `list_members` (
	`list` integer NOT NULL,
	`actor` text NOT NULL,
	PRIMARY KEY(`list`, `actor`)
);
--> statement-breakpoint
CREATE INDEX `list_members_actor_idx` ON `list_members` (`actor`);--> statement-breakpoint
CREATE TABLE `lists` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`title` text NOT NULL,
	`replies_policy` text DEFAULT 'list' NOT NULL,
	`exclusive` integer DEFAULT false NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `blocks` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`actor` text NOT NULL,
	`activity_id` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `blocks_actor_unique` ON `blocks` (`actor`);--> statement-breakpoint
CREATE TABLE `domain_blocks` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`domain` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `domain_blocks_domain_unique` ON `domain_blocks` (`domain`);--> statement-breakpoint
CREATE TABLE `mutes` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`actor` text NOT NULL,
	`notifications` integer DEFAULT true NOT NULL,
	`expires_at` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `mutes_actor_unique` ON `mutes` (`actor`);