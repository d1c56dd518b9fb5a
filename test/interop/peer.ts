/**
 * An independent ActivityPub server for the interop suite (see peer-server.ts), and what the
 * test makes its actors do: follow, post, reply, like, boost, undo, edit, delete, rename or
 * delete themselves, approve a follower.
 */
import { generateCryptoKeyPair, signRequest } from "@fedify/fedify";
import {
  Accept,
  type Activity,
  type Actor,
  Announce,
  Create,
  Delete,
  Document,
  Follow,
  Like,
  Mention,
  Note,
  PUBLIC_COLLECTION,
  type Recipient,
  Tombstone,
  Undo,
  Update,
} from "@fedify/vocab";
import { now, type PeerOptions, PeerServer } from "./peer-server";

export type Audience = "public" | "unlisted" | "followers" | "direct";

export interface PostOptions {
  readonly content: string;
  readonly audience?: Audience;
  /** The actors it is sent to (those it addresses or mentions). */
  readonly to: readonly string[];
  readonly mention?: readonly string[];
  readonly inReplyTo?: string;
  /** Files it carries, as `Document`s (the peer does not serve them). */
  readonly attachments?: readonly PeerAttachment[];
}

export interface PeerAttachment {
  readonly url: string;
  readonly mediaType: string;
  /** Alt text. */
  readonly name?: string;
  readonly width?: number;
  readonly height?: number;
}

export class Peer extends PeerServer {
  private readonly lookups = new Map<string, Actor>();

  /** Generates each actor's keys (RSA for signatures, Ed25519 for proofs), then listens. */
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
   * With no one in `to`, it is only on the peer: at its URL and in the outbox.
   */
  async post(username: string, options: PostOptions): Promise<string> {
    const create = this.compose(username, options);
    if (options.to.length > 0) {
      await this.send(username, await this.recipients(options.to), create);
    }
    return create.objectId?.href ?? "";
  }

  /**
   * Publishes a note and delivers its `Create` to one actor with `deliverTo`: the note's id
   * and the inbox's answer.
   */
  async postTo(
    target: string,
    username: string,
    options: Omit<PostOptions, "to">,
  ): Promise<{ id: string; activity: string; status: number }> {
    const create = this.compose(username, { ...options, to: [target] });
    const status = await this.deliverTo(target, username, create);
    return { id: create.objectId?.href ?? "", activity: create.id?.href ?? "", status };
  }

  /** Likes a note and delivers the `Like` with `deliverTo`: its id and the inbox's answer. */
  async likeTo(
    target: string,
    username: string,
    objectId: string,
  ): Promise<{ id: string; status: number }> {
    const like = new Like({
      id: this.newId(username, "likes"),
      actor: this.uri(username),
      object: new URL(objectId),
    });
    return { id: like.id?.href ?? "", status: await this.deliverTo(target, username, like) };
  }

  /**
   * POSTs an activity to an actor's inbox, signed here (draft-cavage, the actor's RSA key),
   * and answers the status: Fedify's `sendActivity` throws on anything but 2xx and keeps the
   * status to itself, which a test of "accepted and dropped" (202) needs to see.
   */
  async deliverTo(target: string, username: string, activity: Activity): Promise<number> {
    const inbox = (await this.lookup(target)).inboxId;
    if (inbox === null) throw new Error(`no inbox for ${target}`);
    const [key] = await this.context().getActorKeyPairs(username);
    if (key === undefined) throw new Error(`no key for ${username}`);
    if (activity.id !== null) this.sent.set(activity.id.href, activity);
    const body = JSON.stringify(
      await activity.toJsonLd({ format: "compact", contextLoader: this.context().contextLoader }),
    );
    const request = await signRequest(
      new Request(inbox, {
        method: "POST",
        headers: { "content-type": "application/activity+json" },
        body,
      }),
      key.privateKey,
      key.keyId,
      { spec: "draft-cavage-http-signatures-12" },
    );
    const response = await fetch(request);
    await response.body?.cancel();
    return response.status;
  }

  /** A new note of the actor's, kept by the peer, and its `Create` (not sent). */
  private compose(username: string, options: PostOptions): Create {
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
      attachments: (options.attachments ?? []).map(
        (a) =>
          new Document({
            url: new URL(a.url),
            mediaType: a.mediaType,
            name: a.name ?? null,
            width: a.width ?? null,
            height: a.height ?? null,
          }),
      ),
      ...addressing,
    });
    this.notes.set(id.href, note);
    return new Create({
      id: new URL(`${id.href}/activity`),
      actor: this.uri(username),
      object: note,
      published: note.published,
      ...addressing,
    });
  }

  /** Edits one of this peer's notes and sends the `Update`. */
  async edit(
    username: string,
    { noteId, content, to }: { noteId: string; content: string; to: readonly string[] },
  ) {
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

  private async recipients(ids: readonly string[]): Promise<Recipient[]> {
    return Promise.all(ids.map((id) => this.lookup(id)));
  }

  private async send(username: string, to: Recipient[], activity: Activity): Promise<void> {
    if (activity.id !== null) this.sent.set(activity.id.href, activity);
    await this.context().sendActivity({ identifier: username }, to, activity, {
      preferSharedInbox: true,
    });
  }
}
