/** Where an activity goes: its recipients' inboxes, shared ones preferred, each once. */
import { and, asc, eq, exists, gt, inArray, sql } from "drizzle-orm";
import { union } from "drizzle-orm/sqlite-core";
import type { Db } from "./db";
import { actors, follows } from "./schema";

/**
 * Our followers' servers mostly take deliveries at one shared inbox: this expression, the
 * one `actors_delivery_inbox_idx` is built on (written alike, or SQLite will not use it).
 */
const sharedOrOwn = sql<string>`(case when ${actors.sharedInbox} is null then ${actors.inbox} else ${actors.sharedInbox} end)`;
const own = sql<string>`${actors.inbox}`;

export interface RecipientQuery {
  /** The local actor whose accepted followers receive it, when addressed to its followers. */
  readonly followersOf?: string;
  /** Actors addressed by id (mentions, the author replied to, the one followed...). */
  readonly actors: readonly string[];
  /** The last inbox of the previous page: inboxes sort, so pages never overlap. */
  readonly after?: string;
  readonly limit: number;
}

/**
 * A page of the followers' delivery inboxes, each once: walked in the index's order from the
 * previous page's last, so that a page reads about as many rows as it returns, not every
 * follower (a post to 10,000 followers read 280,000 rows in 20 pages).
 */
function followersPage(db: Db, query: { followersOf: string; after: string; limit: number }) {
  const followed = db
    .select({ one: sql`1` })
    .from(follows)
    .where(
      and(
        eq(follows.actor, query.followersOf),
        eq(follows.follower, actors.id),
        eq(follows.state, "accepted"),
      ),
    );
  return db
    .select({ inbox: sharedOrOwn.as("inbox") })
    .from(actors)
    .where(and(gt(sharedOrOwn, query.after), exists(followed)))
    .groupBy(sharedOrOwn)
    .orderBy(asc(sharedOrOwn))
    .limit(query.limit);
}

/**
 * One page of distinct inboxes, in one query (never one per follower): followers and
 * addressed actors together, so that an inbox both have is counted once.
 */
export async function recipientInboxes(db: Db, query: RecipientQuery): Promise<string[]> {
  const after = query.after ?? "";
  const { followersOf, limit } = query;
  // D1 binds at most 100 parameters a query; an activity addresses far fewer actors.
  const addressed = query.actors.slice(0, 90);
  // Shared inboxes for what goes to followers (one POST per server); an activity for a few
  // actors only (Follow, Accept, a direct message) goes to their own inboxes, as Mastodon does.
  const preferredInbox = followersOf === undefined ? own : sharedOrOwn;
  const named = db
    .select({ inbox: preferredInbox.as("inbox") })
    .from(actors)
    .where(and(inArray(actors.id, addressed), gt(preferredInbox, after)));
  let rows: { inbox: string }[];
  if (followersOf === undefined) {
    if (addressed.length === 0) return [];
    rows = await named.groupBy(preferredInbox).orderBy(asc(preferredInbox)).limit(limit);
  } else if (addressed.length === 0) {
    rows = await followersPage(db, { followersOf, after, limit });
  } else {
    // The page of each, then the page of both: what the union's first `limit` can hold.
    const page = followersPage(db, { followersOf, after, limit }).as("page");
    const fromFollowers = db.select({ inbox: sql<string>`${page.inbox}`.as("inbox") }).from(page);
    rows = await union(fromFollowers, named).orderBy(asc(sql`inbox`)).limit(limit);
  }
  return rows.map((r) => r.inbox);
}
