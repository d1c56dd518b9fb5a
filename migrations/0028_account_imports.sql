CREATE TABLE `account_import_batches` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`import_seq` integer NOT NULL,
	`rows` text NOT NULL,
	`state` text NOT NULL,
	`claim` text,
	`claimed_at` integer,
	`attempts` integer DEFAULT 0 NOT NULL,
	`outcomes` text,
	`failed` integer DEFAULT 0 NOT NULL,
	FOREIGN KEY (`import_seq`) REFERENCES `account_imports`(`seq`) ON UPDATE no action ON DELETE cascade
);
--> statement-breakpoint
CREATE INDEX `account_import_batches_state_idx` ON `account_import_batches` (`import_seq`,`state`);--> statement-breakpoint
CREATE INDEX `account_import_batches_failed_idx` ON `account_import_batches` (`import_seq`) WHERE "account_import_batches"."failed" > 0;--> statement-breakpoint
CREATE TABLE `account_imports` (
	`seq` integer PRIMARY KEY AUTOINCREMENT NOT NULL,
	`type` text NOT NULL,
	`mode` text NOT NULL,
	`state` text NOT NULL,
	`total` integer NOT NULL,
	`duplicates` integer DEFAULT 0 NOT NULL,
	`processed` integer DEFAULT 0 NOT NULL,
	`followed` integer DEFAULT 0 NOT NULL,
	`skipped` integer DEFAULT 0 NOT NULL,
	`failed` integer DEFAULT 0 NOT NULL,
	`error` text,
	`created_at` integer NOT NULL,
	`finished_at` integer
);
