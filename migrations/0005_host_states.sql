CREATE TABLE `host_states` (
	`host` text PRIMARY KEY NOT NULL,
	`state` text NOT NULL,
	`flavour` text NOT NULL,
	`next_attempt_at` integer,
	`updated_at` integer NOT NULL
);
