/** Follow edges, both ways: `follower` follows `actor`, pending until accepted. */
import { and, count, eq, inArray, or, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { countOf } from "./counts";
import type { Db, Statement } from "./db";
import type { NewActivity } from "./outbox";
import { type Page, type PageRequest, pageBySeq } from "./pages";
import { actors, type FollowRow, type FollowState, follows, outbox } from "./schema";

export type FollowSide = "followers" | "following";

/** One edge, named by its two ends. */
export interface Edge {
  /** The followed actor. */
  readonly actor: string;
  readonly follower: string;
}

const isEdge = (edge: Edge) =>
  and(eq(follows.actor, edge.actor), eq(follows.follower, edge.follower));

/** Accepted edges on one side of an actor: who follows it, or whom it follows. */
function acceptedOn(side: FollowSide, actor: string) {
  const column = side === "followers" ? follows.actor : follows.follower;
  return and(eq(column, actor), eq(follows.state, "accepted"));
}

/** How many accepted follows an actor has on one side: a kept count (`schema-counts.ts`). */
export function countFollowsQuery(db: Db, side: FollowSide, actor: string) {
  return countOf(db, { subject: actor, what: side });
}

/** How many follow requests wait for an actor's answer. */
export async function countFollowRequests(db: Db, actor: string): Promise<number> {
  const [row] = await db
    .select({ n: count() })
    .from(follows)
    .where(and(eq(follows.actor, actor), eq(follows.state, "pending")));
  return row?.n ?? 0;
}

/** Who asked to follow an actor and waits for an answer, with the `Follow` they sent. */
/** The oldest `limit` follow requests waiting for `actor`'s approval. */
export function followRequests(db: Db, actor: string, limit: number) {
  return db
    .select({ follower: follows.follower, activityId: follows.activityId })
    .from(follows)
    .where(and(eq(follows.actor, actor), eq(follows.state, "pending")))
    .orderBy(follows.seq)
    .limit(limit);
}

export async function countFollows(db: Db, side: FollowSide, actor: string): Promise<number> {
  const [row] = await countFollowsQuery(db, side, actor);
  return row?.n ?? 0;
}

export interface FollowItem {
  readonly seq: number;
  /** The other end of the edge: the follower, or the followed actor. */
  readonly actor: string;
}

export function pageFollows(
  db: Db,
  { side, actor }: { side: FollowSide; actor: string },
  request: PageRequest,
): Promise<Page<FollowItem>> {
  const other = side === "followers" ? follows.follower : follows.actor;
  return pageBySeq(follows.seq, request, (where, orderBy, limit) =>
    db
      .select({ seq: follows.seq, actor: other })
      .from(follows)
      .where(and(acceptedOn(side, actor), where))
      .orderBy(orderBy)
      .limit(limit),
  );
}

/** Who asked to follow `actor` and waits, newest request first, in pages by `seq`. */
export function pageFollowRequests(
  db: Db,
  actor: string,
  request: PageRequest,
): Promise<Page<FollowItem>> {
  return pageBySeq(follows.seq, request, (where, orderBy, limit) =>
    db
      .select({ seq: follows.seq, actor: follows.follower })
      .from(follows)
      .where(and(eq(follows.actor, actor), eq(follows.state, "pending"), where))
      .orderBy(orderBy)
      .limit(limit),
  );
}

/** One edge, whatever its state (a query, to run alone or in a batch). */
export function edgeQuery(db: Db, edge: Edge) {
  return db.select().from(follows).where(isEdge(edge));
}

export async function findFollow(db: Db, edge: Edge): Promise<FollowRow | undefined> {
  const [row] = await edgeQuery(db, edge);
  return row;
}

/** The edge a `Follow` activity made, if the follower is the one who sent it. */
export async function findFollowByActivity(
  db: Db,
  follow: { activityId: string; follower: string },
): Promise<FollowRow | undefined> {
  const [row] = await db
    .select()
    .from(follows)
    .where(and(eq(follows.activityId, follow.activityId), eq(follows.follower, follow.follower)));
  return row;
}

/**
 * A received `Follow`: the edge in its state, learning the newest `Follow`'s id. A repeated
 * one keeps the edge; `previous` is the state it had, if any.
 */
export function followedStatement(
  db: Db,
  follow: Edge & { state: FollowState; activityId: string; at: Date; previous?: FollowState },
): Statement {
  const acceptedAt = follow.state === "accepted" ? follow.at : null;
  const { state, activityId } = follow;
  return db
    .insert(follows)
    .values({
      actor: follow.actor,
      follower: follow.follower,
      state,
      activityId,
      createdAt: follow.at,
      acceptedAt,
    })
    .onConflictDoUpdate({
      target: [follows.actor, follows.follower],
      set: follow.previous === state ? { activityId } : { activityId, state, acceptedAt },
    });
}

/** The owner asks to follow: a pending edge, unless there is one already. */
export function requestFollowStatement(
  db: Db,
  follow: Edge & { activityId: string; at: Date },
): Statement {
  return db
    .insert(follows)
    .values({
      actor: follow.actor,
      follower: follow.follower,
      state: "pending",
      activityId: follow.activityId,
      createdAt: follow.at,
    })
    .onConflictDoNothing();
}

/**
 * The owner's `Follow` activity, stored only when its edge is the one this very activity made
 * (`requestFollowStatement`, earlier in the same batch): when the edge was there already, or
 * another `Follow` made it first (two imports, a double click), nothing is stored, so that
 * an account is sent one `Follow`, never two.
 */
export function followActivityStatement(db: Db, follow: Edge & NewActivity): Statement {
  const { payload } = follow;
  const bound = <T>(value: T, name: string) => sql<T>`${value}`.as(name);
  const row = db
    .select({
      seq: sql<number | null>`null`.as("seq"),
      id: bound(payload.id, "id"),
      actor: bound(payload.actor, "actor"),
      type: bound(payload.type, "type"),
      objectId: bound(follow.objectId, "object_id"),
      visibility: bound(follow.visibility, "visibility"),
      payload: bound(JSON.stringify(payload), "payload"),
      published: bound(follow.published.getTime(), "published"),
      fannedOutAt: sql<number | null>`null`.as("fanned_out_at"),
    })
    .from(follows)
    .where(and(isEdge(follow), eq(follows.activityId, payload.id)));
  return db.insert(outbox).select(row);
}

/** Which of these activities are stored (at most 90 ids; the `Follow`s of a batch). */
export async function storedActivities(db: Db, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const rows = await db
    .select({ id: outbox.id })
    .from(outbox)
    .where(inArray(outbox.id, [...ids]));
  return rows.map((r) => r.id);
}

/** A pending request was accepted. */
export function acceptFollowStatement(db: Db, accepted: Edge & { at: Date }): Statement {
  return db
    .update(follows)
    .set({ state: "accepted", acceptedAt: accepted.at })
    .where(and(isEdge(accepted), eq(follows.state, "pending")));
}

export function deleteEdgeStatement(db: Db, edge: Edge): Statement {
  return db.delete(follows).where(isEdge(edge));
}

/** A request turned down: its edge goes, only while it still waits (not once accepted). */
export function deleteRequestStatement(db: Db, edge: Edge): Statement {
  return db.delete(follows).where(and(isEdge(edge), eq(follows.state, "pending")));
}

/**
 * The owner's edges, either way, with the actors on a domain: read in the batch that ends
 * them (`deleteDomainFollowsStatement`), before it, they are what it deletes.
 */
export function domainEdgesQuery(db: Db, owner: string, domain: string) {
  const onDomain = (column: SQLiteColumn) =>
    sql`exists (select 1 from ${actors} where ${actors.id} = ${column} and ${actors.domain} = ${domain})`;
  return db
    .select()
    .from(follows)
    .where(
      or(
        and(eq(follows.actor, owner), onDomain(follows.follower)),
        and(eq(follows.follower, owner), onDomain(follows.actor)),
      ),
    );
}

export function deleteEdgeBySeqStatement(db: Db, seq: number): Statement {
  return db.delete(follows).where(eq(follows.seq, seq));
}

/** Neither follows the other any more (a block). */
export function deleteEdgesBetweenStatement(db: Db, a: string, b: string): Statement {
  return db
    .delete(follows)
    .where(or(isEdge({ actor: a, follower: b }), isEdge({ actor: b, follower: a })));
}

/** Every edge of an actor, either way (the actor is gone). */
export function deleteEdgesOfStatement(db: Db, actor: string): Statement {
  return db.delete(follows).where(or(eq(follows.actor, actor), eq(follows.follower, actor)));
}

/** How many servers the actor's accepted followers are on: the hosts we deliver to. */
export function followerHostsQuery(db: Db, actor: string) {
  return db
    .select({ n: sql<number>`count(distinct ${actors.domain})` })
    .from(follows)
    .innerJoin(actors, eq(actors.id, follows.follower))
    .where(acceptedOn("followers", actor));
}
