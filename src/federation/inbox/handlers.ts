/**
 * What each received activity does. A handler only reads; it returns the statements to
 * write (run in one batch with the received activity, so an activity is applied exactly
 * once) and the queue messages for slow work. The signature was verified and the sender is
 * the activity's actor before any handler runs.
 */
import { and, eq, isNull, or, type SQL } from "drizzle-orm";
import { PUBLIC_COLLECTION } from "../../activitypub/context";
import {
  ACTOR_TYPES,
  asArray,
  hostOf,
  idOf,
  isObject,
  type Json,
  type JsonObject,
  NOTE_TYPES,
  typeOf,
} from "../../activitypub/parse";
import { parseActor } from "../../activitypub/remote-actor";
import { type ParsedNote, parseNote, visibilityOf } from "../../activitypub/remote-note";
import { newObjectId } from "../../activitypub/urls";
import { type ActorCacheChange, toCachedActor } from "../../cache/actor-cache";
import { toActorRow, upsertActor } from "../../cache/remote-actors";
import type { Config } from "../../env";
import { findActor } from "../../storage/actors";
import type { Db, Statement } from "../../storage/db";
import {
  forgetAccountNotifications,
  forgetFollowNotifications,
  forgetFollowRequestNotification,
  forgetNoteNotifications,
  forgetReactionNotifications,
  groupKeyFor,
  latestGroupQuery,
  mentionStatements,
  notifyStatement,
} from "../../storage/notifications";
import { recountBeforeRemoving, recountReactions } from "../../storage/reactions";
import { actors, follows, notes, outbox, reactions } from "../../storage/schema";
import type { QueueMessage } from "../messages";
import { concernsOwner, storeNoteStatements, updateNoteStatements } from "../remote-notes";

export interface InboxContext {
  readonly db: Db;
  readonly config: Config;
  readonly now: Date;
  /** The received activity, as sent. */
  readonly activity: JsonObject;
  readonly id: string;
  readonly type: string;
  /** The verified sender: the activity's actor. */
  readonly actor: string;
}

export interface Outcome {
  readonly statements: Statement[];
  readonly messages: QueueMessage[];
  /** Activities of ours the statements store, to deliver once they are stored. */
  readonly fanouts: string[];
  /** Work remains for the queue; the activity is marked processed when it is done. */
  readonly pending: boolean;
  /** What the KV actor cache must learn once the statements are stored. */
  readonly actorCache?: ActorCacheChange;
}

const done = (
  statements: Statement[] = [],
  messages: QueueMessage[] = [],
  fanouts: string[] = [],
): Outcome => ({ statements, messages, fanouts, pending: false });

type Handler = (ctx: InboxContext) => Promise<Outcome>;

const HANDLERS: Record<string, Handler> = {
  Follow: onFollow,
  Undo: onUndo,
  Accept: onAccept,
  Reject: onReject,
  Create: onCreate,
  Update: onUpdate,
  Delete: onDelete,
  Like: onReaction,
  Announce: onReaction,
  Block: onBlock,
};

/** Runs the handler for the activity's type; unknown types are kept and otherwise ignored. */
export function handleActivity(ctx: InboxContext): Promise<Outcome> {
  const handler = HANDLERS[ctx.type];
  return handler === undefined ? Promise.resolve(done()) : handler(ctx);
}

const objectOf = (ctx: InboxContext): Json | undefined => ctx.activity.object;

async function onFollow(ctx: InboxContext): Promise<Outcome> {
  const owner = ctx.config.urls.owner.id;
  if (idOf(objectOf(ctx)) !== owner) return done();
  const { db, now } = ctx;
  const [[existing], [latestGroup]] = await db.batch([
    db
      .select({ state: follows.state })
      .from(follows)
      .where(and(eq(follows.actor, owner), eq(follows.follower, ctx.actor))),
    latestGroupQuery(db, "follow"),
  ]);
  // Once accepted, always accepted; a pending request is accepted when the owner no longer
  // approves by hand.
  const state =
    existing?.state === "accepted" || !ctx.config.owner.manuallyApprovesFollowers
      ? "accepted"
      : "pending";
  const acceptedAt = state === "accepted" ? now : null;
  const statements: Statement[] = [
    db
      .insert(follows)
      .values({
        actor: owner,
        follower: ctx.actor,
        state,
        activityId: ctx.id,
        createdAt: now,
        acceptedAt,
      })
      // A repeated Follow keeps the edge and learns the newest Follow's id.
      .onConflictDoUpdate({
        target: [follows.actor, follows.follower],
        set:
          existing?.state === state
            ? { activityId: ctx.id }
            : { activityId: ctx.id, state, acceptedAt },
      }),
  ];
  // The owner hears of a new follower or request, and of a request that went through; not
  // of a repeated Follow.
  if (existing === undefined || existing.state !== state) {
    const type = state === "accepted" ? "follow" : "follow_request";
    statements.push(
      notifyStatement(db, {
        type,
        account: ctx.actor,
        groupKey: groupKeyFor({ type, at: now, latest: latestGroup?.groupKey }),
        createdAt: now,
      }),
    );
    if (existing !== undefined) statements.push(forgetFollowRequestNotification(db, ctx.actor));
  }
  if (state === "pending") return done(statements);
  // Every accepted Follow is answered, a repeated one too: the follower may have lost ours.
  const accept = acceptFollow(ctx);
  return done([...statements, accept.statement], [], [accept.id]);
}

/** An `Accept` of the received Follow, stored to be delivered to the follower. */
function acceptFollow(ctx: InboxContext): { id: string; statement: Statement } {
  const { urls } = ctx.config;
  const id = urls.activity(newObjectId(ctx.now.getTime()));
  const payload = {
    id,
    type: "Accept",
    actor: urls.owner.id,
    object: { id: ctx.id, type: "Follow", actor: ctx.actor, object: urls.owner.id },
    to: [ctx.actor],
  };
  return {
    id,
    statement: ctx.db.insert(outbox).values({
      id,
      actor: urls.owner.id,
      type: "Accept",
      objectId: ctx.id,
      visibility: "direct",
      payload,
      published: ctx.now,
    }),
  };
}

/**
 * The activity an `Undo`, `Accept` or `Reject` refers to: embedded (its type and fields at
 * hand) or only its id (looked up among what we stored).
 */
function innerOf(ctx: InboxContext): {
  id: string | undefined;
  type: string | undefined;
  object: JsonObject | undefined;
} {
  const inner = objectOf(ctx);
  const object = isObject(inner) ? inner : undefined;
  return { id: idOf(inner), type: typeOf(object), object };
}

async function onUndo(ctx: InboxContext): Promise<Outcome> {
  const { db } = ctx;
  const inner = innerOf(ctx);
  // An embedded activity must be the sender's own.
  if (
    inner.object !== undefined &&
    idOf(inner.object.actor) !== undefined &&
    idOf(inner.object.actor) !== ctx.actor
  ) {
    return done();
  }
  const owner = ctx.config.urls.owner.id;
  const undoFollow = () => [
    db.delete(follows).where(and(eq(follows.actor, owner), eq(follows.follower, ctx.actor))),
    forgetFollowNotifications(db, ctx.actor),
  ];
  const undoReaction = (type: "Like" | "Announce") => {
    const byId = inner.id === undefined ? undefined : eq(reactions.id, inner.id);
    const target = idOf(inner.object?.object);
    const byTarget =
      target === undefined
        ? undefined
        : and(eq(reactions.type, type), eq(reactions.object, target));
    const which = or(byId, byTarget);
    // With neither an id nor a target there is nothing to match: undo nothing.
    return which === undefined ? [] : removeReactions(ctx, which);
  };
  switch (inner.type) {
    case "Follow":
      return done(idOf(inner.object?.object) === owner ? undoFollow() : []);
    case "Like":
    case "Announce":
      return done(undoReaction(inner.type));
    case "Block":
      return done();
  }
  if (inner.id === undefined) return done();
  // Only the id: it names the Follow or the reaction it undoes.
  const [follow] = await db
    .select({ seq: follows.seq })
    .from(follows)
    .where(and(eq(follows.activityId, inner.id), eq(follows.follower, ctx.actor)));
  if (follow !== undefined) {
    return done([
      db.delete(follows).where(eq(follows.seq, follow.seq)),
      forgetFollowNotifications(db, ctx.actor),
    ]);
  }
  return done(removeReactions(ctx, eq(reactions.id, inner.id)));
}

/**
 * Deletes the sender's reactions that `which` matches, with the notifications they made,
 * and recounts the notes that lose them.
 */
function removeReactions(ctx: InboxContext, which: SQL): Statement[] {
  const removed = and(eq(reactions.actor, ctx.actor), which) ?? which;
  return [
    recountBeforeRemoving(ctx.db, removed),
    forgetReactionNotifications(ctx.db, ctx.actor, removed),
    ctx.db.delete(reactions).where(removed),
  ];
}

/** `Accept` of the owner's follow request, sent by the account the owner asked to follow. */
async function onAccept(ctx: InboxContext): Promise<Outcome> {
  const inner = innerOf(ctx);
  if (inner.type !== undefined && inner.type !== "Follow") return done();
  const owner = ctx.config.urls.owner.id;
  return done([
    ctx.db
      .update(follows)
      .set({ state: "accepted", acceptedAt: ctx.now })
      .where(
        and(
          eq(follows.actor, ctx.actor),
          eq(follows.follower, owner),
          eq(follows.state, "pending"),
        ),
      ),
  ]);
}

/** `Reject` of the owner's follow request, or the end of an accepted follow. */
async function onReject(ctx: InboxContext): Promise<Outcome> {
  const inner = innerOf(ctx);
  if (inner.type !== undefined && inner.type !== "Follow") return done();
  const owner = ctx.config.urls.owner.id;
  return done([
    ctx.db.delete(follows).where(and(eq(follows.actor, ctx.actor), eq(follows.follower, owner))),
  ]);
}

/** The note is the sender's: written by it, and with an id on its host (as Mastodon checks). */
function isOwnNote(ctx: InboxContext, note: ParsedNote): boolean {
  return note.attributedTo === ctx.actor && hostOf(note.id) === hostOf(ctx.actor);
}

async function onCreate(ctx: InboxContext): Promise<Outcome> {
  const object = objectOf(ctx);
  if (typeof object === "string") {
    // Only a URL: fetching it is slow work, for the queue.
    return {
      statements: [],
      messages: [
        {
          v: 1,
          type: "fetchObject",
          id: object,
          purpose: "create",
          inboxId: ctx.id,
          sender: ctx.actor,
        },
      ],
      fanouts: [],
      pending: true,
    };
  }
  if (!isObject(object) || !NOTE_TYPES.has(typeOf(object) ?? "")) return done();
  const note = parseNote(object);
  // A server may only create notes in its own actors' names, under its own ids.
  if (note === undefined || !isOwnNote(ctx, note)) return done();
  if (!(await concernsOwner(ctx.db, ctx.config, note))) return done();
  const author = await findActor(ctx.db, ctx.actor);
  const statements = await storeNoteStatements(
    ctx.db,
    note,
    visibilityOf(note, author?.followers),
    ctx.now,
  );
  const owner = ctx.config.urls.owner.id;
  statements.push(...mentionStatements(ctx.db, { owner, note, receivedAt: ctx.now }));
  const messages: QueueMessage[] = [];
  // The note it answers gives the reply its context; fetching it is slow work.
  if (note.inReplyTo !== undefined && !note.inReplyTo.startsWith(`${owner}/`)) {
    const [parent] = await ctx.db
      .select({ seq: notes.seq })
      .from(notes)
      .where(eq(notes.id, note.inReplyTo));
    if (parent === undefined) {
      messages.push({ v: 1, type: "fetchObject", id: note.inReplyTo, purpose: "context" });
    }
  }
  return done(statements, messages);
}

async function onUpdate(ctx: InboxContext): Promise<Outcome> {
  const object = objectOf(ctx);
  if (!isObject(object)) return done();
  const type = typeOf(object);
  if (type !== undefined && ACTOR_TYPES.has(type)) {
    // Only an actor may update itself.
    const actor = parseActor(object);
    if (actor === undefined || actor.id !== ctx.actor) return done();
    const known = await findActor(ctx.db, ctx.actor);
    // Without a key in the update, the one we verified with stays.
    const row = await toActorRow(
      {
        ...actor,
        publicKeyId: actor.publicKeyId ?? known?.publicKeyId ?? null,
        publicKeyPem: actor.publicKeyPem ?? known?.publicKeyPem ?? null,
      },
      ctx.now,
    );
    // The cached copy is replaced at once, not when its TTL runs out; D1 is refreshed when
    // it keeps the actor.
    return {
      ...done(known === undefined ? [] : [upsertActor(ctx.db, row)]),
      actorCache: { kind: "replace", actor: toCachedActor(row) },
    };
  }
  if (type === undefined || !NOTE_TYPES.has(type)) return done();
  const note = parseNote(object);
  if (note === undefined || !isOwnNote(ctx, note)) return done();
  return done(await updateNoteStatements(ctx.db, note, ctx.now));
}

async function onDelete(ctx: InboxContext): Promise<Outcome> {
  const { db } = ctx;
  const target = idOf(objectOf(ctx));
  if (target === undefined) return done();
  if (target === ctx.actor) {
    return {
      ...done(deleteActorStatements(db, ctx.actor)),
      actorCache: { kind: "gone", id: target },
    };
  }
  return done([
    db
      .update(notes)
      .set({ deletedAt: ctx.now, content: "", summary: null, attachments: [] })
      .where(and(eq(notes.id, target), eq(notes.attributedTo, ctx.actor))),
    forgetNoteNotifications(db, target, ctx.actor),
  ]);
}

/**
 * An actor that deleted itself: its follows both ways, its reactions (the notes they were
 * about recounted), its notifications, its notes, itself.
 */
export function deleteActorStatements(db: Db, actor: string): Statement[] {
  const theirs = eq(reactions.actor, actor);
  return [
    db.delete(follows).where(or(eq(follows.actor, actor), eq(follows.follower, actor))),
    recountBeforeRemoving(db, theirs),
    db.delete(reactions).where(theirs),
    forgetAccountNotifications(db, actor),
    db.delete(notes).where(eq(notes.attributedTo, actor)),
    db.delete(actors).where(eq(actors.id, actor)),
  ];
}

/**
 * Likes and boosts of the owner's notes (that exist), once per actor and note: the note's
 * count is recounted and the owner notified in the same batch.
 */
async function onReaction(ctx: InboxContext): Promise<Outcome> {
  const { db, now } = ctx;
  const owner = ctx.config.urls.owner.id;
  const target = idOf(objectOf(ctx));
  if (target === undefined || !target.startsWith(`${owner}/statuses/`)) return done();
  const type = ctx.type === "Like" ? "Like" : "Announce";
  const kind = type === "Like" ? "favourite" : "reblog";
  const [[note], [latestGroup]] = await db.batch([
    db
      .select({ seq: notes.seq })
      .from(notes)
      .where(and(eq(notes.id, target), eq(notes.attributedTo, owner), isNull(notes.deletedAt))),
    latestGroupQuery(db, kind, target),
  ]);
  if (note === undefined) return done();
  // A boost must be public, or it is not a boost anyone sees.
  if (type === "Announce") {
    const audience = [...asArray(ctx.activity.to), ...asArray(ctx.activity.cc)];
    if (!audience.some((a) => a === PUBLIC_COLLECTION || a === "Public" || a === "as:Public")) {
      return done();
    }
  }
  return done([
    db
      .insert(reactions)
      .values({ id: ctx.id, type, actor: ctx.actor, object: target, createdAt: now })
      .onConflictDoNothing(),
    recountReactions(db, target),
    notifyStatement(db, {
      type: kind,
      account: ctx.actor,
      target,
      groupKey: groupKeyFor({
        type: kind,
        statusSeq: note.seq,
        at: now,
        latest: latestGroup?.groupKey,
      }),
      createdAt: now,
    }),
  ]);
}

/** Blocked by someone: neither follows the other any more. */
async function onBlock(ctx: InboxContext): Promise<Outcome> {
  const owner = ctx.config.urls.owner.id;
  if (idOf(objectOf(ctx)) !== owner) return done();
  return done([
    ctx.db
      .delete(follows)
      .where(
        or(
          and(eq(follows.actor, owner), eq(follows.follower, ctx.actor)),
          and(eq(follows.actor, ctx.actor), eq(follows.follower, owner)),
        ),
      ),
  ]);
}
