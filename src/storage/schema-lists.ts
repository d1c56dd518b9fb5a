/**
 * How the owner sorts what they read: lists of followed accounts (each with its timeline),
 * filters (keywords or statuses, in some contexts, that hide a post or put a warning on
 * it, until they expire), and bookmarks. Mastodon's entities, one row each. Re-exported by
 * `schema.ts`, which drizzle-kit reads.
 */
import {
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";

const timestamp = (name: string) => integer(name, { mode: "timestamp_ms" });

export const REPLIES_POLICIES = ["followed", "list", "none"] as const;

export const lists = sqliteTable("lists", {
  seq: integer("seq").primaryKey({ autoIncrement: true }),
  title: text("title").notNull(),
  /** Which replies the list's timeline shows (Mastodon's `replies_policy`). */
  repliesPolicy: text("replies_policy", { enum: REPLIES_POLICIES }).notNull().default("list"),
  /** Whether the members' posts leave the home timeline. */
  exclusive: integer("exclusive", { mode: "boolean" }).notNull().default(false),
  createdAt: timestamp("created_at").notNull(),
});
export type ListRow = typeof lists.$inferSelect;

export const listMembers = sqliteTable(
  "list_members",
  {
    list: integer("list").notNull(),
    /** A followed actor's id. */
    actor: text("actor").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.list, t.actor] }),
    // The lists an account is on; its posts for an exclusive list's home timeline.
    index("list_members_actor_idx").on(t.actor),
  ],
);
export type ListMemberRow = typeof listMembers.$inferSelect;

export const FILTER_CONTEXTS = ["home", "notifications", "public", "thread", "account"] as const;
export type FilterContext = (typeof FILTER_CONTEXTS)[number];
export const FILTER_ACTIONS = ["warn", "hide", "blur"] as const;

export const filters = sqliteTable("filters", {
  seq: integer("seq").primaryKey({ autoIncrement: true }),
  title: text("title").notNull(),
  /** Where it applies: a JSON array of `FILTER_CONTEXTS`. */
  context: text("context", { mode: "json" }).$type<FilterContext[]>().notNull(),
  action: text("action", { enum: FILTER_ACTIONS }).notNull().default("warn"),
  /** When it stops applying; null: never. */
  expiresAt: timestamp("expires_at"),
  createdAt: timestamp("created_at").notNull(),
});
export type FilterRow = typeof filters.$inferSelect;

export const filterKeywords = sqliteTable(
  "filter_keywords",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    filter: integer("filter").notNull(),
    keyword: text("keyword").notNull(),
    wholeWord: integer("whole_word", { mode: "boolean" }).notNull().default(true),
  },
  (t) => [index("filter_keywords_filter_idx").on(t.filter)],
);
export type FilterKeywordRow = typeof filterKeywords.$inferSelect;

export const filterStatuses = sqliteTable(
  "filter_statuses",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    filter: integer("filter").notNull(),
    /** The filtered note's id. */
    note: text("note").notNull(),
  },
  (t) => [uniqueIndex("filter_statuses_once_unique").on(t.filter, t.note)],
);
export type FilterStatusRow = typeof filterStatuses.$inferSelect;

/** The owner's bookmarks, newest first by `seq`. */
export const bookmarks = sqliteTable(
  "bookmarks",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    /** The bookmarked note's id. */
    note: text("note").notNull(),
    createdAt: timestamp("created_at").notNull(),
  },
  (t) => [uniqueIndex("bookmarks_note_unique").on(t.note)],
);
export type BookmarkRow = typeof bookmarks.$inferSelect;
