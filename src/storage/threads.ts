/**
 * Threads: the stored notes the owner may see by id (`owner-visibility.ts` says which), and a
 * note's context, read in one round trip: the notes up its `in_reply_to` chain and the replies below it, each walked by a
 * recursive query through a unique or an indexed key, and bounded.
 */
import { and, eq, getTableColumns, type SQL, sql } from "drizzle-orm";
import { isBoostId } from "../mastodon/ids";
import type { Db } from "./db";
import { idIs, noteIdSql } from "./ids";
import { visibleToOwner } from "./owner-visibility";
import { boostByApiId } from "./reactions";
import { authorShown } from "./safety";
import { type NoteRow, notes } from "./schema";

/** What the owner may see (`owner-visibility.ts`), here still for the callers that read it here. */
export { visibleToOwner };

/** A note the owner may see, by its id (its ActivityPub id, as a URL names it). */
export async function visibleNoteById(
  db: Db,
  query: { id: string; owner: string },
): Promise<NoteRow | undefined> {
  const [row] = await db
    .select()
    .from(notes)
    .where(and(eq(notes.id, query.id), visibleToOwner(db, query.owner)));
  return row;
}

/** A note the owner may see, by its Mastodon status id. */
export async function visibleNoteByApiId(
  db: Db,
  query: { id: bigint; owner: string },
): Promise<NoteRow | undefined> {
  const [row] = await db
    .select()
    .from(notes)
    .where(and(idIs(noteIdSql(), query.id), visibleToOwner(db, query.owner)))
    .limit(1);
  return row;
}

/**
 * The note a status id names, if the owner may see it: the note, or for a boost's id the
 * note it boosts (as Mastodon answers a bookmark given a boost's id).
 */
export async function visibleNoteOfStatusId(
  db: Db,
  query: { id: bigint; owner: string },
): Promise<NoteRow | undefined> {
  if (!isBoostId(query.id)) return visibleNoteByApiId(db, query);
  const boosted = await boostByApiId(db, query.id);
  if (boosted === undefined) return undefined;
  const [row] = await db
    .select()
    .from(notes)
    .where(and(eq(notes.seq, boosted.note.seq), visibleToOwner(db, query.owner)));
  return row;
}

/** A note of a thread, and whether the owner is shown it (the walk goes through the others). */
export interface ThreadNote {
  readonly note: NoteRow;
  readonly visible: boolean;
}

/**
 * How far a context reaches: Mastodon's bounds for the context it shows a visitor, kept for
 * the owner too (Mastodon's signed-in bound, 4,096, would read whole trees a request).
 */
export const CONTEXT_LIMITS = {
  /** Notes up the chain, the nearest first. */
  ancestors: 40,
  /** Replies below, in the tree's order. */
  descendants: 60,
  /** Levels of replies below. */
  depth: 20,
} as const;

/** Who looks at a thread, and when (a mute that has ended no longer hides its account). */
export interface ThreadViewer {
  readonly owner: string;
  readonly now: Date;
}

/**
 * The notes of a thread, with whether the owner is shown each: a note they may see, by an
 * account they did not block or mute, nor on a domain they blocked (Mastodon's context
 * leaves those out, `StatusFilter`).
 */
function threadNotes(db: Db, viewer: ThreadViewer, ids: SQL) {
  const shown = sql`(${visibleToOwner(db, viewer.owner)} and ${authorShown(notes.attributedTo, { now: viewer.now, in: "timelines" })})`;
  return db
    .select({
      ...getTableColumns(notes),
      visible: sql<number>`(case when ${shown} then 1 else 0 end)`.as("visible"),
    })
    .from(notes)
    .where(sql`${notes.id} in ${ids}`);
}

/**
 * The stored notes up a chain of replies from `inReplyTo` (the note's parent), at most
 * `CONTEXT_LIMITS.ancestors`, each found by its unique id; deleted ones too, whose
 * `in_reply_to` continues the chain. Where the chain stops short, its next id is not stored.
 */
export function ancestorsQuery(db: Db, from: ThreadViewer & { inReplyTo: string }) {
  const chain = sql`(with recursive up(id, depth) as (
    select ${from.inReplyTo}, 1
    union all
    select ${notes.inReplyTo}, up.depth + 1 from ${notes} join up on ${notes.id} = up.id
    where ${notes.inReplyTo} is not null and up.depth < ${CONTEXT_LIMITS.ancestors}
  ) select id from up)`;
  return threadNotes(db, from, chain);
}

/**
 * The replies below a note, depth-first, each note's replies oldest first, at most
 * `CONTEXT_LIMITS.descendants` of them and `CONTEXT_LIMITS.depth` levels down: the walk
 * takes the smallest path (the times and `seq`s from the note down, fixed-width) from its
 * queue first, so that it stops after the first replies in that order rather than after
 * reading the whole tree. Each level is found through `notes_in_reply_to_idx`.
 */
export function descendantsQuery(db: Db, from: ThreadViewer & { id: string }) {
  const tree = sql`(with recursive down(id, path, depth) as (
    select ${from.id}, '', 0
    union all
    select ${notes.id}, down.path || printf('%015d%010d/', ${notes.published}, ${notes.seq}),
      down.depth + 1
    from ${notes} join down on ${notes.inReplyTo} = down.id
    where down.depth < ${CONTEXT_LIMITS.depth}
    order by 2
    limit ${CONTEXT_LIMITS.descendants + 1}
  ) select id from down where depth > 0)`;
  return threadNotes(db, from, tree);
}

type ThreadRow = Awaited<ReturnType<typeof ancestorsQuery>>[number];

const toThreadNote = ({ visible, ...note }: ThreadRow): ThreadNote => ({
  note,
  visible: visible === 1,
});

/** A note's ancestors and descendants as stored, in one round trip (unordered). */
export async function readThread(
  db: Db,
  query: ThreadViewer & { note: NoteRow },
): Promise<{ ancestors: ThreadNote[]; descendants: ThreadNote[] }> {
  const { note, ...viewer } = query;
  const below = descendantsQuery(db, { ...viewer, id: note.id });
  if (note.inReplyTo === null)
    return { ancestors: [], descendants: (await below).map(toThreadNote) };
  const [up, down] = await db.batch([
    ancestorsQuery(db, { ...viewer, inReplyTo: note.inReplyTo }),
    below,
  ]);
  return { ancestors: up.map(toThreadNote), descendants: down.map(toThreadNote) };
}
