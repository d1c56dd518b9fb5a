/** The owner's timelines, shaped like Mastodon's client API (`/api/v1/timelines`). */
import { Hono } from "hono";
import type { AppEnv, Config } from "../../env";
import {
  loadStatusContext,
  type MastodonAccount,
  type MastodonStatus,
  serializeStatus,
} from "../../mastodon/serialize";
import { createDb, type Db } from "../../storage/db";
import type { NoteRow } from "../../storage/schema";
import { homeTimeline } from "../../storage/timeline";
import { requireOwner } from "../middleware/owner-auth";
import { jsonError } from "../responses";
import { linkHeader, parsePaging } from "./paging";
import { ownerAccount } from "./views";

/** Statuses per page: Mastodon's default and maximum (a larger `limit` is lowered to it). */
export const DEFAULT_LIMIT = 20;
export const MAX_LIMIT = 40;

export const timelines = new Hono<AppEnv>();
timelines.use("*", requireOwner());

/** Statuses for rows already read (`statusesOf` would read them again by `seq`). */
async function serializeRows(
  db: Db,
  config: Config,
  owner: MastodonAccount,
  rows: readonly NoteRow[],
): Promise<MastodonStatus[]> {
  if (rows.length === 0) return [];
  const context = await loadStatusContext(db, config, owner, rows);
  return context.items.map((item) => serializeStatus(context, item));
}

/**
 * The owner's notes and those of the accounts they follow, newest first. Paged like
 * Mastodon: `max_id`, `since_id`, `min_id`, `limit`, and a `Link` header (`next` goes older
 * with `max_id`, `prev` newer with `min_id`) on every page that is not empty; `next` is left
 * out when the page is known to be the oldest.
 */
timelines.get("/home", async (c) => {
  const paging = parsePaging(c.req.query(), { fallback: DEFAULT_LIMIT, max: MAX_LIMIT }, "status");
  if (typeof paging === "string") return jsonError(c, 400, paging);
  const config = c.var.config;
  const db = createDb(c.env.DB);
  // The owner's account is read while the page is: serialising needs both.
  const [owner, { items, hasOlder }] = await Promise.all([
    ownerAccount(db, config),
    homeTimeline(db, config.urls.owner.id, paging.request),
  ]);
  const statuses = await serializeRows(db, config, owner, items);
  return c.json(
    statuses,
    200,
    linkHeader({
      url: `${config.origin}/api/v1/timelines/home`,
      kept: paging.kept,
      newest: items[0]?.seq,
      oldest: items.at(-1)?.seq,
      hasOlder,
    }),
  );
});
