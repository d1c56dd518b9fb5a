-- Custom SQL migration file, put your code below! --
-- The counts of schema-counts.ts: filled from what is stored, then kept by triggers in the
-- statement that changes the rows they count (an upsert that updates fires the UPDATE ones).
INSERT INTO `counts` (`subject`, `what`, `n`)
  SELECT `attributed_to`, 'notes', count(*) FROM `notes` WHERE `deleted_at` IS NULL GROUP BY `attributed_to`;
INSERT INTO `counts` (`subject`, `what`, `n`)
  SELECT `actor`, 'followers', count(*) FROM `follows` WHERE `state` = 'accepted' GROUP BY `actor`;
INSERT INTO `counts` (`subject`, `what`, `n`)
  SELECT `follower`, 'following', count(*) FROM `follows` WHERE `state` = 'accepted' GROUP BY `follower`;

CREATE TRIGGER `notes_count_insert` AFTER INSERT ON `notes` WHEN NEW.`deleted_at` IS NULL
BEGIN
  INSERT INTO `counts` (`subject`, `what`, `n`) VALUES (NEW.`attributed_to`, 'notes', 1)
    ON CONFLICT (`subject`, `what`) DO UPDATE SET `n` = `n` + 1;
END;

CREATE TRIGGER `notes_count_tombstone` AFTER UPDATE OF `deleted_at` ON `notes`
  WHEN (OLD.`deleted_at` IS NULL) <> (NEW.`deleted_at` IS NULL)
BEGIN
  INSERT INTO `counts` (`subject`, `what`, `n`)
    VALUES (NEW.`attributed_to`, 'notes', CASE WHEN NEW.`deleted_at` IS NULL THEN 1 ELSE -1 END)
    ON CONFLICT (`subject`, `what`) DO UPDATE SET `n` = `n` + excluded.`n`;
END;

CREATE TRIGGER `notes_count_delete` AFTER DELETE ON `notes` WHEN OLD.`deleted_at` IS NULL
BEGIN
  UPDATE `counts` SET `n` = `n` - 1 WHERE `subject` = OLD.`attributed_to` AND `what` = 'notes';
END;

CREATE TRIGGER `follows_count_insert` AFTER INSERT ON `follows` WHEN NEW.`state` = 'accepted'
BEGIN
  INSERT INTO `counts` (`subject`, `what`, `n`) VALUES (NEW.`actor`, 'followers', 1)
    ON CONFLICT (`subject`, `what`) DO UPDATE SET `n` = `n` + 1;
  INSERT INTO `counts` (`subject`, `what`, `n`) VALUES (NEW.`follower`, 'following', 1)
    ON CONFLICT (`subject`, `what`) DO UPDATE SET `n` = `n` + 1;
END;

CREATE TRIGGER `follows_count_state` AFTER UPDATE OF `state` ON `follows`
  WHEN (OLD.`state` = 'accepted') <> (NEW.`state` = 'accepted')
BEGIN
  INSERT INTO `counts` (`subject`, `what`, `n`)
    VALUES (NEW.`actor`, 'followers', CASE WHEN NEW.`state` = 'accepted' THEN 1 ELSE -1 END)
    ON CONFLICT (`subject`, `what`) DO UPDATE SET `n` = `n` + excluded.`n`;
  INSERT INTO `counts` (`subject`, `what`, `n`)
    VALUES (NEW.`follower`, 'following', CASE WHEN NEW.`state` = 'accepted' THEN 1 ELSE -1 END)
    ON CONFLICT (`subject`, `what`) DO UPDATE SET `n` = `n` + excluded.`n`;
END;

CREATE TRIGGER `follows_count_delete` AFTER DELETE ON `follows` WHEN OLD.`state` = 'accepted'
BEGIN
  UPDATE `counts` SET `n` = `n` - 1 WHERE `subject` = OLD.`actor` AND `what` = 'followers';
  UPDATE `counts` SET `n` = `n` - 1 WHERE `subject` = OLD.`follower` AND `what` = 'following';
END;
