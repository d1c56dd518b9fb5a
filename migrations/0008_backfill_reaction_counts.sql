-- Notes' like and boost counts (added with default 0 by 0006) for the reactions stored before.
UPDATE `notes` SET
	`likes_count` = (SELECT count(*) FROM `reactions` WHERE `reactions`.`object` = `notes`.`id` AND `reactions`.`type` = 'Like'),
	`shares_count` = (SELECT count(*) FROM `reactions` WHERE `reactions`.`object` = `notes`.`id` AND `reactions`.`type` = 'Announce')
WHERE `id` IN (SELECT `object` FROM `reactions`);
