/**
 * The keys inbound signatures are checked with: the one place that knows where a key comes
 * from. From the KV cache while fresh; else from D1 when its row was fetched within the TTL
 * (KV is eventually consistent, D1 is not); else from the key's server. A key must be
 * listed by the actor that owns it, in that actor's own document (fetched by its id), so a
 * server cannot publish a key in another server's actor's name. A cached key that fails to
 * verify is fetched once more (rotation), unless the copy is younger than `REFETCH_AFTER_MS`.
 *
 * Nothing is stored, in D1 or KV, until a signature verified with the key: whoever sends
 * junk naming keys can neither spend the day's writes nor fill the database. What was
 * fetched meanwhile, and every fetch that failed, is remembered for a few minutes by the
 * key memo (`key-memo.ts`), so that naming the same key again costs no second fetch.
 */
import { asUrl, hostOf, type JsonObject } from "../activitypub/parse";
import { type ParsedActor, parseActor, publicKeysOf } from "../activitypub/remote-actor";
import type { AppContext } from "../context";
import { type FetchFailure, fetchRemote } from "../outbound/fetch-document";
import type { SignedMessage } from "../signatures/cavage";
import {
  type KeyResolution,
  type ResolvedKey,
  type VerifyResult,
  verifyRequest,
} from "../signatures/verify";
import { keyHolderQuery, storeActor } from "../storage/actors";
import { isDomainBlocked } from "../storage/safety";
import {
  ACTOR_TTL_SECONDS,
  actorChanged,
  type CachedActor,
  type CacheRead,
  countLookup,
  readKeyOwner,
  toCachedActor,
  writeActor,
} from "./actor-cache";
import { toActorRow } from "./actors";
import {
  FETCHED_KEY_TTL_MS,
  forgetKey,
  recallKey,
  rememberFailure,
  rememberFetched,
  rememberListed,
} from "./key-memo";

/**
 * How old a cached key must be before a failed signature makes us fetch it again: as long as
 * the key memo holds a fetched document, one number.
 */
export const REFETCH_AFTER_MS = FETCHED_KEY_TTL_MS;
/**
 * How long a key's server has to answer, both fetches together (a key, then its owner). The
 * sender is waiting for our answer meanwhile (Mastodon gives up after 10 s): half of that is
 * left for the key.
 */
export const KEY_FETCH_TIMEOUT_MS = 5_000;

type KeyContext = Pick<AppContext, "db" | "config" | "cache" | "now">;

/** What KV and D1 hold for a key, read once per request however often it is asked. */
interface Held {
  readonly cached: CacheRead;
  readonly row: () => Promise<CachedActor | undefined>;
}

/** An actor whose key answered a request, to keep once its signature verified. */
type ToKeep =
  | { readonly kind: "cached"; readonly actor: CachedActor }
  | {
      readonly kind: "fetched";
      readonly actor: ParsedActor;
      readonly fetchedAt: Date;
      /** What KV held for the key when it was asked for. */
      readonly cached: CacheRead;
    };

/** One request's view of the keys: made per request, since it remembers what it read. */
export class KeyStore {
  private readonly held = new Map<string, Held>();
  private toKeep: ToKeep | undefined;

  /**
   * @param actor Who the request says it is from: a key on another host cannot be theirs,
   *   and is refused without being fetched (whoever names a URL must not make us fetch it).
   */
  constructor(
    private readonly ctx: KeyContext,
    private readonly actor: string,
  ) {}

  /**
   * Verifies a request's signature with the key it names. Once it verified, the key's actor
   * is stored (D1 when it was fetched, KV when KV did not have this copy).
   */
  async verify(message: SignedMessage, body: Uint8Array): Promise<VerifyResult> {
    const result = await verifyRequest(message, body, {
      resolveKey: (keyId, options) => {
        const keyHost = URL.parse(keyId)?.host;
        if (keyHost === undefined) return Promise.resolve({ ok: false, reason: "failed" });
        if (keyHost !== hostOf(this.actor))
          return Promise.resolve({ ok: false, reason: "foreign" });
        return this.resolve(keyId, options.refresh);
      },
      now: this.ctx.now(),
    });
    const keep = this.toKeep;
    this.toKeep = undefined;
    if (result.ok && keep?.actor.id === result.owner) {
      await this.keep(keep);
      if (keep.kind === "fetched") await forgetKey(result.keyId);
    }
    return result;
  }

  private async keep(keep: ToKeep): Promise<void> {
    const { db, cache } = this.ctx;
    if (keep.kind === "cached") {
      await writeActor(cache, keep.actor, this.ctx.now());
      return;
    }
    // Stamped with when it was asked for, as `fetchActor` does.
    const actor = toCachedActor(await storeActor(db, await toActorRow(keep.actor, keep.fetchedAt)));
    const { cached } = keep;
    const unchanged = cached.kind === "actor" && cached.fresh && !actorChanged(cached.actor, actor);
    if (!unchanged) await writeActor(cache, actor, this.ctx.now());
  }

  private hold(keyId: string, cached: CacheRead): Held {
    let row: Promise<CachedActor | undefined> | undefined;
    const read = async () => {
      const [found] = await keyHolderQuery(this.ctx.db, keyId);
      return found === undefined ? undefined : toCachedActor(found);
    };
    const held = { cached, row: () => (row ??= read()) };
    this.held.set(keyId, held);
    return held;
  }

  private async resolve(keyId: string, refresh: boolean): Promise<KeyResolution> {
    const at = this.ctx.now();
    const now = at.getTime();
    const { cached, row } =
      this.held.get(keyId) ?? this.hold(keyId, await readKeyOwner(this.ctx.cache, keyId, at));
    if (!refresh && cached.kind !== "miss" && cached.fresh) {
      const key = cached.kind === "gone" ? undefined : keyOf(cached.actor, keyId);
      if (cached.kind === "gone" || key !== undefined) countLookup("hit");
      if (cached.kind === "gone") return { ok: false, reason: "gone" };
      if (key !== undefined) return { ok: true, fromCache: true, key };
    }
    const stored = await row();
    const known = cached.kind === "actor" ? newest(cached.actor, stored) : stored;
    const knownKey = known === undefined ? undefined : keyOf(known, keyId);
    const age = now - (known?.fetchedAt ?? 0);
    if (!refresh && knownKey !== undefined && age < ACTOR_TTL_SECONDS * 1000) {
      countLookup("miss");
      // Cached for what is left of its hour, not a new one.
      this.toKeep = known === undefined ? undefined : { kind: "cached", actor: known };
      return { ok: true, fromCache: true, key: knownKey };
    }
    // A key fetched moments ago is what its server publishes: a signature it does not verify
    // is wrong, not rotated. Refetching would let anyone make us hammer that server.
    if (refresh && knownKey !== undefined && age < REFETCH_AFTER_MS) {
      return { ok: true, fromCache: false, key: knownKey };
    }
    const remembered = await recallKey(keyId, at);
    if (remembered !== undefined) countLookup("memo");
    if (remembered?.kind === "fetched") {
      const { actor, fetchedAt } = remembered;
      this.toKeep = { kind: "fetched", actor, fetchedAt, cached };
      const key = keyOf(toCachedActor({ ...actor, fetchedAt }), keyId);
      return key === undefined
        ? { ok: false, reason: "failed" }
        : { ok: true, fromCache: false, key };
    }
    if (remembered?.kind === "failed") return this.unanswered(remembered.reason, knownKey);
    // The owner's blocked domains get no request from us, not even for a key.
    if (await isDomainBlocked(this.ctx.db, hostOf(keyId))) return { ok: false, reason: "blocked" };
    countLookup(known === undefined ? "miss" : "refresh");
    const owner = await this.fetchOwner(keyId);
    if (owner.listed !== undefined) await rememberListed(keyId, owner.listed, at);
    if (!owner.ok) {
      const outage = owner.fetchFailure !== undefined && OUTAGES.has(owner.fetchFailure);
      // A key its document does not list is remembered by the list alone.
      if (owner.listed === undefined || owner.listed.includes(keyId)) {
        const of = owner.listed === undefined ? "document" : "key";
        await rememberFailure(keyId, { reason: owner.reason, outage, of }, at);
      }
      return this.unanswered(owner.reason, knownKey);
    }
    await rememberFetched(keyId, owner.actor, at);
    this.toKeep = { kind: "fetched", actor: owner.actor, fetchedAt: at, cached };
    const key = keyOf(toCachedActor({ ...owner.actor, fetchedAt: at }), keyId);
    return key === undefined
      ? { ok: false, reason: "failed" }
      : { ok: true, fromCache: false, key };
  }

  /** A key whose server does not answer: the key we had, if any, for one final verdict. */
  private unanswered(reason: "gone" | "failed", knownKey: ResolvedKey | undefined): KeyResolution {
    if (reason !== "gone" && knownKey !== undefined) {
      return { ok: true, fromCache: false, key: knownKey };
    }
    return { ok: false, reason };
  }

  /**
   * The actor owning a key, from its server. Mastodon's key ids are `<actor>#main-key`: the
   * fetch gets the actor. GoToSocial's are `<actor>/main-key`, answering with a document
   * whose id is the actor; Fedify may answer with the key itself and its `owner`.
   */
  private async fetchOwner(keyId: string): Promise<KeyOwner> {
    // One deadline for both fetches (the key, then its owner) and their redirects.
    const signal = AbortSignal.timeout(KEY_FETCH_TIMEOUT_MS);
    const fetched = await fetchRemote(this.ctx, keyId, { checkId: false, signal });
    if (!fetched.ok) return fetchFailed(fetched.reason);
    const document = fetched.document;
    const keys = publicKeysOf(document);
    const listed = keys.map((k) => k.id);
    const failed = (failure?: KeyOwnerFailure): KeyOwnerFailure => ({
      ok: false,
      reason: failure?.reason ?? "failed",
      fetchFailure: failure?.fetchFailure,
      listed,
    });
    const key = keys.find((k) => k.id === keyId);
    if (key === undefined) return failed();
    const ownerId = key.owner ?? asUrl(document.id);
    if (ownerId === undefined || hostOf(ownerId) !== hostOf(keyId)) return failed();
    let actorDocument: JsonObject = document;
    if (document.id !== fetched.url || ownerId !== document.id) {
      const owner = await fetchRemote(this.ctx, ownerId, { signal });
      if (!owner.ok) return failed(fetchFailed(owner.reason));
      actorDocument = owner.document;
    }
    const actor = parseActor(actorDocument);
    // The owner's own document must list the key, with the same material.
    const ownerKey = publicKeysOf(actorDocument).find((k) => k.id === keyId);
    if (
      actor === undefined ||
      actor.id !== ownerId ||
      ownerKey?.publicKeyPem !== key.publicKeyPem
    ) {
      return failed();
    }
    const keyed = { ...actor, publicKeyId: keyId, publicKeyPem: key.publicKeyPem };
    return { ok: true, actor: keyed, listed };
  }
}

/** Failures that say the server did not answer usefully, rather than that it has no such key. */
const OUTAGES: ReadonlySet<FetchFailure> = new Set(["timeout", "network", "httpError"]);

const fetchFailed = (reason: FetchFailure): KeyOwnerFailure => ({
  ok: false,
  reason: reason === "gone" ? "gone" : "failed",
  fetchFailure: reason,
});

/** A key's owner, or why not; `listed`: the key ids its document lists, once it answered. */
type KeyOwner = { ok: true; actor: ParsedActor; listed: readonly string[] } | KeyOwnerFailure;

interface KeyOwnerFailure {
  readonly ok: false;
  readonly reason: "gone" | "failed";
  readonly fetchFailure?: FetchFailure;
  readonly listed?: readonly string[];
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
