CREATE TABLE `host_contacts` (
	`host` text PRIMARY KEY NOT NULL,
	`last_success_at` integer,
	`gone_at` integer
);
