/**
 * The owner's uploaded files (`schema-media.ts`): written once uploaded, described until a
 * post attaches them, attached in the post's batch, swept by the cron when never attached or
 * when their note is gone.
 */
import {
  and,
  asc,
  eq,
  exists,
  gte,
  inArray,
  isNotNull,
  isNull,
  lt,
  notExists,
  or,
  sql,
} from "drizzle-orm";
import type { Db, Statement } from "./db";
import { idIs, mediaIdSql } from "./ids";
import { type MediaRow, media, type NewMediaRow, notes, profile } from "./schema";

/** Stores a new file's row; the row, with its `seq`. */
export async function insertMedia(db: Db, row: NewMediaRow): Promise<MediaRow> {
  const [stored] = await db.insert(media).values(row).returning();
  if (stored === undefined) throw new Error("the media row was not stored");
  return stored;
}

/** A file by its Mastodon id. */
export async function mediaByApiId(db: Db, id: bigint): Promise<MediaRow | undefined> {
  const [row] = await db.select().from(media).where(idIs(mediaIdSql(), id));
  return row;
}

/** Attachments by their Mastodon ids (at most a post's four), in no particular order. */
export function attachmentsByApiIds(db: Db, ids: readonly bigint[]): Promise<MediaRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  return db
    .select()
    .from(media)
    .where(and(eq(media.purpose, "attachment"), or(...ids.map((id) => idIs(mediaIdSql(), id)))));
}

/** A note's files as it shows them now, in order (not those an edit set aside). */
export function mediaOfNote(db: Db, note: string): Promise<MediaRow[]> {
  return db
    .select()
    .from(media)
    .where(and(eq(media.note, note), isNotNull(media.position)))
    .orderBy(asc(media.position));
}

/** What may change of a file before (and, through an edit, after) it is attached. */
export interface MediaDescription {
  readonly description?: string | null;
  readonly focus?: readonly [number, number] | null;
}

function describedAs(change: MediaDescription) {
  return {
    ...(change.description === undefined ? {} : { description: change.description }),
    ...(change.focus === undefined
      ? {}
      : { focusX: change.focus?.[0] ?? null, focusY: change.focus?.[1] ?? null }),
  };
}

/** Changes a file's description or focus; the row as it is now. */
export async function describeMedia(
  db: Db,
  seq: number,
  change: MediaDescription,
): Promise<MediaRow | undefined> {
  const set = describedAs(change);
  if (Object.keys(set).length === 0) {
    const [row] = await db.select().from(media).where(eq(media.seq, seq));
    return row;
  }
  const [row] = await db.update(media).set(set).where(eq(media.seq, seq)).returning();
  return row;
}

/** The file's note is deleted: its files are free to post again (Mastodon's redraft). */
const ofDeletedNote = (db: Db) =>
  exists(
    db
      .select({ one: sql`1` })
      .from(notes)
      .where(and(eq(notes.id, media.note), isNotNull(notes.deletedAt))),
  );

/** Whether a note is deleted (a tombstone): its files are free to post again. */
export async function isDeletedNote(db: Db, note: string): Promise<boolean> {
  const [row] = await db
    .select({ one: sql`1` })
    .from(notes)
    .where(and(eq(notes.id, note), isNotNull(notes.deletedAt)));
  return row !== undefined;
}

/**
 * Attaches files to a note, in the order given, in the post's (or edit's) batch. What the
 * note held before and no longer names stays the note's, out of place (`position` null): an
 * earlier version in its history still shows it, and it goes when the note does. A file of
 * a deleted note may be taken (delete and redraft); one attached to another note is left as
 * it is (the caller refuses it first).
 */
export function attachMediaStatements(db: Db, note: string, seqs: readonly number[]): Statement[] {
  const setAside = db
    .update(media)
    .set({ position: null })
    .where(
      and(eq(media.note, note), seqs.length === 0 ? undefined : sql`${media.seq} not in ${seqs}`),
    );
  const attach = seqs.map((seq, position) =>
    db
      .update(media)
      .set({ note, position })
      .where(
        and(eq(media.seq, seq), or(isNull(media.note), eq(media.note, note), ofDeletedNote(db))),
      ),
  );
  return [setAside, ...attach];
}

/**
 * What makes a file removable at `before`: an attachment never attached by then; a file
 * whose note is gone, or was deleted before then; an avatar or header the profile no longer
 * shows, made (or set aside, see `agePictureStatement`) before then.
 */
function sweepable(db: Db, before: Date) {
  // Gone, or deleted before `before`: a deleted post's files wait a day for a redraft.
  const noteGone = notExists(
    db
      .select({ one: sql`1` })
      .from(notes)
      .where(
        and(eq(notes.id, media.note), or(isNull(notes.deletedAt), gte(notes.deletedAt, before))),
      ),
  );
  const current = db
    .select({ key: sql`coalesce(${profile.avatarKey}, '')` })
    .from(profile)
    .union(db.select({ key: sql`coalesce(${profile.headerKey}, '')` }).from(profile));
  return or(
    and(eq(media.purpose, "attachment"), isNull(media.note), lt(media.createdAt, before)),
    and(isNotNull(media.note), noteGone),
    and(
      inArray(media.purpose, ["avatar", "header"]),
      lt(media.createdAt, before),
      sql`${media.key} not in ${current}`,
    ),
  );
}

/** Files the cron may remove (see `sweepable`), oldest first. */
export function sweepableMedia(db: Db, before: Date, limit: number): Promise<MediaRow[]> {
  return db
    .select()
    .from(media)
    .where(sweepable(db, before))
    .orderBy(asc(media.createdAt))
    .limit(limit);
}

/**
 * Forgets the rows of files `sweepableMedia` found, those still removable now (a post may
 * have attached one since), answering their keys: the objects to delete from the bucket
 * after. A row is never forgotten while a post or the profile names it, and a file whose
 * row is gone is one no one names.
 */
export function forgetSweptMedia(
  db: Db,
  found: { seqs: readonly number[]; before: Date },
): Promise<{ key: string }[]> {
  return db
    .delete(media)
    .where(and(inArray(media.seq, [...found.seqs]), sweepable(db, found.before)))
    .returning({ key: media.key });
}

/** Forgets files' rows, once their objects are gone from the bucket. */
export function deleteMediaStatement(db: Db, seqs: readonly number[]): Statement {
  return db.delete(media).where(inArray(media.seq, [...seqs]));
}

/**
 * A picture the profile stops showing counts its day from now (its `created_at`, which no
 * client sees for an avatar or header): servers that have not read the `Update` yet still
 * fetch it for a while.
 */
export function agePictureStatement(db: Db, key: string, now: Date): Statement {
  return db
    .update(media)
    .set({ createdAt: now })
    .where(and(eq(media.key, key), inArray(media.purpose, ["avatar", "header"])));
}
