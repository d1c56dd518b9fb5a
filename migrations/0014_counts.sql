CREATE TABLE `counts` (
	`subject` text NOT NULL,
	`what` text NOT NULL,
	`n` integer DEFAULT 0 NOT NULL,
	PRIMARY KEY(`subject`, `what`)
);
