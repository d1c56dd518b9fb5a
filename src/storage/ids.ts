/**
 * Mastodon ids in SQL: the same numbers as `mastodon/ids.ts` computes in JavaScript, as
 * expressions on each table's columns. Each expression is indexed exactly as written here
 * (schema.ts), so finding a row by id and walking a timeline in id order read an index.
 * SQLite's integers are 64-bit, so the arithmetic is exact; results are read as text or
 * compared with a bound parameter cast to an integer, never returned as a JavaScript number.
 */
import { type SQL, sql } from "drizzle-orm";
import { actors, media, notes, notifications, oauthApps, reactions } from "./schema";

export const noteIdSql = (): SQL =>
  sql`((${notes.published} << 16) | ((${notes.seq} & 32767) << 1))`;
export const boostIdSql = (): SQL =>
  sql`((${reactions.createdAt} << 16) | ((${reactions.seq} & 32767) << 1) | 1)`;
export const accountIdSql = (): SQL =>
  sql`((${actors.createdAt} << 16) | ((${actors.seq} & 32767) << 1) | 1)`;
export const appIdSql = (): SQL =>
  sql`((${oauthApps.createdAt} << 16) | (${oauthApps.seq} & 65535))`;
export const mediaIdSql = (): SQL => sql`((${media.createdAt} << 16) | (${media.seq} & 65535))`;
export const notificationIdSql = (): SQL =>
  sql`((${notifications.createdAt} << 16) | (${notifications.seq} & 65535))`;

/**
 * A bound id: bound as text (D1 would round a number past 2^53), made the 64-bit integer it
 * is. The `+ 0` takes away the cast's INTEGER affinity: an indexed expression has none, and
 * SQLite uses an expression index for a comparison only when no affinity is to be applied
 * (with the bare cast it scans the table instead).
 */
export const idParam = (id: bigint): SQL => sql`(cast(${id.toString()} as integer) + 0)`;

/** An id expression read back as text: exact, where a JavaScript number would not be. */
export const idText = (id: SQL): SQL<string> => sql<string>`cast(${id} as text)`;

/** The row whose id (an expression above) is `id`: an equality its expression index answers. */
export const idIs = (expr: SQL, id: bigint): SQL => sql`${expr} = ${idParam(id)}`;
