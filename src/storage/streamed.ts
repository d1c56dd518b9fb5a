/**
 * What the streaming API needs to know of a status as it comes: its status row, and which of
 * the owner's timelines show it, each judged by that timeline's own condition (`homeNotes`,
 * `publicNotes` with `notAReply`, `inListFeed`), so that a stream never shows what its
 * timeline would not. Each is a read to batch with others (`storage/batched.ts`), so that the
 * streaming object makes a call's events in one round trip: a second only for a note whose
 * author is on lists. And the notifications one activity wrote, with the statuses they are
 * about.
 */
import { and, asc, eq, inArray, type SQL, sql } from "drizzle-orm";
import { idTime } from "../mastodon/ids";
import { allOf, type Batched, batched } from "./batched";
import type { Db } from "./db";
import { notificationIdSql } from "./ids";
import { inListFeed } from "./lists";
import { type ListedNotification, listed, shownQuery } from "./notification-pages";
import { idBetween } from "./pages";
import { notAReply, publicNotes } from "./public-timelines";
import { type NoteRow, notes, noteTags, notifications, reactions } from "./schema";
import { type ListRow, listMembers, lists } from "./schema-lists";
import {
  author,
  parent,
  parentAuthor,
  type StatusData,
  type StatusRow,
  statusFields,
  statusRowsQuery,
  toStatusData,
} from "./statuses";
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
 * A stored note (not deleted) with the timelines that show it, as a read to batch with others
 * (`storage/batched.ts`); undefined when there is none. The lists its author is on are read
 * beside it; its value checks them in a second query, when there are some.
 */
export function streamedNoteRead(
  db: Db,
  viewer: HomeViewer,
  id: string,
): Batched<Promise<StreamedNote | undefined>> {
  const query = { owner: viewer.owner, now: viewer.now };
  const note = db
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
    .where(and(eq(notes.id, id), sql`${notes.deletedAt} is null`));
  const authorsLists = db
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
    .limit(MAX_LIST_STREAMS);
  return allOf(
    [batched(note, ([read]) => read), batched(authorsLists, (rows) => rows)],
    async ([read, onLists]) => {
      if (read === undefined) return undefined;
      const { inHome, inPublic, inTags, ...row } = read;
      const shownOn = await listsShowing(db, { id, owner: viewer.owner, onLists });
      return {
        row,
        home: inHome === 1,
        public: inPublic === 1,
        tagged: inTags === 1,
        lists: shownOn,
      };
    },
  );
}

/** Which of the lists a note's author is on show it (`inListFeed`): one query, if any. */
async function listsShowing(
  db: Db,
  note: { readonly id: string; readonly owner: string; readonly onLists: readonly ListRow[] },
): Promise<number[]> {
  const { id, owner, onLists } = note;
  if (onLists.length === 0) return [];
  const checks = Object.fromEntries(
    onLists.map((list) => [`l${list.seq}`, flag(inListFeed(db, { list, owner }))]),
  );
  const [listed] = await db.select(checks).from(notes).where(eq(notes.id, id));
  return onLists.filter((list) => listed?.[`l${list.seq}`] === 1).map((list) => list.seq);
}

/** A note deleted (its tombstone), its hashtags, and the lists its author is on (at most N). */
export interface DeletedNote {
  readonly note: NoteRow;
  readonly hashtags: readonly string[];
  readonly lists: readonly number[];
}

/**
 * A note tombstoned at `at` (by the delete that is being streamed, not an earlier one), with
 * what says which streams showed it: its hashtags, its author's lists. A read to batch.
 */
export function deletedNoteRead(
  db: Db,
  deleted: { readonly id: string; readonly at: Date },
): Batched<DeletedNote | undefined> {
  const tombstone = db
    .select()
    .from(notes)
    .where(and(eq(notes.id, deleted.id), eq(notes.deletedAt, deleted.at)));
  const tags = db
    .select({ name: noteTags.name })
    .from(noteTags)
    .innerJoin(notes, eq(notes.seq, noteTags.noteSeq))
    .where(and(eq(notes.id, deleted.id), eq(noteTags.type, "Hashtag")));
  const onLists = db
    .select({ list: listMembers.list })
    .from(listMembers)
    .innerJoin(notes, eq(notes.attributedTo, listMembers.actor))
    .where(eq(notes.id, deleted.id))
    .orderBy(asc(listMembers.list))
    .limit(MAX_LIST_STREAMS);
  return allOf(
    [
      batched(tombstone, ([note]) => note),
      batched(tags, (rows) => rows),
      batched(onLists, (rows) => rows),
    ],
    ([note, hashtags, authorsLists]) =>
      note === undefined
        ? undefined
        : { note, hashtags: hashtags.map((t) => t.name), lists: authorsLists.map((l) => l.list) },
  );
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

/** The notifications one activity wrote: by `account`, in the millisecond `at`. */
export interface WrittenNotifications {
  readonly account: string;
  readonly at: Date;
  /** The most read: the newest. */
  readonly limit: number;
}

/**
 * Those notifications, by their ids' range (`notifications_api_id_idx`: the ids of one
 * millisecond) and their account, not looked up by its index (`+`): an account may have
 * written many, one activity's are a few among the millisecond's.
 */
function writtenWhere(written: WrittenNotifications): SQL | undefined {
  const first = idTime(written.at.getTime()) << 16n;
  return and(
    idBetween(notificationIdSql(), first - 1n, first + 65536n),
    sql`+${notifications.account} = ${written.account}`,
  );
}

const newestFirst = () => sql`${notificationIdSql()} desc`;

/**
 * The notifications one activity wrote, newest first, each with its account, as
 * `listNotifications` reads them (none by an account the owner keeps away, `shownQuery`).
 */
export function writtenNotificationsRead(
  db: Db,
  written: WrittenNotifications & { readonly now: Date },
): Batched<ListedNotification[]> {
  const { limit, now } = written;
  const query = shownQuery(db, {
    where: writtenWhere(written),
    orderBy: newestFirst(),
    limit,
    now,
  });
  return batched(query, (rows) => rows.map(listed));
}

/**
 * The status data of the notes those notifications are about (a follow's is about none), to
 * read in the same round trip as the notifications: their targets found again by the same
 * range.
 */
export function writtenStatusesRead(
  db: Db,
  written: WrittenNotifications & { readonly owner: string },
): Batched<StatusData> {
  const targets = db
    .select({ target: notifications.target })
    .from(notifications)
    .where(writtenWhere(written))
    .orderBy(newestFirst())
    .limit(written.limit);
  const query = statusRowsQuery(db, written.owner).where(inArray(notes.id, targets));
  return batched(query, toStatusData);
}
