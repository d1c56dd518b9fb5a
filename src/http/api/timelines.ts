/** The owner's timelines, shaped like Mastodon's client API (`/api/v1/timelines`). */
import { Hono } from "hono";
import type { AppEnv } from "../../env";
import { noteId } from "../../mastodon/ids";
import { homeTimeline } from "../../storage/timeline";
import { requireOwner } from "../middleware/owner-auth";
import { jsonError } from "../responses";
import { linkHeader, parsePaging } from "./paging";
import { ownerAccount, statusesFor } from "./views";

/** Statuses per page: Mastodon's default and maximum (a larger `limit` is lowered to it). */
export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 40;

export const timelines = new Hono<AppEnv>();
timelines.use("*", requireOwner({ read: "read:statuses", write: "write:statuses" }));

/**
 * The owner's notes and those of the accounts they follow, newest first. Paged like
 * Mastodon: `max_id`, `since_id`, `min_id`, `limit`, and a `Link` header (`next` goes older
 * with `max_id`, `prev` newer with `min_id`) on every page that is not empty; `next` is left
 * out when the page is known to be the oldest.
 */
timelines.get("/home", async (c) => {
  const paging = parsePaging(c.req.query(), { fallback: DEFAULT_LIMIT, max: MAX_LIMIT }, "status");
  if (typeof paging === "string") return jsonError(c, 400, paging);
  const { ctx } = c.var;
  const { config } = ctx;
  // The owner's account is read while the page is: serialising needs both.
  const [owner, { items, hasOlder }] = await Promise.all([
    ownerAccount(ctx),
    homeTimeline(ctx.db, config.urls.owner.id, paging.request),
  ]);
  const statuses = await statusesFor(ctx, items, owner);
  const ids = items.map(noteId);
  return c.json(
    statuses,
    200,
    linkHeader({
      url: `${config.origin}/api/v1/timelines/home`,
      kept: paging.kept,
      newest: ids[0],
      oldest: ids.at(-1),
      hasOlder,
    }),
  );
});
