/**
 * An account's statuses, as its profile lists them (Mastodon's `AccountStatusesFilter`): its
 * notes and its boosts, newest first, in pages by status id, with the profile's filters
 * (pinned, only media, no replies, no boosts, one hashtag). The notes and the boosts are read
 * in one round trip, each by its own index, and merged here by id.
 */
import {
  and,
  asc,
  desc,
  eq,
  exists,
  inArray,
  isNotNull,
  isNull,
  or,
  type SQL,
  sql,
} from "drizzle-orm";
import { type AnySQLiteColumn, alias } from "drizzle-orm/sqlite-core";
import { boostId, noteId } from "../mastodon/ids";
import type { Db } from "./db";
import { countFollowsQuery } from "./follows";
import { boostIdSql, noteIdSql } from "./ids";
import { countNotesQuery } from "./notes";
import { visibleToOwner } from "./owner-visibility";
import { type ApiPageRequest, idBetween, type Page } from "./pages";
import { type NoteRow, notes, noteTags, type ReactionRow, reactions } from "./schema";

/** Which of an account's statuses a page shows. */
export interface AccountStatusesQuery {
  /** The account's actor id. */
  readonly author: string;
  /** The owner's actor id: who is looking (their own profile shows every note). */
  readonly owner: string;
  /**
   * Only the pinned notes: the owner's own pins, or, for a remote account, the notes its
   * featured collection named (`featured`).
   */
  readonly pinned?: boolean;
  readonly featured?: readonly string[];
  readonly onlyMedia?: boolean;
  /** Replies left out, except the author's replies to themselves (threads), as Mastodon has it. */
  readonly excludeReplies?: boolean;
  readonly excludeReblogs?: boolean;
  /** A hashtag, lower-cased and without `#`. */
  readonly tagged?: string;
}

export type AccountStatusItem =
  | { readonly kind: "note"; readonly id: bigint; readonly note: NoteRow }
  | {
      readonly kind: "boost";
      readonly id: bigint;
      readonly boost: ReactionRow;
      readonly note: NoteRow;
    };

/** The most featured notes a remote account's pinned list names (Mastodon shows 5 pins). */
export const MAX_FEATURED = 20;

const one = sql`1`;

/** The notes' filters: pinned, media, replies, hashtag. */
function noteFilters(db: Db, query: AccountStatusesQuery): (SQL | undefined)[] {
  const parent = alias(notes, "parent");
  const ownPins = query.author === query.owner;
  const pinned = alias(notes, "pinned");
  return [
    query.pinned
      ? ownPins
        ? // The author's pins by their own partial index (five at most), not every note of theirs.
          inArray(
            notes.seq,
            db
              .select({ seq: pinned.seq })
              .from(pinned)
              .where(and(eq(pinned.attributedTo, query.author), isNotNull(pinned.pinnedAt))),
          )
        : inArray(notes.id, [...(query.featured ?? [])].slice(0, MAX_FEATURED))
      : undefined,
    query.onlyMedia ? sql`coalesce(json_array_length(${notes.attachments}), 0) > 0` : undefined,
    query.excludeReplies
      ? or(
          isNull(notes.inReplyTo),
          exists(
            db
              .select({ one })
              .from(parent)
              .where(
                and(eq(parent.id, notes.inReplyTo), eq(parent.attributedTo, notes.attributedTo)),
              ),
          ),
        )
      : undefined,
    query.tagged === undefined
      ? undefined
      : exists(
          db
            .select({ one })
            .from(noteTags)
            .where(
              and(
                eq(noteTags.noteSeq, notes.seq),
                eq(noteTags.type, "Hashtag"),
                eq(noteTags.name, query.tagged),
              ),
            ),
        ),
  ];
}

/**
 * The time column's bounds that an id range implies (an id's high bits are its row's time),
 * so that SQLite reads the range from the author's index instead of every row of theirs.
 */
function timeBetween(column: AnySQLiteColumn, above?: bigint, below?: bigint) {
  return and(
    above === undefined ? undefined : sql`${column} >= ${Number(above >> 16n)}`,
    below === undefined ? undefined : sql`${column} <= ${Number(below >> 16n)}`,
  );
}

/** Whether the page may hold boosts (Mastodon: not with only media, a hashtag or pins). */
const boostsShown = (q: AccountStatusesQuery) =>
  !(q.excludeReblogs || q.onlyMedia || q.pinned || q.tagged !== undefined);

/** A page's bounds: exclusive ids either way, its direction, how many rows to read. */
interface Bounds {
  readonly above?: bigint;
  readonly below?: bigint;
  readonly direction: typeof asc;
  readonly rows: number;
}

/** The author's boosts of notes still there, by the actor's index on reactions; their notes. */
function boostQueries(db: Db, author: string, bounds: Bounds) {
  const { above, below, direction, rows } = bounds;
  const boosted = and(
    eq(reactions.actor, author),
    eq(reactions.type, "Announce"),
    idBetween(boostIdSql(), above, below),
    timeBetween(reactions.createdAt, above, below),
    exists(
      db
        .select({ one })
        .from(notes)
        .where(and(eq(notes.id, reactions.object), isNull(notes.deletedAt))),
    ),
  );
  const order = [direction(reactions.createdAt), direction(reactions.seq)];
  const boosts = db
    .select()
    .from(reactions)
    .where(boosted)
    .orderBy(...order)
    .limit(rows);
  const boostedNotes = db
    .select()
    .from(notes)
    .where(
      inArray(
        notes.id,
        db
          .select({ object: reactions.object })
          .from(reactions)
          .where(boosted)
          .orderBy(...order)
          .limit(rows),
      ),
    );
  return [boosts, boostedNotes] as const;
}

/**
 * One page of an account's statuses, newest first. Asks each side for one row more than the
 * page holds; the merge tells whether another page follows. Ids are times: within one
 * millisecond rows go by `seq`, which is the id's order but for `seq`s 32,768 apart.
 */
export async function accountStatusesPage(
  db: Db,
  query: AccountStatusesQuery,
  request: ApiPageRequest,
): Promise<Page<AccountStatusItem>> {
  const { maxId, sinceId, minId, limit } = request;
  const bounds: Bounds = {
    above: minId ?? sinceId,
    below: maxId,
    direction: minId === undefined ? desc : asc,
    rows: limit + 1,
  };
  const { author } = query;
  const own = db
    .select()
    .from(notes)
    .where(
      and(
        // The owner's pins come by their seqs: `+` keeps SQLite off the author's index.
        query.pinned && author === query.owner
          ? sql`+${notes.attributedTo} = ${author}`
          : eq(notes.attributedTo, author),
        // Of another's notes, those the owner may see (Mastodon's `filtered_scope`).
        author === query.owner ? isNull(notes.deletedAt) : visibleToOwner(db, query.owner),
        ...noteFilters(db, query),
        idBetween(noteIdSql(), bounds.above, bounds.below),
        timeBetween(notes.published, bounds.above, bounds.below),
      ),
    )
    .orderBy(bounds.direction(notes.published), bounds.direction(notes.seq))
    .limit(bounds.rows);
  if (!boostsShown(query)) return pageOf((await own).map(noteItem), request);
  const [notesRead, boosts, originals] = await db.batch([own, ...boostQueries(db, author, bounds)]);
  const byId = new Map(originals.map((n) => [n.id, n]));
  const items = [
    ...notesRead.map(noteItem),
    ...boosts.flatMap((boost) => {
      const note = byId.get(boost.object);
      return note === undefined ? [] : [boostItem(boost, note)];
    }),
  ];
  return pageOf(items, request);
}

/** The page of the rows read (one more than a page from each side), told as `pages.ts` tells one. */
function pageOf(read: AccountStatusItem[], request: ApiPageRequest): Page<AccountStatusItem> {
  const { maxId, sinceId, minId, limit } = request;
  const ascending = minId !== undefined;
  const items = read.toSorted((a, b) => (a.id === b.id ? 0 : a.id < b.id === ascending ? -1 : 1));
  const page = items.slice(0, limit);
  if (ascending) {
    return { items: page.reverse(), hasNewer: items.length > limit, hasOlder: page.length > 0 };
  }
  return {
    items: page,
    hasOlder: items.length > limit || sinceId !== undefined,
    hasNewer: maxId !== undefined && page.length > 0,
  };
}

const noteItem = (note: NoteRow): AccountStatusItem => ({
  kind: "note",
  id: BigInt(noteId(note)),
  note,
});

const boostItem = (boost: ReactionRow, note: NoteRow): AccountStatusItem => ({
  kind: "boost",
  id: BigInt(boostId(boost)),
  boost,
  note,
});

/** When the author's newest note was published (a query, to run alone or in a batch). */
export function latestNoteQuery(db: Db, author: string) {
  return db
    .select({ published: notes.published })
    .from(notes)
    .where(and(eq(notes.attributedTo, author), isNull(notes.deletedAt)))
    .orderBy(desc(notes.published), desc(notes.seq))
    .limit(1);
}

/** What D1 knows of an account's activity: its notes and follows, and its latest note's time. */
export async function knownActivity(
  db: Db,
  author: string,
): Promise<{ posts: number; followers: number; following: number; lastStatusAt?: Date }> {
  const [posts, followers, following, [latest]] = await db.batch([
    countNotesQuery(db, author),
    countFollowsQuery(db, "followers", author),
    countFollowsQuery(db, "following", author),
    latestNoteQuery(db, author),
  ]);
  return {
    posts: posts[0]?.n ?? 0,
    followers: followers[0]?.n ?? 0,
    following: following[0]?.n ?? 0,
    lastStatusAt: latest?.published,
  };
}
