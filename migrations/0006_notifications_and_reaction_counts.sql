CREATE TABLE `notifications` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`type` text NOT NULL,
	`account` text NOT NULL,
	`target` text DEFAULT '' NOT NULL,
	`group_key` text,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notifications_once_unique` ON `notifications` (`account`,`type`,`target`);--> statement-breakpoint
CREATE INDEX `notifications_type_target_idx` ON `notifications` (`type`,`target`);--> statement-breakpoint
CREATE INDEX `notifications_group_idx` ON `notifications` (`group_key`);--> statement-breakpoint
ALTER TABLE `notes` ADD `likes_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
ALTER TABLE `notes` ADD `shares_count` integer DEFAULT 0 NOT NULL;--> statement-breakpoint
CREATE INDEX `reactions_actor_idx` ON `reactions` (`actor`);