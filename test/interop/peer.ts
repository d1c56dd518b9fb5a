/**
 * An independent ActivityPub server for the interop suite, built on the Fedify library and
 * served over real HTTP on 127.0.0.1: its actors, WebFinger, personal and shared inboxes,
 * outbox, followers and notes. The test makes its actors act (follow, post, like, boost,
 * undo, edit, delete, update or delete themselves) and reads what they received. Every
 * activity reaching a listener has had its signature verified by Fedify.
 */
import {
  type Context,
  createFederation,
  type Federation,
  generateCryptoKeyPair,
  type HttpMessageSignaturesSpec,
  type InboxContext,
  MemoryKvStore,
} from "@fedify/fedify";
import {
  Accept,
  type Activity,
  type Actor,
  Announce,
  Create,
  Delete,
  Endpoints,
  Follow,
  Like,
  Mention,
  Note,
  Person,
  PUBLIC_COLLECTION,
  type Recipient,
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
const now = () => TemporalPolyfill.Now.instant() as unknown as Temporal.Instant;

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

export type Audience = "public" | "unlisted" | "followers" | "direct";

interface ActorState {
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

export class Peer {
  readonly received: Received[] = [];
  private readonly server: LoopbackServer;
  private readonly federation: Federation<void>;
  private readonly kv = new MemoryKvStore();
  private readonly actors = new Map<string, ActorState>();
  private readonly notes = new Map<string, Note>();
  private readonly sent = new Map<string, Activity>();
  private readonly lookups = new Map<string, Actor>();
  private counter = 0;

  private constructor(private readonly options: PeerOptions) {
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

  static async start(options: PeerOptions): Promise<Peer> {
    const peer = new Peer(options);
    for (const actor of options.actors) {
      peer.actors.set(actor.username, {
        displayName: actor.displayName ?? actor.username,
        locked: actor.locked ?? false,
        keys: [
          await generateCryptoKeyPair("RSASSA-PKCS1-v1_5"),
          await generateCryptoKeyPair("Ed25519"),
        ],
        deleted: false,
        followers: new Set(),
        pending: new Map(),
        following: new Map(),
      });
    }
    await peer.server.up();
    return peer;
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

  // ------------------------------------------------------------------ acting

  /** Fetches (and remembers) a remote actor, as this peer's actors would before writing. */
  async lookup(id: string): Promise<Actor> {
    const known = this.lookups.get(id);
    if (known !== undefined) return known;
    const object = await this.context().lookupObject(id);
    if (object === null || !("inboxId" in object)) throw new Error(`not an actor: ${id}`);
    const actor = object as Actor;
    this.lookups.set(id, actor);
    return actor;
  }

  async follow(username: string, target: string): Promise<string> {
    const follow = new Follow({
      id: this.newId(username, "follows"),
      actor: this.uri(username),
      object: new URL(target),
    });
    this.state(username).following.set(target, "requested");
    await this.send(username, [await this.lookup(target)], follow);
    return follow.id?.href ?? "";
  }

  /** Sends an activity again, unchanged, as a sender retrying a delivery does. */
  async resend(username: string, activityId: string, to: string): Promise<void> {
    const activity = this.sent.get(activityId);
    if (activity === undefined) throw new Error(`never sent ${activityId}`);
    await this.send(username, [await this.lookup(to)], activity);
  }

  /** Undoes an activity this peer sent (a Follow, Like or Announce). */
  async undo(username: string, activityId: string, to: string): Promise<void> {
    const activity = this.sent.get(activityId);
    if (activity === undefined) throw new Error(`never sent ${activityId}`);
    const undo = new Undo({
      id: this.newId(username, "undos"),
      actor: this.uri(username),
      object: activity,
    });
    if (activity instanceof Follow) this.state(username).following.delete(to);
    await this.send(username, [await this.lookup(to)], undo);
  }

  /**
   * Publishes a note, sent to `to` (the actors it addresses or mentions). Returns its id.
   */
  async post(
    username: string,
    options: {
      content: string;
      audience?: Audience;
      to: readonly string[];
      mention?: readonly string[];
      inReplyTo?: string;
    },
  ): Promise<string> {
    const id = this.newId(username, "notes");
    const followers = new URL(`${this.actorId(username)}/followers`);
    const mentioned = (options.mention ?? []).map((m) => new URL(m));
    const audience = options.audience ?? "public";
    const addressing =
      audience === "public"
        ? { tos: [PUBLIC_COLLECTION, ...mentioned], ccs: [followers] }
        : audience === "unlisted"
          ? { tos: [followers, ...mentioned], ccs: [PUBLIC_COLLECTION] }
          : audience === "followers"
            ? { tos: [followers], ccs: mentioned }
            : { tos: mentioned, ccs: [] };
    const note = new Note({
      id,
      attribution: this.uri(username),
      content: options.content,
      published: now(),
      replyTarget: options.inReplyTo === undefined ? null : new URL(options.inReplyTo),
      tags: mentioned.map((href) => new Mention({ href })),
      ...addressing,
    });
    this.notes.set(id.href, note);
    const create = new Create({
      id: new URL(`${id.href}/activity`),
      actor: this.uri(username),
      object: note,
      published: note.published,
      ...addressing,
    });
    await this.send(username, await this.recipients(options.to), create);
    return id.href;
  }

  /** Edits one of this peer's notes and sends the `Update`. */
  async edit(username: string, noteId: string, content: string, to: readonly string[]) {
    const note = this.notes.get(noteId);
    if (note === undefined) throw new Error(`no note ${noteId}`);
    const edited = note.clone({ content, updated: now() });
    this.notes.set(noteId, edited);
    const update = new Update({
      id: this.newId(username, "updates"),
      actor: this.uri(username),
      object: edited,
      tos: note.toIds,
      ccs: note.ccIds,
    });
    await this.send(username, await this.recipients(to), update);
  }

  async deleteNote(username: string, noteId: string, to: readonly string[]) {
    const note = this.notes.get(noteId);
    if (note === undefined) throw new Error(`no note ${noteId}`);
    this.notes.delete(noteId);
    const del = new Delete({
      id: this.newId(username, "deletes"),
      actor: this.uri(username),
      object: new Tombstone({ id: new URL(noteId) }),
      tos: note.toIds,
      ccs: note.ccIds,
    });
    await this.send(username, await this.recipients(to), del);
  }

  async like(username: string, objectId: string, to: string): Promise<string> {
    const like = new Like({
      id: this.newId(username, "likes"),
      actor: this.uri(username),
      object: new URL(objectId),
    });
    await this.send(username, [await this.lookup(to)], like);
    return like.id?.href ?? "";
  }

  async boost(username: string, objectId: string, to: string): Promise<string> {
    const boost = new Announce({
      id: this.newId(username, "boosts"),
      actor: this.uri(username),
      object: new URL(objectId),
      published: now(),
      tos: [PUBLIC_COLLECTION],
      ccs: [new URL(to), new URL(`${this.actorId(username)}/followers`)],
    });
    await this.send(username, [await this.lookup(to)], boost);
    return boost.id?.href ?? "";
  }

  /** Changes the display name and sends `Update(Person)` to `to`. */
  async rename(username: string, displayName: string, to: readonly string[]): Promise<void> {
    this.state(username).displayName = displayName;
    const update = new Update({
      id: this.newId(username, "updates"),
      actor: this.uri(username),
      object: await this.person(this.context(), username),
      tos: [PUBLIC_COLLECTION],
    });
    await this.send(username, await this.recipients(to), update);
  }

  /** Deletes the actor: `Delete(actor)` to `to`, and its documents answer 410 from then on. */
  async deleteSelf(username: string, to: readonly string[]): Promise<void> {
    const recipients = await this.recipients(to);
    const del = new Delete({
      id: new URL(`${this.actorId(username)}#delete`),
      actor: this.uri(username),
      object: this.uri(username),
      tos: [PUBLIC_COLLECTION],
    });
    // Keys are needed to sign the Delete, so the actor goes after it is sent.
    await this.send(username, recipients, del);
    this.state(username).deleted = true;
  }

  /** Approves a waiting follow request (manual approval). */
  async acceptFollower(username: string, follower: string): Promise<void> {
    const state = this.state(username);
    for (const [id, follow] of state.pending) {
      if (follow.actorId?.href !== follower) continue;
      state.pending.delete(id);
      state.followers.add(follower);
      await this.answerFollow(username, follow, Accept);
    }
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

  private context() {
    return this.federation.createContext(new URL(this.origin), undefined);
  }

  private state(username: string): ActorState {
    const state = this.actors.get(username);
    if (state === undefined) throw new Error(`no actor ${username}`);
    return state;
  }

  private uri(username: string): URL {
    return new URL(this.actorId(username));
  }

  private newId(username: string, kind: string): URL {
    return new URL(`${this.actorId(username)}/${kind}/${++this.counter}`);
  }

  private async recipients(ids: readonly string[]): Promise<Recipient[]> {
    return Promise.all(ids.map((id) => this.lookup(id)));
  }

  private async send(username: string, to: Recipient[], activity: Activity): Promise<void> {
    if (activity.id !== null) this.sent.set(activity.id.href, activity);
    await this.context().sendActivity({ identifier: username }, to, activity, {
      preferSharedInbox: true,
    });
  }

  private async answerFollow(
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
    this.federation.setOutboxDispatcher("/users/{identifier}/outbox", (_ctx, identifier) => ({
      items: [...this.notes.values()]
        .filter((n) => n.attributionId?.href === this.actorId(identifier))
        .map((n) => new Create({ id: new URL(`${n.id?.href}/activity`), object: n })),
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
      .onError((_ctx, error) => console.error("peer: inbox listener failed", error));
  }

  private async person(ctx: Context<void>, identifier: string): Promise<Person> {
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
