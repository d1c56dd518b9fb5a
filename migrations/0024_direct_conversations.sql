CREATE TABLE `conversation_notes` (
	`note_seq` integer PRIMARY KEY NOT NULL,
	`conversation` integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX `conversation_notes_conversation_idx` ON `conversation_notes` (`conversation`);--> statement-breakpoint
CREATE TABLE `conversations` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`root` text NOT NULL,
	`last_note_seq` integer NOT NULL,
	`last_status_id` integer NOT NULL,
	`read_up_to` integer DEFAULT 0 NOT NULL,
	`hidden_up_to` integer DEFAULT 0 NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX `conversations_root_unique` ON `conversations` (`root`);--> statement-breakpoint
CREATE INDEX `conversations_last_status_idx` ON `conversations` (`last_status_id`);--> statement-breakpoint
CREATE INDEX `reactions_boosts_idx` ON `reactions` (("created_at" << 16) | (("seq" & 32767) << 1) | 1,`actor`) WHERE "reactions"."type" = 'Announce';