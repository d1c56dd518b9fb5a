-- Custom SQL migration file, put your code below! --
-- How many replies a note has, not deleted (`counts`, what 'replies', subject the note's
-- id): a status shows it, and a popular note's replies would otherwise be read on every page
-- that shows it. Filled from what is stored, then kept by triggers.
INSERT INTO `counts` (`subject`, `what`, `n`)
  SELECT `in_reply_to`, 'replies', count(*) FROM `notes`
  WHERE `in_reply_to` IS NOT NULL AND `deleted_at` IS NULL GROUP BY `in_reply_to`;

CREATE TRIGGER `notes_replies_count_insert` AFTER INSERT ON `notes`
  WHEN NEW.`in_reply_to` IS NOT NULL AND NEW.`deleted_at` IS NULL
BEGIN
  INSERT INTO `counts` (`subject`, `what`, `n`) VALUES (NEW.`in_reply_to`, 'replies', 1)
    ON CONFLICT (`subject`, `what`) DO UPDATE SET `n` = `n` + 1;
END;

-- A reply tombstoned or back, or answering another note: out of one count, into the other.
CREATE TRIGGER `notes_replies_count_update` AFTER UPDATE OF `deleted_at`, `in_reply_to` ON `notes`
  WHEN (OLD.`deleted_at` IS NULL AND OLD.`in_reply_to` IS NOT NULL)
    OR (NEW.`deleted_at` IS NULL AND NEW.`in_reply_to` IS NOT NULL)
BEGIN
  UPDATE `counts` SET `n` = `n` - 1
    WHERE OLD.`deleted_at` IS NULL AND `subject` = OLD.`in_reply_to` AND `what` = 'replies';
  INSERT INTO `counts` (`subject`, `what`, `n`)
    SELECT NEW.`in_reply_to`, 'replies', 1 WHERE NEW.`deleted_at` IS NULL AND NEW.`in_reply_to` IS NOT NULL
    ON CONFLICT (`subject`, `what`) DO UPDATE SET `n` = `n` + 1;
END;

CREATE TRIGGER `notes_replies_count_delete` AFTER DELETE ON `notes`
  WHEN OLD.`in_reply_to` IS NOT NULL AND OLD.`deleted_at` IS NULL
BEGIN
  UPDATE `counts` SET `n` = `n` - 1 WHERE `subject` = OLD.`in_reply_to` AND `what` = 'replies';
END;
