-- Custom SQL migration file, put your code below! --
-- The owner's direct conversations (schema-conversations.ts): each live direct note is in
-- one, the thread it answers into, which lists it by its newest note. Kept by triggers,
-- whatever code writes the notes. First the direct notes already stored: a note's root is
-- its parent's when the parent is a live direct note too, else the note it answers, else its
-- own id (up to 100 notes up a chain). Those are taken as read.
CREATE TABLE `conversation_backfill` AS
  WITH RECURSIVE `chain` (`seq`, `up`, `root`, `depth`) AS (
    SELECT `seq`, `in_reply_to`, coalesce(`in_reply_to`, `id`), 0 FROM `notes`
      WHERE `visibility` = 'direct' AND `deleted_at` IS NULL
    UNION ALL
    SELECT `chain`.`seq`, `p`.`in_reply_to`, coalesce(`p`.`in_reply_to`, `p`.`id`), `chain`.`depth` + 1
      FROM `chain` JOIN `notes` `p` ON `p`.`id` = `chain`.`up`
      WHERE `p`.`visibility` = 'direct' AND `p`.`deleted_at` IS NULL AND `chain`.`depth` < 100
  )
  SELECT `c`.`seq`, `c`.`root`, (`n`.`published` << 16) | ((`n`.`seq` & 32767) << 1) AS `status_id`
    FROM `chain` `c` JOIN `notes` `n` ON `n`.`seq` = `c`.`seq`
    WHERE `c`.`depth` = (SELECT max(`d`.`depth`) FROM `chain` `d` WHERE `d`.`seq` = `c`.`seq`);

INSERT INTO `conversations` (`root`, `last_note_seq`, `last_status_id`, `read_up_to`)
  SELECT `b`.`root`, `b`.`seq`, `b`.`status_id`, `b`.`status_id` FROM `conversation_backfill` `b`
    WHERE `b`.`seq` = (SELECT `l`.`seq` FROM `conversation_backfill` `l` WHERE `l`.`root` = `b`.`root`
      ORDER BY `l`.`status_id` DESC LIMIT 1);

INSERT INTO `conversation_notes` (`note_seq`, `conversation`)
  SELECT `b`.`seq`, `c`.`seq` FROM `conversation_backfill` `b` JOIN `conversations` `c` ON `c`.`root` = `b`.`root`;

DROP TABLE `conversation_backfill`;

-- A new direct note joins its parent's conversation (or starts its own), which it becomes
-- the newest note of unless a newer one is there (a note fetched late).
CREATE TRIGGER `notes_conversations_insert` AFTER INSERT ON `notes`
  WHEN NEW.`visibility` = 'direct' AND NEW.`deleted_at` IS NULL
BEGIN
  INSERT INTO `conversations` (`root`, `last_note_seq`, `last_status_id`)
    VALUES (
      coalesce((SELECT `c`.`root` FROM `notes` `p`
          JOIN `conversation_notes` `m` ON `m`.`note_seq` = `p`.`seq`
          JOIN `conversations` `c` ON `c`.`seq` = `m`.`conversation`
          WHERE `p`.`id` = NEW.`in_reply_to`), NEW.`in_reply_to`, NEW.`id`),
      NEW.`seq`, (NEW.`published` << 16) | ((NEW.`seq` & 32767) << 1))
    ON CONFLICT (`root`) DO UPDATE SET
      `last_note_seq` = CASE WHEN excluded.`last_status_id` > `last_status_id`
        THEN excluded.`last_note_seq` ELSE `last_note_seq` END,
      `last_status_id` = max(`last_status_id`, excluded.`last_status_id`);
  INSERT INTO `conversation_notes` (`note_seq`, `conversation`)
    SELECT NEW.`seq`, `seq` FROM `conversations` WHERE `root` = coalesce((SELECT `c`.`root` FROM `notes` `p`
        JOIN `conversation_notes` `m` ON `m`.`note_seq` = `p`.`seq`
        JOIN `conversations` `c` ON `c`.`seq` = `m`.`conversation`
        WHERE `p`.`id` = NEW.`in_reply_to`), NEW.`in_reply_to`, NEW.`id`);
END;

-- A direct note tombstoned or deleted leaves its conversation, whose newest is then the
-- newest left; a conversation left with none goes.
CREATE TRIGGER `notes_conversations_tombstone` AFTER UPDATE OF `deleted_at` ON `notes`
  WHEN OLD.`deleted_at` IS NULL AND NEW.`deleted_at` IS NOT NULL AND NEW.`visibility` = 'direct'
BEGIN
  UPDATE `conversations` SET
      `last_note_seq` = coalesce((SELECT `n`.`seq` FROM `conversation_notes` `m` JOIN `notes` `n` ON `n`.`seq` = `m`.`note_seq`
        WHERE `m`.`conversation` = `conversations`.`seq` AND `m`.`note_seq` <> NEW.`seq` AND `n`.`deleted_at` IS NULL
        ORDER BY (`n`.`published` << 16) | ((`n`.`seq` & 32767) << 1) DESC LIMIT 1), `last_note_seq`),
      `last_status_id` = coalesce((SELECT (`n`.`published` << 16) | ((`n`.`seq` & 32767) << 1) FROM `conversation_notes` `m` JOIN `notes` `n` ON `n`.`seq` = `m`.`note_seq`
        WHERE `m`.`conversation` = `conversations`.`seq` AND `m`.`note_seq` <> NEW.`seq` AND `n`.`deleted_at` IS NULL
        ORDER BY (`n`.`published` << 16) | ((`n`.`seq` & 32767) << 1) DESC LIMIT 1), `last_status_id`)
    WHERE `seq` = (SELECT `conversation` FROM `conversation_notes` WHERE `note_seq` = NEW.`seq`);
  DELETE FROM `conversations` WHERE `seq` = (SELECT `conversation` FROM `conversation_notes` WHERE `note_seq` = NEW.`seq`)
    AND NOT EXISTS (SELECT 1 FROM `conversation_notes` `m` WHERE `m`.`conversation` = `conversations`.`seq` AND `m`.`note_seq` <> NEW.`seq`);
  DELETE FROM `conversation_notes` WHERE `note_seq` = NEW.`seq`;
END;

CREATE TRIGGER `notes_conversations_delete` AFTER DELETE ON `notes`
  WHEN OLD.`visibility` = 'direct' AND OLD.`deleted_at` IS NULL
BEGIN
  UPDATE `conversations` SET
      `last_note_seq` = coalesce((SELECT `n`.`seq` FROM `conversation_notes` `m` JOIN `notes` `n` ON `n`.`seq` = `m`.`note_seq`
        WHERE `m`.`conversation` = `conversations`.`seq` AND `m`.`note_seq` <> OLD.`seq` AND `n`.`deleted_at` IS NULL
        ORDER BY (`n`.`published` << 16) | ((`n`.`seq` & 32767) << 1) DESC LIMIT 1), `last_note_seq`),
      `last_status_id` = coalesce((SELECT (`n`.`published` << 16) | ((`n`.`seq` & 32767) << 1) FROM `conversation_notes` `m` JOIN `notes` `n` ON `n`.`seq` = `m`.`note_seq`
        WHERE `m`.`conversation` = `conversations`.`seq` AND `m`.`note_seq` <> OLD.`seq` AND `n`.`deleted_at` IS NULL
        ORDER BY (`n`.`published` << 16) | ((`n`.`seq` & 32767) << 1) DESC LIMIT 1), `last_status_id`)
    WHERE `seq` = (SELECT `conversation` FROM `conversation_notes` WHERE `note_seq` = OLD.`seq`);
  DELETE FROM `conversations` WHERE `seq` = (SELECT `conversation` FROM `conversation_notes` WHERE `note_seq` = OLD.`seq`)
    AND NOT EXISTS (SELECT 1 FROM `conversation_notes` `m` WHERE `m`.`conversation` = `conversations`.`seq` AND `m`.`note_seq` <> OLD.`seq`);
  DELETE FROM `conversation_notes` WHERE `note_seq` = OLD.`seq`;
END;
