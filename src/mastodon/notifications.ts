/**
 * Mastodon's Notification and NotificationGroup entities from our rows. Ids are Mastodon's
 * shape (`ids.ts`): a notification's from its row, an account's and a status's from theirs.
 */
import type { GroupLead } from "../storage/notification-groups";
import type { GroupSummary } from "../storage/notification-summaries";
import { STATUS_TYPES } from "../storage/notifications";
import type { NotificationRow } from "../storage/schema";
import { notificationId } from "./ids";
import type { MastodonAccount, MastodonStatus } from "./serialize";

const groupKeyOf = (row: NotificationRow) => row.groupKey ?? `ungrouped-${notificationId(row)}`;

/** A notification of `/api/v1/notifications`; `status` only for the types about one. */
export function serializeNotification(
  row: NotificationRow,
  account: MastodonAccount,
  status: MastodonStatus | undefined,
) {
  return {
    id: notificationId(row),
    type: row.type,
    created_at: row.createdAt.toISOString(),
    group_key: groupKeyOf(row),
    account,
    ...(STATUS_TYPES.includes(row.type) ? { status: status ?? null } : {}),
  };
}

export type MastodonNotification = ReturnType<typeof serializeNotification>;

export interface GroupInput {
  readonly lead: GroupLead;
  /** What the group holds up to the end of the page; none for an ungrouped notification. */
  readonly summary: GroupSummary | undefined;
  /** The ids (Mastodon account ids) of its sample accounts, newest first. */
  readonly sampleAccountIds: readonly string[];
  /** The id of the status it is about, for the types about one. */
  readonly statusId: string | undefined;
}

/** A group of `/api/v2/notifications`, with the page bounds Mastodon gives when paging. */
export function serializeNotificationGroup(input: GroupInput) {
  const { lead, summary, sampleAccountIds, statusId } = input;
  const newest = summary?.samples[0];
  const mostRecent = newest?.id ?? lead.id;
  return {
    group_key: lead.groupKey,
    notifications_count: summary?.count ?? 1,
    type: lead.type,
    most_recent_notification_id: mostRecent,
    page_min_id: summary?.pageMinId ?? lead.id,
    page_max_id: mostRecent,
    latest_page_notification_at: (newest?.createdAt ?? lead.createdAt).toISOString(),
    sample_account_ids: [...sampleAccountIds],
    ...(STATUS_TYPES.includes(lead.type) && statusId !== undefined ? { status_id: statusId } : {}),
  };
}

export type MastodonNotificationGroup = ReturnType<typeof serializeNotificationGroup>;
