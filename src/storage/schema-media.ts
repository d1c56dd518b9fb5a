/**
 * The owner's uploaded files (`POST /api/v2/media`, avatar and header): one row per file in
 * the R2 bucket, under an unguessable key. An attachment is uploaded first and attached when
 * a post names it (`note`), then its description and focus are the post's; a file never
 * attached, or whose note is gone, is removed by the cron. Re-exported by `schema.ts`, which
 * drizzle-kit reads.
 */
import { sql } from "drizzle-orm";
import { index, integer, real, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const timestamp = (name: string) => integer(name, { mode: "timestamp_ms" });

/** Mastodon's attachment types, as the API names them. */
export const MEDIA_KINDS = ["image", "gifv", "video", "audio"] as const;
export type MediaKind = (typeof MEDIA_KINDS)[number];

/** What a file is for: a post's attachment, or the owner's avatar or header. */
export const MEDIA_PURPOSES = ["attachment", "avatar", "header"] as const;
export type MediaPurpose = (typeof MEDIA_PURPOSES)[number];

export const media = sqliteTable(
  "media",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    /** The R2 key: random, never reused; `/media/<key>` serves it. */
    key: text("key").notNull(),
    purpose: text("purpose", { enum: MEDIA_PURPOSES }).notNull(),
    kind: text("kind", { enum: MEDIA_KINDS }).notNull(),
    /** The type read from the file's bytes (never the one declared by the upload). */
    mediaType: text("media_type").notNull(),
    /** Bytes stored (after metadata was stripped). */
    size: integer("size").notNull(),
    width: integer("width"),
    height: integer("height"),
    blurhash: text("blurhash"),
    /** Alt text. */
    description: text("description"),
    /** Mastodon's focal point, each in [-1, 1]; null when none was given. */
    focusX: real("focus_x"),
    focusY: real("focus_y"),
    /** The note (its id) it is attached to, once a post names it; null until then. */
    note: text("note"),
    /** Its place among the note's attachments (0 to 3). */
    position: integer("position"),
    createdAt: timestamp("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("media_key_unique").on(t.key),
    // Mastodon ids (see ids.ts): a file by id.
    index("media_api_id_idx").on(sql`(${t.createdAt} << 16) | (${t.seq} & 65535)`),
    // A note's files, in order.
    index("media_note_idx").on(t.note, t.position),
    // What the cron sweeps: files never attached, oldest first.
    index("media_unattached_idx").on(t.createdAt).where(sql`${t.note} is null`),
  ],
);
export type MediaRow = typeof media.$inferSelect;
export type NewMediaRow = typeof media.$inferInsert;
