/** Direct conversations as `/api/v1/conversations` and the streaming API's `direct` show them. */
import { type MastodonAccount, serializeActor } from "../mastodon/serialize";
import type { ConversationView } from "../storage/conversations";
import { toStatusData } from "../storage/statuses";
import { serializeStatuses, type ViewContext } from "./statuses";

/**
 * Mastodon's Conversation entities of conversations read: their last statuses, and the
 * accounts of each (its last note's author and the accounts it mentions, but the owner; the
 * owner alone when there is no one else, as Mastodon shows a conversation with oneself).
 */
export async function serializeConversations(
  ctx: ViewContext,
  views: readonly ConversationView[],
  owner: MastodonAccount,
) {
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
