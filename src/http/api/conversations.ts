/**
 * The owner's direct conversations, shaped like Mastodon's `/api/v1/conversations`: the
 * threads of direct notes sent or received, newest last status first, each with the accounts
 * taking part (but the owner), its last status and whether it is unread; marking one read,
 * removing one. Reading needs `read:statuses`, changing `write:conversations`, as on Mastodon.
 */
import { type Context, Hono } from "hono";
import type { AppEnv } from "../../env";
import { type MastodonAccount, serializeActor } from "../../mastodon/serialize";
import {
  type ConversationView,
  conversationsPage,
  hideConversationQuery,
  markConversationRead,
} from "../../storage/conversations";
import { toStatusData } from "../../storage/statuses";
import { requireOwner } from "../middleware/owner-auth";
import { jsonError } from "../responses";
import { linkHeader, parsePaging } from "./paging";
import { parseSeq } from "./sorting-input";
import { ownerAccount, serializeStatuses } from "./views";

/** Conversations per page: Mastodon's default (20) and maximum (40). */
const LIMITS = { fallback: 20, max: 40 };

export const conversationsApi = new Hono<AppEnv>();
conversationsApi.use("*", requireOwner({ read: "read:statuses", write: "write:conversations" }));

const notFound = (c: Context) => jsonError(c, 404, "Record not found");

/**
 * Mastodon's Conversation entities of conversations read: their last statuses, and the
 * accounts of each (its last note's author and the accounts it mentions, but the owner; the
 * owner alone when there is no one else, as Mastodon shows a conversation with oneself).
 */
async function serializeConversations(
  c: Context<AppEnv>,
  views: readonly ConversationView[],
  owner: MastodonAccount,
) {
  const { ctx } = c.var;
  const data = toStatusData(views.map((v) => v.row));
  const statuses = await serializeStatuses(ctx, data, owner);
  const ownerId = ctx.config.urls.owner.id;
  return views.flatMap((view) => {
    const i = data.items.findIndex((item) => item.note.seq === view.row.seq);
    const [item, status] = [data.items[i], statuses[i]];
    if (item === undefined || status === undefined) return [];
    const named = [
      item.note.attributedTo,
      ...item.tags.flatMap((t) => (t.type === "Mention" && t.href !== null ? [t.href] : [])),
    ];
    const accounts = [...new Set(named)]
      .filter((id) => id !== ownerId)
      .flatMap((id) => {
        const row = data.accounts.get(id);
        return row === undefined ? [] : [serializeActor(ctx.config, row)];
      });
    return [
      {
        id: String(view.seq),
        unread: view.unread,
        accounts: accounts.length === 0 ? [owner] : accounts,
        last_status: status,
      },
    ];
  });
}

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
    await serializeConversations(c, page.items, owner),
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
  const [conversation] = await serializeConversations(c, [view], account);
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
