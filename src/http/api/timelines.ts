/**
 * The owner's timelines, shaped like Mastodon's client API (`/api/v1/timelines`): home, the
 * public timeline and a hashtag's. (A list's is `lists.ts`'s, mounted before this router.)
 * Each applies the filters of its context (`home`, `public`) after its page is read.
 */
import { type Context, Hono } from "hono";
import { hashtagOf } from "../../activitypub/hashtags";
import type { AppEnv } from "../../env";
import { applyFilters } from "../../mastodon/filters";
import { noteId } from "../../mastodon/ids";
import type { MastodonStatus } from "../../mastodon/serialize";
import { readBatched } from "../../storage/batched";
import { filterInForceRead } from "../../storage/filters";
import type { Page } from "../../storage/pages";
import { publicTimeline, tagTimeline } from "../../storage/public-timelines";
import type { FilterContext } from "../../storage/schema-lists";
import type { StatusRow } from "../../storage/statuses";
import { homeNotesRead, homePage } from "../../storage/timeline";
import { entryStatuses, ownerRead, pageFilters } from "../../views/statuses";
import { requireOwner } from "../middleware/owner-auth";
import { jsonError } from "../responses";
import { queryFlag } from "./input";
import { linkHeader, type Paging, parsePaging } from "./paging";

/** Statuses per page: Mastodon's default and maximum (a larger `limit` is lowered to it). */
export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 40;

/** The hashtags each of `any[]`, `all[]` and `none[]` takes (Mastodon's `LIMIT_PER_MODE`). */
export const TAGS_PER_MODE = 4;

export const timelines = new Hono<AppEnv>();
// Single-user: the public timelines need the owner's token too (`read:statuses`), as the
// rest of the owner's API.
timelines.use("*", requireOwner({ read: "read:statuses", write: "write:statuses" }));

type TimelineContext = Context<AppEnv>;

/**
 * A page as the app gets it: its statuses with what the context's filters say (`hide` ones
 * left out), and the `Link` header of the entries read (so a page the filters emptied still
 * leads on).
 */
async function answer(
  c: TimelineContext,
  page: {
    readonly statuses: readonly MastodonStatus[];
    readonly notes: readonly string[];
    readonly ids: readonly string[];
    readonly hasOlder: boolean;
    /** Whether a filter is in force in the context (`anyFilterInForce`, read with the page). */
    readonly inForce: boolean;
  },
  link: { readonly path: string; readonly kept: Paging["kept"]; readonly context: FilterContext },
) {
  const { ctx } = c.var;
  const { context } = link;
  const filters = await pageFilters(ctx, {
    context,
    now: ctx.now(),
    inForce: page.inForce,
    notes: page.notes,
  });
  return c.json(
    applyFilters(filters, page.statuses),
    200,
    linkHeader({
      url: `${ctx.config.origin}${link.path}`,
      kept: link.kept,
      newest: page.ids[0],
      oldest: page.ids.at(-1),
      hasOlder: page.hasOlder,
    }),
  );
}

/**
 * The owner's notes and boosts and those of the accounts they follow, newest first (each
 * entry by its own id), without what the owner keeps away. Paged like Mastodon: `max_id`,
 * `since_id`, `min_id`, `limit`, and a `Link` header (`next` goes older with `max_id`, `prev`
 * newer with `min_id`) on every page that is not empty; `next` is left out when the page is
 * known to be the oldest.
 */
timelines.get("/home", async (c) => {
  const paging = parsePaging(c.req.query(), { fallback: DEFAULT_LIMIT, max: MAX_LIMIT }, "status");
  if (typeof paging === "string") return jsonError(c, 400, paging);
  const { ctx } = c.var;
  const viewer = { owner: ctx.config.urls.owner.id, now: ctx.now() };
  // One round trip for the page's notes, the owner's account (serialising needs it) and
  // whether a filter is in force, then one for the boosts of the notes' span. The page's
  // rows hold all that its statuses show.
  const { request } = paging;
  const [owner, notes, inForce] = await readBatched(ctx.db, [
    ownerRead(ctx),
    homeNotesRead(ctx.db, viewer, request),
    filterInForceRead(ctx.db, "home", viewer.now),
  ]);
  const [{ account }, { items, hasOlder }] = await Promise.all([
    owner,
    homePage(ctx.db, { viewer, request, notes }),
  ]);
  const statuses = await entryStatuses(ctx, items, account);
  return answer(
    c,
    {
      statuses,
      notes: items.map((e) => e.row.id),
      ids: items.map((e) => e.id.toString()),
      hasOlder,
      inForce,
    },
    { path: "/api/v1/timelines/home", kept: paging.kept, context: "home" },
  );
});

/** What the public timelines keep in their `Link` URLs, as given. */
const PUBLIC_FLAGS = ["local", "remote", "only_media"] as const;

/** The flags of a public timeline, and the `Link` parameters that repeat them. */
function publicFlags(c: TimelineContext, paging: Paging) {
  const query = c.req.query();
  const kept = [
    ...paging.kept,
    ...PUBLIC_FLAGS.flatMap((k) => (query[k] ? [[k, query[k]] as const] : [])),
  ];
  return {
    flags: {
      local: queryFlag(query.local),
      remote: queryFlag(query.remote),
      onlyMedia: queryFlag(query.only_media),
    },
    kept,
  };
}

/** A page of public notes, read with the owner's account: their statuses, and what `answer` needs. */
async function publicPage(c: TimelineContext, read: Promise<Page<StatusRow>>) {
  const { ctx } = c.var;
  const [{ items, hasOlder }, [owner, inForce]] = await Promise.all([
    read,
    readBatched(ctx.db, [ownerRead(ctx), filterInForceRead(ctx.db, "public", ctx.now())]),
  ]);
  const { account } = await owner;
  const statuses = await entryStatuses(
    ctx,
    items.map((row) => ({ row })),
    account,
  );
  const notes = items.map((row) => row.id);
  return { statuses, notes, ids: items.map(noteId), hasOlder, inForce };
}

/**
 * The public notes this instance stores, but replies (except to oneself), newest first:
 * `local=true` the owner's alone, `remote=true` the others', `only_media=true` those with
 * media. Public notes only, no boosts, none by an account the owner keeps away.
 */
timelines.get("/public", async (c) => {
  const paging = parsePaging(c.req.query(), { fallback: DEFAULT_LIMIT, max: MAX_LIMIT }, "status");
  if (typeof paging === "string") return jsonError(c, 400, paging);
  const { ctx } = c.var;
  const { flags, kept } = publicFlags(c, paging);
  const query = { owner: ctx.config.urls.owner.id, now: ctx.now(), ...flags };
  const page = await publicPage(c, publicTimeline(ctx.db, query, paging.request));
  return answer(c, page, { path: "/api/v1/timelines/public", kept, context: "public" });
});

/** Hashtag names of a list parameter (`any[]=a&any[]=b`), as stored; those that cannot be one dropped. */
function tagNames(c: TimelineContext, name: string): string[] {
  const given = [...(c.req.queries(`${name}[]`) ?? []), ...(c.req.queries(name) ?? [])];
  const names = given.flatMap((text) => hashtagOf(text) ?? []);
  return [...new Set(names)].slice(0, TAGS_PER_MODE);
}

/**
 * The public notes with a hashtag (or any of `any[]`), all of `all[]` and none of `none[]`
 * (four of each at most), newest first, with the public timeline's `local`, `remote` and
 * `only_media`. A hashtag that cannot be one finds nothing, as on Mastodon.
 */
timelines.get("/tag/:hashtag", async (c) => {
  const paging = parsePaging(c.req.query(), { fallback: DEFAULT_LIMIT, max: MAX_LIMIT }, "status");
  if (typeof paging === "string") return jsonError(c, 400, paging);
  const { ctx } = c.var;
  const tag = hashtagOf(c.req.param("hashtag"));
  if (tag === undefined) return c.json([]);
  const { flags, kept } = publicFlags(c, paging);
  const [any, all, none] = [tagNames(c, "any"), tagNames(c, "all"), tagNames(c, "none")];
  for (const [name, list] of [
    ["any[]", any],
    ["all[]", all],
    ["none[]", none],
  ] as const) {
    for (const value of list) kept.push([name, value]);
  }
  const query = {
    owner: ctx.config.urls.owner.id,
    now: ctx.now(),
    ...flags,
    any: [...new Set([tag, ...any])],
    all,
    none,
  };
  const page = await publicPage(c, tagTimeline(ctx.db, query, paging.request));
  return answer(c, page, {
    path: `/api/v1/timelines/tag/${encodeURIComponent(tag)}`,
    kept,
    context: "public",
  });
});
