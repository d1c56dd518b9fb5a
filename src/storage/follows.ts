/** Queries over follow edges. */
import { and, count, eq } from "drizzle-orm";
import type { Db } from "./db";
import { type Page, type PageRequest, pageBySeq } from "./pages";
import { follows } from "./schema";

export type FollowSide = "followers" | "following";

/** Accepted edges on one side of an actor: who follows it, or whom it follows. */
function acceptedOn(side: FollowSide, actor: string) {
  const column = side === "followers" ? follows.actor : follows.follower;
  return and(eq(column, actor), eq(follows.state, "accepted"));
}

export function countFollowsQuery(db: Db, side: FollowSide, actor: string) {
  return db.select({ n: count() }).from(follows).where(acceptedOn(side, actor));
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
  side: FollowSide,
  actor: string,
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

/** One edge, whatever its state: `follower` follows `actor`. */
export async function findFollow(db: Db, actor: string, follower: string) {
  const [row] = await db
    .select()
    .from(follows)
    .where(and(eq(follows.actor, actor), eq(follows.follower, follower)));
  return row;
}
