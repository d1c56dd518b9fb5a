/**
 * What the owner's exports read (`federation/export/`): their follows, blocks, mutes,
 * blocked domains and bookmarks, and for the archive their posts and boosts, likes and
 * bookmarks. Each is walked a page at a time by its rows' `seq` (newest or oldest first), so
 * that an export of tens of thousands of rows reads each row once and never holds them all.
 */
import { and, asc, desc, eq, gt, inArray, isNotNull, isNull, lt, or, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Db } from "./db";
import { muteInForce } from "./safety";
import {
  actors,
  blocks,
  bookmarks,
  domainBlocks,
  follows,
  mutes,
  notes,
  outbox,
  reactions,
} from "./schema";

/** Where a walk is: the rows past `from` (a `seq`), newest or oldest first, `limit` of them. */
export interface Walk {
  readonly order: "newest" | "oldest";
  readonly from?: number;
  readonly limit: number;
}

function walkBy(seq: SQLiteColumn, walk: Walk) {
  const newest = walk.order === "newest";
  const from =
    walk.from === undefined ? undefined : newest ? lt(seq, walk.from) : gt(seq, walk.from);
  return { from, orderBy: newest ? desc(seq) : asc(seq) };
}

/** A row naming an account: its `user@host` (Mastodon's "Account address"). */
export interface AccountEntry {
  readonly seq: number;
  readonly username: string;
  readonly domain: string;
}

const account = { username: sql<string>`${actors.preferredUsername}`, domain: actors.domain };

/** Accounts the owner follows (accepted: Mastodon's export leaves requests out). */
export function followedAccounts(db: Db, owner: string, walk: Walk): Promise<AccountEntry[]> {
  const { from, orderBy } = walkBy(follows.seq, walk);
  return db
    .select({ seq: follows.seq, ...account })
    .from(follows)
    .innerJoin(actors, eq(actors.id, follows.actor))
    .where(
      and(
        eq(follows.follower, owner),
        eq(follows.state, "accepted"),
        isNotNull(actors.preferredUsername),
        from,
      ),
    )
    .orderBy(orderBy)
    .limit(walk.limit);
}

export function blockedAccounts(db: Db, walk: Walk): Promise<AccountEntry[]> {
  const { from, orderBy } = walkBy(blocks.seq, walk);
  return db
    .select({ seq: blocks.seq, ...account })
    .from(blocks)
    .innerJoin(actors, eq(actors.id, blocks.actor))
    .where(and(isNotNull(actors.preferredUsername), from))
    .orderBy(orderBy)
    .limit(walk.limit);
}

/** Muted accounts whose mute is in force at `now`, with whether it hides notifications. */
export function mutedAccounts(
  db: Db,
  walk: Walk,
  now: Date,
): Promise<(AccountEntry & { notifications: boolean })[]> {
  const { from, orderBy } = walkBy(mutes.seq, walk);
  return db
    .select({ seq: mutes.seq, ...account, notifications: mutes.notifications })
    .from(mutes)
    .innerJoin(actors, eq(actors.id, mutes.actor))
    .where(and(muteInForce(now), isNotNull(actors.preferredUsername), from))
    .orderBy(orderBy)
    .limit(walk.limit);
}

export function blockedDomains(db: Db, walk: Walk): Promise<{ seq: number; domain: string }[]> {
  const { from, orderBy } = walkBy(domainBlocks.seq, walk);
  return db
    .select({ seq: domainBlocks.seq, domain: domainBlocks.domain })
    .from(domainBlocks)
    .where(from)
    .orderBy(orderBy)
    .limit(walk.limit);
}

/** Bookmarked notes (their ids) that are still there, as Mastodon exports its bookmarks. */
export function bookmarkedNotes(db: Db, walk: Walk): Promise<{ seq: number; note: string }[]> {
  const { from, orderBy } = walkBy(bookmarks.seq, walk);
  return db
    .select({ seq: bookmarks.seq, note: bookmarks.note })
    .from(bookmarks)
    .innerJoin(notes, eq(notes.id, bookmarks.note))
    .where(and(isNull(notes.deletedAt), from))
    .orderBy(orderBy)
    .limit(walk.limit);
}

/** Notes the owner liked (their ids). */
export function likedNotes(
  db: Db,
  owner: string,
  walk: Walk,
): Promise<{ seq: number; note: string }[]> {
  const { from, orderBy } = walkBy(reactions.seq, walk);
  return db
    .select({ seq: reactions.seq, note: reactions.object })
    .from(reactions)
    .where(and(eq(reactions.actor, owner), eq(reactions.type, "Like"), from))
    .orderBy(orderBy)
    .limit(walk.limit);
}

/**
 * The owner's posts and boosts as published (`Create` and `Announce`, every visibility), as
 * Mastodon's archive holds its statuses: not a post deleted since, nor a boost undone.
 */
export function postedActivities(
  db: Db,
  owner: string,
  walk: Walk,
): Promise<{ seq: number; payload: Record<string, unknown> }[]> {
  const { from, orderBy } = walkBy(outbox.seq, walk);
  const boostStands = sql`exists (select 1 from ${reactions} where ${reactions.id} = ${outbox.id})`;
  return db
    .select({ seq: outbox.seq, payload: outbox.payload })
    .from(outbox)
    .leftJoin(notes, and(eq(outbox.type, "Create"), eq(notes.id, outbox.objectId)))
    .where(
      and(
        eq(outbox.actor, owner),
        inArray(outbox.type, ["Create", "Announce"]),
        or(
          and(eq(outbox.type, "Create"), isNull(notes.deletedAt)),
          and(eq(outbox.type, "Announce"), boostStands),
        ),
        from,
      ),
    )
    .orderBy(orderBy)
    .limit(walk.limit);
}
