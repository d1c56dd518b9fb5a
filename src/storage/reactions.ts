/**
 * The like and boost counts kept on `notes`. They are never incremented: each statement
 * recounts the `reactions` rows of the notes it touches, in the batch that changes them, so
 * a repeated, reordered or concurrent delivery leaves them exact.
 */
import { and, eq, inArray, not, type SQL, sql } from "drizzle-orm";
import type { Db, Statement } from "./db";
import { notes, reactions } from "./schema";

/** The `reactions` rows of one type about the note being updated, minus those `except` names. */
function counted(type: "Like" | "Announce", except?: SQL) {
  const conditions = and(
    eq(reactions.object, notes.id),
    eq(reactions.type, type),
    except === undefined ? undefined : not(except),
  );
  return sql<number>`(select count(*) from ${reactions} where ${conditions})`;
}

/** Recounts the likes and boosts of one note, after its reactions changed in the same batch. */
export function recountReactions(db: Db, noteId: string): Statement {
  return db
    .update(notes)
    .set({ likesCount: counted("Like"), sharesCount: counted("Announce") })
    .where(eq(notes.id, noteId));
}

/**
 * Recounts the notes that lose the reactions `removed` matches, as they will be once those
 * are deleted: to run just before the statement that deletes them, in the same batch. (After
 * the delete, which notes lost one could no longer be told when only an activity id is known.)
 */
export function recountBeforeRemoving(db: Db, removed: SQL): Statement {
  return db
    .update(notes)
    .set({ likesCount: counted("Like", removed), sharesCount: counted("Announce", removed) })
    .where(
      inArray(notes.id, db.select({ object: reactions.object }).from(reactions).where(removed)),
    );
}
