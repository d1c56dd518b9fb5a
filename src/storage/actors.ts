/** Remote actors we have a relationship with: found, stored, refreshed, forgotten. */
import { and, eq, exists, inArray, lt, not, or, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn, SQLiteTable } from "drizzle-orm/sqlite-core";
import { type Db, readInSlices, type Statement } from "./db";
import { deleteEdgesOfStatement } from "./follows";
import { accountIdSql, idIs, idParam } from "./ids";
import { forgetAuthorVersionsStatement } from "./note-versions";
import { deleteNotesByStatement } from "./notes";
import { forgetAccountNotifications } from "./notifications";
import { removeReactionsStatements } from "./reactions";
import {
  type ActorRow,
  actors,
  blocks,
  follows,
  mutes,
  type NewActorRow,
  notes,
  noteTags,
  notifications,
  reactions,
} from "./schema";

export async function findActor(db: Db, id: string): Promise<ActorRow | undefined> {
  const [row] = await db.select().from(actors).where(eq(actors.id, id));
  return row;
}

/** By a remote account's Mastodon id (through the id's expression index). */
export async function actorByApiId(db: Db, id: bigint): Promise<ActorRow | undefined> {
  const [row] = await db.select().from(actors).where(idIs(accountIdSql(), id)).limit(1);
  return row;
}

/**
 * Remote accounts by Mastodon id, in one query through the id's expression index. At most 90
 * ids (D1 binds 100 parameters a statement); the rows in no particular order.
 */
export function actorsByApiIds(db: Db, ids: readonly bigint[]): Promise<ActorRow[]> {
  if (ids.length === 0) return Promise.resolve([]);
  const list = sql.join(
    ids.slice(0, 90).map((id) => idParam(id)),
    sql`, `,
  );
  return db.select().from(actors).where(sql`${accountIdSql()} in (${list})`);
}

/** By handle: `preferredUsername` as the actor spells it, and the lower-cased host. */
export async function findActorByHandle(
  db: Db,
  handle: { username: string; host: string },
): Promise<ActorRow | undefined> {
  const [row] = await db
    .select()
    .from(actors)
    .where(
      and(
        eq(actors.preferredUsername, handle.username),
        eq(actors.domain, handle.host.toLowerCase()),
      ),
    );
  return row;
}

/** Actors by id, in one round trip. */
export async function actorsById(db: Db, ids: readonly string[]): Promise<Map<string, ActorRow>> {
  const rows = await readInSlices(db, ids, (slice) =>
    db.select().from(actors).where(inArray(actors.id, slice)),
  );
  return new Map(rows.map((a) => [a.id, a]));
}

/**
 * The stored actor holding this key id (a query, to run alone or in a batch). Only an actor
 * on the key's own host can hold it.
 */
export function keyHolderQuery(db: Db, keyId: string) {
  const host = URL.parse(keyId)?.host ?? "";
  return db
    .select()
    .from(actors)
    .where(and(eq(actors.publicKeyId, keyId), eq(actors.domain, host)))
    .limit(1);
}

/** The statement that stores (or refreshes) an actor, returning its row. */
export function upsertActorStatement(db: Db, row: NewActorRow) {
  // The first-seen time is the time in the account's Mastodon id: set once, never refreshed.
  const { createdAt, ...refreshed } = row;
  return db
    .insert(actors)
    .values({ ...row, createdAt: createdAt ?? row.fetchedAt })
    .onConflictDoUpdate({ target: actors.id, set: refreshed })
    .returning();
}

/** Stores (or refreshes) an actor. */
export async function storeActor(db: Db, row: NewActorRow): Promise<ActorRow> {
  const [stored] = await upsertActorStatement(db, row);
  if (stored === undefined) throw new Error("actor not stored");
  return stored;
}

/** Stores an actor only when D1 has no copy, or an older one; the stored row either way. */
export async function storeIfNewer(db: Db, row: NewActorRow): Promise<ActorRow> {
  const current = await findActor(db, row.id);
  if (current !== undefined && current.fetchedAt.getTime() >= row.fetchedAt.getTime()) {
    return current;
  }
  return storeActor(db, row);
}

/**
 * An actor that deleted itself: its follows both ways, its reactions (the notes they were
 * about recounted), its notifications, its notes with their earlier versions, itself.
 */
export function forgetActorStatements(db: Db, actor: string): Statement[] {
  return [
    deleteEdgesOfStatement(db, actor),
    ...removeReactionsStatements(db, { actor }),
    forgetAccountNotifications(db, actor),
    forgetAuthorVersionsStatement(db, actor),
    deleteNotesByStatement(db, actor),
    db.delete(actors).where(eq(actors.id, actor)),
  ];
}

/**
 * Deletes, a bounded batch at a time, the actors not fetched since `before` that nothing
 * holds: no follow either way, no stored note, reaction, notification or mention, no block
 * or mute.
 */
export async function expireStaleActors(
  db: Db,
  query: { before: Date; limit: number },
): Promise<number> {
  const referenced = (table: SQLiteTable, column: SQLiteColumn) =>
    exists(db.select({ one: sql`1` }).from(table).where(eq(column, actors.id)));
  const stale = db
    .select({ seq: actors.seq })
    .from(actors)
    .where(
      and(
        lt(actors.fetchedAt, query.before),
        not(
          or(
            referenced(follows, follows.actor),
            referenced(follows, follows.follower),
            referenced(notes, notes.attributedTo),
            referenced(reactions, reactions.actor),
            referenced(notifications, notifications.account),
            referenced(noteTags, noteTags.href),
            // A blocked or muted account stays listed (and keeps its id) in /blocks, /mutes.
            referenced(blocks, blocks.actor),
            referenced(mutes, mutes.actor),
          ) as SQL,
        ),
      ),
    )
    .limit(query.limit);
  const gone = await db
    .delete(actors)
    .where(inArray(actors.seq, stale))
    .returning({ seq: actors.seq });
  return gone.length;
}
