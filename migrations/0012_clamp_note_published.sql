-- Mastodon ids are computed from a note's `published` (0010); a remote note dated in the future
-- or before 1970 gets a different id in JavaScript (which clamps) than in SQL. Notes stored
-- before remote dates were clamped on arrival are clamped here the same way.
UPDATE `notes` SET `published` = max(0, min(`published`, CAST(strftime('%s', 'now') AS INTEGER) * 1000))
WHERE `published` < 0 OR `published` > CAST(strftime('%s', 'now') AS INTEGER) * 1000;
