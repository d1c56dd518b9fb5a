/**
 * The owner's direct conversations (Mastodon's `/api/v1/conversations`): the threads of
 * direct notes, sent or received, one row each, kept by SQLite triggers whatever code writes
 * the notes (migration `*_conversation_triggers`). Re-exported by `schema.ts`, which
 * drizzle-kit reads.
 */
import { index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

/**
 * A thread of direct notes. Its `root` is what the thread is known by: the root of the
 * conversation of the note a new direct note answers, when that note is in one; else the note
 * it answers; else its own id. Mastodon pages conversations by their last status's id, which
 * is kept here (a status id: `(published << 16) | ((seq & 32767) << 1)`, read back as text).
 */
export const conversations = sqliteTable(
  "conversations",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    root: text("root").notNull(),
    /** Its newest live note. */
    lastNoteSeq: integer("last_note_seq").notNull(),
    /** That note's status id. */
    lastStatusId: integer("last_status_id").notNull(),
    /** The last status id the owner read it up to (`POST /:id/read`); 0 for none. */
    readUpTo: integer("read_up_to").notNull().default(0),
    /**
     * The last status id when the owner removed it (`DELETE /:id`); 0 for never. It is
     * listed again once a newer note joins it, as Mastodon starts a new one.
     */
    hiddenUpTo: integer("hidden_up_to").notNull().default(0),
  },
  (t) => [
    uniqueIndex("conversations_root_unique").on(t.root),
    // Pages, newest last status first.
    index("conversations_last_status_idx").on(t.lastStatusId),
  ],
);
export type ConversationRow = typeof conversations.$inferSelect;

/** Which conversation each live direct note is in. */
export const conversationNotes = sqliteTable(
  "conversation_notes",
  {
    noteSeq: integer("note_seq").primaryKey(),
    conversation: integer("conversation").notNull(),
  },
  (t) => [index("conversation_notes_conversation_idx").on(t.conversation)],
);
