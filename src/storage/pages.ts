/**
 * Cursor paging: over the `seq` column (ActivityPub collections), or over a Mastodon id
 * expression (the client API's lists). Either is stable when rows arrive, and cheap with an
 * index that orders the rows by the cursor.
 */
import { type AnyColumn, and, asc, desc, gt, lt, type SQL, sql } from "drizzle-orm";
import { type Batched, batched } from "./batched";
import type { Statement } from "./db";
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
  const { where, orderBy } = walkOf(order, request);
  return pageOf(request, await query(where, orderBy, request.limit + 1));
}

/** Where a page's rows lie, and which way it walks: up from `min_id`, else down. */
function walkOf<Cursor>(order: Order<Cursor>, request: PageRequest<Cursor>) {
  const { maxId, sinceId, minId } = request;
  const where = order.between(minId ?? sinceId, maxId);
  return { where, orderBy: minId !== undefined ? order.ascending : order.descending };
}

/** The page the rows of its walk make (one more than `limit` asked). */
function pageOf<Cursor, T>(request: PageRequest<Cursor>, rows: readonly T[]): Page<T> {
  const { maxId, sinceId, minId, limit } = request;
  if (minId !== undefined) {
    const items = rows.slice(0, limit).reverse();
    return { items, hasNewer: rows.length > limit, hasOlder: items.length > 0 };
  }
  const items = rows.slice(0, limit);
  return {
    items,
    // Below a `since_id` page there may be a gap, and there is at least the cursor's row.
    hasOlder: rows.length > limit || sinceId !== undefined,
    hasNewer: maxId !== undefined && items.length > 0,
  };
}

/**
 * `pageById` as a read to batch with others (`storage/batched.ts`): `query` is one query
 * (not run), its rows made into items by `item`.
 */
export function pageByIdRead<Row, T>(
  id: SQL,
  request: ApiPageRequest,
  walk: {
    readonly query: (
      where: SQL | undefined,
      orderBy: SQL,
      limit: number,
    ) => Statement & PromiseLike<Row[]>;
    readonly item: (row: Row) => T;
  },
): Batched<Page<T>> {
  const between = (above?: bigint, below?: bigint) => idBetween(id, above, below);
  const order = { between, ascending: sql`${id} asc`, descending: sql`${id} desc` };
  const { where, orderBy } = walkOf(order, request);
  return batched(walk.query(where, orderBy, request.limit + 1), (rows: Row[]) =>
    pageOf(request, rows.map(walk.item)),
  );
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
