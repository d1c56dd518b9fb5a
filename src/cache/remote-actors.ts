/**
 * Remote actors and their keys: served from the KV cache while fresh, else from their server
 * (then cached again). D1 keeps the actors we have a relationship with, the source of truth
 * for delivery and the Mastodon API; KV is the hot path. A key is looked up by its id, and
 * fetched again when its cached copy fails to verify (rotation), once.
 */
import { and, eq } from "drizzle-orm";
import { asUrl, hostOf, type JsonObject } from "../activitypub/parse";
import { type ParsedActor, parseActor, publicKeysOf } from "../activitypub/remote-actor";
import { sanitizeHtml } from "../activitypub/sanitize";
import type { Config } from "../env";
import { type FetchDocumentResult, fetchDocument } from "../federation/fetch-document";
import type { SigningKey } from "../signatures/sign";
import type { KeyResolution, KeyResolver, ResolvedKey } from "../signatures/verify";
import type { Db } from "../storage/db";
import { loadSigningKey } from "../storage/local-actors";
import { type ActorRow, actors, type NewActorRow } from "../storage/schema";
import {
  ACTOR_TTL_SECONDS,
  actorChanged,
  type CachedActor,
  type CacheRead,
  countLookup,
  fromCachedActor,
  readActor,
  readKeyOwner,
  toCachedActor,
  writeActor,
  writeGone,
} from "./actor-cache";

export interface RemoteContext {
  readonly db: Db;
  readonly config: Config;
  /** The KV actor cache (`ACTOR_CACHE`). */
  readonly cache: KVNamespace;
  /** Epoch milliseconds; default `Date.now`. Tests move it to see the TTL pass. */
  readonly now?: () => number;
}

const clock = (ctx: RemoteContext): number => ctx.now?.() ?? Date.now();

/** The instance actor's key: what our GETs are signed with. */
export function instanceSigner(ctx: RemoteContext): Promise<SigningKey> {
  return loadSigningKey(ctx.db, "instance", ctx.config.urls.instance.keyId);
}

/** Fetches a document for federation purposes, signed by the instance actor. */
export async function fetchRemote(
  ctx: RemoteContext,
  url: string,
  options: { checkId?: boolean } = {},
): Promise<FetchDocumentResult> {
  return fetchDocument(url, {
    devFederation: ctx.config.devFederation,
    origin: ctx.config.origin,
    signer: await instanceSigner(ctx),
    checkId: options.checkId,
  });
}

/** The row we keep for an actor: its summary sanitised, stamped with the fetch time. */
export async function toActorRow(
  actor: ParsedActor,
  fetchedAt: Date = new Date(),
): Promise<NewActorRow> {
  return {
    ...actor,
    summary: actor.summary == null ? null : await sanitizeHtml(actor.summary),
    fetchedAt,
  };
}

/** The statement that stores (or refreshes) an actor row. Not awaited: it is a query. */
export function upsertActor(db: Db, row: NewActorRow) {
  return db
    .insert(actors)
    .values(row)
    .onConflictDoUpdate({ target: actors.id, set: row })
    .returning();
}

/** Stores (or refreshes) an actor. */
export async function persistActor(
  db: Db,
  actor: ParsedActor,
  fetchedAt: Date = new Date(),
): Promise<ActorRow> {
  const [stored] = await upsertActor(db, await toActorRow(actor, fetchedAt));
  if (stored === undefined) throw new Error("actor not stored");
  return stored;
}

/** The D1 row of a cached actor, written only when D1 has none or an older copy. */
async function ensureStored(db: Db, actor: CachedActor): Promise<ActorRow> {
  const [row] = await db.select().from(actors).where(eq(actors.id, actor.id));
  if (row !== undefined && row.fetchedAt.getTime() >= actor.fetchedAt) return row;
  const [stored] = await upsertActor(db, fromCachedActor(actor));
  if (stored === undefined) throw new Error("actor not stored");
  return stored;
}

export type FetchActorResult =
  | { readonly ok: true; readonly actor: ActorRow }
  | { readonly ok: false; readonly reason: "gone" | "failed" };

/**
 * An actor by its id, stored in D1 (the caller is about to have a relationship with it):
 * from the cache while fresh, else fetched (the document must repeat the id) and cached. A
 * server that does not answer leaves us with the copy we had, if any.
 */
export async function fetchActor(ctx: RemoteContext, id: string): Promise<FetchActorResult> {
  const now = clock(ctx);
  const cached = await readActor(ctx.cache, id, now);
  if (cached.kind !== "miss" && cached.fresh) {
    countLookup("hit");
    if (cached.kind === "gone") return { ok: false, reason: "gone" };
    return { ok: true, actor: await ensureStored(ctx.db, cached.actor) };
  }
  countLookup(cached.kind === "miss" ? "miss" : "refresh");
  const fetched = await fetchRemote(ctx, id);
  if (!fetched.ok) {
    if (fetched.reason === "gone") {
      await writeGone(ctx.cache, id, now);
      return { ok: false, reason: "gone" };
    }
    if (cached.kind === "actor")
      return { ok: true, actor: await ensureStored(ctx.db, cached.actor) };
    return { ok: false, reason: "failed" };
  }
  const parsed = parseActor(fetched.document);
  if (parsed === undefined) return { ok: false, reason: "failed" };
  const stored = await persistActor(ctx.db, parsed, new Date(now));
  await writeActor(ctx.cache, toCachedActor(stored), now);
  return { ok: true, actor: stored };
}

/**
 * The stored key with this id, and the actor it belongs to (a query, for a batch). Only an
 * actor on the key's own host can hold it.
 */
export function cachedKeyQuery(db: Db, keyId: string) {
  const host = URL.parse(keyId)?.host ?? "";
  return db
    .select()
    .from(actors)
    .where(and(eq(actors.publicKeyId, keyId), eq(actors.domain, host)))
    .limit(1);
}

export type CachedKey = Awaited<ReturnType<typeof cachedKeyQuery>>[number];

/**
 * Resolves signature keys: from the KV cache while fresh; else from D1 when its row was
 * fetched within the TTL (KV is eventually consistent, D1 is not); else from the key's
 * server. The key must be listed by the actor that owns it, in that actor's own document
 * (fetched by its id), so a server cannot publish a key in another server's actor's name.
 * `refresh` (a cached key failed to verify) fetches once more, unless the copy is younger
 * than `REFETCH_AFTER_MS`. `prefetched` holds what the caller already read for the key it
 * expects (`readCachedKey` and `cachedKeyQuery`, alongside its own reads): nothing is read
 * twice, not even when a refresh follows.
 *
 * KV is written only by `rememberVerified`, once a signature by the key's owner verified:
 * whoever sends junk naming keys cannot spend the day's KV writes. (D1 keeps what was
 * fetched at once, so that a forged signature cannot make us fetch the same key again.)
 */
export function keyResolver(ctx: RemoteContext, prefetched?: PrefetchedKey): KeyCache {
  let toCache: CachedActor | undefined;
  const resolveKey: KeyResolver = async (keyId, { refresh }): Promise<KeyResolution> => {
    const now = clock(ctx);
    const read = prefetched?.keyId === keyId ? prefetched : undefined;
    const cached = read?.cached ?? (await readKeyOwner(ctx.cache, keyId, now));
    if (!refresh && cached.kind !== "miss" && cached.fresh) {
      const key = cached.kind === "gone" ? undefined : keyOf(cached.actor, keyId);
      if (cached.kind === "gone" || key !== undefined) countLookup("hit");
      if (cached.kind === "gone") return { ok: false, reason: "gone" };
      if (key !== undefined) return { ok: true, fromCache: true, key };
    }
    const row = read !== undefined ? read.row : (await cachedKeyQuery(ctx.db, keyId))[0];
    const stored = row === undefined ? undefined : toCachedActor(row);
    const known = cached.kind === "actor" ? newest(cached.actor, stored) : stored;
    const knownKey = known === undefined ? undefined : keyOf(known, keyId);
    if (!refresh && known !== undefined && knownKey !== undefined) {
      if (now - known.fetchedAt < ACTOR_TTL_SECONDS * 1000) {
        countLookup("miss");
        // Cached for what is left of its hour, not a new one.
        toCache = known;
        return { ok: true, fromCache: true, key: knownKey };
      }
    }
    // A key fetched moments ago is what its server publishes: a signature it does not verify
    // is wrong, not rotated. Refetching would let anyone make us hammer that server.
    if (refresh && knownKey !== undefined && now - (known?.fetchedAt ?? 0) < REFETCH_AFTER_MS) {
      return { ok: true, fromCache: false, key: knownKey };
    }
    countLookup(known === undefined ? "miss" : "refresh");
    const owner = await fetchKeyOwner(ctx, keyId);
    if (!owner.ok) {
      // Its server does not answer: the key we had, if any, for one final verdict.
      if (owner.reason !== "gone" && knownKey !== undefined) {
        return { ok: true, fromCache: false, key: knownKey };
      }
      return owner;
    }
    const actor = toCachedActor(await persistActor(ctx.db, owner.actor, new Date(now)));
    const unchanged = cached.kind === "actor" && cached.fresh && !actorChanged(cached.actor, actor);
    toCache = unchanged ? undefined : actor;
    const key = keyOf(actor, keyId);
    return key === undefined
      ? { ok: false, reason: "failed" }
      : { ok: true, fromCache: false, key };
  };
  return {
    resolveKey,
    async rememberVerified(owner) {
      const actor = toCache;
      toCache = undefined;
      if (actor?.id === owner) await writeActor(ctx.cache, actor, clock(ctx));
    },
  };
}

/** What a caller read for a key before verifying: its KV entry and its D1 row. */
export interface PrefetchedKey {
  readonly keyId: string;
  readonly cached: CacheRead;
  readonly row: CachedKey | undefined;
}

/** The KV entry of a key's owner (to read alongside other reads, for `keyResolver`). */
export function readCachedKey(ctx: RemoteContext, keyId: string): Promise<CacheRead> {
  return readKeyOwner(ctx.cache, keyId, clock(ctx));
}

/** A key resolver, and what it learnt, to cache once a signature verified. */
export interface KeyCache {
  readonly resolveKey: KeyResolver;
  /** Caches the actor resolving fetched (if any), now that `owner` signed verifiably. */
  rememberVerified(owner: string): Promise<void>;
}

/** The key with this id, when the actor holds it. */
function keyOf(actor: CachedActor, keyId: string): ResolvedKey | undefined {
  if (actor.publicKeyId !== keyId || actor.publicKeyPem === null) return undefined;
  return { id: keyId, owner: actor.id, publicKeyPem: actor.publicKeyPem };
}

/** The more recently fetched of two copies of an actor. */
function newest(a: CachedActor, b: CachedActor | undefined): CachedActor {
  return b !== undefined && b.fetchedAt > a.fetchedAt ? b : a;
}

/** How old a cached key must be before a failed signature makes us fetch it again. */
export const REFETCH_AFTER_MS = 60_000;

type KeyOwner = { ok: true; actor: ParsedActor } | { ok: false; reason: "gone" | "failed" };

async function fetchKeyOwner(ctx: RemoteContext, keyId: string): Promise<KeyOwner> {
  // Mastodon's key ids are `<actor>#main-key`: the fetch gets the actor. GoToSocial's are
  // `<actor>/main-key`, answering with a document whose id is the actor; Fedify may answer
  // with the key itself and its `owner`.
  const fetched = await fetchRemote(ctx, keyId, { checkId: false });
  if (!fetched.ok) return { ok: false, reason: fetched.reason === "gone" ? "gone" : "failed" };
  const document = fetched.document;
  const key = publicKeysOf(document).find((k) => k.id === keyId);
  if (key === undefined) return { ok: false, reason: "failed" };
  const ownerId = key.owner ?? asUrl(document.id);
  if (ownerId === undefined || hostOf(ownerId) !== hostOf(keyId)) {
    return { ok: false, reason: "failed" };
  }
  let actorDocument: JsonObject = document;
  if (document.id !== fetched.url || ownerId !== document.id) {
    const owner = await fetchRemote(ctx, ownerId);
    if (!owner.ok) return { ok: false, reason: owner.reason === "gone" ? "gone" : "failed" };
    actorDocument = owner.document;
  }
  const actor = parseActor(actorDocument);
  // The owner's own document must list the key, with the same material.
  const listed = publicKeysOf(actorDocument).find((k) => k.id === keyId);
  if (actor === undefined || actor.id !== ownerId || listed?.publicKeyPem !== key.publicKeyPem) {
    return { ok: false, reason: "failed" };
  }
  return { ok: true, actor: { ...actor, publicKeyId: keyId, publicKeyPem: key.publicKeyPem } };
}
