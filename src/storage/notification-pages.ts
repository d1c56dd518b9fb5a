/**
 * Reading the owner's notifications for Mastodon's lists: a page of them (`/api/v1`), or a
 * page of groups with their sizes and sample accounts (`/api/v2`), as Mastodon's
 * `paginate_groups` and `NotificationGroup` count them. Pages walk notification ids (their
 * expression index) down (or up) from a cursor and stop at the limit.
 */
import {
  and,
  asc,
  desc,
  eq,
  exists,
  inArray,
  isNotNull,
  isNull,
  lte,
  or,
  type SQL,
  sql,
} from "drizzle-orm";
import { MAX_ID } from "../mastodon/ids";
import type { Db } from "./db";
import { idParam, idText, notificationIdSql } from "./ids";
import { GROUPABLE_TYPES } from "./notifications";
import { type ApiPageRequest, idBetween, pageById } from "./pages";
import {
  actors,
  type NotificationRow,
  type NotificationType,
  notes,
  notifications,
} from "./schema";

/** Mastodon's cursors and filters. */
export interface NotificationRequest extends ApiPageRequest {
  /** Only these types; undefined for every type. */
  readonly types?: readonly NotificationType[];
}

/** By an account we know: deleted accounts take their notifications along. */
function byKnownAccount(db: Db): SQL {
  return exists(
    db.select({ one: sql`1` }).from(actors).where(eq(actors.id, notifications.account)),
  );
}

/**
 * About a note that still exists, or about none (with `notes` left-joined on the target):
 * what is about a deleted note is not shown.
 */
const aboutLiveNote = () =>
  or(eq(notifications.target, ""), and(isNotNull(notes.seq), isNull(notes.deletedAt)));

/**
 * The types asked for, when not all. Pages walk ids down from the cursor and stop at the
 * limit; the unary `+` keeps SQLite from reading every row of the types through an index
 * and sorting them instead.
 */
const ofTypes = (request: NotificationRequest) =>
  request.types === undefined
    ? undefined
    : inArray(sql`+${notifications.type}`, [...request.types]);

/**
 * The `seq` of the note a notification is about (with `notes` left-joined on the target),
 * under a name of its own: a result must not name a column twice (see `meter.ts`).
 */
const statusSeq = () => sql<number | null>`${notes.seq}`.as("status_seq");

export interface ListedNotification {
  readonly notification: NotificationRow;
  /** Its Mastodon id, as its index holds it (the cursor of the next page). */
  readonly id: string;
  /** The `seq` of the note it is about, if any. */
  readonly statusSeq: number | null;
}

/** One page of notifications, newest first, with the `seq`s of the notes they are about. */
export async function listNotifications(
  db: Db,
  request: NotificationRequest,
): Promise<ListedNotification[]> {
  if (request.types?.length === 0) return [];
  const page = await pageById(notificationIdSql(), request, (where, orderBy, limit) =>
    shown(db, request, { where, orderBy, limit }),
  );
  return page.items.map(({ statusSeq, id, ...notification }) => ({
    notification,
    id,
    statusSeq,
  }));
}

/**
 * The notifications the owner is shown (of the types asked, about a live note if any, by an
 * account we know) within `where`, each with its Mastodon id and the `seq` of the status it
 * is about.
 */
function shown(
  db: Db,
  request: NotificationRequest,
  slice: { where: SQL | undefined; orderBy: SQL; limit: number },
) {
  const { where, orderBy, limit } = slice;
  return db
    .select({
      seq: notifications.seq,
      type: notifications.type,
      account: notifications.account,
      target: notifications.target,
      groupKey: notifications.groupKey,
      createdAt: notifications.createdAt,
      id: idText(notificationIdSql()).as("api_id"),
      statusSeq: statusSeq(),
    })
    .from(notifications)
    .leftJoin(notes, eq(notes.id, notifications.target))
    .where(and(ofTypes(request), aboutLiveNote(), byKnownAccount(db), where))
    .orderBy(orderBy)
    .limit(limit);
}

/** Accounts shown per group (Mastodon's `SAMPLE_ACCOUNTS_SIZE`). */
export const SAMPLE_ACCOUNTS = 8;

/** A notification that stands for its group on a page (the first of it met). */
export interface GroupLead {
  /** Its Mastodon id. */
  readonly id: string;
  readonly type: NotificationType;
  readonly account: string;
  readonly statusSeq: number | null;
  readonly createdAt: Date;
  /** Its group: its group key, or `ungrouped-<id>` when its type is not grouped here. */
  readonly groupKey: string;
  readonly grouped: boolean;
}

export interface GroupPage {
  /** Newest first. */
  readonly leads: readonly GroupLead[];
  /**
   * The notifications the page's groups are counted over, Mastodon's `pagination_range`:
   * ids, both inclusive.
   */
  readonly range: { readonly from: bigint; readonly to: bigint };
}

/** Rows read per step of the walk at first; it doubles, up to `MAX_STEP`. */
const FIRST_STEP = 40;
const MAX_STEP = 1000;

/**
 * One page of groups: walks notifications from the cursor (newest first, or oldest first
 * after `minId`), a slice at a time, until `limit` distinct groups are met, as Mastodon's
 * `paginate_groups` does. `groupedTypes` are the types grouped (default `GROUPABLE_TYPES`).
 */
export async function pageGroups(
  db: Db,
  request: NotificationRequest,
  groupedTypes: readonly NotificationType[] = GROUPABLE_TYPES,
): Promise<GroupPage> {
  const { limit } = request;
  const ascending = request.minId !== undefined;
  const leads = new Map<string, GroupLead>();
  let cursor = ascending ? request.minId : request.maxId;
  let step = Math.max(FIRST_STEP, limit * 2);
  const id = notificationIdSql();
  for (let more = request.types?.length !== 0; more; ) {
    const rows = await shown(db, request, {
      where: ascending
        ? idBetween(id, cursor, request.maxId)
        : idBetween(id, request.sinceId, cursor),
      orderBy: ascending ? asc(id) : desc(id),
      limit: step,
    });
    for (const row of rows) {
      const grouped = row.groupKey !== null && groupedTypes.includes(row.type);
      const groupKey = grouped ? (row.groupKey as string) : `ungrouped-${row.id}`;
      if (!leads.has(groupKey)) {
        const { type, account, statusSeq, createdAt } = row;
        leads.set(groupKey, { id: row.id, type, account, statusSeq, createdAt, groupKey, grouped });
      }
      if (leads.size === limit) break;
    }
    const last = rows.at(-1);
    more = leads.size < limit && rows.length === step && last !== undefined;
    cursor = last === undefined ? undefined : BigInt(last.id);
    step = Math.min(step * 2, MAX_STEP);
  }
  const list = [...leads.values()];
  if (ascending) list.reverse();
  return { leads: list, range: rangeOf(request, list) };
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

export interface GroupSummary {
  readonly count: number;
  /** Newest first, at most `SAMPLE_ACCOUNTS`, with their Mastodon ids. */
  readonly samples: readonly { id: string; account: string; createdAt: Date }[];
  /** The Mastodon id of the oldest of the group within the page's range. */
  readonly pageMinId: string;
}

/**
 * Size, newest accounts and bounds of groups, counted up to the end of the page's range,
 * in one query (window functions over the group key index).
 */
export async function summarizeGroups(
  db: Db,
  groupKeys: readonly string[],
  range: GroupPage["range"],
): Promise<Map<string, GroupSummary>> {
  const summaries = new Map<string, GroupSummary>();
  if (groupKeys.length === 0) return summaries;
  const byGroup = sql`partition by ${notifications.groupKey}`;
  const id = notificationIdSql();
  const inPage = sql`case when ${id} >= ${idParam(range.from)} then ${id} end`;
  const members = db
    .select({
      groupKey: notifications.groupKey,
      id: idText(id).as("api_id"),
      account: notifications.account,
      createdAt: notifications.createdAt,
      rank: sql<number>`row_number() over (${byGroup} order by ${id} desc)`.as("rank"),
      total: sql<number>`count(*) over (${byGroup})`.as("total"),
      pageMin: sql<string | null>`cast(min(${inPage}) over (${byGroup}) as text)`.as("page_min"),
    })
    .from(notifications)
    .where(
      and(
        inArray(notifications.groupKey, [...groupKeys]),
        sql`${id} <= ${idParam(range.to)}`,
        byKnownAccount(db),
      ),
    )
    .as("members");
  const rows = await db
    .select()
    .from(members)
    .where(lte(members.rank, SAMPLE_ACCOUNTS))
    .orderBy(members.groupKey, sql`${members.rank}`);
  for (const row of rows) {
    if (row.groupKey === null) continue;
    const summary = summaries.get(row.groupKey) ?? {
      count: row.total,
      samples: [],
      pageMinId: row.pageMin ?? row.id,
    };
    summaries.set(row.groupKey, {
      ...summary,
      samples: [...summary.samples, { id: row.id, account: row.account, createdAt: row.createdAt }],
    });
  }
  return summaries;
}
