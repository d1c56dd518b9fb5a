DROP INDEX `notifications_group_idx`;--> statement-breakpoint
ALTER TABLE `notifications` ADD `group_size` integer;--> statement-breakpoint
ALTER TABLE `notifications` ADD `group_newest` text;--> statement-breakpoint
CREATE INDEX `notifications_heads_idx` ON `notifications` (("created_at" << 16) | ("seq" & 65535)) WHERE "notifications"."group_key" is null or "notifications"."group_size" is not null;--> statement-breakpoint
CREATE INDEX `notifications_group_idx` ON `notifications` (`group_key`,("created_at" << 16) | ("seq" & 65535),`account`);