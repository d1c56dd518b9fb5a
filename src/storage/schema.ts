/**
 * Every D1 table, with the row types drizzle infers beside each one.
 *
 * Conventions: `id` is always the ActivityPub IRI (what the fediverse calls the object);
 * `seq` is an internal, ever-growing integer (the SQLite rowid) used for stable cursors; the
 * Mastodon API's ids are computed from a row's time and `seq` (`ids.ts`). Times are integer milliseconds. Lists that ActivityStreams keeps in
 * arrays (`to`, `cc`, `tag`) live in their own tables so that they can be indexed.
 *
 * Migrations come only from `npm run db:generate`; never edit one that has been applied.
 */
import { sql } from "drizzle-orm";
import {
  index,
  integer,
  primaryKey,
  sqliteTable,
  text,
  uniqueIndex,
} from "drizzle-orm/sqlite-core";
import type { QueueMessage } from "../federation/queue/messages";
import { VISIBILITIES } from "./visibility";

const timestamp = (name: string) => integer(name, { mode: "timestamp_ms" });

export { VISIBILITIES, type Visibility } from "./visibility";

/**
 * The actors this instance speaks for: the owner and the instance (Application) actor used
 * for signed GETs. Their ids and profiles come from configuration; only what must never
 * change lives here, above all the key pair (generated once, never regenerated).
 */
export const localActors = sqliteTable("local_actors", {
  role: text("role", { enum: ["owner", "instance"] }).primaryKey(),
  publicKeyPem: text("public_key_pem").notNull(),
  /** PKCS#8, base64. Never leaves the server: not in a response, a log or a queue message. */
  privateKeyPkcs8: text("private_key_pkcs8").notNull(),
  createdAt: timestamp("created_at").notNull(),
});
export type LocalActorRow = typeof localActors.$inferSelect;
export type LocalActorRole = LocalActorRow["role"];

/** Remote actors we have a relationship with (followers, followed, mentioned, authors). */
export const actors = sqliteTable(
  "actors",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull(),
    type: text("type").notNull(),
    preferredUsername: text("preferred_username"),
    /** The host of `id`, lower-cased, with the port when there is one. */
    domain: text("domain").notNull(),
    name: text("name"),
    /** Sanitised HTML. */
    summary: text("summary"),
    url: text("url"),
    inbox: text("inbox").notNull(),
    sharedInbox: text("shared_inbox"),
    outbox: text("outbox"),
    followers: text("followers"),
    following: text("following"),
    featured: text("featured"),
    publicKeyId: text("public_key_id"),
    publicKeyPem: text("public_key_pem"),
    iconUrl: text("icon_url"),
    imageUrl: text("image_url"),
    manuallyApprovesFollowers: integer("manually_approves_followers", { mode: "boolean" })
      .notNull()
      .default(false),
    published: timestamp("published"),
    fetchedAt: timestamp("fetched_at").notNull(),
    /** When we first stored the actor: the time in its Mastodon id, so never changed. */
    createdAt: timestamp("created_at").notNull().default(sql`0`),
  },
  (t) => [
    uniqueIndex("actors_id_unique").on(t.id),
    // Mastodon ids (see ids.ts): an account by id.
    index("actors_api_id_idx").on(sql`(${t.createdAt} << 16) | ((${t.seq} & 32767) << 1) | 1`),
    index("actors_handle_idx").on(t.preferredUsername, t.domain),
    // Signature verification looks keys up by id.
    index("actors_public_key_idx").on(t.publicKeyId),
    // The cron finds actors not fetched for a long time.
    index("actors_fetched_at_idx").on(t.fetchedAt),
    // Where deliveries to followers go (the shared inbox, else the actor's), in order: a
    // fan-out walks it a page at a time. (No comma in the expression: drizzle-kit splits an
    // index expression at its commas.)
    index("actors_delivery_inbox_idx").on(
      sql`(case when ${t.sharedInbox} is null then ${t.inbox} else ${t.sharedInbox} end)`,
    ),
  ],
);
export type ActorRow = typeof actors.$inferSelect;
export type NewActorRow = typeof actors.$inferInsert;

/** Notes and the other object types stored like them (Question, Article, Page...). */
export const notes = sqliteTable(
  "notes",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull(),
    type: text("type").notNull().default("Note"),
    attributedTo: text("attributed_to").notNull(),
    inReplyTo: text("in_reply_to"),
    /** Sanitised HTML. */
    content: text("content").notNull().default(""),
    /** Content warning. */
    summary: text("summary"),
    sensitive: integer("sensitive", { mode: "boolean" }).notNull().default(false),
    language: text("language"),
    visibility: text("visibility", { enum: VISIBILITIES }).notNull(),
    url: text("url"),
    /** JSON array of attachments in the shape we emit ({ type, mediaType, url, name }). */
    attachments: text("attachments", { mode: "json" }).$type<NoteAttachment[]>(),
    published: timestamp("published").notNull(),
    updated: timestamp("updated"),
    /** Set when the owner pins the note (featured collection), newest pin first. */
    pinnedAt: timestamp("pinned_at"),
    /** Kept as a tombstone so the id answers 410 and is never reused. */
    deletedAt: timestamp("deleted_at"),
    /**
     * Likes and boosts stored in `reactions` for this note, recounted (never incremented) in
     * the batch that changes them, so that a repeated or concurrent delivery cannot drift.
     */
    likesCount: integer("likes_count").notNull().default(0),
    sharesCount: integer("shares_count").notNull().default(0),
  },
  (t) => [
    uniqueIndex("notes_id_unique").on(t.id),
    index("notes_author_published_idx").on(
      t.attributedTo,
      sql`${t.published} desc`,
      sql`${t.seq} desc`,
    ),
    index("notes_in_reply_to_idx").on(t.inReplyTo, t.published),
    // An author's pins, newest pin first: the profile page and the featured collection read
    // them, and a pin counts them, without reading every note of the author's.
    index("notes_pinned_idx")
      .on(t.attributedTo, sql`${t.pinnedAt} desc`, sql`${t.seq} desc`)
      .where(sql`${t.pinnedAt} IS NOT NULL`),
    // Mastodon ids (see ids.ts): a status by id, and timelines in id order.
    index("notes_api_id_idx").on(sql`(${t.published} << 16) | ((${t.seq} & 32767) << 1)`),
  ],
);
export type NoteRow = typeof notes.$inferSelect;
export type NewNoteRow = typeof notes.$inferInsert;
/** What a note says, stored or about to be: a row without its bookkeeping. */
export type NoteColumns = Omit<
  NoteRow,
  "seq" | "pinnedAt" | "deletedAt" | "likesCount" | "sharesCount"
>;
/**
 * An attachment as the note carries it (the shape we emit, and what we keep of a remote
 * one): `type` is the ActivityStreams type (`Document`, `Image`, `Video`, `Audio`).
 */
export interface NoteAttachment {
  readonly type: string;
  readonly mediaType?: string;
  readonly url: string;
  /** Alt text. */
  readonly name?: string;
  readonly width?: number;
  readonly height?: number;
  readonly blurhash?: string;
  /** Mastodon's `focalPoint`: x and y, each in [-1, 1]. */
  readonly focalPoint?: readonly [number, number];
  /** For the owner's own upload: its media row's Mastodon id, kept across edits. */
  readonly mediaId?: string;
}

/** One row per addressee of a note (`to`, `cc`, and ours `bto`/`bcc`, never published). */
export const noteRecipients = sqliteTable(
  "note_recipients",
  {
    noteSeq: integer("note_seq")
      .notNull()
      .references(() => notes.seq, { onDelete: "cascade" }),
    recipient: text("recipient").notNull(),
    field: text("field", { enum: ["to", "cc", "bto", "bcc"] }).notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.noteSeq, t.recipient] }),
    index("note_recipients_recipient_idx").on(t.recipient),
  ],
);
export type NoteRecipientRow = typeof noteRecipients.$inferSelect;

/** Hashtags (name without `#`, lower-cased), mentions (name `user@host`) and emoji. */
export const noteTags = sqliteTable(
  "note_tags",
  {
    noteSeq: integer("note_seq")
      .notNull()
      .references(() => notes.seq, { onDelete: "cascade" }),
    type: text("type", { enum: ["Hashtag", "Mention", "Emoji"] }).notNull(),
    name: text("name").notNull(),
    href: text("href"),
  },
  (t) => [
    primaryKey({ columns: [t.noteSeq, t.type, t.name] }),
    index("note_tags_name_type_idx").on(t.name, t.type),
    // Whether an actor is mentioned (the cron keeps mentioned actors); with the note, whether
    // a note mentions someone (the home timeline's direct notes).
    index("note_tags_href_idx").on(t.href, t.noteSeq),
  ],
);
export type NoteTagRow = typeof noteTags.$inferSelect;

/**
 * Follow edges in both directions: `follower` follows `actor`. The owner's followers have
 * `actor` = the owner; whom the owner follows has `follower` = the owner.
 */
export const follows = sqliteTable(
  "follows",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    actor: text("actor").notNull(),
    follower: text("follower").notNull(),
    state: text("state", { enum: ["pending", "accepted"] }).notNull(),
    /** The id of the `Follow` activity, which `Accept`, `Reject` and `Undo` refer to. */
    activityId: text("activity_id"),
    createdAt: timestamp("created_at").notNull(),
    acceptedAt: timestamp("accepted_at"),
  },
  (t) => [
    uniqueIndex("follows_edge_unique").on(t.actor, t.follower),
    index("follows_actor_idx").on(t.actor),
    index("follows_follower_idx").on(t.follower),
  ],
);
export type FollowRow = typeof follows.$inferSelect;
export type FollowState = FollowRow["state"];

/**
 * Activities received (the inbox): one row per activity id, so a repeated delivery is
 * recognised and changes nothing. `actor` is the local actor whose inbox it is.
 */
export const inbox = sqliteTable(
  "inbox",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull(),
    actor: text("actor").notNull(),
    sender: text("sender").notNull(),
    type: text("type").notNull(),
    objectId: text("object_id"),
    payload: text("payload").notNull(),
    createdAt: timestamp("created_at").notNull(),
    /** Set once the activity's effects are complete (some wait for the queue). */
    processedAt: timestamp("processed_at"),
    /**
     * Queue messages the activity still has to send (JSON), cleared once sent: if sending
     * fails after the activity was stored, a repeat delivery or the housekeeping (cron) sends them.
     */
    followUps: text("follow_ups", { mode: "json" }).$type<QueueMessage[]>(),
  },
  (t) => [
    uniqueIndex("inbox_id_unique").on(t.id),
    index("inbox_actor_created_idx").on(t.actor, sql`${t.createdAt} desc`, sql`${t.seq} desc`),
    index("inbox_follow_ups_idx").on(t.createdAt).where(sql`${t.followUps} is not null`),
  ],
);
export type InboxRow = typeof inbox.$inferSelect;

/**
 * Activities this instance published, exactly as published, so that a fetch by id and every
 * retry of a delivery carry the same document.
 */
export const outbox = sqliteTable(
  "outbox",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    id: text("id").notNull(),
    actor: text("actor").notNull(),
    type: text("type").notNull(),
    objectId: text("object_id"),
    visibility: text("visibility", { enum: VISIBILITIES }).notNull(),
    /** The activity as JSON, without `@context` (added when served). */
    payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
    published: timestamp("published").notNull(),
    /**
     * When its fan-out message was queued. Null until then: if queueing fails after the
     * activity is stored, the housekeeping (cron) queues it.
     */
    fannedOutAt: timestamp("fanned_out_at"),
  },
  (t) => [
    uniqueIndex("outbox_id_unique").on(t.id),
    index("outbox_unsent_idx").on(t.published).where(sql`${t.fannedOutAt} is null`),
    // Pages go by `seq` (publication order); the rowid in every index entry orders them.
    index("outbox_actor_idx").on(t.actor),
    // The activities about a note, when it is deleted (the kept outbox count).
    index("outbox_object_idx").on(t.objectId),
  ],
);
export type OutboxRow = typeof outbox.$inferSelect;

/** Likes and announces (boosts), once per (actor, type, object), whoever made them. */
export const reactions = sqliteTable(
  "reactions",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    /** The id of the Like or Announce activity, which an `Undo` may name alone. */
    id: text("id").notNull(),
    type: text("type", { enum: ["Like", "Announce"] }).notNull(),
    actor: text("actor").notNull(),
    object: text("object").notNull(),
    createdAt: timestamp("created_at").notNull(),
  },
  (t) => [
    uniqueIndex("reactions_id_unique").on(t.id),
    uniqueIndex("reactions_once_unique").on(t.object, t.type, t.actor),
    // An actor's reactions, when it is deleted.
    index("reactions_actor_idx").on(t.actor),
    // Mastodon ids (see ids.ts): a boost is a status, its id odd where a note's is even.
    index("reactions_api_id_idx").on(sql`(${t.createdAt} << 16) | ((${t.seq} & 32767) << 1) | 1`),
    // The boosts alone in id order, with their boosters: the home timeline's boosts are
    // walked from the cursor and each booster looked up without reading the row.
    index("reactions_boosts_idx")
      .on(sql`(${t.createdAt} << 16) | ((${t.seq} & 32767) << 1) | 1`, t.actor)
      .where(sql`${t.type} = 'Announce'`),
  ],
);
export type ReactionRow = typeof reactions.$inferSelect;

export const NOTIFICATION_TYPES = [
  "follow",
  "follow_request",
  "mention",
  "favourite",
  "reblog",
] as const;
export type NotificationType = (typeof NOTIFICATION_TYPES)[number];

/**
 * What happened to the owner, as Mastodon's client API lists it (its id from `created_at`
 * and `seq`, `ids.ts`). Once per (account, type, target): a repeated activity adds nothing. `group_key` is
 * Mastodon's (`favourite-<note seq>-<hour bucket>`, ...) for the types it groups, null for the
 * others (each its own group, `ungrouped-<id>`).
 */
export const notifications = sqliteTable(
  "notifications",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    type: text("type", { enum: NOTIFICATION_TYPES }).notNull(),
    /** The remote actor who did it. */
    account: text("account").notNull(),
    /** The note it is about (the owner's, or the one that mentions them); '' for a follow. */
    target: text("target").notNull().default(""),
    groupKey: text("group_key"),
    createdAt: timestamp("created_at").notNull(),
    /**
     * On a group's newest notification (its head), what a page shows of the group: how many
     * it holds, and its newest (at most 8, newest first: Mastodon id as text, account). Null on
     * the others and on ungrouped ones. Kept by SQLite triggers (migration
     * `*_notification_group_triggers`), whatever code writes the rows.
     */
    groupSize: integer("group_size"),
    groupNewest: text("group_newest", { mode: "json" }).$type<[string, string][]>(),
  },
  (t) => [
    // Also finds an account's notifications (an Undo, a deleted actor).
    uniqueIndex("notifications_once_unique").on(t.account, t.type, t.target),
    // The group a new one joins: the latest of its type about its note.
    index("notifications_type_target_idx").on(t.type, t.target),
    // A group's members in id order, with their accounts: its head, its newest members below
    // a bound (read from the index alone), its bounds.
    index("notifications_group_idx").on(
      t.groupKey,
      sql`(${t.createdAt} << 16) | (${t.seq} & 65535)`,
      t.account,
    ),
    // Mastodon ids (see ids.ts): pages in id order.
    index("notifications_api_id_idx").on(sql`(${t.createdAt} << 16) | (${t.seq} & 65535)`),
    // The newest page of groups: one row per group (its head), in id order.
    index("notifications_heads_idx")
      .on(sql`(${t.createdAt} << 16) | (${t.seq} & 65535)`)
      .where(sql`${t.groupKey} is null or ${t.groupSize} is not null`),
  ],
);
export type NotificationRow = typeof notifications.$inferSelect;

/** `Idempotency-Key` of the owner's posts: a retried request returns the first post. */
export const idempotencyKeys = sqliteTable("idempotency_keys", {
  key: text("key").primaryKey(),
  noteSeq: integer("note_seq")
    .notNull()
    .references(() => notes.seq, { onDelete: "cascade" }),
  createdAt: timestamp("created_at").notNull(),
});

/**
 * One row per delivery message a fan-out enqueued: which hosts it carries, and whether it
 * is done. With `delivery_failures`, it tells each host's state for an activity without a
 * row per follower (a host is delivered when its batch is done and it has no failure row).
 */
export const deliveryBatches = sqliteTable(
  "delivery_batches",
  {
    id: text("id").primaryKey(),
    activityId: text("activity_id").notNull(),
    hosts: text("hosts", { mode: "json" }).$type<string[]>().notNull(),
    state: text("state", { enum: ["pending", "done"] }).notNull(),
    createdAt: timestamp("created_at").notNull(),
    doneAt: timestamp("done_at"),
  },
  (t) => [
    index("delivery_batches_activity_idx").on(t.activityId),
    // The queue size (a gauge) sums what is still pending.
    index("delivery_batches_pending_idx").on(t.createdAt).where(sql`${t.state} = 'pending'`),
  ],
);
export type DeliveryBatchRow = typeof deliveryBatches.$inferSelect;

/** Hosts an activity did not reach at the first try: retrying, parked, or failed for good. */
export const deliveryFailures = sqliteTable(
  "delivery_failures",
  {
    activityId: text("activity_id").notNull(),
    host: text("host").notNull(),
    state: text("state", { enum: ["retrying", "parked", "failed"] }).notNull(),
    /** The host's inboxes still to reach (for the housekeeping, should a retry message be lost). */
    inboxes: text("inboxes", { mode: "json" }).$type<string[]>().notNull(),
    attempts: integer("attempts").notNull(),
    lastError: text("last_error"),
    nextAttemptAt: timestamp("next_attempt_at"),
    updatedAt: timestamp("updated_at").notNull(),
  },
  (t) => [
    primaryKey({ columns: [t.activityId, t.host] }),
    index("delivery_failures_due_idx").on(t.state, t.nextAttemptAt),
  ],
);
export type DeliveryFailureRow = typeof deliveryFailures.$inferSelect;

export * from "./schema-conversations";
export * from "./schema-counts";
export * from "./schema-history";
export * from "./schema-hosts";
export * from "./schema-imports";
export * from "./schema-lists";
export * from "./schema-media";
export * from "./schema-owner";
export * from "./schema-safety";
