/**
 * The owner's direct conversations (Mastodon's `/api/v1/conversations`): the rows SQLite
 * triggers keep for the threads of direct notes (`schema-conversations.ts`), each read with
 * the status row of its newest note, in pages by that note's status id, as Mastodon pages
 * them by their last status.
 */
import { and, eq, type SQL, sql } from "drizzle-orm";
import type { Db } from "./db";
import { idIs, idText } from "./ids";
import { visibleToOwner } from "./owner-visibility";
import { type ApiPageRequest, type Page, pageById } from "./pages";
import { notes } from "./schema";
import { conversations } from "./schema-conversations";
import { author, parent, parentAuthor, type StatusRow, statusFields } from "./statuses";

/** A conversation as the API shows it: its own id, whether it is unread, its newest note. */
export interface ConversationView {
  readonly seq: number;
  /** Its newest note's status id (the list's cursor). */
  readonly lastStatusId: string;
  readonly unread: boolean;
  readonly row: StatusRow;
}

const lastStatusId = sql`${conversations.lastStatusId}`;

/** Listed: not removed since its newest note came (`hidden_up_to`). */
const listed = sql`${conversations.lastStatusId} > ${conversations.hiddenUpTo}`;

/**
 * The conversations within `where`, each with the status row of its newest note, which the
 * owner must be able to see; unread when that note is not the owner's and came after the
 * owner read it.
 */
function conversationRows(
  db: Db,
  owner: string,
  slice: { where: SQL | undefined; orderBy: SQL; limit: number },
) {
  return db
    .select({
      ...statusFields(owner),
      conversationSeq: sql<number>`${conversations.seq}`.as("conversation_seq"),
      lastStatusId: idText(lastStatusId).as("last_status_id"),
      unread:
        sql<number>`(${notes.attributedTo} <> ${owner} and ${conversations.lastStatusId} > ${conversations.readUpTo})`.as(
          "unread",
        ),
    })
    .from(conversations)
    .innerJoin(notes, eq(notes.seq, conversations.lastNoteSeq))
    .leftJoin(author, eq(author.id, notes.attributedTo))
    .leftJoin(parent, eq(parent.id, notes.inReplyTo))
    .leftJoin(parentAuthor, eq(parentAuthor.id, parent.attributedTo))
    .where(and(listed, visibleToOwner(db, owner), slice.where))
    .orderBy(slice.orderBy)
    .limit(slice.limit);
}

type ConversationRead = Awaited<ReturnType<typeof conversationRows>>[number];

function toView(read: ConversationRead): ConversationView {
  const { conversationSeq, lastStatusId: last, unread, ...row } = read;
  return { seq: conversationSeq, lastStatusId: last, unread: unread === 1, row };
}

/**
 * A page of the owner's conversations, newest last status first: the conversations' index
 * walked from the cursor (a status id), each newest note by key.
 */
export async function conversationsPage(
  db: Db,
  owner: string,
  request: ApiPageRequest,
): Promise<Page<ConversationView>> {
  const page = await pageById(lastStatusId, request, (where, orderBy, limit) =>
    conversationRows(db, owner, { where, orderBy, limit }),
  );
  return { ...page, items: page.items.map(toView) };
}

/** The listed conversation with this `seq` (its Mastodon id), if there is one. */
function conversationQuery(db: Db, owner: string, seq: number) {
  return conversationRows(db, owner, {
    where: eq(conversations.seq, seq),
    orderBy: sql`${conversations.seq}`,
    limit: 1,
  });
}

/**
 * The listed conversation whose newest note has this status id, if there is one (through the
 * last statuses' index): what the streaming API's `direct` sends when a direct note comes.
 */
export async function conversationOfStatus(
  db: Db,
  owner: string,
  statusId: bigint,
): Promise<ConversationView | undefined> {
  const [row] = await conversationRows(db, owner, {
    where: idIs(lastStatusId, statusId),
    orderBy: sql`${conversations.seq}`,
    limit: 1,
  });
  return row === undefined ? undefined : toView(row);
}

/** Marks a listed conversation read up to its newest note; it as it is then, in one batch. */
export async function markConversationRead(
  db: Db,
  owner: string,
  seq: number,
): Promise<ConversationView | undefined> {
  const [, [row]] = await db.batch([
    db
      .update(conversations)
      .set({ readUpTo: lastStatusId })
      .where(and(eq(conversations.seq, seq), listed)),
    conversationQuery(db, owner, seq),
  ]);
  return row === undefined ? undefined : toView(row);
}

/**
 * Removes a conversation from the list (read, and hidden up to its newest note: a newer note
 * lists it again, as Mastodon starts a new one); answers whether it was listed.
 */
export function hideConversationQuery(db: Db, seq: number) {
  return db
    .update(conversations)
    .set({ readUpTo: lastStatusId, hiddenUpTo: lastStatusId })
    .where(and(eq(conversations.seq, seq), listed))
    .returning({ seq: conversations.seq });
}
