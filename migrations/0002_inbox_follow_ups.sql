ALTER TABLE `inbox` ADD `follow_ups` text;--> statement-breakpoint
CREATE INDEX `inbox_follow_ups_idx` ON `inbox` (`created_at`) WHERE "inbox"."follow_ups" is not null;