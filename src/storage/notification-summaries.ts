/**
 * What each group of a page shows (`/api/v2/notifications`), as Mastodon's `NotificationGroup`
 * counts it: its size, its newest accounts (8 at most) and the oldest of it within the page's
 * range, counted up to the end of that range.
 *
 * A group led by its head (a walk down: the newest page, and most of the pages below it) has
 * it all on that row, kept by triggers: only its other accounts are read, one row each. A
 * group met part-way down, or on a page above a cursor, is read from its own index (group
 * key, id, account): its newest up to the bound, and its count where the page needs it.
 */
import { and, eq, type SQL, sql } from "drizzle-orm";
import type { BatchItem } from "drizzle-orm/batch";
import { type AccountRow, accountJson, readAccount } from "./account-rows";
import type { Db } from "./db";
import { idParam, idText, notificationIdSql } from "./ids";
import type { GroupHead, GroupLead, GroupPage } from "./notification-groups";
import { listed, shownQuery } from "./notification-pages";
import { actors, notifications } from "./schema";
import { joinedAuthorShown } from "./shown";
import { readWanted, wanted, wantedKey } from "./wanted";

/** Accounts shown per group (Mastodon's `SAMPLE_ACCOUNTS_SIZE`). */
export const SAMPLE_ACCOUNTS = 8;

export interface GroupSummary {
  readonly count: number;
  /** Newest first, at most `SAMPLE_ACCOUNTS`, with their Mastodon ids. */
  readonly samples: readonly Sample[];
  /** The Mastodon id of the oldest of the group within the page's range. */
  readonly pageMinId: string;
}

interface Sample {
  readonly id: string;
  readonly account: AccountRow;
  readonly createdAt: Date;
}

const id = notificationIdSql;

/** The time in a notification's Mastodon id (`ids.ts`: milliseconds above 16 bits). */
const timeOf = (apiId: string) => new Date(Number(BigInt(apiId) >> 16n));

/** What is read of one group: its newest (unless its head holds them), its count or bound. */
interface GroupReads {
  readonly lead: GroupLead;
  /** The head the lead is, when its group is read from it. */
  readonly head?: GroupHead;
  /** Its newest below the lead (a walk down), or up to the range's end (a walk up). */
  readonly samples?: ReturnType<typeof shownQuery>;
  /** Its count (and oldest in range) up to the range's end, or its oldest in range alone. */
  readonly bounds?: ReturnType<typeof boundsQuery>;
}

/**
 * Size, newest accounts and lower bound of the page's grouped groups, in one round trip (the
 * accounts a head names, the groups read from their index, and their bounds, at once).
 */
export async function summarizeGroups(db: Db, page: GroupPage): Promise<Map<string, GroupSummary>> {
  const { now } = page;
  const reads = page.leads.filter((l) => l.grouped).map((lead) => readsOf(db, lead, page));
  const named = reads.flatMap((r) => othersOf(r).map((n) => n.account));
  const [accounts, samples, bounds] = await Promise.all([
    shownAccountsById(db, named, now),
    batch(
      db,
      reads.flatMap((r) => (r.samples === undefined ? [] : [r.samples])),
    ),
    batch(
      db,
      reads.flatMap((r) => (r.bounds === undefined ? [] : [r.bounds])),
    ),
  ]);
  const summaries = new Map<string, GroupSummary>();
  let [s, b] = [0, 0];
  for (const read of reads) {
    const { lead, head } = read;
    const first: Sample = { id: lead.id, account: lead.account, createdAt: lead.createdAt };
    const bound = read.bounds === undefined ? undefined : bounds[b++]?.[0];
    const rows = (read.samples === undefined ? [] : (samples[s++] ?? []))
      .map(listed)
      .map((r): Sample => ({ id: r.id, account: r.account, createdAt: r.notification.createdAt }));
    const list: Sample[] =
      head !== undefined
        ? [first, ...othersOf(read).flatMap((n) => sampleOf(n, accounts))]
        : page.walk === "up"
          ? rows
          : [first, ...rows];
    summaries.set(lead.groupKey, {
      count: bound?.n ?? head?.size ?? lead.head?.size ?? list.length,
      samples: list,
      pageMinId: bound?.pageMin ?? pageMinOf(read, page) ?? lead.id,
    });
  }
  return summaries;
}

/** The newest a head holds besides itself (its own account is read with it). */
function othersOf({ lead, head }: GroupReads): GroupHead["newest"] {
  return (head?.newest ?? []).filter((n) => n.id !== lead.id).slice(0, SAMPLE_ACCOUNTS - 1);
}

/** A sample from a head's list, when its account is stored. */
function sampleOf(
  n: GroupHead["newest"][number],
  accounts: ReadonlyMap<string, AccountRow>,
): Sample[] {
  const account = accounts.get(n.account);
  return account === undefined ? [] : [{ id: n.id, account, createdAt: timeOf(n.id) }];
}

/**
 * The oldest of a group in the page's range, where the page tells it: a walk down met all of
 * the group in range (from its lead down to the page's end); a head's list holds it when the
 * list reaches below the range or holds the whole group.
 */
function pageMinOf(read: GroupReads, page: GroupPage): string | undefined {
  if (page.walk === "down") return read.lead.oldestMet;
  const newest = read.head?.newest ?? [];
  return newest.findLast((n) => BigInt(n.id) >= page.range.from)?.id;
}

/**
 * The accounts a head names, by actor id, in one round trip (`wanted.ts`), but those the owner
 * keeps away (`joinedAuthorShown`, as the page's rows), which are no samples.
 */
async function shownAccountsById(
  db: Db,
  ids: readonly string[],
  now: Date,
): Promise<Map<string, AccountRow>> {
  const shown = joinedAuthorShown(
    { id: actors.id, domain: actors.domain },
    { now, in: "notifications" },
  );
  const rows = await readWanted(db, ids, (slice) =>
    db
      .select({ json: accountJson(actors) })
      .from(actors)
      .innerJoin(wanted(slice), sql`${actors.id} = ${wantedKey}`)
      .where(shown),
  );
  const accounts = rows.flatMap((r) => (r.json === null ? [] : [readAccount(r.json)]));
  return new Map(accounts.map((a) => [a.id, a]));
}

/** What to read of a group beyond what its lead holds. */
function readsOf(db: Db, lead: GroupLead, page: GroupPage): GroupReads {
  const { walk, range, now } = page;
  const inGroup = eq(notifications.groupKey, lead.groupKey);
  const head = lead.head ?? undefined;
  if (walk !== "up" && head !== undefined) {
    const last = head.newest.at(-1);
    // The list stops above the range and the group goes on: its oldest in range is sought.
    const short =
      walk === "heads" &&
      head.size > head.newest.length &&
      last !== undefined &&
      BigInt(last.id) >= range.from;
    return { lead, head, bounds: short ? boundsQuery(db, { inGroup, range }) : undefined };
  }
  const down = walk !== "up";
  return {
    lead,
    samples: shownQuery(db, {
      where: and(
        inGroup,
        down ? sql`${id()} < ${idParam(BigInt(lead.id))}` : sql`${id()} <= ${idParam(range.to)}`,
      ),
      orderBy: sql`${id()} desc`,
      limit: down ? SAMPLE_ACCOUNTS - 1 : SAMPLE_ACCOUNTS,
      now,
    }),
    bounds: boundsQuery(db, { inGroup, range, counted: true }),
  };
}

/**
 * A group's count up to the range's end with its oldest in range (every member up to the
 * end, read from the group's index), or its oldest in range alone (one seek).
 */
function boundsQuery(
  db: Db,
  input: { inGroup: SQL | undefined; range: GroupPage["range"]; counted?: boolean },
) {
  const { inGroup, range } = input;
  if (input.counted === true) {
    const inRange = sql`case when ${id()} >= ${idParam(range.from)} then ${id()} end`;
    return db
      .select({
        n: sql<number | null>`count(*)`.as("n"),
        pageMin: sql<string | null>`cast(min(${inRange}) as text)`.as("page_min"),
      })
      .from(notifications)
      .where(and(inGroup, sql`${id()} <= ${idParam(range.to)}`));
  }
  return db
    .select({ n: sql<number | null>`null`.as("n"), pageMin: idText(id()).as("page_min") })
    .from(notifications)
    .where(
      and(inGroup, sql`${id()} >= ${idParam(range.from)}`, sql`${id()} <= ${idParam(range.to)}`),
    )
    .orderBy(sql`${id()} asc`)
    .limit(1);
}

/** Queries of one shape in one batch (one round trip); none, no trip. */
async function batch<Query extends BatchItem<"sqlite"> & PromiseLike<unknown[]>>(
  db: Db,
  queries: readonly Query[],
): Promise<Awaited<Query>[]> {
  const [first, ...rest] = queries;
  if (first === undefined) return [];
  const results: Awaited<Query>[] = await db.batch([first, ...rest]);
  return results;
}
