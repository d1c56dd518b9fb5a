/**
 * The owner's direct conversations, shaped like Mastodon's `/api/v1/conversations`: the
 * threads of direct notes sent or received, newest last status first, each with the accounts
 * taking part (but the owner), its last status and whether it is unread; marking one read,
 * removing one. Reading needs `read:statuses`, changing `write:conversations`, as on Mastodon.
 */
import { type Context, Hono } from "hono";
import type { AppEnv } from "../../env";
import {
  conversationsPage,
  hideConversationQuery,
  markConversationRead,
} from "../../storage/conversations";
import { serializeConversations } from "../../views/conversations";
import { ownerAccount } from "../../views/statuses";
import { requireOwner } from "../middleware/owner-auth";
import { jsonError } from "../responses";
import { linkHeader, parsePaging } from "./paging";
import { parseSeq } from "./sorting-input";

/** Conversations per page: Mastodon's default (20) and maximum (40). */
const LIMITS = { fallback: 20, max: 40 };

export const conversationsApi = new Hono<AppEnv>();
conversationsApi.use("*", requireOwner({ read: "read:statuses", write: "write:conversations" }));

const notFound = (c: Context) => jsonError(c, 404, "Record not found");

/**
 * The conversations, newest last status first, paged by their last statuses' ids as Mastodon
 * pages them (`max_id`, `since_id`, `min_id`, `limit`; `Link` with those ids).
 */
conversationsApi.get("/", async (c) => {
  const paging = parsePaging(c.req.query(), LIMITS, "status");
  if (typeof paging === "string") return jsonError(c, 400, paging);
  const { ctx } = c.var;
  const [owner, page] = await Promise.all([
    ownerAccount(ctx),
    conversationsPage(ctx.db, ctx.config.urls.owner.id, paging.request),
  ]);
  return c.json(
    await serializeConversations(ctx, page.items, owner),
    200,
    linkHeader({
      url: `${ctx.config.origin}/api/v1/conversations`,
      kept: paging.kept,
      newest: page.items[0]?.lastStatusId,
      oldest: page.items.at(-1)?.lastStatusId,
      hasOlder: page.hasOlder,
    }),
  );
});

/** Marks a conversation read; answers it. 404 for one not listed. */
conversationsApi.post("/:id/read", async (c) => {
  const seq = parseSeq(c.req.param("id"));
  const { ctx } = c.var;
  const owner = ctx.config.urls.owner.id;
  const [view, account] = await Promise.all([
    seq === undefined ? undefined : markConversationRead(ctx.db, owner, seq),
    ownerAccount(ctx),
  ]);
  if (view === undefined) return notFound(c);
  const [conversation] = await serializeConversations(ctx, [view], account);
  return conversation === undefined ? notFound(c) : c.json(conversation);
});

/** Removes a conversation from the list (until a newer note comes); 404 for one not listed. */
conversationsApi.delete("/:id", async (c) => {
  const seq = parseSeq(c.req.param("id"));
  const { db } = c.var.ctx;
  const gone = seq === undefined ? [] : await hideConversationQuery(db, seq);
  if (gone.length === 0) return notFound(c);
  return c.json({});
});
