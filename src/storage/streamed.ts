/**
 * What the streaming API needs to know of a status as it comes: its status row, and which of
 * the owner's timelines show it, each judged by that timeline's own condition (`homeNotes`,
 * `publicNotes` with `notAReply`, `inListFeed`), so that a stream never shows what its
 * timeline would not. One round trip for a note, a second only when its author is on lists.
 */
import { and, asc, eq, inArray, type SQL, sql } from "drizzle-orm";
import type { Db } from "./db";
import { inListFeed } from "./lists";
import { notAReply, publicNotes } from "./public-timelines";
import { type NoteRow, notes, noteTags, reactions } from "./schema";
import { listMembers, lists } from "./schema-lists";
import { author, parent, parentAuthor, type StatusRow, statusFields } from "./statuses";
import { type HomeViewer, homeNotes } from "./timeline";

/** The lists a streamed note is checked against (its author's first, by `seq`), at most. */
export const MAX_LIST_STREAMS = 10;

/** The boosts of a note fetched late that are streamed, at most (the latest). */
export const MAX_BOOST_STREAMS = 5;

/** A note as it comes, and the owner's timelines that show it. */
export interface StreamedNote {
  readonly row: StatusRow;
  /** The home timeline shows it. */
  readonly home: boolean;
  /** The public timeline shows it (public, its author shown, no reply but to oneself). */
  readonly public: boolean;
  /** A hashtag's timeline would show it (public, its author shown; replies too). */
  readonly tagged: boolean;
  /** The lists (`seq`) whose timelines show it. */
  readonly lists: readonly number[];
}

const flag = (condition: SQL | undefined) =>
  sql<number>`case when ${condition ?? sql`1`} then 1 else 0 end`;

/**
 * A stored note (not deleted) with the timelines that show it; undefined when there is none.
 * The lists its author is on are read beside it, and checked in a second query.
 */
export async function streamedNote(
  db: Db,
  viewer: HomeViewer,
  id: string,
): Promise<StreamedNote | undefined> {
  const query = { owner: viewer.owner, now: viewer.now };
  const [[read], onLists] = await db.batch([
    db
      .select({
        ...statusFields(viewer.owner),
        inHome: flag(homeNotes(db, viewer)).as("in_home"),
        inPublic: flag(and(...publicNotes(query), notAReply(db))).as("in_public"),
        inTags: flag(and(...publicNotes(query))).as("in_tags"),
      })
      .from(notes)
      .leftJoin(author, eq(author.id, notes.attributedTo))
      .leftJoin(parent, eq(parent.id, notes.inReplyTo))
      .leftJoin(parentAuthor, eq(parentAuthor.id, parent.attributedTo))
      .where(and(eq(notes.id, id), sql`${notes.deletedAt} is null`)),
    db
      .select()
      .from(lists)
      .where(
        inArray(
          lists.seq,
          db
            .select({ list: listMembers.list })
            .from(listMembers)
            .innerJoin(notes, eq(notes.attributedTo, listMembers.actor))
            .where(eq(notes.id, id)),
        ),
      )
      .orderBy(asc(lists.seq))
      .limit(MAX_LIST_STREAMS),
  ]);
  if (read === undefined) return undefined;
  const { inHome, inPublic, inTags, ...row } = read;
  let shownOn: number[] = [];
  if (onLists.length > 0) {
    const checks = Object.fromEntries(
      onLists.map((list) => [`l${list.seq}`, flag(inListFeed(db, { list, owner: viewer.owner }))]),
    );
    const [listed] = await db.select(checks).from(notes).where(eq(notes.id, id));
    shownOn = onLists.filter((list) => listed?.[`l${list.seq}`] === 1).map((list) => list.seq);
  }
  return { row, home: inHome === 1, public: inPublic === 1, tagged: inTags === 1, lists: shownOn };
}

/** A note deleted (its tombstone), its hashtags, and the lists its author is on (at most N). */
export interface DeletedNote {
  readonly note: NoteRow;
  readonly hashtags: readonly string[];
  readonly lists: readonly number[];
}

/**
 * A note tombstoned at `at` (by the delete that is being streamed, not an earlier one), with
 * what says which streams showed it: its hashtags, its author's lists. One round trip.
 */
export async function deletedNote(
  db: Db,
  deleted: { readonly id: string; readonly at: Date },
): Promise<DeletedNote | undefined> {
  const [[note], tags, onLists] = await db.batch([
    db
      .select()
      .from(notes)
      .where(and(eq(notes.id, deleted.id), eq(notes.deletedAt, deleted.at))),
    db
      .select({ name: noteTags.name })
      .from(noteTags)
      .innerJoin(notes, eq(notes.seq, noteTags.noteSeq))
      .where(and(eq(notes.id, deleted.id), eq(noteTags.type, "Hashtag"))),
    db
      .select({ list: listMembers.list })
      .from(listMembers)
      .innerJoin(notes, eq(notes.attributedTo, listMembers.actor))
      .where(eq(notes.id, deleted.id))
      .orderBy(asc(listMembers.list))
      .limit(MAX_LIST_STREAMS),
  ]);
  if (note === undefined) return undefined;
  const hashtags = tags.map((t) => t.name);
  return { note, hashtags, lists: onLists.map((l) => l.list) };
}

/** The latest boosts of a note (their actors and times), at most `MAX_BOOST_STREAMS`. */
export function latestBoostsQuery(db: Db, note: string) {
  return db
    .select()
    .from(reactions)
    .where(and(eq(reactions.object, note), eq(reactions.type, "Announce")))
    .orderBy(sql`${reactions.createdAt} desc`)
    .limit(MAX_BOOST_STREAMS);
}

/** A boost by the id of its `Announce` (through `reactions_id_unique`). */
export function findBoostQuery(db: Db, activity: string) {
  return db
    .select()
    .from(reactions)
    .where(and(eq(reactions.id, activity), eq(reactions.type, "Announce")))
    .limit(1);
}
