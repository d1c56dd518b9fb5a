/**
 * Accounts read inside another row: what the client API shows of a remote actor, as one JSON
 * value of the row that names it (a status's author, the accounts it mentions, a
 * notification's account), so that a page reads each account once, in the query of the page,
 * instead of looking them up by id afterwards.
 */
import { type SQL, sql } from "drizzle-orm";
import type { AnySQLiteColumn } from "drizzle-orm/sqlite-core";
import type { Db } from "./db";
import { frozenBy } from "./frozen";
import { type ActorRow, actors } from "./schema";
import { readWanted, wanted, wantedKey } from "./wanted";

/** What a Mastodon Account is made from (`serializeActor`): no keys, no inboxes. */
const ACCOUNT_FIELDS = [
  "seq",
  "id",
  "type",
  "preferredUsername",
  "domain",
  "name",
  "summary",
  "url",
  "iconUrl",
  "imageUrl",
  "manuallyApprovesFollowers",
  "published",
  "fetchedAt",
  "createdAt",
] as const satisfies readonly (keyof ActorRow)[];

export type AccountRow = Pick<ActorRow, (typeof ACCOUNT_FIELDS)[number]>;

/** The columns of `actors`, or of an alias of it, that an account is read from. */
export type AccountColumns = { readonly [K in keyof AccountRow]: AnySQLiteColumn };

/** An account as SQLite's JSON holds it: times in milliseconds, the flag 0 or 1. */
export interface AccountJson extends Omit<AccountRow, "manuallyApprovesFollowers" | Times> {
  readonly manuallyApprovesFollowers: number;
  readonly published: number | null;
  readonly fetchedAt: number;
  readonly createdAt: number;
}
type Times = "published" | "fetchedAt" | "createdAt";

/**
 * The account of `actors` (or an alias of it) as a JSON object, or null when the row is
 * missing (a left join that found none: the owner, or an actor not stored). Rendered once a
 * table (`frozen`): it is most of a status row's columns.
 */
export const accountJson: (a: AccountColumns) => SQL<string | null> = frozenBy((a) => {
  // The keys are ours, written into the statement: bound, they would take up parameters.
  const fields = ACCOUNT_FIELDS.map((key) => sql`${sql.raw(`'${key}'`)}, ${a[key]}`);
  return sql<string | null>`iif(${a.seq} is null, null, json_object(${sql.join(fields, sql`, `)}))`;
});

/** An account from what `accountJson` made (a JSON text, or already parsed inside another). */
export function readAccount(json: string | AccountJson): AccountRow {
  const a: AccountJson = typeof json === "string" ? JSON.parse(json) : json;
  return {
    seq: a.seq,
    id: a.id,
    type: a.type,
    preferredUsername: a.preferredUsername,
    domain: a.domain,
    name: a.name,
    summary: a.summary,
    url: a.url,
    iconUrl: a.iconUrl,
    imageUrl: a.imageUrl,
    manuallyApprovesFollowers: a.manuallyApprovesFollowers === 1,
    published: a.published === null ? null : new Date(a.published),
    fetchedAt: new Date(a.fetchedAt),
    createdAt: new Date(a.createdAt),
  };
}

/**
 * Accounts by actor id, in one round trip: joined to the ids as `VALUES` (`wanted.ts`), by
 * the unique index, one row each. Ids of no stored actor are left out.
 */
export async function accountsById(
  db: Db,
  ids: readonly string[],
): Promise<Map<string, AccountRow>> {
  const rows = await readWanted(db, ids, (slice) =>
    db
      .select({
        seq: actors.seq,
        id: actors.id,
        type: actors.type,
        preferredUsername: actors.preferredUsername,
        domain: actors.domain,
        name: actors.name,
        summary: actors.summary,
        url: actors.url,
        iconUrl: actors.iconUrl,
        imageUrl: actors.imageUrl,
        manuallyApprovesFollowers: actors.manuallyApprovesFollowers,
        published: actors.published,
        fetchedAt: actors.fetchedAt,
        createdAt: actors.createdAt,
      } satisfies AccountColumns)
      .from(actors)
      .innerJoin(wanted(slice), sql`${actors.id} = ${wantedKey}`),
  );
  return new Map(rows.map((a) => [a.id, a]));
}
