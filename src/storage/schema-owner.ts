/**
 * The tables about the owner rather than the fediverse: the apps they let in (OAuth), their
 * browser sessions, their profile and reading markers. Re-exported by `schema.ts`, which
 * drizzle-kit reads.
 */
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import { VISIBILITIES } from "./visibility";

const timestamp = (name: string) => integer(name, { mode: "timestamp_ms" });

/**
 * Client applications registered through `POST /api/v1/apps`. The secret is kept only as
 * its SHA-256 (it is 256 random bits, so a fast hash is enough).
 */
export const oauthApps = sqliteTable("oauth_apps", {
  seq: integer("seq").primaryKey({ autoIncrement: true }),
  clientId: text("client_id").notNull().unique(),
  clientSecretHash: text("client_secret_hash").notNull(),
  name: text("name").notNull(),
  website: text("website"),
  /** Exactly as registered; an authorization must name one of them byte for byte. */
  redirectUris: text("redirect_uris", { mode: "json" }).$type<string[]>().notNull(),
  /** Space-separated, as registered: the most an authorization may ask for. */
  scopes: text("scopes").notNull(),
  createdAt: timestamp("created_at").notNull(),
  /**
   * When the owner first let it in. An app never let in is a sign-in abandoned half-way, and
   * the cron forgets it after a day; one let in stays, its tokens revoked or not, so that an
   * app that keeps its registration can sign in again.
   */
  authorizedAt: timestamp("authorized_at"),
});
export type OAuthAppRow = typeof oauthApps.$inferSelect;

/**
 * Authorization codes, by SHA-256: ten minutes to live, exchanged once. A used code keeps
 * its row (with the token it gave) until it expires, so that a replay revokes that token
 * (RFC 6749 §4.1.2).
 */
export const oauthCodes = sqliteTable(
  "oauth_codes",
  {
    codeHash: text("code_hash").primaryKey(),
    appSeq: integer("app_seq")
      .notNull()
      .references(() => oauthApps.seq, { onDelete: "cascade" }),
    redirectUri: text("redirect_uri").notNull(),
    scopes: text("scopes").notNull(),
    /** PKCE (RFC 7636), S256 only; null when the client sent none. */
    codeChallenge: text("code_challenge"),
    createdAt: timestamp("created_at").notNull(),
    /** The token it was exchanged for; null while unused. */
    tokenSeq: integer("token_seq"),
  },
  (t) => [
    index("oauth_codes_app_idx").on(t.appSeq),
    index("oauth_codes_created_idx").on(t.createdAt),
  ],
);
export type OAuthCodeRow = typeof oauthCodes.$inferSelect;

/**
 * Access tokens, by SHA-256. They never expire; revoking one deletes it, and removing an
 * app removes its tokens. `user` tokens act as the owner; `app` tokens (client credentials)
 * only as the app.
 */
export const oauthTokens = sqliteTable(
  "oauth_tokens",
  {
    seq: integer("seq").primaryKey({ autoIncrement: true }),
    tokenHash: text("token_hash").notNull().unique(),
    appSeq: integer("app_seq")
      .notNull()
      .references(() => oauthApps.seq, { onDelete: "cascade" }),
    kind: text("kind", { enum: ["user", "app"] }).notNull(),
    scopes: text("scopes").notNull(),
    createdAt: timestamp("created_at").notNull(),
    /** Kept to the hour, so that using a token does not write on every request. */
    lastUsedAt: timestamp("last_used_at"),
  },
  (t) => [index("oauth_tokens_app_idx").on(t.appSeq)],
);
export type OAuthTokenRow = typeof oauthTokens.$inferSelect;

/** The owner's signed-in browser sessions (the consent page, the dashboard), by SHA-256. */
export const sessions = sqliteTable(
  "sessions",
  {
    tokenHash: text("token_hash").primaryKey(),
    createdAt: timestamp("created_at").notNull(),
    expiresAt: timestamp("expires_at").notNull(),
  },
  (t) => [index("sessions_expires_idx").on(t.expiresAt)],
);
export type SessionRow = typeof sessions.$inferSelect;

/**
 * One of the profile's fields. A value that is an http(s) URL is checked for a link back to
 * the owner (`rel="me"`, `federation/profile-links.ts`): `checkedAt` is when it last was,
 * `verifiedAt` when the page last linked back (ISO times); both are dropped when the value
 * changes, as Mastodon drops its `verified_at`.
 */
export interface OwnerField {
  name: string;
  value: string;
  verifiedAt?: string;
  checkedAt?: string;
}

/**
 * The owner's profile as they last set it through the API: one row, absent until the first
 * change (the `OWNER_*` vars are the defaults until then). `note` is the plain text they
 * wrote; the HTML is made from it.
 */
export const profile = sqliteTable("profile", {
  id: integer("id").primaryKey(),
  displayName: text("display_name").notNull(),
  note: text("note").notNull(),
  fields: text("fields", { mode: "json" }).$type<OwnerField[]>().notNull(),
  locked: integer("locked", { mode: "boolean" }).notNull(),
  bot: integer("bot", { mode: "boolean" }).notNull(),
  discoverable: integer("discoverable", { mode: "boolean" }).notNull(),
  indexable: integer("indexable", { mode: "boolean" }).notNull(),
  /** Posting defaults (`source` in Mastodon's API, `/api/v1/preferences`). */
  privacy: text("privacy", { enum: VISIBILITIES }).notNull(),
  sensitive: integer("sensitive", { mode: "boolean" }).notNull(),
  language: text("language"),
  /**
   * The uploaded avatar and header: their keys in the media bucket (`media.key`, which ends
   * in the file's extension); null for none, when the configured URL (if any) is shown.
   */
  avatarKey: text("avatar_key"),
  headerKey: text("header_key"),
  updatedAt: timestamp("updated_at").notNull(),
});
export type ProfileRow = typeof profile.$inferSelect;

export const MARKER_TIMELINES = ["home", "notifications"] as const;

/** Where the owner stopped reading (`/api/v1/markers`), shared by all their apps. */
export const markers = sqliteTable("markers", {
  timeline: text("timeline", { enum: MARKER_TIMELINES }).primaryKey(),
  lastReadId: text("last_read_id").notNull(),
  version: integer("version").notNull(),
  updatedAt: timestamp("updated_at").notNull(),
});
export type MarkerRow = typeof markers.$inferSelect;
