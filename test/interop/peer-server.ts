/**
 * The server side of a test peer, built on the Fedify library and served over real HTTP on
 * 127.0.0.1: its actors, WebFinger, personal and shared inboxes, outbox, followers and notes,
 * and what reached it. Every activity reaching a listener has had its signature verified by
 * Fedify. `Peer` (peer.ts) adds what the test makes its actors do.
 */
import {
  type Context,
  createFederation,
  type Federation,
  type HttpMessageSignaturesSpec,
  type InboxContext,
  MemoryKvStore,
} from "@fedify/fedify";
import {
  Accept,
  type Activity,
  Announce,
  Block,
  Create,
  Delete,
  Endpoints,
  Follow,
  Like,
  Note,
  Person,
  Reject,
  Tombstone,
  Undo,
  Update,
} from "@fedify/vocab";
import { Temporal as TemporalPolyfill } from "@js-temporal/polyfill";
import { LoopbackServer } from "./serve";

/**
 * Now, as Fedify's vocabulary wants it. Node 22 has no global Temporal; Fedify itself uses
 * this polyfill, whose Instant the vocabulary's types (written for the global) do not name.
 */
export const now = () => TemporalPolyfill.Now.instant() as unknown as Temporal.Instant;

export interface PeerActorOptions {
  readonly username: string;
  readonly displayName?: string;
  /** Follow requests wait for `acceptFollower` (manual approval). */
  readonly locked?: boolean;
}

export interface PeerOptions {
  /** Which signature Fedify tries first with a server it does not know yet. */
  readonly firstKnock?: HttpMessageSignaturesSpec;
  /** Refuse unsigned GETs of actors, notes and collections (Mastodon's secure mode). */
  readonly authorizedFetch?: boolean;
  /** Answer 401 to POSTs signed only with draft-cavage: a server that takes RFC 9421 only. */
  readonly rfc9421Only?: boolean;
  readonly actors: readonly PeerActorOptions[];
}

/** An activity that reached one of the peer's inboxes, verified. */
export interface Received {
  /** The actor whose personal inbox it came to; null for the shared inbox. */
  readonly recipient: string | null;
  readonly type: string;
  readonly id: string | null;
  readonly json: Record<string, unknown>;
}

export interface ActorState {
  displayName: string;
  readonly locked: boolean;
  readonly keys: CryptoKeyPair[];
  deleted: boolean;
  /** Followers' ids. */
  readonly followers: Set<string>;
  /** Follow requests waiting for approval, by the Follow's id. */
  readonly pending: Map<string, Follow>;
  /** Whom this actor follows, and whether that was accepted. */
  readonly following: Map<string, "requested" | "accepted" | "rejected">;
}

export class PeerServer {
  readonly received: Received[] = [];
  protected readonly server: LoopbackServer;
  protected readonly federation: Federation<void>;
  protected readonly kv = new MemoryKvStore();
  protected readonly actors = new Map<string, ActorState>();
  protected readonly notes = new Map<string, Note>();
  protected readonly sent = new Map<string, Activity>();
  protected counter = 0;

  protected constructor(protected readonly options: PeerOptions) {
    this.federation = createFederation<void>({
      kv: this.kv,
      allowPrivateAddress: true,
      firstKnock: options.firstKnock ?? "draft-cavage-http-signatures-12",
    });
    this.server = new LoopbackServer(async (request) => {
      const cavageOnly =
        request.headers.has("signature") && !request.headers.has("signature-input");
      if (options.rfc9421Only && request.method === "POST" && cavageOnly) {
        return new Response("RFC 9421 signatures only", { status: 401 });
      }
      return this.federation.fetch(request, { contextData: undefined });
    });
    this.routes();
  }

  /** Every HTTP request the peer answered, in order. */
  get log() {
    return this.server.log;
  }

  get origin(): string {
    return this.server.origin;
  }

  get host(): string {
    return new URL(this.origin).host;
  }

  actorId(username: string): string {
    return `${this.origin}/users/${username}`;
  }

  handle(username: string): string {
    return `${username}@${this.host}`;
  }

  followersOf(username: string): string[] {
    return [...this.state(username).followers];
  }

  followingState(username: string, target: string) {
    return this.state(username).following.get(target);
  }

  pendingFollowers(username: string): string[] {
    return [...this.state(username).pending.values()].map((f) => f.actorId?.href ?? "");
  }

  /** Resolves once no request to this peer is being answered. */
  idle(): Promise<void> {
    return this.server.idle();
  }

  /** The host goes down (connections refused) and comes back on the same port. */
  down(): Promise<void> {
    return this.server.down();
  }

  up(): Promise<void> {
    return this.server.up();
  }

  close(): Promise<void> {
    return this.server.down();
  }

  // ------------------------------------------------------------------ reading

  /** What reached this peer, optionally only activities of one type. */
  inbox(type?: string): Received[] {
    return this.received.filter((r) => type === undefined || r.type === type);
  }

  /**
   * The signature format Fedify settled on for a server: the first knock when that was
   * accepted, the other one when the server refused the first with 400 or 401.
   */
  async signatureSpecFor(origin: string): Promise<string | undefined> {
    return this.kv.get<string>(["_fedify", "httpMessageSignaturesSpec", origin]);
  }

  /** POSTs the peer accepted (2xx) whose body had this id. */
  acceptedPosts(activityId: string) {
    return this.log.filter((r) => r.method === "POST" && r.bodyId === activityId && r.status < 300);
  }

  // ------------------------------------------------------------------ internals

  protected context() {
    return this.federation.createContext(new URL(this.origin), undefined);
  }

  protected state(username: string): ActorState {
    const state = this.actors.get(username);
    if (state === undefined) throw new Error(`no actor ${username}`);
    return state;
  }

  protected uri(username: string): URL {
    return new URL(this.actorId(username));
  }

  protected newId(username: string, kind: string): URL {
    return new URL(`${this.actorId(username)}/${kind}/${++this.counter}`);
  }

  protected async answerFollow(
    username: string,
    follow: Follow,
    answer: typeof Accept | typeof Reject,
  ): Promise<void> {
    const follower = await follow.getActor();
    if (follower === null) return;
    const reply = new answer({
      id: this.newId(username, answer === Accept ? "accepts" : "rejects"),
      actor: this.uri(username),
      object: follow,
    });
    await this.context().sendActivity({ identifier: username }, follower, reply);
  }

  private async record(ctx: InboxContext<void>, activity: Activity): Promise<void> {
    this.received.push({
      recipient: ctx.recipient,
      type: activity.constructor.name,
      id: activity.id?.href ?? null,
      json: (await activity.toJsonLd({ format: "compact" })) as Record<string, unknown>,
    });
  }

  private ownActor(id: URL | null): string | undefined {
    const parsed = id === null ? null : this.context().parseUri(id);
    return parsed?.type === "actor" ? parsed.identifier : undefined;
  }

  private routes(): void {
    const authorize = async (ctx: { getSignedKeyOwner(): Promise<unknown> }) =>
      !this.options.authorizedFetch || (await ctx.getSignedKeyOwner()) !== null;
    this.federation
      .setActorDispatcher("/users/{identifier}", async (ctx, identifier) => {
        const state = this.actors.get(identifier);
        if (state === undefined) return null;
        if (state.deleted) return new Tombstone({ id: ctx.getActorUri(identifier) });
        return this.person(ctx, identifier);
      })
      .setKeyPairsDispatcher((_ctx, identifier) => this.actors.get(identifier)?.keys ?? [])
      .authorize(authorize);
    this.federation
      .setObjectDispatcher(Note, "/users/{identifier}/notes/{id}", (_ctx, values) => {
        return this.notes.get(`${this.actorId(values.identifier)}/notes/${values.id}`) ?? null;
      })
      .authorize(authorize);
    this.federation
      .setFollowersDispatcher("/users/{identifier}/followers", (_ctx, identifier) => ({
        items: [...(this.actors.get(identifier)?.followers ?? [])].map((id) => ({
          id: new URL(id),
          inboxId: null,
        })),
      }))
      .authorize(authorize);
    this.federation.setOutboxDispatcher("/users/{identifier}/outbox", (ctx, identifier) => ({
      items: [...this.notes.values()]
        .filter((n) => n.attributionId?.href === this.actorId(identifier))
        .map(
          (n) =>
            new Create({
              id: new URL(`${n.id?.href}/activity`),
              actor: ctx.getActorUri(identifier),
              object: n,
            }),
        ),
    }));
    this.federation
      .setInboxListeners("/users/{identifier}/inbox", "/inbox")
      .on(Follow, async (ctx, follow) => {
        await this.record(ctx, follow);
        const username = this.ownActor(follow.objectId);
        const follower = follow.actorId?.href;
        if (username === undefined || follower === undefined || follow.id === null) return;
        const state = this.state(username);
        if (state.locked) {
          state.pending.set(follow.id.href, follow);
          return;
        }
        state.followers.add(follower);
        await this.answerFollow(username, follow, Accept);
      })
      .on(Accept, async (ctx, accept) => this.settleFollow(ctx, accept, "accepted"))
      .on(Reject, async (ctx, reject) => this.settleFollow(ctx, reject, "rejected"))
      .on(Undo, async (ctx, undo) => {
        await this.record(ctx, undo);
        const object = await undo.getObject();
        if (!(object instanceof Follow)) return;
        const username = this.ownActor(object.objectId);
        const follower = undo.actorId?.href;
        if (username !== undefined && follower !== undefined) {
          this.state(username).followers.delete(follower);
        }
      })
      .on(Create, (ctx, activity) => this.record(ctx, activity))
      .on(Update, (ctx, activity) => this.record(ctx, activity))
      .on(Delete, (ctx, activity) => this.record(ctx, activity))
      .on(Like, (ctx, activity) => this.record(ctx, activity))
      .on(Announce, (ctx, activity) => this.record(ctx, activity))
      .on(Block, (ctx, activity) => this.record(ctx, activity))
      .onError((_ctx, error) => console.error("peer: inbox listener failed", error));
  }

  protected async person(ctx: Context<void>, identifier: string): Promise<Person> {
    const keys = await ctx.getActorKeyPairs(identifier);
    return new Person({
      id: ctx.getActorUri(identifier),
      preferredUsername: identifier,
      name: this.state(identifier).displayName,
      manuallyApprovesFollowers: this.state(identifier).locked,
      inbox: ctx.getInboxUri(identifier),
      outbox: ctx.getOutboxUri(identifier),
      followers: ctx.getFollowersUri(identifier),
      endpoints: new Endpoints({ sharedInbox: ctx.getInboxUri() }),
      publicKey: keys[0]?.cryptographicKey,
      assertionMethods: keys.map((k) => k.multikey),
    });
  }

  private async settleFollow(
    ctx: InboxContext<void>,
    answer: Accept | Reject,
    outcome: "accepted" | "rejected",
  ): Promise<void> {
    await this.record(ctx, answer);
    // By id, among what this peer sent: Fedify would refetch an object embedded from another
    // origin (our own Follow, here), and a Follow's id need not be dereferenceable.
    const follow = answer.objectId === null ? undefined : this.sent.get(answer.objectId.href);
    if (!(follow instanceof Follow)) return;
    const username = this.ownActor(follow.actorId);
    const target = answer.actorId?.href;
    if (username !== undefined && target !== undefined) {
      this.state(username).following.set(target, outcome);
    }
  }
}
