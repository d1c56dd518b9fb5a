/**
 * Likes and announces (boosts), once per actor, type and note, and the counts kept on
 * `notes`. The counts are never incremented: each statement recounts the `reactions` rows of
 * the notes it touches, in the batch that changes them, so a repeated, reordered or
 * concurrent delivery leaves them exact.
 */
import { and, eq, inArray, not, or, type SQL, sql } from "drizzle-orm";
import type { Db, Statement } from "./db";
import { boostIdSql, idIs } from "./ids";
import { forgetReactionNotifications } from "./notifications";
import { type NoteRow, notes, type ReactionRow, reactions } from "./schema";

export type ReactionType = ReactionRow["type"];

/** The `reactions` rows of one type about the note being updated, minus those `except` names. */
function counted(type: ReactionType, except?: SQL) {
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

/** One reaction, with its activity's id (which an `Undo` may name alone). */
export interface NewReaction {
  readonly id: string;
  readonly type: ReactionType;
  readonly actor: string;
  readonly object: string;
  readonly at: Date;
}

/**
 * Stores a reaction and recounts its note in the same batch. A repeat (the same actor, type
 * and note) is `ignored` when it is a received activity delivered again, and `refused` (the
 * batch fails) when it is the owner's, which must be new.
 */
export function reactStatements(
  db: Db,
  reaction: NewReaction,
  repeat: "ignored" | "refused",
): Statement[] {
  const { at, ...row } = reaction;
  const insert = db.insert(reactions).values({ ...row, createdAt: at });
  return [
    repeat === "ignored" ? insert.onConflictDoNothing() : insert,
    recountReactions(db, reaction.object),
  ];
}

/** An actor's reaction of a type to a note, if there is one. */
export async function findReaction(
  db: Db,
  which: { actor: string; type: ReactionType; object: string },
): Promise<ReactionRow | undefined> {
  const [row] = await db
    .select()
    .from(reactions)
    .where(
      and(
        eq(reactions.actor, which.actor),
        eq(reactions.type, which.type),
        eq(reactions.object, which.object),
      ),
    );
  return row;
}

/**
 * A boost (an `Announce`, anyone's) by its Mastodon status id, with the note it boosts, in
 * one round trip. (Two queries rather than a join: a D1 result must not name a column twice,
 * and both tables have `seq`, `id` and `type`.)
 */
export async function boostByApiId(
  db: Db,
  id: bigint,
): Promise<{ boost: ReactionRow; note: NoteRow } | undefined> {
  const byId = and(idIs(boostIdSql(), id), eq(reactions.type, "Announce"));
  const [[boost], [note]] = await db.batch([
    db.select().from(reactions).where(byId).limit(1),
    db
      .select()
      .from(notes)
      .where(inArray(notes.id, db.select({ object: reactions.object }).from(reactions).where(byId)))
      .limit(1),
  ]);
  return boost === undefined || note === undefined ? undefined : { boost, note };
}

/**
 * The reactions of an actor to remove: the one its activity `id` made, or its reaction of a
 * type to a note (`target`), or either; all of them when neither is given.
 */
export interface ReactionMatch {
  readonly actor: string;
  readonly id?: string;
  readonly target?: { readonly type: ReactionType; readonly object: string };
}

/**
 * Removes reactions with what they made: the counts of their notes, and the owner's
 * notifications of them.
 */
export function removeReactionsStatements(db: Db, match: ReactionMatch): Statement[] {
  const { id, target } = match;
  const which = or(
    id === undefined ? undefined : eq(reactions.id, id),
    target === undefined
      ? undefined
      : and(eq(reactions.type, target.type), eq(reactions.object, target.object)),
  );
  const removed = and(eq(reactions.actor, match.actor), which) ?? eq(reactions.actor, match.actor);
  return [
    recountBeforeRemoving(db, removed),
    forgetReactionNotifications(db, { account: match.actor, removed }),
    db.delete(reactions).where(removed),
  ];
}
