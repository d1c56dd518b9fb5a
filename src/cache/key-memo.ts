/**
 * A short memory of key fetches, so that a request naming a key cannot make us fetch it
 * again and again. Of a key: its document fetched but not yet proven by a signature (for a
 * minute), or its owner's checks failed. Of a key's document (the key id without its
 * fragment: `#k1`, `#k2`... of one URL are one fetch): the key ids it lists, or that it could
 * not be fetched (five minutes when the server answered with no document, one after a
 * timeout, a refused connection or an error status). A document that answered only says
 * which keys it lists, so naming a key it lacks condemns that key, not the document's real
 * one; and nothing is remembered per host: anyone can name a slow URL on a busy server.
 * Nothing here is stored in D1 or KV: what has not been verified costs no durable write.
 *
 * Two layers, neither durable: a bounded map in the isolate (which always works) and the
 * data centre's Cache API (shared by the isolates of a data centre; on `*.workers.dev` it
 * keeps nothing, so a deployment there has the isolate's memory only).
 */
import type { ParsedActor } from "../activitypub/remote-actor";
import { sha256Hex } from "../lib/hash";

/** How long a failed key fetch is believed when the server answered with no usable key. */
export const KEY_FAILURE_TTL_MS = 5 * 60_000;
/** How long a timeout, a refused connection or an error status is believed. */
export const KEY_OUTAGE_TTL_MS = 60_000;
/** How long a fetched, unverified key document answers for its keys (see `REFETCH_AFTER_MS`). */
export const FETCHED_KEY_TTL_MS = 60_000;
/** Entries the isolate keeps; the oldest goes first. */
const MAX_ENTRIES = 512;
/**
 * The largest fetched document kept (as JSON): a real actor's fields are a few kilobytes;
 * a larger one is fetched again rather than held in the isolate's memory.
 */
const MAX_FETCHED_BYTES = 16 * 1024;

export type KeyFailure = "gone" | "failed";

/** What is remembered of a key. */
export type Remembered =
  | { readonly kind: "failed"; readonly reason: KeyFailure }
  | { readonly kind: "fetched"; readonly actor: ParsedActor; readonly fetchedAt: Date };

/** As kept: JSON, so dates travel as numbers; `v` tells this shape from any other. */
type Kept =
  | { readonly kind: "failed"; readonly reason: KeyFailure }
  /** A document: the key ids it lists (at most `MAX_LISTED`). */
  | { readonly kind: "listed"; readonly keys: readonly string[] }
  | {
      readonly kind: "fetched";
      readonly actor: Omit<ParsedActor, "published"> & { readonly published: number | null };
      readonly fetchedAt: number;
    };

interface Entry {
  readonly v: 1;
  readonly until: number;
  readonly value: Kept;
}

const isolate = new Map<string, Entry>();
const CACHE_NAME = "outpost:key-fetches";

/** The key of an entry: a URL, since the Cache API keys requests. */
async function entryUrl(kind: "key" | "document", name: string): Promise<string> {
  return `https://key-fetches.outpost.invalid/${kind}/${await sha256Hex(name)}`;
}

/** The document a key id is fetched from. */
const documentOf = (keyId: string): string => keyId.split("#")[0] ?? keyId;

function isEntry(value: unknown): value is Entry {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Partial<Entry>).v === 1 &&
    typeof (value as Partial<Entry>).until === "number"
  );
}

/** An entry from the Cache API, when it holds one of ours. */
async function cached(url: string): Promise<Entry | undefined> {
  try {
    const response = await (await caches.open(CACHE_NAME)).match(url);
    const json: unknown = await response?.json();
    return isEntry(json) ? json : undefined;
  } catch {
    return undefined;
  }
}

async function recall(url: string, now: number): Promise<Remembered | undefined> {
  const entry = isolate.get(url) ?? (await cached(url));
  if (entry === undefined || entry.until <= now) return undefined;
  const { value } = entry;
  if (value.kind === "listed") return undefined;
  if (value.kind === "failed") return value;
  const { published } = value.actor;
  return {
    kind: "fetched",
    actor: { ...value.actor, published: published === null ? null : new Date(published) },
    fetchedAt: new Date(value.fetchedAt),
  };
}

async function remember(url: string, entry: Entry, now: number): Promise<void> {
  isolate.delete(url);
  isolate.set(url, entry);
  if (isolate.size > MAX_ENTRIES) isolate.delete(isolate.keys().next().value as string);
  const seconds = Math.max(1, Math.ceil((entry.until - now) / 1000));
  try {
    await (await caches.open(CACHE_NAME)).put(
      url,
      Response.json(entry, { headers: { "Cache-Control": `max-age=${seconds}` } }),
    );
  } catch {
    // The isolate's copy still holds: the Cache API is an optimisation here.
  }
}

/** What is remembered for a key id: of the key itself, else of its document. */
export async function recallKey(keyId: string, at: Date): Promise<Remembered | undefined> {
  const now = at.getTime();
  const ofKey = await recall(await entryUrl("key", keyId), now);
  if (ofKey !== undefined) return ofKey;
  const url = await entryUrl("document", documentOf(keyId));
  const listed = await listedIn(url, now);
  // A document that answered without this key: no need to ask it again.
  if (listed !== undefined && !listed.includes(keyId)) return { kind: "failed", reason: "failed" };
  return listed === undefined ? recall(url, now) : undefined;
}

/** The key ids a document was seen to list, while that is remembered. */
async function listedIn(url: string, now: number): Promise<readonly string[] | undefined> {
  const entry = isolate.get(url) ?? (await cached(url));
  return entry?.value.kind === "listed" && entry.until > now ? entry.value.keys : undefined;
}

/** The most key ids remembered of one document; real actors list one or two. */
const MAX_LISTED = 16;

/** Remembers the key ids a key's document lists, as fetched at `at`. */
export async function rememberListed(
  keyId: string,
  keys: readonly string[],
  at: Date,
): Promise<void> {
  const now = at.getTime();
  const value: Kept = { kind: "listed", keys: keys.slice(0, MAX_LISTED) };
  const url = await entryUrl("document", documentOf(keyId));
  await remember(url, { v: 1, until: now + FETCHED_KEY_TTL_MS, value }, now);
}

/**
 * Remembers that a key could not be had: of its `document` when that could not be fetched
 * (an `outage`, a timeout, a refused connection or an error status, is believed for less
 * long), else of the `key` alone (its owner's checks failed).
 */
export async function rememberFailure(
  keyId: string,
  failure: {
    readonly reason: KeyFailure;
    readonly outage: boolean;
    readonly of: "document" | "key";
  },
  at: Date,
): Promise<void> {
  const now = at.getTime();
  const ttl = failure.outage ? KEY_OUTAGE_TTL_MS : KEY_FAILURE_TTL_MS;
  const url =
    failure.of === "document"
      ? await entryUrl("document", documentOf(keyId))
      : await entryUrl("key", keyId);
  await remember(
    url,
    { v: 1, until: now + ttl, value: { kind: "failed", reason: failure.reason } },
    now,
  );
}

/** Remembers a key document fetched at `at`, until a signature proves it (or a minute passes). */
export async function rememberFetched(keyId: string, actor: ParsedActor, at: Date): Promise<void> {
  const now = at.getTime();
  const entry: Entry = {
    v: 1,
    until: now + FETCHED_KEY_TTL_MS,
    value: {
      kind: "fetched",
      actor: { ...actor, published: actor.published?.getTime() ?? null },
      fetchedAt: now,
    },
  };
  if (JSON.stringify(entry).length > MAX_FETCHED_BYTES) return;
  await remember(await entryUrl("key", keyId), entry, now);
}

/** Forgets what was remembered of a key: once a signature proved it, D1 and KV hold it. */
export async function forgetKey(keyId: string): Promise<void> {
  const url = await entryUrl("key", keyId);
  isolate.delete(url);
  try {
    await (await caches.open(CACHE_NAME)).delete(url);
  } catch {
    // Expires by itself within a minute.
  }
}
