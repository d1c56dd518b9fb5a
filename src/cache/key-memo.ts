/**
 * A short memory of key fetches, so that a request naming a key cannot make us fetch it
 * again and again: a key document fetched but not yet proven by a signature answers for its
 * key for a minute, and a fetch that failed is believed for a while (five minutes when the
 * server answered with something that is no key, one when it did not answer usefully).
 * Failures are remembered per document (the key id without its fragment: `#k1`, `#k2`... of
 * one URL are one fetch), never per host: any URL on a host can be made slow by whoever
 * names it (an open proxy, a search page), and must not lock out the host's real actors.
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
/** How long a fetched, unverified key document answers for its key (see `REFETCH_AFTER_MS`). */
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

async function recall(url: string, now: number): Promise<Remembered | undefined> {
  let entry = isolate.get(url);
  if (entry === undefined) {
    try {
      const cached = await (await caches.open(CACHE_NAME)).match(url);
      const json: unknown = await cached?.json();
      entry = isEntry(json) ? json : undefined;
    } catch {
      entry = undefined;
    }
  }
  if (entry === undefined || entry.until <= now) return undefined;
  const { value } = entry;
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

/** What is remembered for a key id: its document fetched, or its fetch failed. */
export async function recallKey(keyId: string, at: Date): Promise<Remembered | undefined> {
  const now = at.getTime();
  return (
    (await recall(await entryUrl("key", keyId), now)) ??
    (await recall(await entryUrl("document", documentOf(keyId)), now))
  );
}

/**
 * Remembers that fetching a key failed; `outage` when its server did not answer usefully
 * (a timeout, a refused connection, an error status), which is believed for less long.
 */
export async function rememberFailure(
  keyId: string,
  failure: { readonly reason: KeyFailure; readonly outage: boolean },
  at: Date,
): Promise<void> {
  const now = at.getTime();
  const ttl = failure.outage ? KEY_OUTAGE_TTL_MS : KEY_FAILURE_TTL_MS;
  await remember(
    await entryUrl("document", documentOf(keyId)),
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
