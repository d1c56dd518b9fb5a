/**
 * What the owner keeps away: blocked and muted accounts, and blocked domains. A block is
 * told to the blocked actor (`Block`, its id kept for the `Undo`), ends the follows both
 * ways, and makes the inbox refuse the actor's activities before anything is stored; a
 * blocked domain does the same for every actor on it. A mute is the owner's alone: the
 * account's posts leave the timelines, and its notifications too when `notifications` is set.
 * Re-exported by `schema.ts`, which drizzle-kit reads.
 */
import { integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const timestamp = (name: string) => integer(name, { mode: "timestamp_ms" });

export const blocks = sqliteTable(
  "blocks",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    /** The blocked actor's id. */
    actor: text("actor").notNull(),
    /** Our `Block` activity's id, which the `Undo` names. */
    activityId: text("activity_id").notNull(),
    createdAt: timestamp("created_at").notNull(),
  },
  (t) => [uniqueIndex("blocks_actor_unique").on(t.actor)],
);
export type BlockRow = typeof blocks.$inferSelect;

export const mutes = sqliteTable(
  "mutes",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    actor: text("actor").notNull(),
    /** Whether the account's notifications are hidden too (Mastodon's default: yes). */
    notifications: integer("notifications", { mode: "boolean" }).notNull().default(true),
    /** When the mute ends by itself; null: never. */
    expiresAt: timestamp("expires_at"),
    createdAt: timestamp("created_at").notNull(),
  },
  (t) => [uniqueIndex("mutes_actor_unique").on(t.actor)],
);
export type MuteRow = typeof mutes.$inferSelect;

export const domainBlocks = sqliteTable(
  "domain_blocks",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    /** Lower-cased host, as `actors.domain` holds it (with the port when there is one). */
    domain: text("domain").notNull(),
    createdAt: timestamp("created_at").notNull(),
  },
  (t) => [uniqueIndex("domain_blocks_domain_unique").on(t.domain)],
);
export type DomainBlockRow = typeof domainBlocks.$inferSelect;
