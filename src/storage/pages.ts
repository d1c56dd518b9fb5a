/** Cursor paging over the `seq` column: stable when rows arrive, cheap with an index. */
import { type AnyColumn, asc, desc, gt, lt, type SQL } from "drizzle-orm";

export interface PageRequest {
  /** Rows older than this `seq`. */
  readonly maxId?: number;
  /** Rows newer than this `seq`. */
  readonly minId?: number;
  readonly limit: number;
}

export interface Page<T> {
  /** Newest first. */
  readonly items: readonly T[];
  readonly hasOlder: boolean;
  readonly hasNewer: boolean;
}

export type PageQuery<T> = (where: SQL | undefined, orderBy: SQL, limit: number) => Promise<T[]>;

/**
 * Reads one page, newest first. Asks for one row more than the page holds to learn whether
 * another page follows, instead of counting.
 */
export async function pageBySeq<T>(
  seq: AnyColumn,
  request: PageRequest,
  query: PageQuery<T>,
): Promise<Page<T>> {
  const { limit } = request;
  if (request.minId !== undefined) {
    const rows = await query(gt(seq, request.minId), asc(seq), limit + 1);
    const items = rows.slice(0, limit).reverse();
    return { items, hasNewer: rows.length > limit, hasOlder: items.length > 0 };
  }
  const where = request.maxId === undefined ? undefined : lt(seq, request.maxId);
  const rows = await query(where, desc(seq), limit + 1);
  const items = rows.slice(0, limit);
  return {
    items,
    hasOlder: rows.length > limit,
    hasNewer: request.maxId !== undefined && items.length > 0,
  };
}
