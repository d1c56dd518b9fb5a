/**
 * A list of keys for a query to join to, as `VALUES`: D1 counts its rows as none read, where
 * an `IN (...)` list is read again from the temporary index SQLite builds of it (a page of 40
 * notes by id: 40 rows more). Each key is a bound parameter, and D1 binds at most 100 a
 * statement: `WANTED_PER_QUERY` at a time leaves room for the statement's own.
 */
import { type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import type { Db } from "./db";

export const WANTED_PER_QUERY = 80;

/** The table to join: `(values (?), ...) as "wanted"`, its one column `wantedKey`. */
export const wanted = (keys: readonly (string | number)[]): SQL =>
  sql`(values ${sql.join(
    keys.map((k) => sql`(${k})`),
    sql`, `,
  )}) as "wanted"`;

/** The key column of `wanted`. */
export const wantedKey = sql`"wanted"."column1"`;

/**
 * Reads rows for keys of any number in one round trip: a query per `WANTED_PER_QUERY`
 * distinct keys, in one batch, their rows together.
 */
export async function readWanted<
  Key extends string | number,
  Query extends BatchItem<"sqlite"> & PromiseLike<unknown[]>,
>(db: Db, keys: readonly Key[], query: (slice: Key[]) => Query): Promise<Awaited<Query>[number][]> {
  const unique = [...new Set(keys)];
  const queries: Query[] = [];
  for (let i = 0; i < unique.length; i += WANTED_PER_QUERY) {
    queries.push(query(unique.slice(i, i + WANTED_PER_QUERY)));
  }
  const [first, ...rest] = queries;
  if (first === undefined) return [];
  const results: Awaited<Query>[] = await db.batch([first, ...rest]);
  return results.flat();
}
