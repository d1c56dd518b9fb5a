/** Cursor paging over the `seq` column: stable when rows arrive, cheap with an index. */
import { type AnyColumn, and, asc, desc, gt, lt, type SQL } from "drizzle-orm";

/** Mastodon's cursors, all exclusive `seq`s; any two may be combined. */
export interface PageRequest {
  /** Rows older than this `seq`. */
  readonly maxId?: number;
  /** Rows newer than this `seq`, the newest of them (a gap may remain below the page). */
  readonly sinceId?: number;
  /** Rows newer than this `seq`, the oldest of them (the page just after it). Wins over `sinceId`. */
  readonly minId?: number;
  readonly limit: number;
}

export interface Page<T> {
  /** Newest first. */
  readonly items: readonly T[];
  /** False only when the page is known to reach the oldest row. */
  readonly hasOlder: boolean;
  readonly hasNewer: boolean;
}

export type PageQuery<T> = (where: SQL | undefined, orderBy: SQL, limit: number) => Promise<T[]>;

/** Rows between two exclusive `seq` bounds, either of which may be missing. */
export const seqBetween = (seq: AnyColumn, above?: number, below?: number): SQL | undefined =>
  and(
    above === undefined ? undefined : gt(seq, above),
    below === undefined ? undefined : lt(seq, below),
  );

/**
 * Reads one page, newest first. Asks for one row more than the page holds to learn whether
 * another page follows, instead of counting.
 */
export async function pageBySeq<T>(
  seq: AnyColumn,
  request: PageRequest,
  query: PageQuery<T>,
): Promise<Page<T>> {
  const { maxId, sinceId, minId, limit } = request;
  const where = seqBetween(seq, minId ?? sinceId, maxId);
  if (minId !== undefined) {
    const rows = await query(where, asc(seq), limit + 1);
    const items = rows.slice(0, limit).reverse();
    return { items, hasNewer: rows.length > limit, hasOlder: items.length > 0 };
  }
  const rows = await query(where, desc(seq), limit + 1);
  const items = rows.slice(0, limit);
  return {
    items,
    // Below a `since_id` page there may be a gap, and there is at least the cursor's row.
    hasOlder: rows.length > limit || sinceId !== undefined,
    hasNewer: maxId !== undefined && items.length > 0,
  };
}
