/**
 * Finding stored accounts by what the owner types (Mastodon's `accounts/search`): the start of
 * a username, a word of a display name, or a handle's start (`user@ho`). Exact usernames come
 * first, then the accounts the owner follows. The words are found in `actors_search` (FTS5
 * over usernames, display names and domains, kept by triggers): a search reads the accounts
 * it matches, not the table; a display name matches by the start of any of its words, as
 * Mastodon's does.
 */
import { and, eq, exists, sql } from "drizzle-orm";
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

/** Whether FTS5's tokenizer finds a word in `text` (letters or digits). */
const hasWord = (text: string) => /[\p{L}\p{N}]/u.test(text);

/**
 * `text` as an FTS5 prefix phrase: its words in order, the last one a prefix (`"john d"*`
 * matches `john_doe`), quotes doubled so that nothing typed is read as query syntax.
 */
const prefixPhrase = (text: string) => `"${text.replaceAll('"', '""')}"*`;

/** The full-text query for a search, or undefined when it holds no word to look for. */
function matchOf(search: Pick<AccountSearch, "username" | "host">): string | undefined {
  const { username, host } = search;
  const terms = [
    hasWord(username)
      ? `${host === undefined ? "{preferred_username name}" : "preferred_username"} : ${prefixPhrase(username)}`
      : undefined,
    host !== undefined && hasWord(host) ? `domain : ${prefixPhrase(host)}` : undefined,
  ].filter((term) => term !== undefined);
  return terms.length === 0 ? undefined : terms.join(" AND ");
}

/** Stored accounts matching the search, best first. */
export async function searchAccounts(db: Db, search: AccountSearch): Promise<ActorRow[]> {
  const { username, owner } = search;
  const match = matchOf(search);
  if (match === undefined) return [];
  const matches = sql`${actors.seq} in (select rowid from actors_search where actors_search match ${match})`;
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
  return await db
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
