/**
 * Notifications as `/api/v1/notifications` and the streaming API show them: each with its
 * account, and the status it is about with the `notifications` context's filters applied.
 */
import { applyFilters } from "../mastodon/filters";
import { type MastodonNotification, serializeNotification } from "../mastodon/notifications";
import { type MastodonAccount, type MastodonStatus, serializeActor } from "../mastodon/serialize";
import type { ListedNotification } from "../storage/notification-pages";
import { pageFilters, statusesByNoteId, type ViewContext } from "./statuses";

/** The owner's account, and whether a filter is in force in `notifications` (read beside). */
export interface NotificationsView {
  readonly owner: MastodonAccount;
  readonly inForce: boolean;
}

/**
 * The statuses notifications are about, by their notes' ids (live ones only), with the
 * owner's account, read while the page was; the filters of the `notifications` context
 * applied, read beside them: what a `hide` filter matches is left out (and its notification
 * with it), the rest marked in `filtered`.
 */
export async function statusesAbout(
  ctx: ViewContext,
  about: readonly { readonly target: string }[],
  view: NotificationsView,
): Promise<Map<string, MastodonStatus>> {
  const targets = about.flatMap((n) => (n.target === "" ? [] : [n.target]));
  const now = ctx.now();
  const [statuses, filters] = await Promise.all([
    statusesByNoteId(ctx, targets, view.owner),
    pageFilters(ctx, { context: "notifications", now, inForce: view.inForce, notes: targets }),
  ]);
  const kept = applyFilters(filters, [...statuses.values()]);
  return new Map(kept.map((status) => [status.uri, status]));
}

/**
 * Notifications read with their accounts (`listNotifications`), as Mastodon's Notification
 * entities, in their order; one about a status that went away, or that a `hide` filter
 * matches, is left out.
 */
export async function serializeListed(
  ctx: ViewContext,
  rows: readonly ListedNotification[],
  view: NotificationsView,
): Promise<MastodonNotification[]> {
  const statuses = await statusesAbout(
    ctx,
    rows.map((r) => r.notification),
    view,
  );
  return rows.flatMap(({ notification, account }) => {
    const { target } = notification;
    const status = target === "" ? undefined : statuses.get(target);
    // A note that went away meanwhile takes its notification with it.
    if (target !== "" && status === undefined) return [];
    return [serializeNotification(notification, serializeActor(ctx.config, account), status)];
  });
}
