CREATE TABLE `media` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`key` text NOT NULL,
	`purpose` text NOT NULL,
	`kind` text NOT NULL,
	`media_type` text NOT NULL,
	`size` integer NOT NULL,
	`width` integer,
	`height` integer,
	`blurhash` text,
	`description` text,
	`focus_x` real,
	`focus_y` real,
	`note` text,
	`position` integer,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `media_key_unique` ON `media` (`key`);--> statement-breakpoint
CREATE INDEX `media_api_id_idx` ON `media` (("created_at" << 16) | ("seq" & 65535));--> statement-breakpoint
CREATE INDEX `media_note_idx` ON `media` (`note`,`position`);--> statement-breakpoint
CREATE INDEX `media_unattached_idx` ON `media` (`created_at`) WHERE "media"."note" is null;--> statement-breakpoint
ALTER TABLE `profile` ADD `avatar_key` text;--> statement-breakpoint
ALTER TABLE `profile` ADD `header_key` text;