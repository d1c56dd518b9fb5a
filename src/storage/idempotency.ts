/**
 * `Idempotency-Key`s of the owner's posts: a retried request finds the post the key made the
 * first time, for a day (see `IDEMPOTENCY_KEY_TTL_MS` in the housekeeping).
 */
import { eq, inArray, lt, sql } from "drizzle-orm";
import type { Db, Statement } from "./db";
import { idempotencyKeys, type NoteRow, notes } from "./schema";

/** The note a key made, if it made one. */
export async function noteOfKey(db: Db, key: string): Promise<NoteRow | undefined> {
  const [row] = await db
    .select({ note: notes })
    .from(idempotencyKeys)
    .innerJoin(notes, eq(notes.seq, idempotencyKeys.noteSeq))
    .where(eq(idempotencyKeys.key, key));
  return row?.note;
}

/**
 * Remembers the key with the note it makes, in the note's own batch (the note's seq is found
 * by its id). The same key twice at once: the second batch fails on the key, and rolls back.
 */
export function keyStatement(db: Db, input: { key: string; noteId: string; at: Date }): Statement {
  const bound = (value: string | number) => sql`${value}`;
  return db.insert(idempotencyKeys).select(
    db
      .select({
        key: bound(input.key).as("key"),
        noteSeq: notes.seq,
        createdAt: bound(input.at.getTime()).as("created_at"),
      })
      .from(notes)
      .where(eq(notes.id, input.noteId)),
  );
}

/**
 * Deletes up to `limit` keys made before `before`. D1's SQLite has no DELETE ... LIMIT: the
 * batch is chosen by a subquery; without an order, it walks the table in insertion order,
 * where the oldest keys come first.
 */
export async function expireKeys(db: Db, query: { before: Date; limit: number }): Promise<number> {
  const batch = db
    .select({ key: idempotencyKeys.key })
    .from(idempotencyKeys)
    .where(lt(idempotencyKeys.createdAt, query.before))
    .limit(query.limit);
  const gone = await db
    .delete(idempotencyKeys)
    .where(inArray(idempotencyKeys.key, batch))
    .returning({ key: idempotencyKeys.key });
  return gone.length;
}
