/**
 * Finding stored accounts by what the owner types (Mastodon's `accounts/search`): the start of
 * a username, a word of a display name, or a handle's start (`user@ho`). Exact usernames come
 * first, then the accounts the owner follows. A single user's instance stores thousands of
 * actors at most, so the match reads the table rather than an index of its own.
 */
import { and, eq, exists, type SQL, sql } from "drizzle-orm";
import type { Db } from "./db";
import { type ActorRow, actors, follows } from "./schema";

export interface AccountSearch {
  /** The username part of what was typed (or all of it), without a leading `@`. */
  readonly username: string;
  /** The host part, when a handle was typed (`user@host`): its beginning matches. */
  readonly host?: string;
  /** The owner's actor id. */
  readonly owner: string;
  /** Only the accounts the owner follows. */
  readonly following: boolean;
  readonly limit: number;
  readonly offset: number;
}

/** D1 refuses a LIKE pattern longer than 50 bytes. */
const MAX_PATTERN_BYTES = 50;

/**
 * A LIKE pattern for what begins with `text` (or, after `%`, contains it), `text` matched
 * literally (a backslash escapes the wildcards) and cut to what fits D1's limit.
 */
function pattern(before: "" | "%", text: string): string {
  const encoder = new TextEncoder();
  let kept = "";
  for (const char of text) {
    const next = kept + char.replace(/[\\%_]/g, (c) => `\\${c}`);
    if (encoder.encode(`${before}${next}%`).byteLength > MAX_PATTERN_BYTES) break;
    kept = next;
  }
  return `${before}${kept}%`;
}

const like = (column: SQL | typeof actors.name, likePattern: string) =>
  sql`${column} like ${likePattern} escape '\\'`;

/** Stored accounts matching the search, best first. */
export function searchAccounts(db: Db, search: AccountSearch): Promise<ActorRow[]> {
  const { username, host, owner } = search;
  const matches: SQL | undefined =
    host === undefined
      ? sql`(${like(sql`${actors.preferredUsername}`, pattern("", username))} or ${like(actors.name, pattern("%", username))})`
      : and(
          like(sql`${actors.preferredUsername}`, pattern("", username)),
          like(sql`${actors.domain}`, pattern("", host)),
        );
  const followed = exists(
    db
      .select({ one: sql`1` })
      .from(follows)
      .where(
        and(
          eq(follows.actor, actors.id),
          eq(follows.follower, owner),
          eq(follows.state, "accepted"),
        ),
      ),
  );
  return db
    .select()
    .from(actors)
    .where(and(matches, search.following ? followed : undefined))
    .orderBy(
      sql`(lower(${actors.preferredUsername}) = lower(${username})) desc`,
      sql`${followed} desc`,
      actors.preferredUsername,
      actors.seq,
    )
    .limit(search.limit)
    .offset(search.offset);
}
