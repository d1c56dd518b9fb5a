/**
 * A short memory of key fetches, so that a request naming a key cannot make us fetch it
 * again and again: a fetch that failed (the key's server timed out, refused, answered with
 * no such key) is believed for a few minutes, a server that did not answer at all for every
 * key on it, and a key document fetched but not yet proven by a signature for a minute.
 * Nothing here is stored in D1 or KV: what has not been verified costs no durable write.
 *
 * Two layers, neither durable: a bounded map in the isolate (which always works) and the
 * data centre's Cache API (shared by the isolates of a data centre; on `*.workers.dev` it
 * keeps nothing, so a deployment there has the isolate's memory only).
 */
import type { ParsedActor } from "../activitypub/remote-actor";
import { sha256Hex } from "../lib/hash";

/** How long a failed key fetch is believed before the key's server is asked again. */
export const KEY_FAILURE_TTL_MS = 5 * 60_000;
/** How long a fetched, unverified key document answers for its key (see `REFETCH_AFTER_MS`). */
export const FETCHED_KEY_TTL_MS = 60_000;
/** Entries the isolate keeps; the oldest goes first. */
const MAX_ENTRIES = 512;

export type KeyFailure = "gone" | "failed";

/** What is remembered of a key, or of its host. */
export type Remembered =
  | { readonly kind: "failed"; readonly reason: KeyFailure }
  | { readonly kind: "fetched"; readonly actor: ParsedActor; readonly fetchedAt: number };

/** As kept: JSON, so the actor's one date travels as a number. */
type Kept =
  | Extract<Remembered, { kind: "failed" }>
  | {
      readonly kind: "fetched";
      readonly actor: Omit<ParsedActor, "published"> & { readonly published: number | null };
      readonly fetchedAt: number;
    };

interface Entry {
  readonly until: number;
  readonly value: Kept;
}

const isolate = new Map<string, Entry>();
const CACHE_NAME = "outpost:key-fetches";

/** The key of an entry: a URL, since the Cache API keys requests. */
async function entryUrl(kind: "key" | "host", name: string): Promise<string> {
  return `https://key-fetches.outpost.invalid/${kind}/${await sha256Hex(name)}`;
}

async function recall(url: string, now: number): Promise<Remembered | undefined> {
  let entry = isolate.get(url);
  if (entry === undefined) {
    try {
      const cached = await (await caches.open(CACHE_NAME)).match(url);
      entry = cached === undefined ? undefined : ((await cached.json()) as Entry);
    } catch {
      entry = undefined;
    }
  }
  if (entry === undefined || entry.until <= now) return undefined;
  const { value } = entry;
  if (value.kind === "failed") return value;
  const { published } = value.actor;
  return {
    ...value,
    actor: { ...value.actor, published: published === null ? null : new Date(published) },
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

/** What is remembered for a key id: of the key itself, else of its host. */
export async function recallKey(keyId: string, at: Date): Promise<Remembered | undefined> {
  const now = at.getTime();
  const host = URL.parse(keyId)?.host;
  return (
    (await recall(await entryUrl("key", keyId), now)) ??
    (host === undefined ? undefined : await recall(await entryUrl("host", host), now))
  );
}

/**
 * Remembers that fetching a key failed; `unreachable` when its server did not answer at
 * all (a timeout, a refused connection), which then holds for every key on that host.
 */
export async function rememberFailure(
  keyId: string,
  failure: { readonly reason: KeyFailure; readonly unreachable: boolean },
  at: Date,
): Promise<void> {
  const now = at.getTime();
  const entry: Entry = {
    until: now + KEY_FAILURE_TTL_MS,
    value: { kind: "failed", reason: failure.reason },
  };
  const host = URL.parse(keyId)?.host;
  await remember(await entryUrl("key", keyId), entry, now);
  if (failure.unreachable && host !== undefined) {
    await remember(await entryUrl("host", host), entry, now);
  }
}

/** Remembers a key document fetched at `at`, until a signature proves it (or a minute passes). */
export async function rememberFetched(keyId: string, actor: ParsedActor, at: Date): Promise<void> {
  const now = at.getTime();
  await remember(
    await entryUrl("key", keyId),
    {
      until: now + FETCHED_KEY_TTL_MS,
      value: {
        kind: "fetched",
        actor: { ...actor, published: actor.published?.getTime() ?? null },
        fetchedAt: now,
      },
    },
    now,
  );
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
