/**
 * What the owner's apps show of a remote account beyond its actor row: the counts its
 * collections give (posts, followers, following), its profile fields, whether it is
 * discoverable, the notes it pinned, and when it was last refreshed. Kept in KV
 * (`ACTOR_CACHE`), one entry per account (`account:<id>`), for a month; no D1 column holds
 * them. The entry is also what rate-limits refreshing: looking at an account asks for one
 * only when the last was asked `ACCOUNT_REFRESH_SECONDS` ago or more. Two writes a refresh
 * (asked, done), counted with the actor cache's (`activitypub_kv_writes_total`).
 */
import { kvKey, readJson, writeText } from "./kv";

/** How often looking at an account refreshes it, at most. */
export const ACCOUNT_REFRESH_SECONDS = 15 * 60;
/** How long an entry is kept (and its counts shown) once written. */
export const ACCOUNT_EXTRAS_TTL_SECONDS = 30 * 24 * 3600;

export interface ProfileField {
  readonly name: string;
  /** Sanitised HTML. */
  readonly value: string;
}

export interface AccountExtras {
  readonly v: 1;
  /** When a refresh was last asked for (epoch ms). */
  readonly requestedAt: number;
  /** When one last completed (epoch ms); null until one has. */
  readonly refreshedAt: number | null;
  /** The `totalItems` of its outbox, followers and following; null when not given. */
  readonly statuses: number | null;
  readonly followers: number | null;
  readonly following: number | null;
  readonly fields: readonly ProfileField[];
  readonly discoverable: boolean | null;
  readonly indexable: boolean | null;
  /** The ids of the notes its featured collection names (its pins), stored. */
  readonly featured: readonly string[];
}

/** An entry that knows nothing yet: what a first request for a refresh writes. */
export const emptyExtras = (requestedAt: number): AccountExtras => ({
  v: 1,
  requestedAt,
  refreshedAt: null,
  statuses: null,
  followers: null,
  following: null,
  fields: [],
  discoverable: null,
  indexable: null,
  featured: [],
});

/** The entry of an account; undefined when there is none (or it is not one we wrote). */
export async function readAccountExtras(
  kv: KVNamespace,
  id: string,
): Promise<AccountExtras | undefined> {
  try {
    const entry = await readJson<AccountExtras>(kv, await kvKey("account", id));
    return entry?.v === 1 && typeof entry.requestedAt === "number" ? entry : undefined;
  } catch {
    // A failing KV read leaves the account as D1 has it.
    return undefined;
  }
}

/** Whether looking at the account now should ask for a refresh. */
export function refreshDue(entry: AccountExtras | undefined, now: Date): boolean {
  return entry === undefined || now.getTime() - entry.requestedAt >= ACCOUNT_REFRESH_SECONDS * 1000;
}

/**
 * Writes an entry, counted. A failed write is logged and counted, never thrown: at worst the
 * account is refreshed again sooner, or shows what D1 knows.
 */
export async function writeAccountExtras(
  kv: KVNamespace,
  id: string,
  entry: AccountExtras,
): Promise<void> {
  await writeText(kv, await kvKey("account", id), {
    text: JSON.stringify(entry),
    expirationTtl: ACCOUNT_EXTRAS_TTL_SECONDS,
    what: "account extras",
  });
}
