/**
 * A page of the owner's notifications in groups (`/api/v2/notifications`), as Mastodon's
 * `paginate_groups` pages them: `limit` groups, newest first (what each shows of its group is
 * `notification-summaries.ts`).
 *
 * The newest page (no `max_id` nor `min_id`: what an app opens, and polls with `since_id`)
 * reads one row per group: the groups' heads, their newest notifications, which hold their
 * group's size and newest accounts (kept by triggers), through an index of their own; when one
 * of them is by an account the owner keeps away (`joinedAuthorShown`), whose group may hold
 * others, that page is walked instead. Other pages walk the notifications from the cursor
 * until `limit` groups are met, leaving those accounts' out. (A group whose
 * head's account is not stored, which only an actor forgotten by D1 but still cached in KV
 * makes, is left off the newest page, where a walk would have shown its next newest; its
 * size counts every member.)
 */
import { and, notInArray, type SQL, sql } from "drizzle-orm";
import { MAX_ID } from "../mastodon/ids";
import type { AccountRow } from "./account-rows";
import { type Batched, batched, known, readBatched } from "./batched";
import type { Db } from "./db";
import { notificationIdSql } from "./ids";
import {
  type ListedNotification,
  listed,
  type NotificationRequest,
  ofTypes,
  type ShownRow,
  shownQuery,
} from "./notification-pages";
import { GROUPABLE_TYPES } from "./notifications";
import { idBetween } from "./pages";
import { type NotificationType, notifications } from "./schema";

/** A notification that stands for its group on a page (the first of it met). */
export interface GroupLead {
  /** Its Mastodon id. */
  readonly id: string;
  readonly type: NotificationType;
  readonly account: AccountRow;
  /** The note it is about; '' for none. */
  readonly target: string;
  readonly createdAt: Date;
  /** Its group: its group key, or `ungrouped-<id>` when its type is not grouped here. */
  readonly groupKey: string;
  readonly grouped: boolean;
  /** What it holds of its group when it heads it (is its newest); else null. */
  readonly head: GroupHead | null;
  /** The oldest of its group that a walk down met (its bound within the page). */
  readonly oldestMet: string;
}

/** What a group's head holds of it (`schema.ts`): its size, and its newest eight. */
export interface GroupHead {
  readonly size: number;
  /** Newest first: Mastodon ids, and the accounts' actor ids. */
  readonly newest: readonly { readonly id: string; readonly account: string }[];
}

export interface GroupPage {
  /** Newest first. */
  readonly leads: readonly GroupLead[];
  /**
   * The notifications the page's groups are counted over, Mastodon's `pagination_range`:
   * ids, both inclusive.
   */
  readonly range: { readonly from: bigint; readonly to: bigint };
  /** How it was read: the groups' heads, or a walk down (`max_id`) or up (`min_id`). */
  readonly walk: "heads" | "down" | "up";
  /** When mutes are judged (the request's). */
  readonly now: Date;
}

/** Rows read per step of a walk at first; it doubles, up to `MAX_STEP`. */
const FIRST_STEP = 40;
const MAX_STEP = 1000;

const id = notificationIdSql;

/**
 * One page of groups, newest first. `groupedTypes` are the types grouped (default
 * `GROUPABLE_TYPES`); the others are each their own group.
 */
export async function pageGroups(
  db: Db,
  request: NotificationRequest,
  groupedTypes: readonly NotificationType[] = GROUPABLE_TYPES,
): Promise<GroupPage> {
  const [page] = await readBatched(db, [pageGroupsRead(db, request, groupedTypes)]);
  return page;
}

/**
 * `pageGroups` as a read to batch with others (`storage/batched.ts`): the newest page's
 * heads are one query; a walk (or a newest page that must walk) reads on after the batch.
 */
export function pageGroupsRead(
  db: Db,
  request: NotificationRequest,
  groupedTypes: readonly NotificationType[] = GROUPABLE_TYPES,
): Batched<Promise<GroupPage>> {
  if (request.maxId !== undefined || request.minId !== undefined) {
    return { queries: [], read: () => walkGroups(db, request, groupedTypes) };
  }
  if (request.types?.length === 0) {
    const none = { leads: [], range: rangeOf(request, []), walk: "heads" as const };
    return known(Promise.resolve({ ...none, now: request.now }));
  }
  const query = shownQuery(db, {
    where: and(ofTypes(request), heads(groupedTypes), idBetween(id(), request.sinceId)),
    orderBy: sql`${id()} desc`,
    limit: request.limit,
    now: request.now,
    flagHidden: true,
  });
  return batched(query, async (rows) => {
    // A head by an account the owner keeps away hides its group's others: walk, as below.
    if (rows.some((row) => row.shown === 0)) return walkGroups(db, request, groupedTypes);
    const leads = rows.map((row) => toLead(listed(row), groupedTypes));
    return { leads, range: rangeOf(request, leads), walk: "heads" as const, now: request.now };
  });
}

/** How a row leads its group on a page. */
function toLead(row: ListedNotification, groupedTypes: readonly NotificationType[]): GroupLead {
  const { notification: n, id: leadId, account } = row;
  const grouped = n.groupKey !== null && groupedTypes.includes(n.type);
  return {
    id: leadId,
    type: n.type,
    account,
    target: n.target,
    createdAt: n.createdAt,
    groupKey: grouped ? (n.groupKey as string) : `ungrouped-${leadId}`,
    grouped,
    head: grouped ? headOf(n) : null,
    oldestMet: leadId,
  };
}

/** What a row holds of its group, if it is a group's head. */
function headOf(row: ListedNotification["notification"]): GroupHead | null {
  if (row.groupSize === null || row.groupNewest === null) return null;
  const newest = row.groupNewest
    .map(([i, account]) => ({ id: i, account, n: BigInt(i) }))
    .sort((a, b) => (a.n < b.n ? 1 : a.n > b.n ? -1 : 0))
    .map(({ id: i, account }) => ({ id: i, account }));
  return { size: row.groupSize, newest };
}

/**
 * The rows that head a group on the newest page: the heads of the groups, and every row of
 * a type not grouped. With all groupable types grouped, exactly the condition of the heads'
 * index (`notifications_heads_idx`), so that SQLite walks that index.
 */
function heads(groupedTypes: readonly NotificationType[]): SQL | undefined {
  const head = sql`(${notifications.groupKey} is null or ${notifications.groupSize} is not null)`;
  if (GROUPABLE_TYPES.every((t) => groupedTypes.includes(t))) return head;
  if (groupedTypes.length === 0) return undefined;
  return sql`(${head} or ${notInArray(sql`+${notifications.type}`, [...groupedTypes])})`;
}

/**
 * A page below `max_id` or above `min_id`: walks notifications from the cursor (newest
 * first, or oldest first after `minId`), a slice at a time, until `limit` distinct groups are
 * met, as Mastodon's `paginate_groups` does.
 */
async function walkGroups(
  db: Db,
  request: NotificationRequest,
  groupedTypes: readonly NotificationType[],
): Promise<GroupPage> {
  const { limit } = request;
  const ascending = request.minId !== undefined;
  const leads = new Map<string, GroupLead>();
  let cursor = ascending ? request.minId : request.maxId;
  let step = Math.max(FIRST_STEP, limit * 2);
  for (let more = request.types?.length !== 0; more; ) {
    const rows: ShownRow[] = await shownQuery(db, {
      where: and(
        ofTypes(request),
        ascending
          ? idBetween(id(), cursor, request.maxId)
          : idBetween(id(), request.sinceId, cursor),
      ),
      orderBy: ascending ? sql`${id()} asc` : sql`${id()} desc`,
      limit: step,
      now: request.now,
    });
    for (const row of rows) {
      const lead = toLead(listed(row), groupedTypes);
      const met = leads.get(lead.groupKey);
      if (met === undefined) leads.set(lead.groupKey, lead);
      else if (!ascending) leads.set(lead.groupKey, { ...met, oldestMet: lead.id });
      if (leads.size === limit) break;
    }
    const last = rows.at(-1);
    more = leads.size < limit && rows.length === step && last !== undefined;
    cursor = last === undefined ? undefined : BigInt(last.id);
    step = Math.min(step * 2, MAX_STEP);
  }
  const list = [...leads.values()];
  if (ascending) list.reverse();
  return {
    leads: list,
    range: rangeOf(request, list),
    walk: ascending ? "up" : "down",
    now: request.now,
  };
}

/** Mastodon's `pagination_range`: the page's span, to either end when the page is the last. */
function rangeOf(request: NotificationRequest, leads: readonly GroupLead[]): GroupPage["range"] {
  const newest = BigInt(leads[0]?.id ?? 0);
  const oldest = BigInt(leads.at(-1)?.id ?? 0);
  if (leads.length === request.limit) return { from: oldest, to: newest };
  if (request.minId !== undefined) {
    return { from: oldest, to: request.maxId === undefined ? MAX_ID : request.maxId - 1n };
  }
  return { from: (request.sinceId ?? -1n) + 1n, to: newest };
}
