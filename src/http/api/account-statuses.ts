/**
 * An account's statuses, shaped like Mastodon's `GET /api/v1/accounts/:id/statuses`: the
 * owner's notes and boosts, or what we store of a remote account's (looking at it asks for a
 * refresh of its recent posts in the background, `federation/accounts.ts`), with Mastodon's
 * filters (`pinned`, `only_media`, `exclude_replies`, `exclude_reblogs`, `tagged`) and paging.
 */
import { Hono } from "hono";
import { hashtagOf } from "../../activitypub/hashtags";
import type { AppEnv } from "../../env";
import { freshenAccount } from "../../federation/accounts";
import { parseMastodonId } from "../../mastodon/ids";
import {
  type MastodonAccount,
  type MastodonStatus,
  serializeActor,
  serializeBoost,
} from "../../mastodon/serialize";
import {
  type AccountStatusesQuery,
  type AccountStatusItem,
  accountStatusesPage,
} from "../../storage/account-statuses";
import { ownerAccount, statusesFor } from "../../views/statuses";
import { requireOwner } from "../middleware/owner-auth";
import { jsonError } from "../responses";
import { findAccount } from "./account-views";
import { queryFlag } from "./input";
import { linkHeader, parsePaging } from "./paging";
import { DEFAULT_LIMIT, MAX_LIMIT } from "./timelines";

export const accountStatuses = new Hono<AppEnv>();

/** The filters a page keeps in its `Link` URLs, as they were given. */
const FILTERS = ["pinned", "only_media", "exclude_replies", "exclude_reblogs", "tagged"] as const;

accountStatuses.get(
  "/v1/accounts/:id/statuses",
  requireOwner({ read: "read:statuses", write: "write:statuses" }),
  async (c) => {
    const query = c.req.query();
    const paging = parsePaging(query, { fallback: DEFAULT_LIMIT, max: MAX_LIMIT }, "status");
    if (typeof paging === "string") return jsonError(c, 400, paging);
    const { ctx } = c.var;
    const id = parseMastodonId(c.req.param("id"));
    const found = id === undefined ? undefined : await findAccount(ctx, id);
    if (found === undefined) return jsonError(c, 404, "Record not found");
    const owner = ctx.config.urls.owner.id;
    const given = query.tagged !== undefined && query.tagged !== "";
    const tagged = given ? hashtagOf(query.tagged ?? "") : undefined;
    const link = {
      url: `${ctx.config.origin}/api/v1/accounts/${c.req.param("id")}/statuses`,
      kept: [...paging.kept, ...FILTERS.flatMap((k) => (query[k] ? [[k, query[k]] as const] : []))],
    };
    // A hashtag that cannot be one matches nothing (Mastodon then finds no tag, no status).
    if (given && tagged === undefined) return c.json([]);
    const extras = found.kind === "remote" ? await freshenAccount(ctx, found.row) : undefined;
    const filters: AccountStatusesQuery = {
      author: found.actor,
      owner,
      pinned: queryFlag(query.pinned),
      featured: extras?.featured,
      onlyMedia: queryFlag(query.only_media),
      excludeReplies: queryFlag(query.exclude_replies),
      excludeReblogs: queryFlag(query.exclude_reblogs),
      tagged,
    };
    // The owner's account (the booster of each boost on their page) is read beside the page.
    const [page, booster] = await Promise.all([
      accountStatusesPage(ctx.db, filters, paging.request),
      found.kind === "owner" ? ownerAccount(ctx) : serializeActor(ctx.config, found.row),
    ]);
    const statuses = await serializeItems(c.var.ctx, page.items, booster);
    const ids = page.items.map((item) => item.id.toString());
    return c.json(
      statuses,
      200,
      linkHeader({ ...link, newest: ids[0], oldest: ids.at(-1), hasOlder: page.hasOlder }),
    );
  },
);

/** The page's statuses in its order: notes, and boosts by the account with the note inside. */
async function serializeItems(
  ctx: Parameters<typeof statusesFor>[0],
  items: readonly AccountStatusItem[],
  booster: MastodonAccount,
): Promise<MastodonStatus[]> {
  const rows = [...new Map(items.map((item) => [item.note.id, item.note])).values()];
  const owner = booster.uri === ctx.config.urls.owner.id ? booster : undefined;
  const statuses = await statusesFor(ctx, rows, owner);
  const byUri = new Map(statuses.map((s) => [s.uri, s]));
  return items.flatMap((item) => {
    const status = byUri.get(item.note.id);
    if (status === undefined) return [];
    return item.kind === "note" ? [status] : [serializeBoost(item.boost, booster, status)];
  });
}
