/** Queries over notes and the tables that hold their lists (recipients, tags). */
import { and, count, desc, eq, inArray, isNotNull, isNull } from "drizzle-orm";
import type { NoteRelations } from "../activitypub/note";
import type { Db } from "./db";
import { type NoteRow, noteRecipients, notes, noteTags } from "./schema";

/** Notes anyone may see: public and unlisted, not deleted. */
const listed = () =>
  and(inArray(notes.visibility, ["public", "unlisted"]), isNull(notes.deletedAt));

export interface NoteWithRelations {
  readonly note: NoteRow;
  readonly relations: NoteRelations;
}

/** Loads recipients and tags of several notes in one round trip (two queries, one batch). */
export async function withRelations(
  db: Db,
  rows: readonly NoteRow[],
): Promise<NoteWithRelations[]> {
  if (rows.length === 0) return [];
  const seqs = rows.map((r) => r.seq);
  const [recipients, tags] = await db.batch([
    db.select().from(noteRecipients).where(inArray(noteRecipients.noteSeq, seqs)),
    db.select().from(noteTags).where(inArray(noteTags.noteSeq, seqs)),
  ]);
  return rows.map((note) => ({
    note,
    relations: {
      recipients: recipients.filter((r) => r.noteSeq === note.seq),
      tags: tags.filter((t) => t.noteSeq === note.seq),
    },
  }));
}

export async function findNote(db: Db, id: string): Promise<NoteRow | undefined> {
  const [row] = await db.select().from(notes).where(eq(notes.id, id));
  return row;
}

/** Notes by the author that are not deleted. */
export function authoredBy(author: string) {
  return and(eq(notes.attributedTo, author), isNull(notes.deletedAt));
}

/** The author's public notes, newest first (a query, to run alone or in a batch). */
export function recentPublicNotes(db: Db, author: string, limit: number) {
  return db
    .select()
    .from(notes)
    .where(and(authoredBy(author), eq(notes.visibility, "public")))
    .orderBy(desc(notes.published), desc(notes.seq))
    .limit(limit);
}

export function countNotesQuery(db: Db, author: string) {
  return db.select({ n: count() }).from(notes).where(authoredBy(author));
}

/** Pinned notes that anyone may see, newest pin first. */
export function pinnedNotes(db: Db, author: string, limit: number): Promise<NoteRow[]> {
  return db
    .select()
    .from(notes)
    .where(and(eq(notes.attributedTo, author), isNotNull(notes.pinnedAt), listed()))
    .orderBy(desc(notes.pinnedAt), desc(notes.seq))
    .limit(limit);
}

export async function countNotes(db: Db, author: string): Promise<number> {
  const [row] = await countNotesQuery(db, author);
  return row?.n ?? 0;
}

/** Visible replies to a note, oldest first (the order of a conversation). */
export function repliesTo(db: Db, noteId: string, limit: number) {
  return db
    .select()
    .from(notes)
    .where(and(eq(notes.inReplyTo, noteId), listed()))
    .orderBy(notes.published)
    .limit(limit);
}

/** Visible notes carrying a hashtag (name without `#`, lower-cased), newest first. */
export function notesByTag(db: Db, name: string, limit: number) {
  return db
    .select({ note: notes })
    .from(noteTags)
    .innerJoin(notes, eq(notes.seq, noteTags.noteSeq))
    .where(and(eq(noteTags.name, name), eq(noteTags.type, "Hashtag"), listed()))
    .orderBy(desc(notes.published))
    .limit(limit);
}

/** Notes addressed to a recipient (an actor or a collection), newest first. */
export function notesAddressedTo(db: Db, recipient: string, limit: number) {
  return db
    .select({ note: notes })
    .from(noteRecipients)
    .innerJoin(notes, eq(notes.seq, noteRecipients.noteSeq))
    .where(and(eq(noteRecipients.recipient, recipient), isNull(notes.deletedAt)))
    .orderBy(desc(notes.published))
    .limit(limit);
}
