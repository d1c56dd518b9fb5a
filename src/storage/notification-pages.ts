/**
 * Reading the owner's notifications for Mastodon's lists: a page of them (`/api/v1`), or a
 * page of groups with their sizes and sample accounts (`/api/v2`), as Mastodon's
 * `paginate_groups` and `NotificationGroup` count them. Pages walk `seq` down (or up) from a
 * cursor and stop at the limit.
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
import type { Db } from "./db";
import { GROUPABLE_TYPES } from "./notifications";
import { type PageRequest, pageBySeq, seqBetween } from "./pages";
import {
  actors,
  type NotificationRow,
  type NotificationType,
  notes,
  notifications,
} from "./schema";

/** Mastodon's cursors and filters. */
export interface NotificationRequest extends PageRequest {
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
 * The types asked for, when not all. Pages walk `seq` down from the cursor and stop at the
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
  /** The `seq` of the note it is about, if any. */
  readonly statusSeq: number | null;
}

/** One page of notifications, newest first, with the `seq`s of the notes they are about. */
export async function listNotifications(
  db: Db,
  request: NotificationRequest,
): Promise<ListedNotification[]> {
  if (request.types?.length === 0) return [];
  const page = await pageBySeq(notifications.seq, request, (where, orderBy, limit) =>
    shown(db, request, { where, orderBy, limit }),
  );
  return page.items.map(({ statusSeq, ...notification }) => ({ notification, statusSeq }));
}

/**
 * The notifications the owner is shown (of the types asked, about a live note if any, by an
 * account we know) within `where`, each with the `seq` of the status it is about.
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
  readonly seq: number;
  readonly type: NotificationType;
  readonly account: string;
  readonly statusSeq: number | null;
  readonly createdAt: Date;
  /** Its group: its group key, or `ungrouped-<seq>` when its type is not grouped here. */
  readonly groupKey: string;
  readonly grouped: boolean;
}

export interface GroupPage {
  /** Newest first. */
  readonly leads: readonly GroupLead[];
  /** The notifications the page's groups are counted over, Mastodon's `pagination_range`. */
  readonly range: { readonly from: number; readonly to: number };
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
  for (let more = request.types?.length !== 0; more; ) {
    const rows = await shown(db, request, {
      where: ascending
        ? seqBetween(notifications.seq, cursor, request.maxId)
        : seqBetween(notifications.seq, request.sinceId, cursor),
      orderBy: ascending ? asc(notifications.seq) : desc(notifications.seq),
      limit: step,
    });
    for (const row of rows) {
      const grouped = row.groupKey !== null && groupedTypes.includes(row.type);
      const groupKey = grouped ? (row.groupKey as string) : `ungrouped-${row.seq}`;
      if (!leads.has(groupKey)) leads.set(groupKey, { ...row, groupKey, grouped });
      if (leads.size === limit) break;
    }
    const last = rows.at(-1);
    more = leads.size < limit && rows.length === step && last !== undefined;
    cursor = last?.seq;
    step = Math.min(step * 2, MAX_STEP);
  }
  const list = [...leads.values()];
  if (ascending) list.reverse();
  return { leads: list, range: rangeOf(request, list) };
}

/** Mastodon's `pagination_range`: the page's span, to either end when the page is the last. */
function rangeOf(request: NotificationRequest, leads: readonly GroupLead[]) {
  const newest = leads[0]?.seq ?? 0;
  const oldest = leads.at(-1)?.seq ?? 0;
  if (leads.length === request.limit) return { from: oldest, to: newest };
  if (request.minId !== undefined) {
    return { from: oldest, to: (request.maxId ?? Number.MAX_SAFE_INTEGER) - 1 };
  }
  return { from: (request.sinceId ?? 0) + 1, to: newest };
}

export interface GroupSummary {
  readonly count: number;
  /** Newest first, at most `SAMPLE_ACCOUNTS`. */
  readonly samples: readonly { seq: number; account: string; createdAt: Date }[];
  /** The oldest of the group within the page's range. */
  readonly pageMinId: number;
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
  const members = db
    .select({
      groupKey: notifications.groupKey,
      seq: notifications.seq,
      account: notifications.account,
      createdAt: notifications.createdAt,
      rank: sql<number>`row_number() over (${byGroup} order by ${notifications.seq} desc)`.as(
        "rank",
      ),
      total: sql<number>`count(*) over (${byGroup})`.as("total"),
      pageMin:
        sql<number>`min(case when ${notifications.seq} >= ${range.from} then ${notifications.seq} end) over (${byGroup})`.as(
          "page_min",
        ),
    })
    .from(notifications)
    .where(
      and(
        inArray(notifications.groupKey, [...groupKeys]),
        lte(notifications.seq, range.to),
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
      pageMinId: row.pageMin ?? row.seq,
    };
    summaries.set(row.groupKey, {
      ...summary,
      samples: [
        ...summary.samples,
        { seq: row.seq, account: row.account, createdAt: row.createdAt },
      ],
    });
  }
  return summaries;
}
