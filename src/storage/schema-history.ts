/**
 * What a note said before each edit (`/api/v1/statuses/:id/history`): the version an edit
 * replaced, written in the edit's batch. The current version is the note itself. Re-exported
 * by `schema.ts`, which drizzle-kit reads.
 */
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { NoteAttachment } from "./schema";

const timestamp = (name: string) => integer(name, { mode: "timestamp_ms" });

export const noteVersions = sqliteTable(
  "note_versions",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    /** The note's id. */
    note: text("note").notNull(),
    /** Sanitised HTML, as the note held it. */
    content: text("content").notNull(),
    summary: text("summary"),
    sensitive: integer("sensitive", { mode: "boolean" }).notNull(),
    attachments: text("attachments", { mode: "json" }).$type<NoteAttachment[]>(),
    /** When this version was made: the note's `published`, or the edit before. */
    createdAt: timestamp("created_at").notNull(),
  },
  (t) => [index("note_versions_note_idx").on(t.note, t.seq)],
);
export type NoteVersionRow = typeof noteVersions.$inferSelect;
