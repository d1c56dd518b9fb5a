/**
 * The owner's notifications: the statements that record and forget them, run in the batch
 * of the activity that causes them (reading them is `notification-pages.ts`, the groups
 * `notification-groups.ts` and `notification-summaries.ts`). Each group's newest notification
 * holds what a page shows of the group, kept by SQLite triggers (`schema.ts`, `group_size`).
 *
 * Grouping follows Mastodon's `Notification::Groups`: favourites and boosts of one status,
 * and follows, share a group key `<type>[-<status id>]-<hour bucket>`. A new one joins the
 * latest group of its kind while that group began less than 12 hours before; other types are
 * each their own group, `ungrouped-<id>`.
 */
import { and, desc, eq, exists, inArray, or, type SQL, sql } from "drizzle-orm";
import { parseMastodonId } from "../mastodon/ids";
import type { Db, Statement } from "./db";
import { idIs, notificationIdSql } from "./ids";
import { type NotificationType, notifications, reactions } from "./schema";

/** The types Mastodon groups (`GROUPABLE_NOTIFICATION_TYPES`). */
export const GROUPABLE_TYPES: readonly NotificationType[] = ["favourite", "reblog", "follow"];
/** How long a group keeps taking new notifications after it began. */
export const MAX_GROUP_SPAN_HOURS = 12;

const HOUR_MS = 3_600_000;

/**
 * The types whose notifications are about a status (and carry it). A trigger deletes them
 * with their note (migration `*_notification_group_triggers` names them: a type added here is
 * added there too, by a new migration; `test/notifications-groups.test.ts` checks each).
 */
export const STATUS_TYPES: readonly NotificationType[] = ["favourite", "reblog", "mention"];

/**
 * The latest group key of a groupable type about a target (a statement to read, alone or in
 * a batch with the handler's other reads), for `groupKeyFor`.
 */
export function latestGroupQuery(db: Db, type: NotificationType, target = "") {
  return db
    .select({ groupKey: notifications.groupKey })
    .from(notifications)
    .where(and(eq(notifications.type, type), eq(notifications.target, target)))
    .orderBy(desc(notifications.seq))
    .limit(1);
}

export interface GroupKeyInput {
  readonly type: NotificationType;
  /** The `seq` of the status it is about (favourites and boosts). */
  readonly statusSeq?: number;
  readonly at: Date;
  /** The group key `latestGroupQuery` found, if any. */
  readonly latest?: string | null;
}

/**
 * The group key of a new notification, or null for a type that is not grouped. Its hour
 * bucket is the latest group's while that group began less than `MAX_GROUP_SPAN_HOURS` ago,
 * so that likes trickling in over an afternoon read as one group, and those of the next day
 * as another.
 */
export function groupKeyFor(input: GroupKeyInput): string | null {
  if (!GROUPABLE_TYPES.includes(input.type)) return null;
  const prefix = input.type === "follow" ? "follow" : `${input.type}-${input.statusSeq ?? ""}`;
  let bucket = Math.floor(input.at.getTime() / HOUR_MS);
  const latest = input.latest ?? "";
  if (latest.startsWith(`${prefix}-`)) {
    const previous = Number(latest.slice(prefix.length + 1));
    if (Number.isSafeInteger(previous) && bucket < previous + MAX_GROUP_SPAN_HOURS) {
      bucket = previous;
    }
  }
  return `${prefix}-${bucket}`;
}

export interface NewNotification {
  readonly type: NotificationType;
  /** The remote actor who did it. */
  readonly account: string;
  /** The note it is about; none for a follow. */
  readonly target?: string;
  readonly groupKey: string | null;
  readonly createdAt: Date;
}

/** Records a notification, once: the same account, type and note again changes nothing. */
export function notifyStatement(db: Db, notification: NewNotification): Statement {
  return db
    .insert(notifications)
    .values({ ...notification, target: notification.target ?? "" })
    .onConflictDoNothing();
}

export interface ReceivedNote {
  /** The owner's actor id. */
  readonly owner: string;
  /** What of the note tells whether it is news for the owner. */
  readonly note: {
    readonly id: string;
    readonly attributedTo: string;
    readonly inReplyTo: string | undefined;
    readonly tags: readonly { readonly type: string; readonly href?: string | null }[];
  };
  readonly receivedAt: Date;
}

/**
 * The mention notification of a note that mentions the owner or replies to one of their
 * notes (Mastodon calls both a mention), to store with the note; none for other notes.
 */
export function mentionStatements(db: Db, { owner, note, receivedAt }: ReceivedNote): Statement[] {
  const mentions = note.tags.some((t) => t.type === "Mention" && t.href === owner);
  if (!mentions && !note.inReplyTo?.startsWith(`${owner}/statuses/`)) return [];
  return [
    notifyStatement(db, {
      type: "mention",
      account: note.attributedTo,
      target: note.id,
      groupKey: null,
      createdAt: receivedAt,
    }),
  ];
}

/** Forgets an account's follow (and follow request) notifications: it unfollowed. */
export function forgetFollowNotifications(db: Db, account: string): Statement {
  return db
    .delete(notifications)
    .where(
      and(
        eq(notifications.account, account),
        inArray(notifications.type, ["follow", "follow_request"]),
      ),
    );
}

/** Forgets an account's follow request notification: the follow went through. */
export function forgetFollowRequestNotification(db: Db, account: string): Statement {
  return db
    .delete(notifications)
    .where(and(eq(notifications.account, account), eq(notifications.type, "follow_request")));
}

/**
 * Forgets the favourite and boost notifications of the reactions `removed` matches: to run
 * before the statement that deletes those reactions, in the same batch.
 */
export function forgetReactionNotifications(
  db: Db,
  { account, removed }: { account: string; removed: SQL },
): Statement {
  const kindMatches = or(
    and(eq(notifications.type, "favourite"), eq(reactions.type, "Like")),
    and(eq(notifications.type, "reblog"), eq(reactions.type, "Announce")),
  );
  return db.delete(notifications).where(
    and(
      eq(notifications.account, account),
      inArray(notifications.type, ["favourite", "reblog"]),
      exists(
        db
          .select({ one: sql`1` })
          .from(reactions)
          .where(
            and(
              removed,
              eq(reactions.actor, notifications.account),
              eq(reactions.object, notifications.target),
              kindMatches,
            ),
          ),
      ),
    ),
  );
}

/** Forgets everything an account did: it deleted itself. */
export function forgetAccountNotifications(db: Db, account: string): Statement {
  return db.delete(notifications).where(eq(notifications.account, account));
}

/**
 * Forgets the mention a note made, once its author deleted it. (A trigger also deletes what
 * is about a note once it is a tombstone; this says so where the Delete is handled.)
 */
export function forgetNoteNotifications(db: Db, noteId: string, author: string): Statement {
  return db
    .delete(notifications)
    .where(
      and(
        eq(notifications.type, "mention"),
        eq(notifications.target, noteId),
        eq(notifications.account, author),
      ),
    );
}

/**
 * Forgets what a blocked account did (Mastodon's `AfterBlockService` clears the blocked
 * account's notifications): for the block's batch.
 */
export const forgetBlockedNotifications = forgetAccountNotifications;

/** Forgets every notification (`POST /api/v1/notifications/clear`). */
export function clearNotificationsStatement(db: Db): Statement {
  return db.delete(notifications);
}

/** Forgets one notification by its Mastodon id, answering it when it was there. */
export function dismissNotificationQuery(db: Db, id: bigint) {
  return db
    .delete(notifications)
    .where(idIs(notificationIdSql(), id))
    .returning({ seq: notifications.seq });
}

/**
 * Forgets a group of notifications (`POST /api/v2/notifications/:group_key/dismiss`): those
 * of its group key, or, for `ungrouped-<id>`, that one notification. A key that names none
 * forgets nothing.
 */
export function dismissGroupStatement(db: Db, groupKey: string): Statement {
  const ungrouped = groupKey.startsWith("ungrouped-")
    ? parseMastodonId(groupKey.slice("ungrouped-".length))
    : undefined;
  if (ungrouped !== undefined) {
    return db.delete(notifications).where(idIs(notificationIdSql(), ungrouped));
  }
  return db.delete(notifications).where(eq(notifications.groupKey, groupKey));
}
