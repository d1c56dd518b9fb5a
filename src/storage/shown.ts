/**
 * `authorShown` (`safety.ts`) for a page whose query has joined the author's stored actor
 * already (a status's author, a notification's account): the same three tests, not blocked,
 * not muted (in notifications only by a mute that covers them), not on a blocked domain, but
 * the domain read from the joined row instead of looking the actor up again. The lookups that
 * find nothing read no row; the actor found would be read twice, a row per row of the page,
 * which the home timeline and the notifications cannot afford within their 200 rows.
 */
import { type Placeholder, type SQL, sql } from "drizzle-orm";
import type { SQLiteColumn } from "drizzle-orm/sqlite-core";
import { muteInForce, type ShownIn } from "./safety";
import { blocks, domainBlocks, mutes } from "./schema";

/** An author's id, and the `domain` of its stored actor as the query joined it (null: none). */
export interface JoinedAuthor {
  readonly id: SQLiteColumn | SQL;
  readonly domain: SQLiteColumn;
}

/** `authorShown(author.id, filter)`, its domain test on the joined actor's `domain`. */
export function joinedAuthorShown(
  author: JoinedAuthor,
  filter: { readonly now: Date | Placeholder; readonly in: ShownIn },
): SQL {
  const muted = filter.in === "notifications" ? sql`${mutes.notifications} = 1 and ` : sql``;
  return sql`(not exists (select 1 from ${blocks} where ${blocks.actor} = ${author.id})
    and not exists (select 1 from ${mutes} where ${mutes.actor} = ${author.id} and ${muted}${muteInForce(filter.now)})
    and not exists (select 1 from ${domainBlocks} where ${domainBlocks.domain} = ${author.domain}))`;
}
