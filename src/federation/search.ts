/**
 * Search, as Mastodon's `/api/v2/search` does it, over what this instance stores: accounts by
 * handle and name, the owner's and received notes by their words, hashtags by prefix. With
 * `resolve`, a URL is fetched (`resolve-url.ts`) and an unknown `user@host` found through
 * WebFinger (`resolve.ts`), and what they name is stored.
 *
 * Statuses come most recently stored first. Mastodon orders them by id (time, newest first);
 * for the owner's posts the two orders are one, and received notes are stored as they arrive.
 * Ordering by id, or by relevance (bm25), would read and sort every matching note before
 * answering; in the index's own order the query stops after `offset + limit` of them.
 */

import { hashtagOf } from "../activitypub/hashtags";
import type { AppContext } from "../context";
import { isRemoteAccountId, ownerAccountId } from "../mastodon/ids";
import { searchAccounts } from "../storage/account-search";
import { actorByApiId, findActorByHandle } from "../storage/actors";
import { findFollow } from "../storage/follows";
import { ensureLocalActor } from "../storage/local-actors";
import { readProfile } from "../storage/owner-profile";
import type { ActorRow, NoteRow } from "../storage/schema";
import { ftsQuery, hashtagsByPrefix, searchNotes } from "../storage/search";
import { parseHandle, resolveHandle } from "./resolve";
import { resolveUrl } from "./resolve-url";

export const SEARCH_TYPES = ["accounts", "statuses", "hashtags"] as const;
export type SearchType = (typeof SEARCH_TYPES)[number];

export interface SearchInput {
  readonly q: string;
  /** One kind of result; all three when undefined. */
  readonly type?: SearchType;
  /** Fetch what a URL names, find an unknown `user@host` through WebFinger. */
  readonly resolve: boolean;
  /** Accounts: only those the owner follows. */
  readonly following: boolean;
  /** Statuses: only this account's (a Mastodon account id). */
  readonly accountId?: bigint;
  /** Statuses: only ids below `maxId`, above `minId`. */
  readonly maxId?: bigint;
  readonly minId?: bigint;
  readonly limit: number;
  /** Skipped results of each kind; as in Mastodon, only when `type` is given. */
  readonly offset: number;
}

export interface Found {
  /** Whether the owner's own account comes first among the accounts. */
  readonly owner: boolean;
  readonly actors: readonly ActorRow[];
  readonly notes: readonly NoteRow[];
  readonly hashtags: readonly string[];
}

export type SearchResult =
  | { readonly ok: true; readonly found: Found }
  | { readonly ok: false; readonly reason: "unknownAccount" };

const NOTHING: Found = { owner: false, actors: [], notes: [], hashtags: [] };

/** Accounts found: whether the owner comes first, and the stored remote accounts. */
export type Accounts = Pick<Found, "owner" | "actors">;
const NO_ACCOUNTS: Accounts = { owner: false, actors: [] };

/** How accounts are searched (`/api/v2/search` and `/api/v1/accounts/search` alike). */
export type AccountQuery = Pick<SearchInput, "resolve" | "following" | "limit" | "offset">;

/** The author a Mastodon account id names: the owner, a stored actor, or none. */
async function authorOf(ctx: AppContext, id: bigint): Promise<string | undefined> {
  if (isRemoteAccountId(id)) return (await actorByApiId(ctx.db, id))?.id;
  const owner = await ensureLocalActor(ctx.db, { role: "owner", now: ctx.now() });
  return ownerAccountId(owner.createdAt) === id.toString() ? ctx.config.urls.owner.id : undefined;
}

/** Whether the owner's username or display name (or a word of it) starts with `text`. */
async function ownerMatches(ctx: AppContext, text: string): Promise<boolean> {
  const needle = text.toLowerCase();
  const { displayName } = await readProfile(ctx.db, ctx.config.owner);
  return [ctx.config.owner.username, ...displayName.split(/\s+/)].some((word) =>
    word.toLowerCase().startsWith(needle),
  );
}

/** Whether a host typed in a handle is this instance's (`config.host` is lower-cased). */
const isLocalHost = (ctx: AppContext, host: string) => host.toLowerCase() === ctx.config.host;

/**
 * An account known by its whole handle, or found through WebFinger when asked to. A handle on
 * this instance is the owner's, or is left to the search by name (never looked up by
 * WebFinger: that would be a request to ourselves).
 */
async function byHandle(
  ctx: AppContext,
  q: string,
  input: AccountQuery,
): Promise<Accounts | undefined> {
  const handle = parseHandle(q);
  if (handle === undefined) return undefined;
  const { config } = ctx;
  if (isLocalHost(ctx, handle.host)) {
    if (handle.username.toLowerCase() !== config.owner.username.toLowerCase()) return undefined;
    return input.following || input.offset > 0 ? NO_ACCOUNTS : { owner: true, actors: [] };
  }
  let actor = await findActorByHandle(ctx.db, handle);
  if (actor === undefined && input.resolve) {
    const resolved = await resolveHandle(ctx, handle);
    actor = resolved.ok ? resolved.actor : undefined;
  }
  if (actor === undefined) return undefined;
  if (input.following) {
    const follow = await findFollow(ctx.db, { actor: actor.id, follower: config.urls.owner.id });
    if (follow?.state !== "accepted") return NO_ACCOUNTS;
  }
  return input.offset > 0 ? NO_ACCOUNTS : { owner: false, actors: [actor] };
}

/**
 * Accounts by what the owner typed: a whole handle (looked up by WebFinger with `resolve`),
 * else the owner (first, on the first page, unless only followed accounts are asked for) and
 * the stored accounts whose username, a word of whose name, or whose handle starts with it.
 * `limit` and `offset` count the owner among the results.
 */
export async function findAccounts(
  ctx: AppContext,
  q: string,
  input: AccountQuery,
): Promise<Accounts> {
  const exact = await byHandle(ctx, q, input);
  if (exact !== undefined) return exact;
  const [text = "", domain] = q.replace(/^@/, "").split("@", 2);
  if (text === "" || input.limit < 1) return NO_ACCOUNTS;
  const local = domain !== undefined && isLocalHost(ctx, domain);
  const first =
    !input.following && (domain === undefined || local) && (await ownerMatches(ctx, text)) ? 1 : 0;
  const showsOwner = first === 1 && input.offset === 0;
  // No remote account is on this instance's host.
  const actors = local
    ? []
    : await searchAccounts(ctx.db, {
        username: text,
        host: domain === "" ? undefined : domain,
        following: input.following,
        owner: ctx.config.urls.owner.id,
        limit: showsOwner ? input.limit - 1 : input.limit,
        offset: Math.max(input.offset - first, 0),
      });
  return { owner: showsOwner, actors };
}

async function findNotes(
  ctx: AppContext,
  q: string,
  input: SearchInput & { author?: string },
): Promise<NoteRow[]> {
  const match = ftsQuery(q);
  if (match === undefined) return [];
  return searchNotes(ctx.db, {
    match,
    author: input.author,
    maxId: input.maxId,
    minId: input.minId,
    limit: input.limit,
    offset: input.offset,
    owner: ctx.config.urls.owner.id,
    now: ctx.now(),
  });
}

function findHashtags(ctx: AppContext, q: string, input: SearchInput): Promise<string[]> | [] {
  // As typed, `#` or not, normalised as the names are stored.
  const prefix = hashtagOf(q);
  if (prefix === undefined) return [];
  return hashtagsByPrefix(ctx.db, {
    prefix,
    limit: input.limit,
    offset: input.offset,
  });
}

/** What a URL names, when it is of the kind asked for. */
async function byUrl(ctx: AppContext, url: string, input: SearchInput): Promise<Found> {
  if (input.offset > 0) return NOTHING;
  const found = await resolveUrl(ctx, url, input.resolve);
  const wants = (type: SearchType) => input.type === undefined || input.type === type;
  if (found === undefined) return NOTHING;
  if (found.kind === "note")
    return wants("statuses") ? { ...NOTHING, notes: [found.note] } : NOTHING;
  if (!wants("accounts")) return NOTHING;
  return found.kind === "owner"
    ? { ...NOTHING, owner: true }
    : { ...NOTHING, actors: [found.actor] };
}

export async function search(ctx: AppContext, request: SearchInput): Promise<SearchResult> {
  const q = request.q.trim();
  // Mastodon pages only a search of one kind.
  const input = { ...request, offset: request.type === undefined ? 0 : request.offset };
  if (q === "") return { ok: true, found: NOTHING };
  if (input.resolve && /^https?:\/\//i.test(q)) {
    return { ok: true, found: await byUrl(ctx, q, input) };
  }
  const wants = (type: SearchType) => input.type === undefined || input.type === type;
  let author: string | undefined;
  if (wants("statuses") && input.accountId !== undefined) {
    author = await authorOf(ctx, input.accountId);
    if (author === undefined) return { ok: false, reason: "unknownAccount" };
  }
  const [accounts, notes, hashtags] = await Promise.all([
    wants("accounts") && !q.startsWith("#") ? findAccounts(ctx, q, input) : NO_ACCOUNTS,
    wants("statuses") ? findNotes(ctx, q, { ...input, author }) : [],
    wants("hashtags") ? findHashtags(ctx, q, input) : [],
  ]);
  return { ok: true, found: { ...accounts, notes, hashtags } };
}
