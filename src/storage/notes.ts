/** Notes and the tables that hold their lists (recipients, tags): read, stored, edited, deleted. */
import { and, desc, eq, inArray, isNotNull, isNull, sql } from "drizzle-orm";
import type { NoteRelations } from "../activitypub/note";
import { countOf } from "./counts";
import { type Db, readInSlices, type Statement } from "./db";
import { idIs, noteIdSql } from "./ids";
import { forgetVersionsStatement } from "./note-versions";
import {
  type NoteColumns,
  type NoteRow,
  type NoteTagRow,
  noteRecipients,
  notes,
  noteTags,
} from "./schema";
import { indexNewNoteStatement, reindexNoteStatement } from "./search";

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
  const recipientsOf = Map.groupBy(recipients, (r) => r.noteSeq);
  const tagsOf = Map.groupBy(tags, (t) => t.noteSeq);
  return rows.map((note) => {
    const mine = recipientsOf.get(note.seq) ?? [];
    // `bto` and `bcc` are blind: kept for delivery, never shown.
    const field = (name: "to" | "cc") =>
      mine.filter((r) => r.field === name).map((r) => r.recipient);
    return {
      note,
      relations: { to: field("to"), cc: field("cc"), tags: tagsOf.get(note.seq) ?? [] },
    };
  });
}

/** A note with its tags: what the client API shows (mentions, hashtags, emoji come from them). */
export interface NoteWithTags {
  readonly note: NoteRow;
  readonly tags: readonly NoteTagRow[];
}

/**
 * Tags of several notes, in one query. The client API needs no recipients: a status shows
 * its visibility (a column) and its mentions (tags), and reading `to`/`cc` cost a page of 40
 * statuses about 160 D1 rows.
 */
export async function withTags(db: Db, rows: readonly NoteRow[]): Promise<NoteWithTags[]> {
  if (rows.length === 0) return [];
  const tags = await db
    .select()
    .from(noteTags)
    .where(
      inArray(
        noteTags.noteSeq,
        rows.map((r) => r.seq),
      ),
    );
  const tagsOf = Map.groupBy(tags, (t) => t.noteSeq);
  return rows.map((note) => ({ note, tags: tagsOf.get(note.seq) ?? [] }));
}

export async function findNote(db: Db, id: string): Promise<NoteRow | undefined> {
  const [row] = await db.select().from(notes).where(eq(notes.id, id));
  return row;
}

/** A note by its Mastodon status id, deleted or not (through the id's expression index). */
export async function noteByApiId(db: Db, id: bigint): Promise<NoteRow | undefined> {
  const [row] = await db.select().from(notes).where(idIs(noteIdSql(), id)).limit(1);
  return row;
}

/** A note that is not deleted, by its Mastodon status id. */
export async function liveNoteByApiId(db: Db, id: bigint): Promise<NoteRow | undefined> {
  const row = await noteByApiId(db, id);
  return row?.deletedAt === null ? row : undefined;
}

/** A note of this author that is not deleted (a query, to run alone or in a batch). */
export function liveNoteOfQuery(db: Db, which: { id: string; author: string }) {
  return db
    .select({ seq: notes.seq })
    .from(notes)
    .where(
      and(eq(notes.id, which.id), eq(notes.attributedTo, which.author), isNull(notes.deletedAt)),
    );
}

/** Whether a note is stored, deleted or not (a query, to run alone or in a batch). */
export function storedNoteQuery(db: Db, id: string) {
  return db.select({ seq: notes.seq }).from(notes).where(eq(notes.id, id));
}

/** Notes by `seq` (storage's own key), deleted ones too, in one round trip. */
export function notesBySeq(db: Db, seqs: readonly number[]): Promise<NoteRow[]> {
  return readInSlices(db, seqs, (slice) =>
    db.select().from(notes).where(inArray(notes.seq, slice)),
  );
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

/** How many notes an author has, not deleted: a kept count (`schema-counts.ts`), one row. */
export function countNotesQuery(db: Db, author: string) {
  return countOf(db, { subject: author, what: "notes" });
}

export async function countNotes(db: Db, author: string): Promise<number> {
  const [row] = await countNotesQuery(db, author);
  return row?.n ?? 0;
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

/** A note's new content and lists, for an edit (its HTML already safe). */
export interface NoteEdit {
  readonly note: Omit<NoteColumns, "visibility">;
  readonly relations: NoteRelations;
}

/** A note and its lists, as stored (its HTML already safe). */
export interface NoteInput extends NoteEdit {
  readonly note: NoteColumns;
}

/** The stored note a note input may write to: same id, same author. */
const sameNote = (note: NoteEdit["note"]) =>
  and(eq(notes.id, note.id), eq(notes.attributedTo, note.attributedTo));

/** The recipient and tag rows of a note, inserted by the note's id (its seq is not known yet). */
function relationInserts(db: Db, { note, relations }: NoteEdit): Statement[] {
  const statements: Statement[] = [];
  const seen = new Set<string>();
  for (const [field, recipients] of [
    ["to", relations.to],
    ["cc", relations.cc],
  ] as const) {
    for (const recipient of recipients) {
      if (seen.has(recipient)) continue;
      seen.add(recipient);
      const row = db
        .select({
          noteSeq: notes.seq,
          recipient: sql<string>`${recipient}`.as("recipient"),
          field: sql<"to" | "cc">`${field}`.as("field"),
        })
        .from(notes)
        .where(sameNote(note));
      statements.push(db.insert(noteRecipients).select(row).onConflictDoNothing());
    }
  }
  for (const tag of relations.tags) {
    const row = db
      .select({
        noteSeq: notes.seq,
        type: sql<"Hashtag" | "Mention" | "Emoji">`${tag.type}`.as("type"),
        name: sql<string>`${tag.name}`.as("name"),
        href: sql<string | null>`${tag.href}`.as("href"),
      })
      .from(notes)
      .where(sameNote(note));
    statements.push(db.insert(noteTags).select(row).onConflictDoNothing());
  }
  return statements;
}

/** Statements that store a new note, once (a repeated id changes nothing). */
export function insertNoteStatements(db: Db, input: NoteInput): Statement[] {
  const { note } = input;
  return [
    db
      .insert(notes)
      .values({ ...note, attachments: [...(note.attachments ?? [])] })
      .onConflictDoNothing(),
    indexNewNoteStatement(db, note),
    ...relationInserts(db, input),
  ];
}

/** Statements that apply an edit, only to a note its author wrote and did not delete. */
export function editNoteStatements(db: Db, input: NoteEdit): Statement[] {
  const { note } = input;
  const mine = and(sameNote(note), isNull(notes.deletedAt));
  const seqs = db.select({ seq: notes.seq }).from(notes).where(mine);
  return [
    db
      .update(notes)
      .set({
        content: note.content,
        summary: note.summary,
        sensitive: note.sensitive,
        language: note.language,
        attachments: [...(note.attachments ?? [])],
        updated: note.updated,
      })
      .where(mine),
    reindexNoteStatement(db, note),
    db.delete(noteRecipients).where(inArray(noteRecipients.noteSeq, seqs)),
    db.delete(noteTags).where(inArray(noteTags.noteSeq, seqs)),
    ...relationInserts(db, input),
  ];
}

/**
 * A note deleted by its author: a tombstone stays (its id answers 410, and is never reused),
 * and its earlier versions go, as what it said does.
 */
export function tombstoneStatements(
  db: Db,
  deleted: { id: string; author: string; at: Date },
): Statement[] {
  return [
    db
      .update(notes)
      .set({ deletedAt: deleted.at, content: "", summary: null, attachments: [], pinnedAt: null })
      .where(and(eq(notes.id, deleted.id), eq(notes.attributedTo, deleted.author))),
    forgetVersionsStatement(db, deleted),
  ];
}

/** Every note of an author (the author is gone). */
export function deleteNotesByStatement(db: Db, author: string): Statement {
  return db.delete(notes).where(eq(notes.attributedTo, author));
}
