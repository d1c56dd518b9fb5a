CREATE TABLE `delivery_batches` (
	`id` text PRIMARY KEY NOT NULL,
	`activity_id` text NOT NULL,
	`hosts` text NOT NULL,
	`state` text NOT NULL,
	`created_at` integer NOT NULL,
	`done_at` integer
);
--> statement-breakpoint
CREATE INDEX `delivery_batches_activity_idx` ON `delivery_batches` (`activity_id`);--> statement-breakpoint
CREATE TABLE `delivery_failures` (
	`activity_id` text NOT NULL,
	`host` text NOT NULL,
	`state` text NOT NULL,
	`inboxes` text NOT NULL,
	`attempts` integer NOT NULL,
	`last_error` text,
	`next_attempt_at` integer,
	`updated_at` integer NOT NULL,
	PRIMARY KEY(`activity_id`, `host`)
);
--> statement-breakpoint
CREATE INDEX `delivery_failures_due_idx` ON `delivery_failures` (`state`,`next_attempt_at`);--> statement-breakpoint
CREATE TABLE `idempotency_keys` (
	`key` text PRIMARY KEY NOT NULL,
	`note_seq` integer NOT NULL,
	`created_at` integer NOT NULL,
	FOREIGN KEY (`note_seq`) REFERENCES `notes`(`seq`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
ALTER TABLE `outbox` ADD `fanned_out_at` integer;--> statement-breakpoint
CREATE INDEX `outbox_unsent_idx` ON `outbox` (`published`) WHERE "outbox"."fanned_out_at" is null;