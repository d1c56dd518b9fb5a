/**
 * A note's earlier versions, for its edit history: each edit, the owner's or a remote
 * author's, keeps the version it replaces, in the edit's own batch, and the newest
 * `MAX_NOTE_VERSIONS` only (a remote author may edit without end). The current version is
 * the note itself. A note's versions go when it does: its tombstone, its author's deletion.
 */
import { and, desc, eq, exists, inArray, isNull, ne, notInArray, or, sql } from "drizzle-orm";
import type { Db, Statement } from "./db";
import type { NoteEdit } from "./notes";
import { type NoteVersionRow, notes, noteVersions } from "./schema";

/** The most earlier versions kept of a note: older ones go as new ones come. */
export const MAX_NOTE_VERSIONS = 50;

/**
 * Keeps the version of a note that an edit is about to replace, when the edit changes what a
 * version shows (text, content warning, sensitivity, attachments), and drops the note's
 * versions beyond the newest `MAX_NOTE_VERSIONS`: to run just before the edit's statements,
 * in their batch. Only the author's note, not deleted, as the edit itself. An edit that
 * changes none of these (a repeated `Update`) keeps nothing.
 */
export function keepVersionStatements(db: Db, edit: NoteEdit["note"]): Statement[] {
  const attachments = JSON.stringify(edit.attachments ?? []);
  const changed = or(
    ne(notes.content, edit.content),
    sql`${notes.summary} is not ${edit.summary}`,
    ne(notes.sensitive, edit.sensitive),
    sql`coalesce(${notes.attachments}, '[]') is not ${attachments}`,
  );
  const replaced = db
    .select({
      seq: sql<number>`null`.as("seq"),
      note: notes.id,
      content: notes.content,
      summary: notes.summary,
      sensitive: notes.sensitive,
      attachments: notes.attachments,
      // When the replaced version was made: the last edit, else the note's publication.
      createdAt: sql<Date>`coalesce(${notes.updated}, ${notes.published})`.as("created_at"),
    })
    .from(notes)
    .where(
      and(
        eq(notes.id, edit.id),
        eq(notes.attributedTo, edit.attributedTo),
        isNull(notes.deletedAt),
        changed,
      ),
    );
  const newest = db
    .select({ seq: noteVersions.seq })
    .from(noteVersions)
    .where(eq(noteVersions.note, edit.id))
    .orderBy(desc(noteVersions.seq))
    .limit(MAX_NOTE_VERSIONS);
  return [
    db.insert(noteVersions).select(replaced),
    db
      .delete(noteVersions)
      .where(and(eq(noteVersions.note, edit.id), notInArray(noteVersions.seq, newest))),
  ];
}

/** A note's versions, when the note is the author's (its tombstone's batch). */
export function forgetVersionsStatement(db: Db, note: { id: string; author: string }): Statement {
  const theirs = db
    .select({ one: sql`1` })
    .from(notes)
    .where(and(eq(notes.id, note.id), eq(notes.attributedTo, note.author)));
  return db.delete(noteVersions).where(and(eq(noteVersions.note, note.id), exists(theirs)));
}

/** The versions of every note of an author (the author is gone): before its notes go. */
export function forgetAuthorVersionsStatement(db: Db, author: string): Statement {
  const theirs = db.select({ id: notes.id }).from(notes).where(eq(notes.attributedTo, author));
  return db.delete(noteVersions).where(inArray(noteVersions.note, theirs));
}

/**
 * A note's earlier versions, oldest first: the newest `MAX_NOTE_VERSIONS` (through
 * `note_versions_note_idx`), should more have been kept before the cap.
 */
export async function noteVersionsOf(db: Db, note: string): Promise<NoteVersionRow[]> {
  const newest = await db
    .select()
    .from(noteVersions)
    .where(eq(noteVersions.note, note))
    .orderBy(desc(noteVersions.seq))
    .limit(MAX_NOTE_VERSIONS);
  return newest.reverse();
}
