/**
 * Ordered collections and their pages. Pages are cut by cursor (`max_id` for older items,
 * `min_id` for newer ones), never by offset, so a page stays the same when items arrive.
 */
import { CONTEXT } from "./context";

export interface PageCursor {
  /** Items strictly older than this position. */
  readonly maxId?: number;
  /** Items strictly newer than this position. */
  readonly minId?: number;
}

export function pageUrl(collection: string, cursor: PageCursor = {}): string {
  const params = new URLSearchParams({ page: "true" });
  if (cursor.maxId !== undefined) params.set("max_id", String(cursor.maxId));
  if (cursor.minId !== undefined) params.set("min_id", String(cursor.minId));
  return `${collection}?${params}`;
}

export function toOrderedCollection(id: string, totalItems: number) {
  return {
    "@context": CONTEXT,
    id,
    type: "OrderedCollection",
    totalItems,
    first: pageUrl(id),
  };
}

export interface CollectionPageInput<T> {
  readonly collection: string;
  readonly cursor: PageCursor;
  readonly totalItems: number;
  readonly items: readonly T[];
  /** Cursor positions of the first and last item shown. */
  readonly newest: number | undefined;
  readonly oldest: number | undefined;
  readonly hasOlder: boolean;
  readonly hasNewer: boolean;
}

export function toOrderedCollectionPage<T>(page: CollectionPageInput<T>) {
  const { collection } = page;
  return {
    "@context": CONTEXT,
    id: pageUrl(collection, page.cursor),
    type: "OrderedCollectionPage",
    partOf: collection,
    totalItems: page.totalItems,
    orderedItems: page.items,
    next:
      page.hasOlder && page.oldest !== undefined
        ? pageUrl(collection, { maxId: page.oldest })
        : undefined,
    prev:
      page.hasNewer && page.newest !== undefined
        ? pageUrl(collection, { minId: page.newest })
        : undefined,
  };
}
