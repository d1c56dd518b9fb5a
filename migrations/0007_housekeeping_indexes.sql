CREATE INDEX `actors_fetched_at_idx` ON `actors` (`fetched_at`);--> statement-breakpoint
CREATE INDEX `note_tags_href_idx` ON `note_tags` (`href`);