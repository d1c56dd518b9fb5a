/**
 * Remote actors and their keys. D1 holds them for now (the KV cache arrives later and slots
 * in front of it): a key is looked up by its id, and fetched from its server when unknown,
 * or when a cached key failed to verify (rotation).
 */
import { and, eq } from "drizzle-orm";
import { asUrl, hostOf, type JsonObject } from "../activitypub/parse";
import { type ParsedActor, parseActor, publicKeysOf } from "../activitypub/remote-actor";
import { sanitizeHtml } from "../activitypub/sanitize";
import type { Config } from "../env";
import { type FetchDocumentResult, fetchDocument } from "../federation/fetch-document";
import type { SigningKey } from "../signatures/sign";
import type { KeyResolution, KeyResolver } from "../signatures/verify";
import type { Db } from "../storage/db";
import { loadSigningKey } from "../storage/local-actors";
import { type ActorRow, actors, type NewActorRow } from "../storage/schema";

export interface RemoteContext {
  readonly db: Db;
  readonly config: Config;
}

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
export async function toActorRow(actor: ParsedActor): Promise<NewActorRow> {
  return {
    ...actor,
    summary: actor.summary == null ? null : await sanitizeHtml(actor.summary),
    fetchedAt: new Date(),
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
export async function persistActor(db: Db, actor: ParsedActor): Promise<ActorRow> {
  const [stored] = await upsertActor(db, await toActorRow(actor));
  if (stored === undefined) throw new Error("actor not stored");
  return stored;
}

export type FetchActorResult =
  | { readonly ok: true; readonly actor: ActorRow }
  | { readonly ok: false; readonly reason: "gone" | "failed" };

/** Fetches an actor by its id (which the document must repeat) and stores it. */
export async function fetchActor(ctx: RemoteContext, id: string): Promise<FetchActorResult> {
  const fetched = await fetchRemote(ctx, id);
  if (!fetched.ok) return { ok: false, reason: fetched.reason === "gone" ? "gone" : "failed" };
  const parsed = parseActor(fetched.document);
  if (parsed === undefined) return { ok: false, reason: "failed" };
  return { ok: true, actor: await persistActor(ctx.db, parsed) };
}

/**
 * The stored key with this id, and the actor it belongs to (a query, for a batch). Only an
 * actor on the key's own host can hold it.
 */
export function cachedKeyQuery(db: Db, keyId: string) {
  const host = URL.parse(keyId)?.host ?? "";
  return db
    .select({
      keyId: actors.publicKeyId,
      owner: actors.id,
      publicKeyPem: actors.publicKeyPem,
      fetchedAt: actors.fetchedAt,
    })
    .from(actors)
    .where(and(eq(actors.publicKeyId, keyId), eq(actors.domain, host)))
    .limit(1);
}

export type CachedKey = Awaited<ReturnType<typeof cachedKeyQuery>>[number];

/**
 * Resolves signature keys: from D1 when known, else from the key's server. The key must be
 * listed by the actor that owns it, in that actor's own document (fetched by its id), so a
 * server cannot publish a key in another server's actor's name. `prefetched` is the result
 * of `cachedKeyQuery` when the caller already read it (in a batch with other reads).
 */
export function keyResolver(
  ctx: RemoteContext,
  prefetched?: { readonly keyId: string; readonly row: CachedKey | undefined },
  now: () => number = Date.now,
): KeyResolver {
  return async (keyId, { refresh }): Promise<KeyResolution> => {
    const cached =
      prefetched?.keyId === keyId ? prefetched.row : (await cachedKeyQuery(ctx.db, keyId))[0];
    const known =
      cached?.publicKeyPem == null
        ? undefined
        : { id: keyId, owner: cached.owner, publicKeyPem: cached.publicKeyPem };
    if (known !== undefined && !refresh) return { ok: true, fromCache: true, key: known };
    // A key fetched moments ago is what its server publishes: a signature it does not verify
    // is wrong, not rotated. Refetching would let anyone make us hammer that server.
    if (known !== undefined && now() - (cached?.fetchedAt.getTime() ?? 0) < REFETCH_AFTER_MS) {
      return { ok: true, fromCache: false, key: known };
    }
    const actor = await fetchKeyOwner(ctx, keyId);
    if (!actor.ok) return actor;
    const stored = await persistActor(ctx.db, actor.actor);
    if (stored.publicKeyPem === null) return { ok: false, reason: "failed" };
    return {
      ok: true,
      fromCache: false,
      key: { id: keyId, owner: stored.id, publicKeyPem: stored.publicKeyPem },
    };
  };
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
