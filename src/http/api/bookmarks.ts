/**
 * The owner's bookmarks (`/api/v1/bookmarks`) and favourites (`/api/v1/favourites`): the
 * statuses, newest mark first, paged by the bookmark's or the like's own `seq` as Mastodon
 * pages them by their own ids (the `Link` header carries them; a status id is no cursor).
 */
import { type Context, Hono } from "hono";
import type { AppEnv } from "../../env";
import { bookmarkPage, favouritePage, type Marked } from "../../storage/marked";
import type { Page, PageRequest } from "../../storage/pages";
import { statusesOf } from "../../views/statuses";
import { requireOwner } from "../middleware/owner-auth";
import { jsonError } from "../responses";
import { bySeq, linkHeader, parsePaging } from "./paging";
import { DEFAULT_LIMIT, MAX_LIMIT } from "./timelines";

type MarkedPage = (ctx: AppEnv["Variables"]["ctx"], request: PageRequest) => Promise<Page<Marked>>;

/** Answers a page of marked statuses with its `Link` header. */
async function servePage(c: Context<AppEnv>, path: string, read: MarkedPage) {
  const paging = parsePaging(c.req.query(), { fallback: DEFAULT_LIMIT, max: MAX_LIMIT }, path);
  if (typeof paging === "string") return jsonError(c, 400, paging);
  const { ctx } = c.var;
  const page = await read(ctx, bySeq(paging.request));
  // Only notes the owner may see are on the page, so each has its status.
  const statuses = await statusesOf(
    ctx,
    page.items.map((m) => m.noteSeq),
  );
  return c.json(
    statuses,
    200,
    linkHeader({
      url: `${ctx.config.origin}/api/v1/${path}s`,
      kept: paging.kept,
      newest: page.items[0]?.seq.toString(),
      oldest: page.items.at(-1)?.seq.toString(),
      hasOlder: page.hasOlder,
    }),
  );
}

export const bookmarks = new Hono<AppEnv>();
bookmarks.use("*", requireOwner({ read: "read:bookmarks", write: "write:bookmarks" }));
bookmarks.get("/", (c) =>
  servePage(c, "bookmark", (ctx, request) =>
    bookmarkPage(ctx.db, { owner: ctx.config.urls.owner.id, request }),
  ),
);

export const favourites = new Hono<AppEnv>();
favourites.use("*", requireOwner({ read: "read:favourites", write: "write:favourites" }));
favourites.get("/", (c) =>
  servePage(c, "favourite", (ctx, request) =>
    favouritePage(ctx.db, { owner: ctx.config.urls.owner.id, request }),
  ),
);
