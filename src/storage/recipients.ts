/** Where an activity goes: its recipients' inboxes, shared ones preferred, each once. */
import { and, asc, eq, exists, gt, inArray, sql } from "drizzle-orm";
import { union } from "drizzle-orm/sqlite-core";
import type { Db } from "./db";
import { countFollowsQuery } from "./follows";
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
  /** How to read the followers; chosen from their number when not given (tests give it). */
  readonly plan?: FollowersPlan;
}

/**
 * How a page of followers' inboxes is read. `walk`: the actors' delivery-inbox index in order
 * from the previous page's last, each actor checked for a follow edge; a page reads the
 * stored actors between two of its followers, so it pays when most stored actors are
 * followers. `sort`: every follower read, grouped and sorted, and the page taken; it pays when
 * the followers fit in a page or two. (Always sorting, a post to 10,000 followers read 280,000
 * rows in 20 pages; always walking, a post to 50 followers read every stored actor.)
 */
export type FollowersPlan = "walk" | "sort";

/**
 * The cheaper plan for a page of `limit`, from the followers' count and the stored actors'
 * (an upper bound: the largest rowid). Sorting reads about two rows a follower (edge and
 * actor); walking about `limit` × (actors / followers) index rows plus `limit` edges.
 */
export function followersPlan(input: {
  followers: number;
  actors: number;
  limit: number;
}): FollowersPlan {
  const { followers, actors: stored, limit } = input;
  if (followers <= limit) return "sort";
  const walking = limit * (stored / followers + 1);
  return walking < 2 * followers ? "walk" : "sort";
}

/** A page of the followers' delivery inboxes, each once, in order, after `after`. */
export function followersPage(
  db: Db,
  query: { followersOf: string; after: string; limit: number; plan: FollowersPlan },
) {
  const accepted = and(eq(follows.actor, query.followersOf), eq(follows.state, "accepted"));
  if (query.plan === "sort") {
    return db
      .select({ inbox: sharedOrOwn.as("inbox") })
      .from(follows)
      .innerJoin(actors, eq(actors.id, follows.follower))
      .where(and(accepted, gt(sharedOrOwn, query.after)))
      .groupBy(sharedOrOwn)
      .orderBy(asc(sharedOrOwn))
      .limit(query.limit);
  }
  const followed = db
    .select({ one: sql`1` })
    .from(follows)
    .where(and(accepted, eq(follows.follower, actors.id)));
  return db
    .select({ inbox: sharedOrOwn.as("inbox") })
    .from(actors)
    .where(and(gt(sharedOrOwn, query.after), exists(followed)))
    .groupBy(sharedOrOwn)
    .orderBy(asc(sharedOrOwn))
    .limit(query.limit);
}

/** What the plan is chosen from: the followers' kept count and the actors' largest rowid. */
async function planFor(db: Db, followersOf: string, limit: number): Promise<FollowersPlan> {
  const [followers, stored] = await db.batch([
    countFollowsQuery(db, "followers", followersOf),
    db.select({ n: sql<number>`coalesce(max(${actors.seq}), 0)` }).from(actors),
  ]);
  return followersPlan({ followers: followers[0]?.n ?? 0, actors: stored[0]?.n ?? 0, limit });
}

/**
 * One page of distinct inboxes, in one query (never one per follower): followers and
 * addressed actors together, so that an inbox both have is counted once.
 */
export async function recipientInboxes(db: Db, query: RecipientQuery): Promise<string[]> {
  const after = query.after ?? "";
  const { followersOf, limit } = query;
  // D1 binds at most 100 parameters a query (90 here, and 6 more with followers and `after`);
  // an activity addresses far fewer actors.
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
    const plan = query.plan ?? (await planFor(db, followersOf, limit));
    rows = await followersPage(db, { followersOf, after, limit, plan });
  } else {
    // The page of each, then the page of both: what the union's first `limit` can hold.
    const plan = query.plan ?? (await planFor(db, followersOf, limit));
    const page = followersPage(db, { followersOf, after, limit, plan }).as("page");
    const fromFollowers = db.select({ inbox: sql<string>`${page.inbox}`.as("inbox") }).from(page);
    rows = await union(fromFollowers, named).orderBy(asc(sql`inbox`)).limit(limit);
  }
  return rows.map((r) => r.inbox);
}
