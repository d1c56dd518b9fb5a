/**
 * The public timelines (Mastodon's `PublicFeed` and `TagFeed`), of what this instance stores:
 * public notes only, never boosts, newest first, in pages by status id, none by an author the
 * owner keeps away (`authorShown`'s tests on the joined author: `joinedAuthorShown`). Each
 * page is one query, its rows status rows (`statuses.ts`).
 */
import {
  and,
  asc,
  desc,
  eq,
  exists,
  inArray,
  isNull,
  ne,
  not,
  or,
  type SQL,
  sql,
} from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import type { Db } from "./db";
import { noteIdSql } from "./ids";
import { type ApiPageRequest, type Page, pageById } from "./pages";
import { notes, noteTags } from "./schema";
import { joinedAuthorShown } from "./shown";
import { author, type StatusRow, statusRowsQuery } from "./statuses";

/** Whose public timeline, and its filters (`local`, `remote`, `only_media`). */
export interface PublicQuery {
  /** The owner's actor id: their notes are the local ones. */
  readonly owner: string;
  /** When mutes are judged. */
  readonly now: Date;
  /** Only the owner's notes. */
  readonly local?: boolean;
  /** Only the others'. */
  readonly remote?: boolean;
  readonly onlyMedia?: boolean;
}

/** A hashtag's timeline: notes with any of `any`, all of `all` and none of `none` (names as stored). */
export interface TagQuery extends PublicQuery {
  readonly any: readonly string[];
  readonly all: readonly string[];
  readonly none: readonly string[];
}

const one = sql`1`;

/** Whether a note (of the outer query) has a hashtag of one of these names, by primary key. */
function tagged(db: Db, names: readonly string[]): SQL {
  return exists(
    db
      .select({ one })
      .from(noteTags)
      .where(
        and(
          eq(noteTags.noteSeq, notes.seq),
          eq(noteTags.type, "Hashtag"),
          inArray(noteTags.name, [...names]),
        ),
      ),
  );
}

/** What both timelines ask of a note: public, not deleted, its author shown; and the filters. */
export function publicNotes(query: PublicQuery): (SQL | undefined)[] {
  const { owner, now } = query;
  return [
    isNull(notes.deletedAt),
    eq(notes.visibility, "public"),
    query.local ? eq(notes.attributedTo, owner) : undefined,
    query.remote ? ne(notes.attributedTo, owner) : undefined,
    query.onlyMedia ? sql`coalesce(json_array_length(${notes.attachments}), 0) > 0` : undefined,
    joinedAuthorShown({ id: notes.attributedTo, domain: author.domain }, { now, in: "timelines" }),
  ];
}

/**
 * Mastodon's `without_replies`: no replies but to oneself (a thread), the note answered
 * looked up by its unique id.
 */
export function notAReply(db: Db): SQL | undefined {
  const parent = alias(notes, "answered");
  return or(
    isNull(notes.inReplyTo),
    exists(
      db
        .select({ one })
        .from(parent)
        .where(and(eq(parent.id, notes.inReplyTo), eq(parent.attributedTo, notes.attributedTo))),
    ),
  );
}

/**
 * The public timeline: the public notes stored, but replies (except to oneself), walked in
 * status id order from the cursor (the id's expression index); the owner's alone (`local`)
 * through their author index, from the cursor's time, in the same order.
 */
export function publicTimeline(
  db: Db,
  query: PublicQuery,
  request: ApiPageRequest,
): Promise<Page<StatusRow>> {
  const id = noteIdSql();
  const ascending = request.minId !== undefined;
  return pageById(id, request, (where, orderBy, limit) => {
    const byAuthor = query.local === true;
    const order = ascending ? asc : desc;
    return statusRowsQuery(db, query.owner)
      .where(
        and(
          ...publicNotes(query),
          notAReply(db),
          where,
          byAuthor ? timeBetween(request) : undefined,
        ),
      )
      .orderBy(...(byAuthor ? [order(notes.published), order(notes.seq)] : [orderBy]))
      .limit(limit);
  });
}

/**
 * The cursor's bounds on `published` (an id's high bits are its note's time), so that the
 * owner's notes are read from their author index within the page's range.
 */
function timeBetween(request: ApiPageRequest): SQL | undefined {
  const above = request.minId ?? request.sinceId;
  const below = request.maxId;
  return and(
    above === undefined ? undefined : sql`${notes.published} >= ${Number(above >> 16n)}`,
    below === undefined ? undefined : sql`${notes.published} <= ${Number(below >> 16n)}`,
  );
}

/**
 * A hashtag's timeline: the public notes with one of `any` (the hashtag itself among them),
 * all of `all` and none of `none`. The notes with those tags are found through the tags'
 * name index, and the page is picked among them by id (a sort of the tagged notes' ids,
 * few on a single-user instance), before the page's status rows are read.
 */
export async function tagTimeline(
  db: Db,
  query: TagQuery,
  request: ApiPageRequest,
): Promise<Page<StatusRow>> {
  if (query.any.length === 0) return { items: [], hasOlder: false, hasNewer: false };
  const id = noteIdSql();
  const withAny = db
    .select({ seq: noteTags.noteSeq })
    .from(noteTags)
    .where(and(eq(noteTags.type, "Hashtag"), inArray(noteTags.name, [...query.any])));
  return pageById(id, request, (where, orderBy, limit) => {
    const page = db
      .select({ seq: notes.seq })
      .from(notes)
      .leftJoin(author, eq(author.id, notes.attributedTo))
      .where(
        and(
          inArray(notes.seq, withAny),
          ...publicNotes(query),
          ...query.all.map((name) => tagged(db, [name])),
          query.none.length === 0 ? undefined : not(tagged(db, query.none)),
          where,
        ),
      )
      .orderBy(orderBy)
      .limit(limit);
    return statusRowsQuery(db, query.owner).where(inArray(notes.seq, page)).orderBy(orderBy);
  });
}
