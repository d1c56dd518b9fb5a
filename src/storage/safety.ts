/**
 * What the owner keeps away (`schema-safety.ts`): blocked and muted accounts, blocked
 * domains. Named queries and statements, which callers run in one batch; the condition the
 * timelines and notifications filter authors by (`authorShown`). (The owner's Relationship
 * with accounts, these included, is read by `relationships.ts`.)
 *
 * A block, mute or domain block has a Mastodon id of its own, the list's cursor as Mastodon
 * has it: its creation time in the high bits and 16 bits of its `seq` below, as
 * notifications'. No index holds these expressions: the tables are small (a single owner's
 * lists), so a page sorts them.
 */
import {
  and,
  eq,
  gt,
  inArray,
  isNull,
  lte,
  or,
  type Placeholder,
  type SQL,
  sql,
} from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Db, Statement } from "./db";
import { idText } from "./ids";
import { type ApiPageRequest, type Page, pageById } from "./pages";
import {
  type ActorRow,
  actors,
  type BlockRow,
  blocks,
  domainBlocks,
  follows,
  mutes,
} from "./schema";

const blockIdSql = (): SQL => sql`((${blocks.createdAt} << 16) | (${blocks.seq} & 65535))`;
const muteIdSql = (): SQL => sql`((${mutes.createdAt} << 16) | (${mutes.seq} & 65535))`;
const domainBlockIdSql = (): SQL =>
  sql`((${domainBlocks.createdAt} << 16) | (${domainBlocks.seq} & 65535))`;

/**
 * The condition that a row of `mutes` is still in force at `now`: without an end, or ending
 * later. The one test of it, for every query that reads mutes (one bound parameter).
 */
export const muteInForce = (now: Date | Placeholder): SQL =>
  sql`(${isNull(mutes.expiresAt)} or ${gt(mutes.expiresAt, now)})`;

/** `now` as `muteInForce` binds it (as `mutes.expires_at` stores a time), for a hole (`prerendered`). */
export const nowForMutes = (now: Date): number => Number(mutes.expiresAt.mapToDriverValue(now));

/**
 * The author's stored actor, under a name of its own, so that a query reading `actors`
 * itself (the condition's `author` may be `actors.id`) is not mistaken for it.
 */
const shown = sql.identifier("shown_author");
const shownColumn = (column: SQLiteColumn) => sql`${shown}.${sql.identifier(column.name)}`;

/** Where what an author wrote or did is shown: what `authorShown` leaves out for each. */
export type ShownIn = "timelines" | "notifications";

/**
 * The condition that an author (a column holding an actor's id: `notes.attributedTo`,
 * `reactions.actor`, `notifications.account`...) is not kept away from the owner: not
 * blocked, not muted (a mute that has ended no longer counts; in notifications only a mute
 * that covers them), and not on a blocked domain (its stored actor's `domain`). Each test is
 * an indexed lookup per row (`blocks_actor_unique`, `mutes_actor_unique`, the actor by id,
 * `domain_blocks_domain_unique`); it binds one parameter, the time. The owner is in none
 * of these tables, so the owner's own rows always pass.
 */
export function authorShown(author: SQLiteColumn | SQL, filter: { now: Date; in: ShownIn }): SQL {
  const muted = filter.in === "notifications" ? sql`${mutes.notifications} = 1 and ` : sql``;
  return sql`(not exists (select 1 from ${blocks} where ${blocks.actor} = ${author})
    and not exists (select 1 from ${mutes} where ${mutes.actor} = ${author} and ${muted}${muteInForce(filter.now)})
    and not exists (select 1 from ${actors} as ${shown} inner join ${domainBlocks} on ${domainBlocks.domain} = ${shownColumn(actors.domain)} where ${shownColumn(actors.id)} = ${author}))`;
}

// Blocks.

/** The owner's block of an actor (a query, to run alone or in a batch). */
export function blockQuery(db: Db, actor: string) {
  return db.select().from(blocks).where(eq(blocks.actor, actor));
}

export async function findBlock(db: Db, actor: string): Promise<BlockRow | undefined> {
  const [row] = await blockQuery(db, actor);
  return row;
}

/** Blocks an actor, naming our `Block` activity; a block already there is kept as it is. */
export function blockStatement(
  db: Db,
  block: { actor: string; activityId: string; at: Date },
): Statement {
  return db
    .insert(blocks)
    .values({ actor: block.actor, activityId: block.activityId, createdAt: block.at })
    .onConflictDoNothing();
}

export function unblockStatement(db: Db, actor: string): Statement {
  return db.delete(blocks).where(eq(blocks.actor, actor));
}

/** An entry of a list of accounts: its own id (the list's cursor), and the account. */
export interface ListedAccount {
  readonly id: string;
  readonly actor: ActorRow;
}

/** A page of blocked accounts, newest block first. */
export function pageBlocks(db: Db, request: ApiPageRequest): Promise<Page<ListedAccount>> {
  return pageById(blockIdSql(), request, (where, orderBy, limit) =>
    db
      .select({ id: idText(blockIdSql()), actor: actors })
      .from(blocks)
      .innerJoin(actors, eq(actors.id, blocks.actor))
      .where(where)
      .orderBy(orderBy)
      .limit(limit),
  );
}

// Mutes.

/**
 * Mutes an actor, or changes a mute: whether it covers notifications, and when it ends
 * (null: never). A mute given again starts again, as Mastodon's does.
 */
export function muteStatement(
  db: Db,
  mute: { actor: string; notifications: boolean; expiresAt: Date | null; at: Date },
): Statement {
  const { notifications, expiresAt } = mute;
  return db
    .insert(mutes)
    .values({ actor: mute.actor, notifications, expiresAt, createdAt: mute.at })
    .onConflictDoUpdate({ target: mutes.actor, set: { notifications, expiresAt } });
}

export function unmuteStatement(db: Db, actor: string): Statement {
  return db.delete(mutes).where(eq(mutes.actor, actor));
}

/** The owner's mute of an actor, if it is still in force (a query, alone or in a batch). */
export function activeMuteQuery(db: Db, actor: string, now: Date) {
  return db
    .select()
    .from(mutes)
    .where(and(eq(mutes.actor, actor), muteInForce(now)));
}

/** A muted account in a list, with when its mute ends. */
export interface MutedAccount extends ListedAccount {
  readonly expiresAt: Date | null;
}

/** A page of muted accounts whose mute is in force at `now`, newest mute first. */
export function pageMutes(db: Db, request: ApiPageRequest, now: Date): Promise<Page<MutedAccount>> {
  return pageById(muteIdSql(), request, (where, orderBy, limit) =>
    db
      .select({ id: idText(muteIdSql()), actor: actors, expiresAt: mutes.expiresAt })
      .from(mutes)
      .innerJoin(actors, eq(actors.id, mutes.actor))
      .where(and(muteInForce(now), where))
      .orderBy(orderBy)
      .limit(limit),
  );
}

/** Deletes up to `limit` mutes that ended by `now` (the cron); they no longer apply anyway. */
export async function expireMutes(db: Db, query: { now: Date; limit: number }): Promise<number> {
  const ended = db
    .select({ seq: mutes.seq })
    .from(mutes)
    .where(lte(mutes.expiresAt, query.now))
    .limit(query.limit);
  const gone = await db
    .delete(mutes)
    .where(inArray(mutes.seq, ended))
    .returning({ seq: mutes.seq });
  return gone.length;
}

// Domain blocks.

/** Whether a host is blocked (a query, to run alone or in a batch). */
export function domainBlockQuery(db: Db, domain: string) {
  return db
    .select({ domain: domainBlocks.domain })
    .from(domainBlocks)
    .where(eq(domainBlocks.domain, domain));
}

export function blockDomainStatement(db: Db, domain: string, at: Date): Statement {
  return db.insert(domainBlocks).values({ domain, createdAt: at }).onConflictDoNothing();
}

export function unblockDomainStatement(db: Db, domain: string): Statement {
  return db.delete(domainBlocks).where(eq(domainBlocks.domain, domain));
}

/**
 * Ends every follow, either way, between the owner and the actors on a domain; answers the
 * edges it deleted. It walks the owner's edges (by the follows' indexes) and looks each
 * other end up by id.
 */
export function deleteDomainFollowsStatement(db: Db, owner: string, domain: string) {
  const onDomain = (column: SQLiteColumn) =>
    sql`exists (select 1 from ${actors} where ${actors.id} = ${column} and ${actors.domain} = ${domain})`;
  return db
    .delete(follows)
    .where(
      or(
        and(eq(follows.actor, owner), onDomain(follows.follower)),
        and(eq(follows.follower, owner), onDomain(follows.actor)),
      ),
    )
    .returning({ seq: follows.seq, state: follows.state });
}

/** A page of blocked domains, newest first, with their own ids (the cursor). */
export function pageDomainBlocks(
  db: Db,
  request: ApiPageRequest,
): Promise<Page<{ id: string; domain: string }>> {
  return pageById(domainBlockIdSql(), request, (where, orderBy, limit) =>
    db
      .select({ id: idText(domainBlockIdSql()), domain: domainBlocks.domain })
      .from(domainBlocks)
      .where(where)
      .orderBy(orderBy)
      .limit(limit),
  );
}

// The inbox.

/** Whether a host is blocked: one indexed lookup, before anything else is read. */
export async function isDomainBlocked(db: Db, domain: string): Promise<boolean> {
  const [row] = await domainBlockQuery(db, domain);
  return row !== undefined;
}

/** Whether an actor is blocked: one indexed lookup. */
export async function isBlocked(db: Db, actor: string): Promise<boolean> {
  const [row] = await db.select({ seq: blocks.seq }).from(blocks).where(eq(blocks.actor, actor));
  return row !== undefined;
}

/**
 * Whether the owner keeps an actor or a host away: the actor is blocked, or the host is on
 * a blocked domain. One query of two indexed lookups, either part left out when not given.
 * Asked before another server's content is fetched (the host: a blocked domain gets no
 * request from us) and again before it is stored (its author, and the author's host).
 */
export async function isKeptAway(
  db: Db,
  who: { readonly actor?: string; readonly domain?: string },
): Promise<boolean> {
  const checks: SQL[] = [];
  if (who.actor !== undefined) {
    checks.push(sql`exists (select 1 from ${blocks} where ${blocks.actor} = ${who.actor})`);
  }
  if (who.domain !== undefined) {
    checks.push(
      sql`exists (select 1 from ${domainBlocks} where ${domainBlocks.domain} = ${who.domain})`,
    );
  }
  if (checks.length === 0) return false;
  const [row] = await db.all<{ kept: number }>(
    sql`select (${sql.join(checks, sql` or `)}) as kept`,
  );
  return row?.kept === 1;
}
