-- Finding stored accounts by what the owner types (`accounts/search`, `/api/v2/search`):
-- SQLite FTS5 over the actors' usernames, display names and domains, with `actors` as its
-- content (rowid = `actors.seq`), so that a search reads the matching accounts and not the
-- table. Triggers keep it in step with whatever code writes `actors`.
CREATE VIRTUAL TABLE `actors_search` USING fts5(
  `preferred_username`,
  `name`,
  `domain`,
  content = 'actors',
  content_rowid = 'seq',
  tokenize = 'unicode61 remove_diacritics 2'
);
CREATE TRIGGER `actors_search_insert` AFTER INSERT ON `actors`
BEGIN
  INSERT INTO `actors_search` (`rowid`, `preferred_username`, `name`, `domain`)
    VALUES (NEW.`seq`, NEW.`preferred_username`, NEW.`name`, NEW.`domain`);
END;
CREATE TRIGGER `actors_search_delete` AFTER DELETE ON `actors`
BEGIN
  INSERT INTO `actors_search` (`actors_search`, `rowid`, `preferred_username`, `name`, `domain`)
    VALUES ('delete', OLD.`seq`, OLD.`preferred_username`, OLD.`name`, OLD.`domain`);
END;
CREATE TRIGGER `actors_search_update` AFTER UPDATE OF `preferred_username`, `name`, `domain` ON `actors`
BEGIN
  INSERT INTO `actors_search` (`actors_search`, `rowid`, `preferred_username`, `name`, `domain`)
    VALUES ('delete', OLD.`seq`, OLD.`preferred_username`, OLD.`name`, OLD.`domain`);
  INSERT INTO `actors_search` (`rowid`, `preferred_username`, `name`, `domain`)
    VALUES (NEW.`seq`, NEW.`preferred_username`, NEW.`name`, NEW.`domain`);
END;
INSERT INTO `actors_search` (`actors_search`) VALUES ('rebuild');
