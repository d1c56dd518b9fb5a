/**
 * Storing remote notes: which ones concern the owner, and the D1 statements that store,
 * update or delete them. Statements are returned, not run, so that the inbox can write
 * them in one batch with the received activity.
 */
import { and, eq, inArray, isNull, sql } from "drizzle-orm";
import type { ParsedNote } from "../activitypub/remote-note";
import { sanitizeHtml } from "../activitypub/sanitize";
import type { Config } from "../env";
import type { Db, Statement } from "../storage/db";
import { findFollow } from "../storage/follows";
import { noteRecipients, notes, noteTags, type Visibility } from "../storage/schema";

/**
 * A note concerns the owner when it is addressed to them, mentions them, replies to one of
 * their notes, or comes from someone they follow. Others are acknowledged and not kept.
 */
export async function concernsOwner(db: Db, config: Config, note: ParsedNote): Promise<boolean> {
  const owner = config.urls.owner.id;
  if (note.to.includes(owner) || note.cc.includes(owner)) return true;
  if (note.tags.some((t) => t.type === "Mention" && t.href === owner)) return true;
  if (note.inReplyTo?.startsWith(`${owner}/statuses/`)) return true;
  const follow = await findFollow(db, note.attributedTo, owner);
  return follow?.state === "accepted";
}

/** The stored note this parsed note may write to: same id, same author. */
const sameNote = (note: ParsedNote) =>
  and(eq(notes.id, note.id), eq(notes.attributedTo, note.attributedTo));

/** The recipient and tag rows of a note, inserted by the note's id (its seq is not known yet). */
function relationInserts(db: Db, note: ParsedNote): Statement[] {
  const statements: Statement[] = [];
  const seen = new Set<string>();
  for (const [field, recipients] of [
    ["to", note.to],
    ["cc", note.cc],
  ] as const) {
    for (const recipient of recipients) {
      if (seen.has(recipient)) continue;
      seen.add(recipient);
      statements.push(
        db
          .insert(noteRecipients)
          .select(
            db
              .select({
                noteSeq: notes.seq,
                recipient: sql<string>`${recipient}`.as("recipient"),
                field: sql<"to" | "cc">`${field}`.as("field"),
              })
              .from(notes)
              .where(sameNote(note)),
          )
          .onConflictDoNothing(),
      );
    }
  }
  for (const tag of note.tags) {
    statements.push(
      db
        .insert(noteTags)
        .select(
          db
            .select({
              noteSeq: notes.seq,
              type: sql<"Hashtag" | "Mention" | "Emoji">`${tag.type}`.as("type"),
              name: sql<string>`${tag.name}`.as("name"),
              href: sql<string | null>`${tag.href}`.as("href"),
            })
            .from(notes)
            .where(sameNote(note)),
        )
        .onConflictDoNothing(),
    );
  }
  return statements;
}

/** Statements that store a new remote note, once (a repeated id changes nothing). */
export async function storeNoteStatements(
  db: Db,
  note: ParsedNote,
  visibility: Visibility,
  now: Date,
): Promise<Statement[]> {
  return noteStatements(
    db,
    { ...note, content: await sanitizeHtml(note.content) },
    visibility,
    now,
  );
}

/** The same for a note whose HTML is already safe (the owner's, which we composed). */
export function noteStatements(
  db: Db,
  note: ParsedNote,
  visibility: Visibility,
  now: Date,
): Statement[] {
  return [
    db
      .insert(notes)
      .values(noteColumns(note, visibility, now))
      .onConflictDoNothing(),
    ...relationInserts(db, note),
  ];
}

/** A parsed note's columns in the `notes` table (`published` defaults to `now`). */
export function noteColumns(note: ParsedNote, visibility: Visibility, now: Date) {
  return {
    id: note.id,
    type: note.type,
    attributedTo: note.attributedTo,
    inReplyTo: note.inReplyTo ?? null,
    content: note.content,
    summary: note.summary ?? null,
    sensitive: note.sensitive,
    language: note.language ?? null,
    visibility,
    url: note.url ?? null,
    attachments: [...note.attachments],
    published: note.published ?? now,
    updated: note.updated ?? null,
  };
}

/** Statements that apply an edit, only to a note the editor wrote. */
export async function updateNoteStatements(
  db: Db,
  note: ParsedNote,
  now: Date,
): Promise<Statement[]> {
  return editStatements(db, { ...note, content: await sanitizeHtml(note.content) }, now);
}

/** The same for a note whose HTML is already safe (the owner's, which we composed). */
export function editStatements(db: Db, note: ParsedNote, now: Date): Statement[] {
  const mine = and(sameNote(note), isNull(notes.deletedAt));
  const seqs = db.select({ seq: notes.seq }).from(notes).where(mine);
  return [
    db
      .update(notes)
      .set({
        content: note.content,
        summary: note.summary ?? null,
        sensitive: note.sensitive,
        language: note.language ?? null,
        attachments: [...note.attachments],
        updated: note.updated ?? now,
      })
      .where(mine),
    db.delete(noteRecipients).where(inArray(noteRecipients.noteSeq, seqs)),
    db.delete(noteTags).where(inArray(noteTags.noteSeq, seqs)),
    ...relationInserts(db, note),
  ];
}
