-- Full-text search over stored notes (`/api/v2/search`): SQLite FTS5, contentless (the text
-- lives in `notes`; the index holds only its tokens), rowid = `notes.seq`. The plain text is
-- written by storage in the batch that stores or edits a note (HTML cannot be read here);
-- the triggers take a note out when it is deleted or becomes a tombstone, whatever code
-- does it.
CREATE VIRTUAL TABLE `notes_search` USING fts5(
  `body`,
  content = '',
  contentless_delete = 1,
  tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TRIGGER `notes_search_delete` AFTER DELETE ON `notes`
BEGIN
  DELETE FROM `notes_search` WHERE `rowid` = OLD.`seq`;
END;

CREATE TRIGGER `notes_search_tombstone` AFTER UPDATE OF `deleted_at` ON `notes`
  WHEN OLD.`deleted_at` IS NULL AND NEW.`deleted_at` IS NOT NULL
BEGIN
  DELETE FROM `notes_search` WHERE `rowid` = OLD.`seq`;
END;
