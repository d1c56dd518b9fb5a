/**
 * Reads that can share a round trip. A page of the client API needs several independent
 * reads (the page, the owner's account, whether a filter is in force): each is a `Batched`,
 * its queries and how to read their rows, and `readBatched` sends them all in one D1 batch.
 * Locally every D1 call is a trip to a Durable Object that answers one call at a time, and
 * deployed one to the database's location: fewer calls, less waiting.
 */
import type { Db, Statement } from "./db";

/** Queries, and what their results (in order) make. */
export interface Batched<T> {
  readonly queries: readonly Statement[];
  readonly read: (results: readonly unknown[]) => T;
}

/** A query read as `read` says (its rows as drizzle returns them). */
export function batched<Q extends Statement & PromiseLike<unknown>, T>(
  query: Q,
  read: (rows: Awaited<Q>) => T,
): Batched<T> {
  return { queries: [query], read: ([rows]) => read(rows as Awaited<Q>) };
}

/** A value that needs no query (a read known to be empty), to stand among others. */
export function known<T>(value: T): Batched<T> {
  return { queries: [], read: () => value };
}

/** Several reads as one, their values combined by `combine`. */
export function allOf<const P extends readonly Batched<unknown>[], T>(
  parts: P,
  combine: (values: ValuesOf<P>) => T,
): Batched<T> {
  return {
    queries: parts.flatMap((p) => p.queries),
    read: (results) => combine(split(parts, results)),
  };
}

/** What each of several reads makes, in their order. */
export type ValuesOf<P extends readonly Batched<unknown>[]> = {
  -readonly [K in keyof P]: P[K] extends Batched<infer T> ? T : never;
};

/** Runs several reads in one D1 batch (one round trip; none when none has a query). */
export async function readBatched<const P extends readonly Batched<unknown>[]>(
  db: Db,
  parts: P,
): Promise<ValuesOf<P>> {
  const [first, ...rest] = parts.flatMap((p) => p.queries);
  const results: readonly unknown[] = first === undefined ? [] : await db.batch([first, ...rest]);
  return split(parts, results);
}

/** Hands each read its own results. */
function split<const P extends readonly Batched<unknown>[]>(
  parts: P,
  results: readonly unknown[],
): ValuesOf<P> {
  let at = 0;
  return parts.map((part) => {
    const mine = results.slice(at, at + part.queries.length);
    at += part.queries.length;
    return part.read(mine);
  }) as ValuesOf<P>;
}
