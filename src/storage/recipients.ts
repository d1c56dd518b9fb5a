/** Where an activity goes: its recipients' inboxes, shared ones preferred, each once. */
import { and, asc, eq, gt, inArray, sql } from "drizzle-orm";
import { union } from "drizzle-orm/sqlite-core";
import type { Db } from "./db";
import { actors, follows } from "./schema";

/** Our followers' servers mostly take deliveries at one shared inbox. */
const sharedOrOwn = sql<string>`coalesce(${actors.sharedInbox}, ${actors.inbox})`;
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
 * One page of distinct inboxes, in one query (never one per follower): followers and
 * addressed actors together, so that an inbox both have is counted once.
 */
export async function recipientInboxes(db: Db, query: RecipientQuery): Promise<string[]> {
  const after = query.after ?? "";
  // Shared inboxes for what goes to followers (one POST per server); an activity for a few
  // actors only (Follow, Accept, a direct message) goes to their own inboxes, as Mastodon does.
  const preferredInbox = query.followersOf === undefined ? own : sharedOrOwn;
  const parts = [];
  if (query.followersOf !== undefined) {
    parts.push(
      db
        .select({ inbox: preferredInbox.as("inbox") })
        .from(follows)
        .innerJoin(actors, eq(actors.id, follows.follower))
        .where(
          and(
            eq(follows.actor, query.followersOf),
            eq(follows.state, "accepted"),
            gt(preferredInbox, after),
          ),
        ),
    );
  }
  // D1 binds at most 100 parameters a query; an activity addresses far fewer actors.
  const addressed = query.actors.slice(0, 90);
  if (addressed.length > 0) {
    parts.push(
      db
        .select({ inbox: preferredInbox.as("inbox") })
        .from(actors)
        .where(and(inArray(actors.id, addressed), gt(preferredInbox, after))),
    );
  }
  const [first, second] = parts;
  if (first === undefined) return [];
  // Grouped by the expression itself: a bare `inbox` would name the table's column.
  const rows = await (second === undefined
    ? first.groupBy(preferredInbox).orderBy(asc(preferredInbox)).limit(query.limit)
    : union(first, second).orderBy(asc(sql`inbox`)).limit(query.limit));
  return rows.map((r) => r.inbox);
}
