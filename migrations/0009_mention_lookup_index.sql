DROP INDEX `note_tags_href_idx`;--> statement-breakpoint
CREATE INDEX `note_tags_href_idx` ON `note_tags` (`href`,`note_seq`);