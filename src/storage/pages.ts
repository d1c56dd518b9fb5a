/**
 * Cursor paging: over the `seq` column (ActivityPub collections), or over a Mastodon id
 * expression (the client API's lists). Either is stable when rows arrive, and cheap with an
 * index that orders the rows by the cursor.
 */
import { type AnyColumn, and, asc, desc, gt, lt, type SQL, sql } from "drizzle-orm";
import { idParam } from "./ids";

/**
 * Mastodon's cursors, all exclusive; any two may be combined. `seq`s for collections,
 * Mastodon ids (`ApiPageRequest`) for the client API.
 */
export interface PageRequest<Cursor = number> {
  /** Rows older than this. */
  readonly maxId?: Cursor;
  /** Rows newer than this, the newest of them (a gap may remain below the page). */
  readonly sinceId?: Cursor;
  /** Rows newer than this, the oldest of them (the page just after it). Wins over `sinceId`. */
  readonly minId?: Cursor;
  readonly limit: number;
}

/** A page of a client API list: its cursors are Mastodon ids, of any kind (a time). */
export type ApiPageRequest = PageRequest<bigint>;

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
 * Rows whose Mastodon id (`id`, an expression of `storage/ids.ts`) lies between two
 * exclusive bounds, either of which may be missing: a range of its expression index.
 */
export const idBetween = (id: SQL, above?: bigint, below?: bigint): SQL | undefined =>
  and(
    above === undefined ? undefined : sql`${id} > ${idParam(above)}`,
    below === undefined ? undefined : sql`${id} < ${idParam(below)}`,
  );

/** How a list is ordered: its bounds, and its two directions. */
interface Order<Cursor> {
  readonly between: (above?: Cursor, below?: Cursor) => SQL | undefined;
  readonly ascending: SQL;
  readonly descending: SQL;
}

/**
 * Reads one page, newest first. Asks for one row more than the page holds to learn whether
 * another page follows, instead of counting.
 */
async function readPage<Cursor, T>(
  order: Order<Cursor>,
  request: PageRequest<Cursor>,
  query: PageQuery<T>,
): Promise<Page<T>> {
  const { maxId, sinceId, minId, limit } = request;
  const where = order.between(minId ?? sinceId, maxId);
  if (minId !== undefined) {
    const rows = await query(where, order.ascending, limit + 1);
    const items = rows.slice(0, limit).reverse();
    return { items, hasNewer: rows.length > limit, hasOlder: items.length > 0 };
  }
  const rows = await query(where, order.descending, limit + 1);
  const items = rows.slice(0, limit);
  return {
    items,
    // Below a `since_id` page there may be a gap, and there is at least the cursor's row.
    hasOlder: rows.length > limit || sinceId !== undefined,
    hasNewer: maxId !== undefined && items.length > 0,
  };
}

/** One page in `seq` order (a collection's). */
export function pageBySeq<T>(
  seq: AnyColumn,
  request: PageRequest,
  query: PageQuery<T>,
): Promise<Page<T>> {
  const between = (above?: number, below?: number) => seqBetween(seq, above, below);
  return readPage({ between, ascending: asc(seq), descending: desc(seq) }, request, query);
}

/**
 * One page in Mastodon id order: `id` is the list's id expression (`storage/ids.ts`), which
 * its index holds exactly as written, so that SQLite walks the index from the cursor.
 */
export function pageById<T>(
  id: SQL,
  request: ApiPageRequest,
  query: PageQuery<T>,
): Promise<Page<T>> {
  const between = (above?: bigint, below?: bigint) => idBetween(id, above, below);
  return readPage(
    { between, ascending: sql`${id} asc`, descending: sql`${id} desc` },
    request,
    query,
  );
}
