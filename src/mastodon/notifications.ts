/**
 * Mastodon's Notification and NotificationGroup entities from our rows. Ids are strings:
 * `seq` of the notification, of the account, of the status.
 */
import type { GroupLead, GroupSummary } from "../storage/notification-pages";
import { STATUS_TYPES } from "../storage/notifications";
import type { NotificationRow } from "../storage/schema";
import type { MastodonAccount, MastodonStatus } from "./serialize";

const groupKeyOf = (row: Pick<NotificationRow, "seq" | "groupKey">) =>
  row.groupKey ?? `ungrouped-${row.seq}`;

/** A notification of `/api/v1/notifications`; `status` only for the types about one. */
export function serializeNotification(
  row: NotificationRow,
  account: MastodonAccount,
  status: MastodonStatus | undefined,
) {
  return {
    id: String(row.seq),
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
}

/** A group of `/api/v2/notifications`, with the page bounds Mastodon gives when paging. */
export function serializeNotificationGroup({ lead, summary, sampleAccountIds }: GroupInput) {
  const newest = summary?.samples[0];
  const mostRecent = String(newest?.seq ?? lead.seq);
  return {
    group_key: lead.groupKey,
    notifications_count: summary?.count ?? 1,
    type: lead.type,
    most_recent_notification_id: mostRecent,
    page_min_id: String(summary?.pageMinId ?? lead.seq),
    page_max_id: mostRecent,
    latest_page_notification_at: (newest?.createdAt ?? lead.createdAt).toISOString(),
    sample_account_ids: [...sampleAccountIds],
    ...(STATUS_TYPES.includes(lead.type) && lead.statusSeq !== null
      ? { status_id: String(lead.statusSeq) }
      : {}),
  };
}

export type MastodonNotificationGroup = ReturnType<typeof serializeNotificationGroup>;
