/**
 * The owner's lists (Mastodon's `/api/v1/lists`): a list, its members (accounts the owner
 * follows), and its timeline, read straight from `notes` like the home timeline
 * (`timeline.ts`), newest first, in pages by status id.
 */
import {
  and,
  asc,
  count,
  eq,
  exists,
  getTableColumns,
  inArray,
  isNull,
  ne,
  or,
  type SQL,
  sql,
} from "drizzle-orm";
import { alias, type SQLiteColumn } from "drizzle-orm/sqlite-core";
import { type Db, readInSlices, type Statement } from "./db";
import { accountIdSql, idParam, noteIdSql } from "./ids";
import { type ApiPageRequest, type Page, pageById } from "./pages";
import { type ActorRow, actors, follows, type NoteRow, notes } from "./schema";
import { type ListRow, listMembers, lists, type REPLIES_POLICIES } from "./schema-lists";

export type RepliesPolicy = (typeof REPLIES_POLICIES)[number];

/** What a list says of itself: what the owner may set. */
export interface ListFields {
  readonly title: string;
  readonly repliesPolicy: RepliesPolicy;
  readonly exclusive: boolean;
}

/** Every list, oldest first (Mastodon's order: by id). */
export function allListsQuery(db: Db) {
  return db.select().from(lists).orderBy(asc(lists.seq));
}

export async function findList(db: Db, seq: number): Promise<ListRow | undefined> {
  const [row] = await db.select().from(lists).where(eq(lists.seq, seq));
  return row;
}

/** How many lists there are: the owner may keep `MAX_LISTS` (the router's). */
export async function countLists(db: Db): Promise<number> {
  const [row] = await db.select({ n: count() }).from(lists);
  return row?.n ?? 0;
}

export async function createList(db: Db, fields: ListFields, now: Date): Promise<ListRow> {
  const [row] = await db
    .insert(lists)
    .values({ ...fields, createdAt: now })
    .returning();
  if (row === undefined) throw new Error("the list was not stored");
  return row;
}

/** Changes what is given of a list; the list as it is then, or undefined when there is none. */
export async function updateList(
  db: Db,
  seq: number,
  fields: Partial<ListFields>,
): Promise<ListRow | undefined> {
  if (Object.values(fields).every((v) => v === undefined)) return findList(db, seq);
  const [row] = await db.update(lists).set(fields).where(eq(lists.seq, seq)).returning();
  return row;
}

/** A list and its members. */
export function deleteListStatements(db: Db, seq: number): Statement[] {
  return [
    db.delete(listMembers).where(eq(listMembers.list, seq)),
    db.delete(lists).where(eq(lists.seq, seq)),
  ];
}

/**
 * Takes an account off every list, or every account of a domain (`{ domain }`, a blocked
 * one): for when the owner stops following it, or it is gone (Mastodon's list memberships
 * go with the follow). A domain's members are found by their actors' rows, each by key.
 */
export function forgetMemberStatement(
  db: Db,
  who: string | { readonly domain: string },
): Statement {
  if (typeof who === "string") return db.delete(listMembers).where(eq(listMembers.actor, who));
  return db.delete(listMembers).where(
    exists(
      db
        .select({ one: sql`1` })
        .from(actors)
        .where(and(eq(actors.id, listMembers.actor), eq(actors.domain, who.domain))),
    ),
  );
}

/** The lists an account is on, oldest first. */
export function listsOfQuery(db: Db, actor: string) {
  return db
    .select()
    .from(lists)
    .where(
      inArray(
        lists.seq,
        db.select({ list: listMembers.list }).from(listMembers).where(eq(listMembers.actor, actor)),
      ),
    )
    .orderBy(asc(lists.seq));
}

/**
 * Whether a note's author (`author`, a column of the outer query) is on an exclusive list:
 * the home timeline leaves such notes out (Mastodon's `exclusive`).
 */
export function onExclusiveList(db: Db, author: SQLiteColumn | SQL): SQL {
  return exists(
    db
      .select({ one: sql`1` })
      .from(listMembers)
      .innerJoin(lists, eq(lists.seq, listMembers.list))
      .where(and(eq(listMembers.actor, author), eq(lists.exclusive, true))),
  );
}

/** The members of a list, in account id order: a page of them, or all of them (`"all"`). */
export function listMembersPage(
  db: Db,
  list: number,
  request: ApiPageRequest | "all",
): Promise<Page<ActorRow>> {
  const members = inArray(
    actors.id,
    db.select({ actor: listMembers.actor }).from(listMembers).where(eq(listMembers.list, list)),
  );
  const query = (where: SQL | undefined, orderBy: SQL, limit?: number) => {
    const rows = db.select().from(actors).where(and(members, where)).orderBy(orderBy);
    return limit === undefined ? rows : rows.limit(limit);
  };
  if (request === "all") {
    return query(undefined, sql`${accountIdSql()} desc`).then((items) => ({
      items,
      hasOlder: false,
      hasNewer: false,
    }));
  }
  return pageById(accountIdSql(), request, query);
}

/** A remote account named by Mastodon id, and whether the owner follows it (or asked to). */
export interface Candidate {
  readonly actor: ActorRow;
  readonly followed: boolean;
}

/** The accounts named by Mastodon ids, in one round trip; unknown ids are left out. */
export async function candidatesByApiId(
  db: Db,
  input: { ids: readonly bigint[]; owner: string },
): Promise<Candidate[]> {
  const id = accountIdSql();
  // Accepted or pending: Mastodon lets a followed account that has not answered yet be added.
  const followed = exists(
    db
      .select({ one: sql`1` })
      .from(follows)
      .where(and(eq(follows.actor, actors.id), eq(follows.follower, input.owner))),
  );
  const rows = await readInSlices(db, input.ids.map(String), (slice) =>
    db
      .select({ ...getTableColumns(actors), followed: sql<number>`${followed}` })
      .from(actors)
      .where(
        sql`${id} in (${sql.join(
          slice.map((s) => idParam(BigInt(s))),
          sql`, `,
        )})`,
      ),
  );
  return rows.map(({ followed: isFollowed, ...actor }) => ({ actor, followed: isFollowed === 1 }));
}

/** Members are inserted this many to a statement (two bound parameters each). */
const MEMBERS_PER_STATEMENT = 45;

/** Puts accounts on a list; those already on it stay as they are. */
export function addMembersStatements(
  db: Db,
  list: number,
  members: readonly string[],
): Statement[] {
  const statements: Statement[] = [];
  const unique = [...new Set(members)];
  for (let i = 0; i < unique.length; i += MEMBERS_PER_STATEMENT) {
    const rows = unique.slice(i, i + MEMBERS_PER_STATEMENT).map((actor) => ({ list, actor }));
    statements.push(db.insert(listMembers).values(rows).onConflictDoNothing());
  }
  return statements;
}

/** Takes accounts off a list. */
export function removeMembersStatements(
  db: Db,
  list: number,
  members: readonly string[],
): Statement[] {
  const statements: Statement[] = [];
  const unique = [...new Set(members)];
  for (let i = 0; i < unique.length; i += 90) {
    const slice = unique.slice(i, i + 90);
    statements.push(
      db
        .delete(listMembers)
        .where(and(eq(listMembers.list, list), inArray(listMembers.actor, slice))),
    );
  }
  return statements;
}

/**
 * What Mastodon puts in a list's feed, as a condition on `notes`: the notes of the list's
 * members that the owner follows (an accepted follow), but not their direct notes, and of
 * their replies those the list's `replies_policy` admits. A reply to oneself or to the owner
 * is always admitted; `followed` admits replies to anyone the owner follows, `list` to the
 * list's members, `none` no more. A reply to a note that is not stored (whose author is
 * unknown) is left out. Deleted notes never.
 */
export function inListFeed(db: Db, input: { list: ListRow; owner: string }): SQL | undefined {
  const { list, owner } = input;
  const parent = alias(notes, "parent");
  const member = (actor: SQLiteColumn) =>
    exists(
      db
        .select({ one: sql`1` })
        .from(listMembers)
        .where(and(eq(listMembers.list, list.seq), eq(listMembers.actor, actor))),
    );
  const followed = (actor: SQLiteColumn) =>
    exists(
      db
        .select({ one: sql`1` })
        .from(follows)
        .where(
          and(eq(follows.actor, actor), eq(follows.follower, owner), eq(follows.state, "accepted")),
        ),
    );
  const policy: Record<RepliesPolicy, SQL | undefined> = {
    followed: followed(parent.attributedTo),
    list: member(parent.attributedTo),
    none: undefined,
  };
  const admittedReply = exists(
    db
      .select({ one: sql`1` })
      .from(parent)
      .where(
        and(
          eq(parent.id, notes.inReplyTo),
          or(
            eq(parent.attributedTo, notes.attributedTo),
            eq(parent.attributedTo, owner),
            policy[list.repliesPolicy],
          ),
        ),
      ),
  );
  return and(
    isNull(notes.deletedAt),
    ne(notes.visibility, "direct"),
    member(notes.attributedTo),
    followed(notes.attributedTo),
    or(isNull(notes.inReplyTo), admittedReply),
  );
}

/**
 * One page of a list's timeline, newest first. The notes are walked in status id order from
 * the cursor (its expression index), each checked against the list by primary key, as the
 * home timeline is: a page costs about `limit` rows divided by the members' share of the
 * stored notes.
 */
export function listTimeline(
  db: Db,
  input: { list: ListRow; owner: string },
  request: ApiPageRequest,
): Promise<Page<NoteRow>> {
  return pageById(noteIdSql(), request, (where, orderBy, limit) =>
    db
      .select()
      .from(notes)
      .where(and(inListFeed(db, input), where))
      .orderBy(orderBy)
      .limit(limit),
  );
}
