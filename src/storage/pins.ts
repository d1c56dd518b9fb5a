/**
 * The owner's pins (Mastodon's featured statuses): `notes.pinned_at`, set on a note of
 * theirs that is not deleted. The featured collection lists them (`pinnedNotes`).
 */
import { and, count, eq, isNotNull, isNull, sql } from "drizzle-orm";
import type { Db } from "./db";
import { notes } from "./schema";

/** The author's pins, not deleted (deleted notes lose their pin). */
const pinnedBy = (author: string) =>
  and(eq(notes.attributedTo, author), isNotNull(notes.pinnedAt), isNull(notes.deletedAt));

/** The ids of the notes the owner has pinned (a query, to run alone or in a batch). */
export function pinnedIdsQuery(db: Db, owner: string) {
  return db.select({ id: notes.id }).from(notes).where(pinnedBy(owner));
}

/**
 * Pins a note of the author's, not deleted, while they have fewer than `max` pins: the count
 * is read by the write itself, so that two pins at once cannot pass the limit. One already
 * pinned keeps its time. Answers the note's `seq` when this statement pinned it.
 */
export function pinStatement(db: Db, pin: { id: string; author: string; at: Date; max: number }) {
  const pins = db.select({ n: count() }).from(notes).where(pinnedBy(pin.author));
  return db
    .update(notes)
    .set({ pinnedAt: pin.at })
    .where(
      and(
        eq(notes.id, pin.id),
        eq(notes.attributedTo, pin.author),
        isNull(notes.pinnedAt),
        isNull(notes.deletedAt),
        sql`(${pins}) < ${pin.max}`,
      ),
    )
    .returning({ seq: notes.seq });
}

/** Unpins a note of the author's; answers its `seq` when this statement unpinned it. */
export function unpinStatement(db: Db, pin: { id: string; author: string }) {
  return db
    .update(notes)
    .set({ pinnedAt: null })
    .where(and(eq(notes.id, pin.id), eq(notes.attributedTo, pin.author), isNotNull(notes.pinnedAt)))
    .returning({ seq: notes.seq });
}
