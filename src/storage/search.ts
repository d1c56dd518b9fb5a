/**
 * Search over what is stored: notes by their words, through `notes_search` (SQLite FTS5,
 * contentless, rowid = `notes.seq`, migration 0020), and hashtags by prefix (accounts:
 * `account-search.ts`).
 *
 * What is indexed: a note's plain text (its content warning, its HTML's words, its media
 * descriptions, as Mastodon indexes them), written in the batch that stores or edits the note;
 * SQLite's triggers take it out when the note is deleted or becomes a tombstone.
 *
 * The index also records how far the backfill of notes stored before it has come, with no
 * other state: every live note at or above the lowest rowid in the index is indexed. A new
 * note (the newest) keeps that true; an edit rewrites only a note already indexed (one below
 * is indexed later by the backfill, as it then reads); the backfill indexes the next notes
 * below, newest first, and when none is left writes rowid 0, a row without words that no
 * search matches, after which it reads nothing at all.
 */
import {
  and,
  desc,
  eq,
  getTableColumns,
  gte,
  isNull,
  lt,
  lte,
  not,
  type SQL,
  sql,
} from "drizzle-orm";
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { htmlToText } from "../lib/html-text";
import { type Db, runBatch, type Statement } from "./db";
import { idParam, noteIdSql } from "./ids";
import type { NoteEdit } from "./notes";
import { visibleToOwner } from "./owner-visibility";
import { authorShown } from "./safety";
import { type NoteColumns, type NoteRow, notes, noteTags } from "./schema";

/** The most of a note's text indexed, in characters: an article's first pages (posts are 500). */
export const MAX_INDEXED_CHARS = 50_000;

type Indexed = Pick<NoteColumns, "content" | "summary" | "attachments">;

/** The words search finds a note by: its content warning, its text, its media descriptions. */
export function searchText(note: Indexed): string {
  return [
    note.summary ?? "",
    htmlToText(note.content),
    ...(note.attachments ?? []).map((a) => a.name ?? ""),
  ]
    .map((part) => part.trim())
    .filter((part) => part !== "")
    .join("\n\n")
    .slice(0, MAX_INDEXED_CHARS)
    .toWellFormed();
}

/**
 * The index as drizzle sees it: the rowid (a note's `seq`) and the one column. A virtual
 * table, made by migration 0020; declared here and not in schema.ts, so that drizzle-kit
 * does not try to make it an ordinary table.
 */
const notesSearch = sqliteTable("notes_search", {
  rowid: integer("rowid").notNull(),
  body: text("body").notNull(),
});

/** Whether the note (the outer query's row of `notes`) is in the index: a rowid lookup. */
const isIndexed = (): SQL =>
  sql`exists (select 1 from notes_search where notes_search.rowid = ${notes.seq})`;

/**
 * Inserts `text` as the words of the note `where` selects, if any. (An insert, never a
 * replace: whoever calls checks the note is not indexed yet.)
 */
const indexWhere = (db: Db, text: string, where: SQL | undefined): Statement =>
  db.insert(notesSearch).select(
    db
      .select({ rowid: notes.seq, body: sql<string>`${text}`.as("body") })
      .from(notes)
      .where(where),
  );

const sameLiveNote = (note: Pick<NoteColumns, "id" | "attributedTo">) =>
  and(eq(notes.id, note.id), eq(notes.attributedTo, note.attributedTo), isNull(notes.deletedAt));

/**
 * The statement that indexes a note just inserted (to follow its insert in the batch). A
 * note stored again (its `Create` received twice) is not the newest, and is left as it is.
 */
export function indexNewNoteStatement(db: Db, note: NoteColumns): Statement {
  return indexWhere(
    db,
    searchText(note),
    and(
      sameLiveNote(note),
      sql`${notes.seq} = (select max(newest.seq) from notes as newest)`,
      not(isIndexed()),
    ),
  );
}

/**
 * The statement that writes an edit's new words over the old, when the note is indexed: an
 * update changes only a row that exists (one not yet indexed is the backfill's, see above).
 */
export function reindexNoteStatement(db: Db, note: NoteEdit["note"]): Statement {
  return db
    .update(notesSearch)
    .set({ body: searchText(note) })
    .where(
      sql`${notesSearch.rowid} = (select ${notes.seq} from ${notes} where ${sameLiveNote(note)})`,
    );
}

/** Characters unicode61 keeps in a token (letters, numbers, private use); the rest separate. */
const WORD = /[\p{L}\p{N}\p{Co}]/u;

/**
 * A user's words as an FTS5 query: each whitespace-separated term a quoted phrase, all of
 * them required. FTS5's syntax (`"`, `*`, `-`, `NEAR`, `AND`, `col:`) is then plain text to
 * it. Terms without a word character would be empty phrases (alone, they match nothing), so
 * they are left out; undefined when no term is left.
 */
export function ftsQuery(text: string): string | undefined {
  const phrases = text
    .split(/\s+/)
    .filter((term) => WORD.test(term))
    .map((term) => `"${term.replaceAll('"', '""')}"`);
  return phrases.length === 0 ? undefined : phrases.join(" ");
}

export interface NoteSearch {
  /** An FTS5 query (`ftsQuery`). */
  readonly match: string;
  /** Only this author's notes. */
  readonly author?: string;
  /** Only status ids below `maxId`, above `minId` (filters, as Mastodon's search has them). */
  readonly maxId?: bigint;
  readonly minId?: bigint;
  readonly limit: number;
  readonly offset: number;
  /** Who searches: the owner's actor id (only the notes they may see are found). */
  readonly owner: string;
  /** When it is asked: a mute that has ended no longer hides its account. */
  readonly now: Date;
}

/**
 * Notes that hold every term, that the owner may see (`visibleToOwner`: not deleted, and a
 * followers-only note only while they follow its author, as Mastodon's search checks
 * `StatusPolicy#show?`), by no account the owner blocked or muted (as Mastodon filters
 * search), most recently stored first. The index is read
 * first (CROSS JOIN keeps it the outer loop), backwards in rowid order, so the query stops
 * after `offset + limit` matches however many notes match; the notes are found by their key.
 */
export function searchNotes(db: Db, search: NoteSearch): Promise<NoteRow[]> {
  const { maxId, minId } = search;
  return db
    .select(getTableColumns(notes))
    .from(sql`notes_search`)
    .crossJoin(notes)
    .where(
      and(
        sql`notes_search match ${search.match}`,
        sql`${notes.seq} = notes_search.rowid`,
        visibleToOwner(db, search.owner),
        authorShown(notes.attributedTo, { now: search.now, in: "timelines" }),
        search.author === undefined ? undefined : eq(notes.attributedTo, search.author),
        maxId === undefined ? undefined : sql`${noteIdSql()} < ${idParam(maxId)}`,
        minId === undefined ? undefined : sql`${noteIdSql()} > ${idParam(minId)}`,
      ),
    )
    .orderBy(sql`notes_search.rowid desc`)
    .limit(search.limit)
    .offset(search.offset);
}

/** The largest string that starts with `prefix` is below this (binary collation). */
const prefixEnd = (prefix: string) => `${prefix}\u{10FFFF}`;

/**
 * Hashtag names that start with `prefix` (lower-cased, as stored), in order, each once. A
 * skip-scan of the tags' name index: one seek per name, not one row per use of a popular tag.
 */
export async function hashtagsByPrefix(
  db: Db,
  query: { prefix: string; limit: number; offset: number },
): Promise<string[]> {
  const { prefix, limit, offset } = query;
  const end = prefixEnd(prefix);
  const next = (after: SQL) =>
    sql`(select ${noteTags.name} from ${noteTags} where ${noteTags.type} = 'Hashtag' and ${after} and ${noteTags.name} < ${end} order by ${noteTags.name} limit 1)`;
  const rows = await db.all<{ name: string }>(sql`
    with recursive found(name, n) as (
      select ${next(sql`${noteTags.name} >= ${prefix}`)}, 1
      union all
      select ${next(sql`${noteTags.name} > found.name`)}, n + 1
      from found where found.name is not null and n < ${offset + limit}
    )
    select name from found where name is not null limit ${limit} offset ${offset}`);
  return rows.map((r) => r.name);
}

const INDEXED_COLUMNS = {
  seq: notes.seq,
  content: notes.content,
  summary: notes.summary,
  attachments: notes.attachments,
  updated: notes.updated,
};
type IndexedRow = Pick<NoteRow, "seq" | "content" | "summary" | "attachments" | "updated">;

/**
 * Indexes a note the backfill read, unless it changed since (an edit in between: the
 * catch-up below reads it again) or was indexed meanwhile.
 */
function backfillStatement(db: Db, row: IndexedRow): Statement {
  return indexWhere(
    db,
    searchText(row),
    and(
      eq(notes.seq, row.seq),
      isNull(notes.deletedAt),
      eq(notes.content, row.content),
      sql`${notes.updated} is ${row.updated?.getTime() ?? null}`,
      not(isIndexed()),
    ),
  );
}

/** The row that says the backfill is done (no parameter: drizzle batches raw SQL only so). */
const DONE = sql`insert into notes_search (rowid, body) select 0, '' where not exists (select 1 from notes_search where rowid = 0)`;

/** The lowest rowid in the index: where the backfill has come to (0 once it is done). */
async function lowestIndexed(db: Db): Promise<number | undefined> {
  const [row] = await db.all<{ seq: number }>(
    sql`select rowid as seq from notes_search order by rowid limit 1`,
  );
  return row?.seq;
}

/** The most note content (characters) one backfill batch carries. */
const MAX_BATCH_CHARS = 500_000;

/** How many times a run reads again the notes edited while it indexed them. */
const CATCH_UPS = 2;

/**
 * Indexes up to `limit` live notes stored before the index was (fewer when they are long), the
 * newest first; the number indexed. Once all are, it writes rowid 0 and every later run is
 * one lookup.
 */
export async function backfillSearchIndex(db: Db, limit: number): Promise<number> {
  const lowest = await lowestIndexed(db);
  if (lowest === 0) return 0;
  const rows = await db
    .select(INDEXED_COLUMNS)
    .from(notes)
    .where(and(isNull(notes.deletedAt), lowest === undefined ? undefined : lt(notes.seq, lowest)))
    .orderBy(desc(notes.seq))
    .limit(limit);
  // Each note's content is bound twice: a batch carries so much at most (one note at least).
  const taken: IndexedRow[] = [];
  let chars = 0;
  for (const row of rows) {
    chars += row.content.length;
    if (taken.length > 0 && chars > MAX_BATCH_CHARS) break;
    taken.push(row);
  }
  const done = rows.length < limit && taken.length === rows.length;
  await runBatch(db, [
    ...taken.map((row) => backfillStatement(db, row)),
    ...(done ? [db.run(DONE)] : []),
  ]);
  const [newest, oldest] = [taken[0]?.seq, taken.at(-1)?.seq];
  if (newest === undefined || oldest === undefined) return 0;
  for (let pass = 0; pass < CATCH_UPS; pass++) {
    const missed = await db
      .select(INDEXED_COLUMNS)
      .from(notes)
      .where(
        and(
          gte(notes.seq, oldest),
          lte(notes.seq, newest),
          isNull(notes.deletedAt),
          not(isIndexed()),
        ),
      );
    if (missed.length === 0) break;
    await runBatch(
      db,
      missed.map((row) => backfillStatement(db, row)),
    );
  }
  return taken.length;
}
