/**
 * Counts kept rather than recounted: how many notes an author has (not deleted), how many
 * accepted followers and follows an actor has, how many items its outbox collection lists
 * (public and unlisted `Create`s and `Announce`s whose note is not deleted), and how many
 * replies a note has (not deleted; the subject is the note's id, which need not be stored).
 * SQLite triggers (migrations `*_count_triggers`)
 * keep them in the same statement as the rows they count, whatever code writes those rows,
 * so that reading the owner's account costs one row per count, not one per note. Re-exported
 * by `schema.ts`, which drizzle-kit reads.
 */
import { integer, primaryKey, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const COUNTED = ["notes", "followers", "following", "outbox", "replies"] as const;
export type Counted = (typeof COUNTED)[number];

export const counts = sqliteTable(
  "counts",
  {
    /**
     * The author (notes), the followed actor (followers), the follower (following), the
     * outbox's actor, the note replied to (replies).
     */
    subject: text("subject").notNull(),
    what: text("what", { enum: COUNTED }).notNull(),
    n: integer("n").notNull().default(0),
  },
  (t) => [primaryKey({ columns: [t.subject, t.what] })],
);
