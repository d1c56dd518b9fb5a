/**
 * Reading the owner's notifications for Mastodon's lists: a page of them (`/api/v1`; the
 * groups of `/api/v2` are `notification-groups.ts`). Pages walk notification ids (their
 * expression index) down (or up) from a cursor and stop at the limit; each row comes with its
 * account, read in the same query. What is about a note that is gone is gone too (a trigger
 * deletes it with the note), so a page needs no look at the notes to be full.
 */
import { and, count, eq, getTableColumns, inArray, type SQL, sql } from "drizzle-orm";
import { parseMastodonId } from "../mastodon/ids";
import { type AccountRow, accountJson, readAccount } from "./account-rows";
import { allOf, type Batched, known, readBatched } from "./batched";
import type { Db } from "./db";
import { idText, notificationIdSql } from "./ids";
import { type ApiPageRequest, pageByIdRead } from "./pages";
import {
  actors,
  markers,
  type NotificationRow,
  type NotificationType,
  notifications,
} from "./schema";
import { joinedAuthorShown } from "./shown";

/** Mastodon's cursors and filters. */
export interface NotificationRequest extends ApiPageRequest {
  /** Only these types; undefined for every type. */
  readonly types?: readonly NotificationType[];
  /** When mutes are judged (what the owner keeps away is left out). */
  readonly now: Date;
}

/**
 * The types asked for, when not all. Pages walk ids down from the cursor and stop at the
 * limit; the unary `+` keeps SQLite from reading every row of the types through an index
 * and sorting them instead.
 */
export const ofTypes = (request: NotificationRequest) =>
  request.types === undefined
    ? undefined
    : inArray(sql`+${notifications.type}`, [...request.types]);

export interface ListedNotification {
  readonly notification: NotificationRow;
  /** Its Mastodon id, as its index holds it (the cursor of the next page). */
  readonly id: string;
  /** Who did it. */
  readonly account: AccountRow;
}

/** One page of notifications, newest first, each with its account. */
export async function listNotifications(
  db: Db,
  request: NotificationRequest,
): Promise<ListedNotification[]> {
  const [page] = await readBatched(db, [listNotificationsRead(db, request)]);
  return page;
}

/** `listNotifications` as a read to batch with others (`storage/batched.ts`). */
export function listNotificationsRead(
  db: Db,
  request: NotificationRequest,
): Batched<ListedNotification[]> {
  if (request.types?.length === 0) return known([]);
  const page = pageByIdRead(notificationIdSql(), request, {
    query: (where, orderBy, limit) =>
      shownQuery(db, { where: and(ofTypes(request), where), orderBy, limit, now: request.now }),
    item: listed,
  });
  return allOf([page], ([{ items }]) => [...items]);
}

/** A row of `shownQuery` as a listed notification. */
export function listed(row: ShownRow): ListedNotification {
  const { id, accountJson: account, shown: _shown, ...notification } = row;
  // The inner join found the account: its JSON is never null.
  return { notification, id, account: readAccount(account ?? "") };
}

/** Which notifications a page reads, and in what order. */
export interface ShownSlice {
  readonly where: SQL | undefined;
  readonly orderBy: SQL;
  readonly limit: number;
  /** When mutes are judged. */
  readonly now: Date;
  /**
   * Whether to read those by accounts the owner keeps away too, telling them by `shown`
   * (0), rather than leave them out (the groups' heads: `notification-groups.ts`).
   */
  readonly flagHidden?: boolean;
}

/**
 * The notifications the owner is shown within `where`, in `orderBy`, each with its Mastodon
 * id and its account. Only those by an account we know: the account is joined by its unique
 * id, in the same row (an account deleted takes its notifications along; one cached in KV
 * but no longer in D1 is not shown); and none by an account the owner keeps away (blocked,
 * muted with its notifications, on a blocked domain: `joinedAuthorShown`, on the joined row).
 */
export function shownQuery(db: Db, slice: ShownSlice) {
  const shown = joinedAuthorShown(
    { id: notifications.account, domain: actors.domain },
    { now: slice.now, in: "notifications" },
  );
  return db
    .select({
      ...getTableColumns(notifications),
      id: idText(notificationIdSql()).as("api_id"),
      accountJson: accountJson(actors).as("account_json"),
      shown: sql<number>`${slice.flagHidden === true ? shown : sql`1`}`.as("shown"),
    })
    .from(notifications)
    .innerJoin(actors, eq(actors.id, notifications.account))
    .where(and(slice.where, slice.flagHidden === true ? undefined : shown))
    .orderBy(slice.orderBy)
    .limit(slice.limit);
}

export type ShownRow = Awaited<ReturnType<typeof shownQuery>>[number];

/**
 * Where the owner stopped reading notifications (the `notifications` marker's id), or 0 when
 * they never said: an expression, read in the query that needs it.
 */
const notificationsMarker = () =>
  sql`(coalesce((select cast(${markers.lastReadId} as integer) from ${markers} where ${markers.timeline} = 'notifications'), 0) + 0)`;

/**
 * How many notifications the owner has not read (newer than the `notifications` marker), of
 * the types asked, none by an account kept away, counted up to `limit` (Mastodon's cap): one
 * query, walking the ids up from the marker and stopping at the cap.
 */
export async function countUnread(
  db: Db,
  request: {
    readonly types?: readonly NotificationType[];
    readonly now: Date;
    readonly limit: number;
  },
): Promise<number> {
  if (request.types?.length === 0) return 0;
  const unread = db
    .select({ one: sql`1` })
    .from(notifications)
    .innerJoin(actors, eq(actors.id, notifications.account))
    .where(
      and(
        ofTypes(request),
        sql`${notificationIdSql()} > ${notificationsMarker()}`,
        joinedAuthorShown(
          { id: notifications.account, domain: actors.domain },
          { now: request.now, in: "notifications" },
        ),
      ),
    )
    .orderBy(sql`${notificationIdSql()} asc`)
    .limit(request.limit)
    .as("unread");
  const [row] = await db.select({ n: count() }).from(unread);
  return row?.n ?? 0;
}

/** The id up to which the owner read the notifications (their marker), if they said. */
export async function notificationsReadUpTo(db: Db): Promise<bigint | undefined> {
  const [row] = await db
    .select({ id: markers.lastReadId })
    .from(markers)
    .where(eq(markers.timeline, "notifications"));
  return row === undefined ? undefined : (parseMastodonId(row.id) ?? undefined);
}
