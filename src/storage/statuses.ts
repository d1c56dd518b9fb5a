/**
 * What the owner's client API needs to show notes as Mastodon statuses: each note with its
 * author, its tags and the accounts they mention, the note it answers and that note's author,
 * whether the owner liked or boosted it, and how many replies it has (a kept count), read in
 * one query: one row per status, its lists as JSON. A page of statuses is one round trip, and
 * reads each of these once, by key, for the notes of the page alone. The serializers, which
 * do no I/O, are handed the result (`StatusData`).
 */
import { eq, getTableColumns, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import { isBoostId } from "../mastodon/ids";
import { type AccountJson, type AccountRow, accountJson, readAccount } from "./account-rows";
import type { Db } from "./db";
import { frozen } from "./frozen";
import { liveNoteByApiId, type NoteWithTags } from "./notes";
import { boostByApiId } from "./reactions";
import {
  actors,
  bookmarks,
  counts,
  type NoteRow,
  type NoteTagRow,
  notes,
  noteTags,
  type ReactionRow,
  reactions,
} from "./schema";
import { readWanted, wanted, wantedKey } from "./wanted";

export interface StatusData {
  readonly items: readonly NoteWithTags[];
  /**
   * Authors, mentioned accounts and the authors of the notes replied to, by actor id (the
   * owner is not among them).
   */
  readonly accounts: ReadonlyMap<string, AccountRow>;
  /** The notes replied to, by id. */
  readonly parents: ReadonlyMap<string, Pick<NoteRow, "seq" | "published" | "attributedTo">>;
  /** The owner's own likes and boosts, by note id. */
  readonly reacted: ReadonlyMap<string, { readonly liked: boolean; readonly boosted: boolean }>;
  /** Replies that are not deleted, by note id. */
  readonly replies: ReadonlyMap<string, number>;
  /** The notes the owner bookmarked, by id. */
  readonly bookmarked: ReadonlySet<string>;
}

/** A status's author, the note it answers and that note's author, joined by their unique ids. */
export const author = alias(actors, "author");
export const parent = alias(notes, "parent");
export const parentAuthor = alias(actors, "parent_author");
const mentioned = alias(actors, "mentioned");

/** A tag as the status row's JSON holds it, with the account a mention names, if stored. */
interface TagJson extends Omit<NoteTagRow, "noteSeq"> {
  readonly account: AccountJson | null;
}

/** A tag as the status row holds it, with the account a mention names (`mentioned`). */
const TAG_JSON = frozen(
  sql`json_object('type', ${noteTags.type}, 'name', ${noteTags.name}, 'href', ${noteTags.href}, 'account', json(${accountJson(mentioned)}))`,
);

/** The big columns of a status row that bind nothing, rendered once (`frozen`). */
const FIXED = {
  tagsJson: frozen(
    sql<string>`(select json_group_array(${TAG_JSON}) from ${noteTags} left join ${actors} as ${sql.identifier("mentioned")} on ${noteTags.type} = 'Mention' and ${mentioned.id} = ${noteTags.href} where ${noteTags.noteSeq} = ${notes.seq})`,
  ),
  // Through `bookmarks_note_unique`.
  bookmarked: frozen(
    sql<number>`exists (select 1 from ${bookmarks} where ${bookmarks.note} = ${notes.id})`,
  ),
  replies: frozen(
    sql<
      number | null
    >`(select ${counts.n} from ${counts} where ${counts.subject} = ${notes.id} and ${counts.what} = 'replies')`,
  ),
};

/**
 * The columns of a status row, beside the note's own. Each is read by key for the row's note
 * only: the tags through their primary key (in its order: type, then name), the owner's
 * reactions through `reactions_once_unique`, the reply count from `counts`.
 */
export function statusFields(owner: string) {
  const byOwner = (type: "Like" | "Announce") =>
    sql<number>`exists (select 1 from ${reactions} where ${reactions.object} = ${notes.id} and ${reactions.type} = ${sql.raw(`'${type}'`)} and ${reactions.actor} = ${owner})`;
  return {
    ...getTableColumns(notes),
    authorJson: accountJson(author).as("author_json"),
    parentSeq: sql<number | null>`${parent.seq}`.as("parent_seq"),
    parentPublished: sql<number | null>`${parent.published}`.as("parent_published"),
    parentAttributedTo: sql<string | null>`${parent.attributedTo}`.as("parent_attributed_to"),
    parentAuthorJson: accountJson(parentAuthor).as("parent_author_json"),
    tagsJson: FIXED.tagsJson.as("tags_json"),
    liked: byOwner("Like").as("liked"),
    boosted: byOwner("Announce").as("boosted"),
    bookmarked: FIXED.bookmarked.as("bookmarked"),
    replies: FIXED.replies.as("replies"),
  };
}

/**
 * The status rows of notes: `from` is `notes` and what it is joined to, `where` which notes.
 * The author, the note replied to and its author are left-joined by their unique ids.
 */
export function statusRowsQuery(db: Db, owner: string) {
  return db
    .select(statusFields(owner))
    .from(notes)
    .leftJoin(author, eq(author.id, notes.attributedTo))
    .leftJoin(parent, eq(parent.id, notes.inReplyTo))
    .leftJoin(parentAuthor, eq(parentAuthor.id, parent.attributedTo));
}

export type StatusRow = Awaited<ReturnType<ReturnType<typeof statusRowsQuery>["all"]>>[number];

/** A boost's booster, joined by its unique id. */
export const booster = alias(actors, "booster");

/**
 * The status rows of boosted notes, each with its boost (an `Announce` of `reactions`) and
 * the booster's account (null for the owner, who is not in `actors`): `from` is `reactions`,
 * the note joined by its unique id. The boost's columns are renamed, a D1 result naming no
 * column twice.
 */
export function boostRowsQuery(db: Db, owner: string) {
  return db
    .select({
      ...statusFields(owner),
      boostSeq: sql<number>`${reactions.seq}`.as("boost_seq"),
      boostIri: sql<string>`${reactions.id}`.as("boost_iri"),
      boostActor: sql<string>`${reactions.actor}`.as("boost_actor"),
      boostCreatedAt: sql<number>`${reactions.createdAt}`.as("boost_created_at"),
      boosterJson: accountJson(booster).as("booster_json"),
    })
    .from(reactions)
    .innerJoin(notes, eq(notes.id, reactions.object))
    .leftJoin(booster, eq(booster.id, reactions.actor))
    .leftJoin(author, eq(author.id, notes.attributedTo))
    .leftJoin(parent, eq(parent.id, notes.inReplyTo))
    .leftJoin(parentAuthor, eq(parentAuthor.id, parent.attributedTo));
}

type BoostRowRead = Awaited<ReturnType<ReturnType<typeof boostRowsQuery>["all"]>>[number];

/** A boost with the status row of the note it boosts. */
export interface BoostedRow {
  readonly row: StatusRow;
  readonly boost: ReactionRow;
  /** The booster's account; undefined for the owner (or a booster no longer stored). */
  readonly booster: AccountRow | undefined;
}

/** A row of `boostRowsQuery` as the boost and the status row of its note. */
export function toBoostedRow(read: BoostRowRead): BoostedRow {
  const { boostSeq, boostIri, boostActor, boostCreatedAt, boosterJson, ...row } = read;
  const boost: ReactionRow = {
    seq: boostSeq,
    id: boostIri,
    type: "Announce",
    actor: boostActor,
    object: row.id,
    createdAt: new Date(boostCreatedAt),
  };
  return { row, boost, booster: boosterJson === null ? undefined : readAccount(boosterJson) };
}

/** The status data of rows, in their order; deleted notes are left out. */
export function toStatusData(rows: readonly StatusRow[]): StatusData {
  const items: NoteWithTags[] = [];
  const accounts = new Map<string, AccountRow>();
  const parents = new Map<string, Pick<NoteRow, "seq" | "published" | "attributedTo">>();
  const reacted = new Map<string, { liked: boolean; boosted: boolean }>();
  const replies = new Map<string, number>();
  const bookmarked = new Set<string>();
  for (const row of rows) {
    const { authorJson, parentSeq, parentPublished, parentAttributedTo, parentAuthorJson } = row;
    const { tagsJson, liked, boosted, replies: replyCount } = row;
    const note = noteOf(row);
    if (note.deletedAt !== null) continue;
    const tags = (JSON.parse(tagsJson) as TagJson[]).map(({ account, ...tag }) => {
      if (account !== null) accounts.set(account.id, readAccount(account));
      return { ...tag, noteSeq: note.seq };
    });
    items.push({ note, tags });
    for (const json of [authorJson, parentAuthorJson]) {
      if (json === null) continue;
      const account = readAccount(json);
      accounts.set(account.id, account);
    }
    if (note.inReplyTo !== null && parentSeq !== null && parentAttributedTo !== null) {
      const published = new Date(parentPublished ?? 0);
      parents.set(note.inReplyTo, { seq: parentSeq, published, attributedTo: parentAttributedTo });
    }
    if (liked || boosted) reacted.set(note.id, { liked: liked === 1, boosted: boosted === 1 });
    if (replyCount !== null && replyCount > 0) replies.set(note.id, replyCount);
    if (row.bookmarked === 1) bookmarked.add(note.id);
  }
  return { items, accounts, parents, reacted, replies, bookmarked };
}

/** The note's own columns of a status row. */
function noteOf(row: StatusRow): NoteRow {
  const {
    authorJson: _a,
    parentSeq: _s,
    parentPublished: _p,
    parentAttributedTo: _t,
    parentAuthorJson: _pa,
    tagsJson: _g,
    liked: _l,
    boosted: _b,
    bookmarked: _k,
    replies: _r,
    ...note
  } = row;
  return note;
}

/**
 * The status data of notes, by `seq` or by id, in one round trip: their status rows, joined
 * to the list asked for (`wanted.ts`).
 */
export async function loadStatuses(
  db: Db,
  input: { owner: string; seqs?: readonly number[]; ids?: readonly string[] },
): Promise<StatusData> {
  const key = input.ids === undefined ? notes.seq : notes.id;
  const keys: readonly (string | number)[] = input.ids ?? input.seqs ?? [];
  const rows: StatusRow[] = await readWanted(db, keys, (slice) =>
    statusRowsQuery(db, input.owner).innerJoin(wanted(slice), sql`${key} = ${wantedKey}`),
  );
  return toStatusData(rows);
}

/**
 * The status data of note rows already read, in their order (deleted ones left out): their
 * status rows are read by `seq`.
 */
export async function loadStatusData(
  db: Db,
  input: { rows: readonly NoteRow[]; owner: string },
): Promise<StatusData> {
  const live = input.rows.filter((r) => r.deletedAt === null);
  const data = await loadStatuses(db, { owner: input.owner, seqs: live.map((r) => r.seq) });
  const bySeq = new Map(data.items.map((item) => [item.note.seq, item]));
  return { ...data, items: live.flatMap((r) => bySeq.get(r.seq) ?? []) };
}

/**
 * The live note a status id names: the note with that id, or, for a boost's id, the note it
 * boosts (Mastodon favourites, boosts and answers the original when given a boost).
 */
export async function noteOfStatusId(db: Db, id: bigint): Promise<NoteRow | undefined> {
  if (!isBoostId(id)) return liveNoteByApiId(db, id);
  const boosted = await boostByApiId(db, id);
  return boosted?.note.deletedAt === null ? boosted.note : undefined;
}
