/**
 * The KV cache of remote actors: the hot path of every signature check and actor lookup.
 *
 * An entry holds an actor in the shape we use (the fields of `ParsedActor`, its summary
 * sanitised), never the whole remote payload, for an hour; an actor whose server answered
 * 404 or 410 is remembered as gone for ten minutes. KV writes are scarce (1,000 a day on the
 * free plan), so an entry is written only on a miss or a real change, and every write is
 * counted (`activitypub_kv_writes_total`).
 *
 * Keys: `actor:<id>`. A key id that is not `<actor id>#fragment` (GoToSocial's
 * `<actor>/main-key`) also gets a `key:<key id>` entry naming its actor, so that a signature
 * check finds the actor in at most two reads.
 *
 * The isolate keeps what it read or wrote for a minute (`MEMO_TTL_MS`), so that a known
 * sender's next activity reads no KV at all: KV reads are counted against a daily allowance
 * too (100,000 on the free plan), and each is a round trip.
 */
import type { ParsedActor } from "../activitypub/remote-actor";
import { recorder } from "../metrics/recorder";
import type { NewActorRow } from "../storage/schema";
import { kvKey, readText, writeText } from "./kv";

/** How long an actor is served from the cache before it is fetched again. */
export const ACTOR_TTL_SECONDS = 3600;
/** How long a 404 or 410 is believed. */
export const GONE_TTL_SECONDS = 600;

/** An actor as cached: `ParsedActor` with its times as epoch milliseconds. */
export type CachedActor = Required<Omit<ParsedActor, "published">> & {
  readonly published: number | null;
  /** When its document was fetched (or received in a signed `Update`). */
  readonly fetchedAt: number;
};

type Entry =
  | { readonly v: 1; readonly cachedAt: number; readonly actor: CachedActor }
  | { readonly v: 1; readonly cachedAt: number; readonly gone: true };

interface KeyPointer {
  readonly v: 1;
  readonly owner: string;
}

export type CacheRead =
  | { readonly kind: "actor"; readonly actor: CachedActor; readonly fresh: boolean }
  | { readonly kind: "gone"; readonly fresh: boolean }
  | { readonly kind: "miss" };

/**
 * How long the isolate serves an entry it read or wrote without asking KV again: a minute,
 * as long as KV itself may go on serving an old value in another location after a write
 * (its reads are cached at the edge for 60 s). This isolate's own writes replace its copy at
 * once (a write that fails drops it, so the next look asks KV); another isolate's (an
 * `Update` it received) reach this one within two minutes at most: KV's own edge copy may be
 * a minute old when it is read, and the copy read is then kept a minute.
 * Only entries found are kept: a miss is asked of KV again, since the entry may have been
 * written meanwhile. Timed by the clock, not by the caller's `at`.
 */
export const MEMO_TTL_MS = 60_000;
/** Entries the isolate keeps; the oldest goes first. */
const MEMO_MAX_ENTRIES = 512;
/**
 * The largest entry kept (characters of JSON): a real actor's is a few thousand; one whose
 * fields run to their caps is read from KV each time rather than held, so that the memo
 * holds at most 512 × 16 K characters.
 */
const MEMO_MAX_ENTRY_CHARS = 16 * 1024;

interface Held {
  readonly until: number;
  /** Undefined for an entry too large to hold: its stamp alone is kept, and KV is read. */
  readonly value: Entry | KeyPointer | undefined;
  /** When it was set, in the order of `stamps`: a read begun before a write does not undo it. */
  readonly stamp: number;
}

const memo = new Map<string, Held>();
let stamps = 0;

/** Frozen, since every caller is handed the same object (the fields are plain values). */
function frozen<T>(value: T): T {
  if (typeof value === "object" && value !== null && "actor" in value) Object.freeze(value.actor);
  return Object.freeze(value);
}

/** Keeps an entry (one too large, by its stamp alone); gives the stamp it was set with. */
function remember(key: string, value: Entry | KeyPointer, chars: number): number {
  memo.delete(key);
  const stamp = ++stamps;
  const kept = chars > MEMO_MAX_ENTRY_CHARS ? undefined : value;
  memo.set(key, { until: Date.now() + MEMO_TTL_MS, value: kept, stamp });
  if (memo.size > MEMO_MAX_ENTRIES) memo.delete(memo.keys().next().value as string);
  return stamp;
}

/** An entry, from the isolate's copy while it lasts, else from KV (counted). */
async function readEntry<T extends Entry | KeyPointer>(
  kv: KVNamespace,
  key: string,
): Promise<T | null> {
  const held = memo.get(key);
  if (held?.value !== undefined && held.until > Date.now()) return held.value as T;
  const begun = stamps;
  const text = await readText(kv, key);
  if (text === null) return null;
  const value = frozen(JSON.parse(text) as T);
  // Kept unless this isolate wrote the key while KV was being read.
  const written = memo.get(key);
  if (value?.v === 1 && (written === undefined || written.stamp <= begun)) {
    remember(key, value, text.length);
  }
  return value;
}

/**
 * Forgets every entry the isolate holds, as a fresh isolate starts: for tests that change KV
 * behind the cache's back, standing for another isolate or location.
 */
export function forgetHeldEntries(): void {
  memo.clear();
}

/** The KV key of an actor's entry. */
export const actorEntryKey = (id: string): Promise<string> => kvKey("actor", id);

/** The actor part of `<actor>#main-key`; the key id itself when it has no fragment. */
const actorPartOf = (keyId: string): string => keyId.split("#")[0] ?? keyId;

/** What the cache holds for an actor id, and whether it is still within its TTL. */
export async function readActor(kv: KVNamespace, id: string, at: Date): Promise<CacheRead> {
  const now = at.getTime();
  const entry = await readEntry<Entry>(kv, await kvKey("actor", id));
  if (entry?.v !== 1) return { kind: "miss" };
  if ("gone" in entry) {
    return { kind: "gone", fresh: now - entry.cachedAt < GONE_TTL_SECONDS * 1000 };
  }
  return {
    kind: "actor",
    actor: entry.actor,
    fresh: now - entry.cachedAt < ACTOR_TTL_SECONDS * 1000,
  };
}

/** What the cache holds for the actor owning a key id; a cached actor must list that key. */
export async function readKeyOwner(kv: KVNamespace, keyId: string, at: Date): Promise<CacheRead> {
  let owner = actorPartOf(keyId);
  if (owner === keyId) {
    const pointer = await readEntry<KeyPointer>(kv, await kvKey("key", keyId));
    // Without a pointer, the key's own URL may be remembered as gone.
    if (pointer?.v === 1) owner = pointer.owner;
  }
  const read = await readActor(kv, owner, at);
  if (read.kind === "actor" && read.actor.publicKeyId !== keyId) return { kind: "miss" };
  return read;
}

/**
 * Caches an actor (and the pointer from its key id, when its key id needs one) for what is
 * left of its hour: a copy fetched 50 minutes ago (read from D1) is served 10 more minutes.
 */
export async function writeActor(kv: KVNamespace, actor: CachedActor, at: Date): Promise<void> {
  const now = at.getTime();
  const cachedAt = Math.min(now, actor.fetchedAt);
  const ttl = ACTOR_TTL_SECONDS - Math.floor((now - cachedAt) / 1000);
  if (ttl <= 0) return;
  const entry: Entry = { v: 1, cachedAt, actor };
  const puts: [string, Entry | KeyPointer][] = [[await kvKey("actor", actor.id), entry]];
  const keyId = actor.publicKeyId;
  if (keyId != null && actorPartOf(keyId) === keyId) {
    puts.push([await kvKey("key", keyId), { v: 1, owner: actor.id }]);
  }
  await put(kv, puts, ttl);
}

/** Remembers that an actor is gone (its server said so, or it deleted itself). */
export async function writeGone(kv: KVNamespace, id: string, at: Date): Promise<void> {
  const entry: Entry = { v: 1, cachedAt: at.getTime(), gone: true };
  await put(kv, [[await kvKey("actor", id), entry]], GONE_TTL_SECONDS);
}

/**
 * Writes entries (`writeText`: counted, a refused write logged, never thrown) and keeps them
 * in the isolate; what KV refused is not kept either, so the next look asks KV.
 */
async function put(
  kv: KVNamespace,
  puts: [string, Entry | KeyPointer][],
  ttlSeconds: number,
): Promise<void> {
  // KV's shortest expiration is 60 seconds.
  const expirationTtl = Math.max(60, ttlSeconds);
  await Promise.all(
    puts.map(async ([key, value]) => {
      const text = JSON.stringify(value);
      // A copy of its own: the caller's object stays the caller's.
      const stamp = remember(key, frozen(JSON.parse(text)), text.length);
      const taken = await writeText(kv, key, { text, expirationTtl, what: "actor cache" });
      // Unless written again meanwhile.
      if (!taken && memo.get(key)?.stamp === stamp) memo.delete(key);
    }),
  );
}

/**
 * Counts one lookup: served from the cache, not in it, in it but fetched again, or answered
 * by the key memo (a key fetched moments ago, or a fetch that failed).
 */
export function countLookup(result: "hit" | "miss" | "refresh" | "memo"): void {
  recorder().inc("activitypub_actor_cache_total", { result });
}

/** The cached shape of an actor row. */
export function toCachedActor(row: NewActorRow): CachedActor {
  return {
    id: row.id,
    type: row.type,
    preferredUsername: row.preferredUsername ?? null,
    domain: row.domain,
    name: row.name ?? null,
    summary: row.summary ?? null,
    url: row.url ?? null,
    inbox: row.inbox,
    sharedInbox: row.sharedInbox ?? null,
    outbox: row.outbox ?? null,
    followers: row.followers ?? null,
    following: row.following ?? null,
    featured: row.featured ?? null,
    publicKeyId: row.publicKeyId ?? null,
    publicKeyPem: row.publicKeyPem ?? null,
    iconUrl: row.iconUrl ?? null,
    imageUrl: row.imageUrl ?? null,
    manuallyApprovesFollowers: row.manuallyApprovesFollowers ?? false,
    published: row.published?.getTime() ?? null,
    fetchedAt: row.fetchedAt.getTime(),
  };
}

/** The row the cached actor stands for (for D1). */
export function fromCachedActor(actor: CachedActor): NewActorRow {
  return {
    ...actor,
    published: actor.published === null ? null : new Date(actor.published),
    fetchedAt: new Date(actor.fetchedAt),
  };
}

/** Whether two copies differ in anything but when they were fetched. */
export function actorChanged(a: CachedActor, b: CachedActor): boolean {
  const strip = ({ fetchedAt: _, ...rest }: CachedActor) => rest;
  const [x, y] = [strip(a), strip(b)];
  return (Object.keys(x) as (keyof typeof x)[]).some((k) => x[k] !== y[k]);
}

/** A change an inbox activity makes to the cache: a signed `Update` or `Delete` of an actor. */
export type ActorCacheChange =
  | { readonly kind: "replace"; readonly actor: CachedActor }
  | { readonly kind: "gone"; readonly id: string };

/**
 * Applies a change once the activity is stored. A copy is replaced only when one is cached
 * and differs (an update without a key keeps the cached key); a deleted actor is remembered
 * as gone. A failed write is logged, never thrown: the activity is already accepted, and
 * the entry's TTL bounds how long the old copy can be served.
 */
export async function applyActorChange(
  kv: KVNamespace,
  change: ActorCacheChange,
  now: Date,
): Promise<void> {
  try {
    if (change.kind === "gone") {
      await writeGone(kv, change.id, now);
      return;
    }
    const current = await readActor(kv, change.actor.id, now);
    if (current.kind !== "actor") return;
    const next =
      change.actor.publicKeyPem === null
        ? {
            ...change.actor,
            publicKeyId: current.actor.publicKeyId,
            publicKeyPem: current.actor.publicKeyPem,
          }
        : change.actor;
    if (actorChanged(current.actor, next)) await writeActor(kv, next, now);
  } catch (error) {
    console.warn(`actor cache: not updated: ${error instanceof Error ? error.message : "error"}`);
  }
}
