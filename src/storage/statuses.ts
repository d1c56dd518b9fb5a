/**
 * What the owner's client API needs to show notes as Mastodon statuses, besides the notes
 * themselves: their lists, the accounts they name, the notes they answer, whether the owner
 * liked or boosted them, how many replies they have. Read in two rounds (the notes' lists,
 * then the accounts they name), a query per kind of thing however many notes there are, and
 * handed to the serializers, which do no I/O.
 */
import { and, count, inArray, isNull, sql } from "drizzle-orm";
import { isBoostId } from "../mastodon/ids";
import { actorsById } from "./actors";
import { type Db, readInSlices } from "./db";
import { liveNoteByApiId, type NoteWithTags, withTags } from "./notes";
import { boostByApiId } from "./reactions";
import { type ActorRow, type NoteRow, notes, reactions } from "./schema";

export interface StatusData {
  readonly items: readonly NoteWithTags[];
  /**
   * Authors, mentioned accounts and the authors of the notes replied to, by actor id (the
   * owner is not among them).
   */
  readonly accounts: ReadonlyMap<string, ActorRow>;
  /** The notes replied to, by id. */
  readonly parents: ReadonlyMap<string, Pick<NoteRow, "seq" | "published" | "attributedTo">>;
  /** The owner's own likes and boosts, by note id. */
  readonly reacted: ReadonlyMap<string, { readonly liked: boolean; readonly boosted: boolean }>;
  /** Replies that are not deleted, by note id. */
  readonly replies: ReadonlyMap<string, number>;
}

export async function loadStatusData(
  db: Db,
  input: { rows: readonly NoteRow[]; owner: string },
): Promise<StatusData> {
  const { rows, owner } = input;
  const ids = rows.map((r) => r.id);
  const parentIds = rows.flatMap((r) => (r.inReplyTo === null ? [] : [r.inReplyTo]));
  const [items, parents, mine, replies] = await Promise.all([
    withTags(db, rows),
    readInSlices(db, parentIds, (slice) =>
      db
        .select({
          id: notes.id,
          seq: notes.seq,
          published: notes.published,
          attributedTo: notes.attributedTo,
        })
        .from(notes)
        .where(inArray(notes.id, slice)),
    ),
    // The counts are columns of the notes; only whether the owner reacted is looked up, by
    // note (`+actor` keeps SQLite off the actor's index, which would read all their reactions).
    readInSlices(db, ids, (slice) =>
      db
        .select({ object: reactions.object, type: reactions.type })
        .from(reactions)
        .where(and(inArray(reactions.object, slice), sql`+${reactions.actor} = ${owner}`)),
    ),
    readInSlices(db, ids, (slice) =>
      db
        .select({ parent: notes.inReplyTo, n: count() })
        .from(notes)
        .where(and(inArray(notes.inReplyTo, slice), isNull(notes.deletedAt)))
        .groupBy(notes.inReplyTo),
    ),
  ]);
  // The authors of the notes replied to too: `in_reply_to_account_id` names them.
  const named = [
    ...items.flatMap(({ note, tags }) => [
      note.attributedTo,
      ...tags.flatMap((t) => (t.type === "Mention" && t.href !== null ? [t.href] : [])),
    ]),
    ...parents.map((p) => p.attributedTo),
  ];
  const accounts = await actorsById(
    db,
    named.filter((id) => id !== owner),
  );
  const reacted = new Map<string, { liked: boolean; boosted: boolean }>();
  for (const { object, type } of mine) {
    const entry = reacted.get(object) ?? { liked: false, boosted: false };
    reacted.set(object, type === "Like" ? { ...entry, liked: true } : { ...entry, boosted: true });
  }
  return {
    items,
    accounts,
    parents: new Map(parents.map((p) => [p.id, p])),
    reacted,
    replies: new Map(replies.flatMap((r) => (r.parent === null ? [] : [[r.parent, r.n] as const]))),
  };
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
