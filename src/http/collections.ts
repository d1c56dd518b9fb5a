/**
 * The owner's collections (outbox, followers, following, featured) and the instance actor's
 * empty outbox. A request without `page` gets the collection with `totalItems` and `first`;
 * `?page=true` with `max_id` or `min_id` gets one page, newest first.
 */
import { type Context, Hono } from "hono";
import { toOrderedCollection, toOrderedCollectionPage } from "../activitypub/collection";
import { toNote } from "../activitypub/note";
import type { AppEnv } from "../env";
import { countFollows, type FollowSide, pageFollows } from "../storage/follows";
import { pinnedNotes, withRelations } from "../storage/notes";
import { countOutbox, pageOutbox } from "../storage/outbox";
import type { Page, PageRequest } from "../storage/pages";
import { publicCache } from "./middleware/public-cache";
import { activityJson, jsonError } from "./responses";

export const PAGE_SIZE = 20;
/** Pins are few (Mastodon allows 5), so the featured collection is always one page. */
const MAX_FEATURED = PAGE_SIZE;

export const collections = new Hono<AppEnv>();

/** The collection and its first page come from the Cache API when it holds them. */
const asCollection = publicCache({ negotiated: false, firstPage: true });

type PageParams = { readonly page: false } | { readonly page: true; readonly request: PageRequest };

/** Reads `page`, `max_id` and `min_id`; a message saying what is wrong when malformed. */
function parsePageParams(c: Context): PageParams | string {
  const { page, max_id: maxId, min_id: minId } = c.req.query();
  if (page === undefined && maxId === undefined && minId === undefined) return { page: false };
  if (page !== undefined && page !== "true" && page !== "1") return "page must be true";
  if (maxId !== undefined && minId !== undefined) return "give max_id or min_id, not both";
  const parse = (value: string | undefined, name: string): number | string | undefined => {
    if (value === undefined) return undefined;
    const n = Number(value);
    return /^\d{1,15}$/.test(value) && n > 0 ? n : `${name} must be a positive integer`;
  };
  const max = parse(maxId, "max_id");
  const min = parse(minId, "min_id");
  if (typeof max === "string") return max;
  if (typeof min === "string") return min;
  return { page: true, request: { maxId: max, minId: min, limit: PAGE_SIZE } };
}

interface CollectionSource<T> {
  readonly id: string;
  readonly count: () => Promise<number>;
  readonly page: (request: PageRequest) => Promise<Page<T & { seq: number }>>;
  readonly toItem: (item: T) => unknown;
}

/** Serves a collection or one of its pages from a counter and a pager. */
async function serveCollection<T>(c: Context<AppEnv>, source: CollectionSource<T>) {
  const { id, count, page, toItem } = source;
  const params = parsePageParams(c);
  if (typeof params === "string") return jsonError(c, 400, params);
  if (!params.page) return activityJson(c, toOrderedCollection(id, await count()));
  const [totalItems, result] = await Promise.all([count(), page(params.request)]);
  return activityJson(
    c,
    toOrderedCollectionPage({
      collection: id,
      cursor: params.request,
      totalItems,
      items: result.items.map(toItem),
      newest: result.items[0]?.seq,
      oldest: result.items.at(-1)?.seq,
      hasOlder: result.hasOlder,
      hasNewer: result.hasNewer,
    }),
  );
}

function isOwner(c: Context<AppEnv>): boolean {
  return c.req.param("username") === c.var.ctx.config.owner.username;
}

collections.get("/users/:username/outbox", asCollection, async (c) => {
  if (!isOwner(c)) return jsonError(c, 404, "no such actor");
  const { db, config } = c.var.ctx;
  const owner = config.urls.owner;
  return serveCollection(c, {
    id: owner.outbox,
    count: () => countOutbox(db, owner.id),
    page: (request) => pageOutbox(db, owner.id, request),
    toItem: (row) => row.payload,
  });
});

for (const side of ["followers", "following"] as const satisfies FollowSide[]) {
  collections.get(`/users/:username/${side}`, asCollection, async (c) => {
    if (!isOwner(c)) return jsonError(c, 404, "no such actor");
    const { db, config } = c.var.ctx;
    const owner = config.urls.owner;
    return serveCollection(c, {
      id: owner[side],
      count: () => countFollows(db, side, owner.id),
      page: (request) => pageFollows(db, { side, actor: owner.id }, request),
      toItem: (item) => item.actor,
    });
  });
}

/**
 * A collection small enough to fit one page (pins, the instance actor's empty outbox):
 * the first page holds every item, and any cursor leads to an empty page.
 */
async function serveSinglePage(
  c: Context<AppEnv>,
  id: string,
  load: () => Promise<readonly unknown[]>,
) {
  const params = parsePageParams(c);
  if (typeof params === "string") return jsonError(c, 400, params);
  const items = await load();
  if (!params.page) return activityJson(c, toOrderedCollection(id, items.length));
  const { maxId, minId } = params.request;
  return activityJson(
    c,
    toOrderedCollectionPage({
      collection: id,
      cursor: params.request,
      totalItems: items.length,
      items: maxId === undefined && minId === undefined ? items : [],
      newest: undefined,
      oldest: undefined,
      hasOlder: false,
      hasNewer: false,
    }),
  );
}

collections.get("/users/:username/featured", asCollection, async (c) => {
  if (!isOwner(c)) return jsonError(c, 404, "no such actor");
  const { db, config } = c.var.ctx;
  const owner = config.urls.owner;
  return serveSinglePage(c, owner.featured, async () => {
    const pinned = await withRelations(db, await pinnedNotes(db, owner.id, MAX_FEATURED));
    return pinned.map(({ note, relations }) => toNote(note, relations));
  });
});

collections.get("/actor/outbox", (c) =>
  serveSinglePage(c, c.var.ctx.config.urls.instance.outbox, async () => []),
);
