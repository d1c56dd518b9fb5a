-- Custom SQL migration file, put your code below! --
-- What is about a note goes with it once the note is a tombstone or deleted (Mastodon
-- destroys them with the status), whatever code deletes it: the lists need not look each
-- notification's note up to leave it out. First those already about no live note.
DELETE FROM `notifications` WHERE `target` <> ''
  AND NOT EXISTS (SELECT 1 FROM `notes` WHERE `notes`.`id` = `notifications`.`target` AND `notes`.`deleted_at` IS NULL);

-- The types about a note (`STATUS_TYPES`, storage/notifications.ts), through their index.
CREATE TRIGGER `notes_notifications_tombstone` AFTER UPDATE OF `deleted_at` ON `notes`
  WHEN OLD.`deleted_at` IS NULL AND NEW.`deleted_at` IS NOT NULL
BEGIN
  DELETE FROM `notifications` WHERE `type` IN ('mention', 'favourite', 'reblog') AND `target` = NEW.`id`;
END;

CREATE TRIGGER `notes_notifications_delete` AFTER DELETE ON `notes`
BEGIN
  DELETE FROM `notifications` WHERE `type` IN ('mention', 'favourite', 'reblog') AND `target` = OLD.`id`;
END;

-- A group's head (schema.ts): its newest notification, found through `notifications_group_idx`
-- (group key, id, account), holds the group's size and its newest eight (id as text,
-- account), which that index gives alone. Filled from what is stored, then kept by triggers
-- in the statement that changes the rows, whatever code writes them.
UPDATE `notifications` SET
    `group_size` = (SELECT count(*) FROM `notifications` `c` WHERE `c`.`group_key` = `notifications`.`group_key`),
    `group_newest` = (
      SELECT json_group_array(json_array(`i`, `a`)) FROM (
        SELECT cast((`m`.`created_at` << 16) | (`m`.`seq` & 65535) AS text) AS `i`, `m`.`account` AS `a`
        FROM `notifications` `m` WHERE `m`.`group_key` = `notifications`.`group_key`
        ORDER BY (`m`.`created_at` << 16) | (`m`.`seq` & 65535) DESC LIMIT 8))
  WHERE `group_key` IS NOT NULL AND `seq` = (
      SELECT `h`.`seq` FROM `notifications` `h` WHERE `h`.`group_key` = `notifications`.`group_key`
      ORDER BY (`h`.`created_at` << 16) | (`h`.`seq` & 65535) DESC LIMIT 1);

-- A new one heads its group when none is newer, taking the size, one more; the previous head
-- then holds nothing, else it counts one more. Either way the head's newest are read again.
CREATE TRIGGER `notifications_group_insert` AFTER INSERT ON `notifications`
  WHEN NEW.`group_key` IS NOT NULL
BEGIN
  UPDATE `notifications` SET
      `group_size` = 1 + coalesce((
        SELECT `h`.`group_size` FROM `notifications` `h`
        WHERE `h`.`group_key` = NEW.`group_key` AND `h`.`seq` <> NEW.`seq`
        ORDER BY (`h`.`created_at` << 16) | (`h`.`seq` & 65535) DESC LIMIT 1), 0),
      `group_newest` = (
      SELECT json_group_array(json_array(`i`, `a`)) FROM (
        SELECT cast((`m`.`created_at` << 16) | (`m`.`seq` & 65535) AS text) AS `i`, `m`.`account` AS `a`
        FROM `notifications` `m` WHERE `m`.`group_key` = NEW.`group_key`
        ORDER BY (`m`.`created_at` << 16) | (`m`.`seq` & 65535) DESC LIMIT 8))
    WHERE `seq` = NEW.`seq` AND NOT EXISTS (
      SELECT 1 FROM `notifications` `h` WHERE `h`.`group_key` = NEW.`group_key`
        AND (`h`.`created_at` << 16) | (`h`.`seq` & 65535) > (NEW.`created_at` << 16) | (NEW.`seq` & 65535));
  UPDATE `notifications` SET
      `group_size` = CASE WHEN (`notifications`.`created_at` << 16) | (`notifications`.`seq` & 65535) > (NEW.`created_at` << 16) | (NEW.`seq` & 65535) THEN `group_size` + 1 END,
      `group_newest` = CASE WHEN (`notifications`.`created_at` << 16) | (`notifications`.`seq` & 65535) > (NEW.`created_at` << 16) | (NEW.`seq` & 65535) THEN (
      SELECT json_group_array(json_array(`i`, `a`)) FROM (
        SELECT cast((`m`.`created_at` << 16) | (`m`.`seq` & 65535) AS text) AS `i`, `m`.`account` AS `a`
        FROM `notifications` `m` WHERE `m`.`group_key` = NEW.`group_key`
        ORDER BY (`m`.`created_at` << 16) | (`m`.`seq` & 65535) DESC LIMIT 8)) END
    WHERE `seq` = (
      SELECT `h`.`seq` FROM `notifications` `h` WHERE `h`.`group_key` = NEW.`group_key` AND `h`.`seq` <> NEW.`seq`
      ORDER BY (`h`.`created_at` << 16) | (`h`.`seq` & 65535) DESC LIMIT 1);
END;

-- The head counts one fewer (when the head itself went, the newest left heads the group),
-- and its newest are read again.
CREATE TRIGGER `notifications_group_delete` AFTER DELETE ON `notifications`
  WHEN OLD.`group_key` IS NOT NULL
BEGIN
  UPDATE `notifications` SET
      `group_size` = coalesce(OLD.`group_size`, `group_size`) - 1,
      `group_newest` = (
      SELECT json_group_array(json_array(`i`, `a`)) FROM (
        SELECT cast((`m`.`created_at` << 16) | (`m`.`seq` & 65535) AS text) AS `i`, `m`.`account` AS `a`
        FROM `notifications` `m` WHERE `m`.`group_key` = OLD.`group_key`
        ORDER BY (`m`.`created_at` << 16) | (`m`.`seq` & 65535) DESC LIMIT 8))
    WHERE `seq` = (
      SELECT `h`.`seq` FROM `notifications` `h` WHERE `h`.`group_key` = OLD.`group_key`
      ORDER BY (`h`.`created_at` << 16) | (`h`.`seq` & 65535) DESC LIMIT 1);
END;

-- A notification moved to another group or time (nothing does so today): both groups are
-- read again whole.
CREATE TRIGGER `notifications_group_update` AFTER UPDATE OF `group_key`, `created_at`, `seq` ON `notifications`
BEGIN
  UPDATE `notifications` SET
      `group_size` = CASE WHEN `seq` = (
      SELECT `h`.`seq` FROM `notifications` `h` WHERE `h`.`group_key` = `notifications`.`group_key`
      ORDER BY (`h`.`created_at` << 16) | (`h`.`seq` & 65535) DESC LIMIT 1)
        THEN (SELECT count(*) FROM `notifications` `c` WHERE `c`.`group_key` = `notifications`.`group_key`) END,
      `group_newest` = CASE WHEN `seq` = (
      SELECT `h`.`seq` FROM `notifications` `h` WHERE `h`.`group_key` = `notifications`.`group_key`
      ORDER BY (`h`.`created_at` << 16) | (`h`.`seq` & 65535) DESC LIMIT 1)
        THEN (
      SELECT json_group_array(json_array(`i`, `a`)) FROM (
        SELECT cast((`m`.`created_at` << 16) | (`m`.`seq` & 65535) AS text) AS `i`, `m`.`account` AS `a`
        FROM `notifications` `m` WHERE `m`.`group_key` = `notifications`.`group_key`
        ORDER BY (`m`.`created_at` << 16) | (`m`.`seq` & 65535) DESC LIMIT 8)) END
    WHERE `group_key` IN (OLD.`group_key`, NEW.`group_key`) OR `seq` = NEW.`seq`;
END;
