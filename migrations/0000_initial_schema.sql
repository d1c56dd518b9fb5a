CREATE TABLE `actors` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`type` text NOT NULL,
	`preferred_username` text,
	`domain` text NOT NULL,
	`name` text,
	`summary` text,
	`url` text,
	`inbox` text NOT NULL,
	`shared_inbox` text,
	`outbox` text,
	`followers` text,
	`following` text,
	`featured` text,
	`public_key_id` text,
	`public_key_pem` text,
	`icon_url` text,
	`image_url` text,
	`manually_approves_followers` integer DEFAULT false NOT NULL,
	`published` integer,
	`fetched_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `actors_id_unique` ON `actors` (`id`);--> statement-breakpoint
CREATE INDEX `actors_handle_idx` ON `actors` (`preferred_username`,`domain`);--> statement-breakpoint
CREATE TABLE `follows` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`actor` text NOT NULL,
	`follower` text NOT NULL,
	`state` text NOT NULL,
	`activity_id` text,
	`created_at` integer NOT NULL,
	`accepted_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `follows_edge_unique` ON `follows` (`actor`,`follower`);--> statement-breakpoint
CREATE INDEX `follows_actor_idx` ON `follows` (`actor`);--> statement-breakpoint
CREATE INDEX `follows_follower_idx` ON `follows` (`follower`);--> statement-breakpoint
CREATE TABLE `inbox` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`actor` text NOT NULL,
	`sender` text NOT NULL,
	`type` text NOT NULL,
	`object_id` text,
	`payload` text NOT NULL,
	`created_at` integer NOT NULL,
	`processed_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `inbox_id_unique` ON `inbox` (`id`);--> statement-breakpoint
CREATE INDEX `inbox_actor_created_idx` ON `inbox` (`actor`,"created_at" desc,"seq" desc);--> statement-breakpoint
CREATE TABLE `local_actors` (
	`role` text PRIMARY KEY NOT NULL,
	`public_key_pem` text NOT NULL,
	`private_key_pkcs8` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE `note_recipients` (
	`note_seq` integer NOT NULL,
	`recipient` text NOT NULL,
	`field` text NOT NULL,
	PRIMARY KEY(`note_seq`, `recipient`),
	FOREIGN KEY (`note_seq`) REFERENCES `notes`(`seq`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `note_recipients_recipient_idx` ON `note_recipients` (`recipient`);--> statement-breakpoint
CREATE TABLE `note_tags` (
	`note_seq` integer NOT NULL,
	`type` text NOT NULL,
	`name` text NOT NULL,
	`href` text,
	PRIMARY KEY(`note_seq`, `type`, `name`),
	FOREIGN KEY (`note_seq`) REFERENCES `notes`(`seq`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `note_tags_name_type_idx` ON `note_tags` (`name`,`type`);--> statement-breakpoint
CREATE TABLE `notes` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`type` text DEFAULT 'Note' NOT NULL,
	`attributed_to` text NOT NULL,
	`in_reply_to` text,
	`content` text DEFAULT '' NOT NULL,
	`summary` text,
	`sensitive` integer DEFAULT false NOT NULL,
	`language` text,
	`visibility` text NOT NULL,
	`url` text,
	`attachments` text,
	`published` integer NOT NULL,
	`updated` integer,
	`pinned_at` integer,
	`deleted_at` integer
);
--> statement-breakpoint
CREATE UNIQUE INDEX `notes_id_unique` ON `notes` (`id`);--> statement-breakpoint
CREATE INDEX `notes_author_published_idx` ON `notes` (`attributed_to`,"published" desc,"seq" desc);--> statement-breakpoint
CREATE INDEX `notes_in_reply_to_idx` ON `notes` (`in_reply_to`,`published`);--> statement-breakpoint
CREATE TABLE `outbox` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`actor` text NOT NULL,
	`type` text NOT NULL,
	`object_id` text,
	`visibility` text NOT NULL,
	`payload` text NOT NULL,
	`published` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `outbox_id_unique` ON `outbox` (`id`);--> statement-breakpoint
CREATE INDEX `outbox_actor_idx` ON `outbox` (`actor`);--> statement-breakpoint
CREATE TABLE `reactions` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`id` text NOT NULL,
	`type` text NOT NULL,
	`actor` text NOT NULL,
	`object` text NOT NULL,
	`created_at` integer NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `reactions_id_unique` ON `reactions` (`id`);--> statement-breakpoint
CREATE UNIQUE INDEX `reactions_once_unique` ON `reactions` (`object`,`type`,`actor`);