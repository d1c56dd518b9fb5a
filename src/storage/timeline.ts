/**
 * The owner's home timeline: what the owner wrote and boosted, and what the accounts they
 * follow wrote and boosted, read straight from `notes` and `reactions` (no materialised
 * feed), newest first, in pages by status id, each entry with what its status shows
 * (`statuses.ts`). Two queries a page: the notes, then the boosts among them.
 */
import { and, eq, exists, isNull, ne, not, or, type Placeholder, type SQL, sql } from "drizzle-orm";
import { alias, type SQLiteColumn } from "drizzle-orm/sqlite-core";
import { boostId, noteId } from "../mastodon/ids";
import { type Batched, batched, readBatched } from "./batched";
import type { Db } from "./db";
import { prerenderedOnce } from "./frozen";
import { boostIdSql, noteIdSql } from "./ids";
import { onExclusiveList } from "./lists";
import { visibleToOwner } from "./owner-visibility";
import { type ApiPageRequest, idBetween, type Page } from "./pages";
import { nowForMutes } from "./safety";
import { follows, noteRecipients, notes, noteTags, reactions } from "./schema";
import { joinedAuthorShown } from "./shown";
import {
  author,
  type BoostedRow,
  booster,
  boostRowsQuery,
  type StatusRow,
  statusRowsQuery,
  toBoostedRow,
} from "./statuses";

/**
 * Mastodon's `REBLOG_FALLOFF`: a boost is left out of the home timeline when its note, or an
 * earlier boost of it, is fewer than this many entries below it (counted here in stored
 * notes), so that a note seen a moment ago does not come back, nor twice when two accounts
 * boost it; one seen long ago does, as Mastodon shows it again.
 */
export const REBLOG_FALLOFF = 40;

/** Whose home it is, and when: the owner, and the time mutes are judged at. */
export interface HomeViewer {
  readonly owner: string;
  readonly now: Date;
}

/** An entry of the home timeline: a note, or a boost with the note it boosts. */
export type HomeEntry =
  | { readonly kind: "note"; readonly id: bigint; readonly row: StatusRow }
  | ({ readonly kind: "boost"; readonly id: bigint } & BoostedRow);

const one = sql`1`;

/** The owner's id, or the hole it fills. */
type Owner = string | Placeholder;

/** The viewer as it is, or as a rendered fragment's holes (`prerendered`). */
export interface ViewerOrHoles {
  readonly owner: Owner;
  readonly now: Date | Placeholder;
}
const VIEWER_HOLES = ["owner", "now"] as const;

/** What fills the holes of `ViewerOrHoles`. */
const viewerValues = (viewer: HomeViewer) => ({
  owner: viewer.owner,
  now: nowForMutes(viewer.now),
});

/** Where the home judges what the owner keeps away: the timelines, at the viewer's time. */
const shownIn = (viewer: ViewerOrHoles) => ({ now: viewer.now, in: "timelines" as const });

/** Whether the owner follows an actor (an accepted follow), by the follow's unique key. */
function followed(db: Db, owner: Owner, actor: SQLiteColumn): SQL {
  return exists(
    db
      .select({ one })
      .from(follows)
      .where(
        and(eq(follows.actor, actor), eq(follows.follower, owner), eq(follows.state, "accepted")),
      ),
  );
}

/**
 * What Mastodon puts in a home feed, as a condition on `notes`: every note of the owner's
 * (whatever its visibility), and the public, unlisted and followers-only notes of the accounts
 * the owner follows (an accepted follow), with their direct notes only when they are addressed
 * to the owner (in `to`/`cc`, or mentioned). Deleted notes never.
 */
function inHomeOf(db: Db, owner: Owner): SQL | undefined {
  const addressedToOwner = or(
    exists(
      db
        .select({ one })
        .from(noteRecipients)
        .where(and(eq(noteRecipients.noteSeq, notes.seq), eq(noteRecipients.recipient, owner))),
    ),
    exists(
      db
        .select({ one })
        .from(noteTags)
        .where(
          and(
            eq(noteTags.noteSeq, notes.seq),
            eq(noteTags.type, "Mention"),
            eq(noteTags.href, owner),
          ),
        ),
    ),
  );
  return and(
    isNull(notes.deletedAt),
    or(
      eq(notes.attributedTo, owner),
      and(
        followed(db, owner, notes.attributedTo),
        or(ne(notes.visibility, "direct"), addressedToOwner),
      ),
    ),
  );
}

/**
 * The home's notes: those of `inHomeOf` whose author the owner does not keep away
 * (`authorShown`'s tests, on the author the status row joins: `joinedAuthorShown`) nor reads
 * in an exclusive list (`onExclusiveList`). Each test is a lookup
 * by key for the note at hand, and the notes are walked in status id order (the id's
 * expression index) from the cursor, so a page costs about `limit` rows when most stored notes
 * belong to the timeline (as on a single-user instance, which keeps notes that concern the owner).
 * Built each time it is called: `homeNotes` renders it once (exported for timeline.test.ts,
 * which compares the two).
 */
export function homeNotesOf(db: Db, viewer: ViewerOrHoles): SQL {
  return sql`${and(
    inHomeOf(db, viewer.owner),
    joinedAuthorShown({ id: notes.attributedTo, domain: author.domain }, shownIn(viewer)),
    not(onExclusiveList(db, notes.attributedTo)),
  )}`;
}

const homeNotesRendered = prerenderedOnce(VIEWER_HOLES, homeNotesOf);

/**
 * `homeNotesOf` for the viewer: rendered once (`prerenderedOnce`), as it is the same text for
 * every page and building it again was much of a page's CPU (`frozen.ts`).
 */
export function homeNotes(db: Db, viewer: HomeViewer): SQL {
  return homeNotesRendered(db, viewerValues(viewer));
}

/** A note's status id over an alias of `notes` (the expression its index holds). */
const noteIdOf = (t: { readonly published: SQLiteColumn; readonly seq: SQLiteColumn }) =>
  sql`((${t.published} << 16) | ((${t.seq} & 32767) << 1))`;

/**
 * The home's boosts, as a condition on `reactions` joined to the note it boosts: the owner's
 * and the followed accounts' boosts (none by an account kept away or read in an exclusive
 * list) of notes the owner may see, by authors not kept away; and not a boost of a note the
 * home showed fewer than `REBLOG_FALLOFF` notes before (the note itself, or its latest
 * earlier boost there), as Mastodon aggregates boosts. Built each time, as `homeNotesOf` is
 * (exported for timeline.test.ts).
 */
export function homeBoostsOf(db: Db, viewer: ViewerOrHoles): SQL {
  const { owner } = viewer;
  const earlier = alias(reactions, "earlier");
  const between = alias(notes, "between_notes");
  const earlierId = sql`((${earlier.createdAt} << 16) | ((${earlier.seq} & 32767) << 1) | 1)`;
  const latestEarlierBoost = sql`(select max(${earlierId}) from ${reactions} as ${sql.identifier("earlier")} where ${earlier.object} = ${reactions.object} and ${earlier.type} = 'Announce' and ${earlierId} < ${boostIdSql()} and (${earlier.actor} = ${owner} or ${followed(db, owner, earlier.actor)}))`;
  // The latest entry of the note before this boost, or -1 for none.
  const anchor = sql`max(coalesce(case when ${inHomeOf(db, owner)} then ${noteIdSql()} end, -1), coalesce(${latestEarlierBoost}, -1))`;
  const notesBetween = sql`(select count(*) from (select 1 from ${notes} as ${sql.identifier("between_notes")} where ${noteIdOf(between)} > ${anchor} and ${noteIdOf(between)} < ${boostIdSql()} limit ${sql.raw(String(REBLOG_FALLOFF))}))`;
  return sql`${and(
    // Literal, so that the partial index of boosts (`reactions_boosts_idx`) is used.
    sql`${reactions.type} = 'Announce'`,
    or(eq(reactions.actor, owner), followed(db, owner, reactions.actor)),
    joinedAuthorShown({ id: reactions.actor, domain: booster.domain }, shownIn(viewer)),
    not(onExclusiveList(db, reactions.actor)),
    visibleToOwner(db, owner),
    joinedAuthorShown({ id: notes.attributedTo, domain: author.domain }, shownIn(viewer)),
    sql`(${anchor} < 0 or ${notesBetween} >= ${sql.raw(String(REBLOG_FALLOFF))})`,
  )}`;
}

const homeBoostsRendered = prerenderedOnce(VIEWER_HOLES, homeBoostsOf);

/** `homeBoostsOf` for the viewer, rendered once as `homeNotes` is. */
export function homeBoosts(db: Db, viewer: HomeViewer): SQL {
  return homeBoostsRendered(db, viewerValues(viewer));
}

/** Bounds and direction of a page (Mastodon's cursors: `pages.ts`). */
interface Span {
  readonly above?: bigint;
  readonly below?: bigint;
  readonly ascending: boolean;
  readonly rows: number;
}

/** The home's notes in a span, as status rows: one query, as a read to batch with others. */
function notesRead(db: Db, viewer: HomeViewer, span: Span): Batched<HomeEntry[]> {
  const id = noteIdSql();
  const query = statusRowsQuery(db, viewer.owner)
    .where(and(homeNotes(db, viewer), idBetween(id, span.above, span.below)))
    .orderBy(sql`${id} ${sql.raw(span.ascending ? "asc" : "desc")}`)
    .limit(span.rows);
  return batched(query, (rows) =>
    rows.map((row) => ({ kind: "note" as const, id: BigInt(noteId(row)), row })),
  );
}

/** The home's boosts in a span, with their notes' status rows: one query. */
async function readBoosts(db: Db, viewer: HomeViewer, span: Span): Promise<HomeEntry[]> {
  const id = boostIdSql();
  const rows = await boostRowsQuery(db, viewer.owner)
    .where(and(homeBoosts(db, viewer), idBetween(id, span.above, span.below)))
    .orderBy(sql`${id} ${sql.raw(span.ascending ? "asc" : "desc")}`)
    .limit(span.rows);
  return rows.map((read) => {
    const boosted = toBoostedRow(read);
    return { kind: "boost", id: BigInt(boostId(boosted.boost)), ...boosted };
  });
}

/**
 * The home's boost with this status id, if the home shows it (its rules, the falloff too):
 * what the streaming API sends when a boost comes. One query.
 */
export async function homeBoost(
  db: Db,
  viewer: HomeViewer,
  id: bigint,
): Promise<HomeEntry | undefined> {
  const [entry] = await readBoosts(db, viewer, {
    above: id - 1n,
    below: id + 1n,
    ascending: false,
    rows: 1,
  });
  return entry;
}

/**
 * One page of the owner's home timeline, newest first, as Mastodon orders it: by the id of
 * each entry (a note's, from its `published`; a boost's, from when it was received). The
 * notes of the page are read first (one more than the page, to tell whether another page
 * follows), then the boosts within the span those notes cover, and the two are merged by id;
 * so the boosts walked are those of the page's span alone.
 */
export async function homeTimeline(
  db: Db,
  viewer: HomeViewer,
  request: ApiPageRequest,
): Promise<Page<HomeEntry>> {
  const [notes] = await readBatched(db, [homeNotesRead(db, viewer, request)]);
  return homePage(db, { viewer, request, notes });
}

/** The span a page's cursors give. */
function spanOf(request: ApiPageRequest): Span {
  const { maxId, sinceId, minId, limit } = request;
  return { above: minId ?? sinceId, below: maxId, ascending: minId !== undefined, rows: limit + 1 };
}

/**
 * A page's notes (`homeTimeline`'s first query) as a read, to batch with what else the page
 * needs; `homePage` then reads the boosts and makes the page.
 */
export function homeNotesRead(
  db: Db,
  viewer: HomeViewer,
  request: ApiPageRequest,
): Batched<readonly HomeEntry[]> {
  return notesRead(db, viewer, spanOf(request));
}

/** A page of the home from its notes (`homeNotesRead`): the boosts of their span, merged. */
export async function homePage(
  db: Db,
  page: {
    readonly viewer: HomeViewer;
    readonly request: ApiPageRequest;
    readonly notes: readonly HomeEntry[];
  },
): Promise<Page<HomeEntry>> {
  const { viewer, request, notes: noteEntries } = page;
  const { maxId, sinceId, limit } = request;
  const span = spanOf(request);
  const { ascending } = span;
  // Entries beyond the `limit`th note cannot be on the page: the boosts stop there.
  const last = noteEntries.length > limit ? noteEntries[limit - 1]?.id : undefined;
  const boostSpan = ascending
    ? { ...span, below: last ?? maxId }
    : { ...span, above: last ?? span.above };
  const boostEntries = await readBoosts(db, viewer, boostSpan);
  const merged = [...noteEntries, ...boostEntries].sort((a, b) =>
    a.id === b.id ? 0 : a.id < b.id === ascending ? -1 : 1,
  );
  const items = merged.slice(0, limit);
  if (ascending) {
    return { items: items.reverse(), hasNewer: merged.length > limit, hasOlder: items.length > 0 };
  }
  return {
    items,
    hasOlder: merged.length > limit || sinceId !== undefined,
    hasNewer: maxId !== undefined && items.length > 0,
  };
}
