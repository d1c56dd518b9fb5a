-- Custom SQL migration file, put your code below! --
-- The outbox collection's kept count (schema-counts.ts): the public and unlisted `Create`s and
-- `Announce`s of an actor whose note is not a tombstone, as `countOutbox` counted them; filled
-- from what is stored, then kept by triggers on the outbox and on the notes it points at.
INSERT INTO `counts` (`subject`, `what`, `n`)
  SELECT `o`.`actor`, 'outbox', count(*) FROM `outbox` `o`
  LEFT JOIN `notes` `t` ON `t`.`id` = `o`.`object_id`
  WHERE `o`.`type` IN ('Create', 'Announce') AND `o`.`visibility` IN ('public', 'unlisted')
    AND (`t`.`seq` IS NULL OR `t`.`deleted_at` IS NULL)
  GROUP BY `o`.`actor`;

CREATE TRIGGER `outbox_count_insert` AFTER INSERT ON `outbox`
  WHEN NEW.`type` IN ('Create', 'Announce') AND NEW.`visibility` IN ('public', 'unlisted')
    AND NOT EXISTS (SELECT 1 FROM `notes` WHERE `id` = NEW.`object_id` AND `deleted_at` IS NOT NULL)
BEGIN
  INSERT INTO `counts` (`subject`, `what`, `n`) VALUES (NEW.`actor`, 'outbox', 1)
    ON CONFLICT (`subject`, `what`) DO UPDATE SET `n` = `n` + 1;
END;

CREATE TRIGGER `outbox_count_delete` AFTER DELETE ON `outbox`
  WHEN OLD.`type` IN ('Create', 'Announce') AND OLD.`visibility` IN ('public', 'unlisted')
    AND NOT EXISTS (SELECT 1 FROM `notes` WHERE `id` = OLD.`object_id` AND `deleted_at` IS NOT NULL)
BEGIN
  UPDATE `counts` SET `n` = `n` - 1 WHERE `subject` = OLD.`actor` AND `what` = 'outbox';
END;

-- A note becomes a tombstone (or comes back): what the outbox lists about it goes (or returns).
CREATE TRIGGER `notes_outbox_count_tombstone` AFTER UPDATE OF `deleted_at` ON `notes`
  WHEN (OLD.`deleted_at` IS NULL) <> (NEW.`deleted_at` IS NULL)
BEGIN
  INSERT INTO `counts` (`subject`, `what`, `n`)
    SELECT `actor`, 'outbox', CASE WHEN NEW.`deleted_at` IS NULL THEN count(*) ELSE -count(*) END
    FROM `outbox`
    WHERE `object_id` = NEW.`id` AND `type` IN ('Create', 'Announce')
      AND `visibility` IN ('public', 'unlisted')
    GROUP BY `actor`
    ON CONFLICT (`subject`, `what`) DO UPDATE SET `n` = `n` + excluded.`n`;
END;

-- A tombstone removed for good, or a note stored already deleted: listed again, or not.
CREATE TRIGGER `notes_outbox_count_delete` AFTER DELETE ON `notes` WHEN OLD.`deleted_at` IS NOT NULL
BEGIN
  INSERT INTO `counts` (`subject`, `what`, `n`)
    SELECT `actor`, 'outbox', count(*) FROM `outbox`
    WHERE `object_id` = OLD.`id` AND `type` IN ('Create', 'Announce')
      AND `visibility` IN ('public', 'unlisted')
    GROUP BY `actor`
    ON CONFLICT (`subject`, `what`) DO UPDATE SET `n` = `n` + excluded.`n`;
END;

CREATE TRIGGER `notes_outbox_count_insert` AFTER INSERT ON `notes` WHEN NEW.`deleted_at` IS NOT NULL
BEGIN
  INSERT INTO `counts` (`subject`, `what`, `n`)
    SELECT `actor`, 'outbox', -count(*) FROM `outbox`
    WHERE `object_id` = NEW.`id` AND `type` IN ('Create', 'Announce')
      AND `visibility` IN ('public', 'unlisted')
    GROUP BY `actor`
    ON CONFLICT (`subject`, `what`) DO UPDATE SET `n` = `n` + excluded.`n`;
END;
