/** The D1 handle the storage modules query through, and how they run several statements. */
import type { BatchItem } from "drizzle-orm/batch";
import { type DrizzleD1Database, drizzle } from "drizzle-orm/d1";
import { meterD1 } from "./meter";

export type Db = DrizzleD1Database;

/** A statement to run in a D1 batch with others (`runBatch`). */
export type Statement = BatchItem<"sqlite">;

/**
 * A drizzle handle on the (metered) D1 binding, or on a session of it (read replication:
 * `openSession`); cheap, so built per invocation.
 */
export function createDb(d1: D1Database | D1DatabaseSession): Db {
  return drizzle(meterD1(d1));
}

/** Runs statements in one D1 batch: one round trip, all or nothing. */
export async function runBatch(db: Db, statements: readonly Statement[]): Promise<void> {
  const [first, ...rest] = statements;
  if (first === undefined) return;
  await db.batch([first, ...rest]);
}

/** D1 binds at most 100 parameters a statement; a list of ids is read this many at a time. */
const IDS_PER_QUERY = 90;

/**
 * Reads a list of any length in one round trip: one query per slice of `IDS_PER_QUERY`
 * distinct ids, in one batch, their rows together.
 */
export async function readInSlices<
  Id extends string | number,
  Query extends BatchItem<"sqlite"> & PromiseLike<unknown[]>,
>(db: Db, ids: readonly Id[], query: (slice: Id[]) => Query): Promise<Awaited<Query>[number][]> {
  const unique = [...new Set(ids)];
  const queries: Query[] = [];
  for (let i = 0; i < unique.length; i += IDS_PER_QUERY) {
    queries.push(query(unique.slice(i, i + IDS_PER_QUERY)));
  }
  const [first, ...rest] = queries;
  if (first === undefined) return [];
  const results: Awaited<Query>[] = await db.batch([first, ...rest]);
  return results.flat();
}

/**
 * Where a session's first query may go: `first-primary` for whoever must read what was just
 * written (the owner, writes), `first-unconstrained` for anyone else (the nearest replica),
 * or a bookmark a client was given, which any replica at least that fresh can answer.
 */
export type SessionStart = D1SessionConstraint | { readonly bookmark: string };

/** A D1 bookmark as D1 writes them: four groups of hex digits. */
const BOOKMARK = /^[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{8}-[0-9a-f]{32}$/;

/** Whether text from the network is a well-formed bookmark (else D1 would throw on it). */
export function isBookmark(text: string): boolean {
  return BOOKMARK.test(text);
}

/** A D1 session (read replication) starting where `start` says. */
export function openSession(d1: D1Database, start: SessionStart): D1DatabaseSession {
  return d1.withSession(typeof start === "string" ? start : start.bookmark);
}
