/** Notes and actors: created, updated, deleted by whoever may. */
import { objectIdOf } from "../../activitypub/activity";
import { ACTOR_TYPES, hostOf, idOf, isObject, NOTE_TYPES, typeOf } from "../../activitypub/parse";
import { parseActor } from "../../activitypub/remote-actor";
import { type ParsedNote, parseNote, visibilityOf } from "../../activitypub/remote-note";
import { toCachedActor } from "../../cache/actor-cache";
import { toActorRow } from "../../cache/actors";
import { repliesChanged } from "../../cache/public-documents";
import type { AppContext } from "../../context";
import { findActor, forgetActorStatements, upsertActorStatement } from "../../storage/actors";
import { keepVersionStatements } from "../../storage/note-versions";
import {
  editNoteStatements,
  findNote,
  insertNoteStatements,
  tombstoneStatements,
} from "../../storage/notes";
import { forgetNoteNotifications, mentionStatements } from "../../storage/notifications";
import type { StreamChange } from "../../streaming/changes";
import type { QueueMessage } from "../queue/messages";
import { concernsOwner, remoteEdit, remoteNote } from "../remote-notes";
import { FOLLOWS_CHANGED } from "./follows";
import { done, type Inbound, type Outcome } from "./outcome";

/** The note is the sender's: written by it, and with an id on its host (as Mastodon checks). */
function isOwnNote(activity: Inbound, note: ParsedNote): boolean {
  return note.attributedTo === activity.actor && hostOf(note.id) === hostOf(activity.actor);
}

/**
 * What a stored note streams: itself (where the owner's timelines show it), and the mention
 * notification when it made one. `fetch-object.ts` stores a note given by URL the same way.
 */
export function noteStreams(stored: {
  readonly note: Pick<ParsedNote, "id" | "attributedTo">;
  readonly mentioned: boolean;
  readonly at: Date;
}): StreamChange[] {
  const { note, at } = stored;
  return [
    { kind: "note", id: note.id },
    ...(stored.mentioned
      ? [{ kind: "notifications", account: note.attributedTo, at } as const]
      : []),
  ];
}

export async function onCreate(ctx: AppContext, activity: Inbound): Promise<Outcome> {
  const { object } = activity;
  if (typeof object === "string") {
    const id = idOf(object);
    // Not a URL: nothing to fetch, and nothing to wait for.
    if (id === undefined) return done();
    // Only a URL: fetching it is slow work, for the queue.
    const fetch: QueueMessage = {
      v: 1,
      type: "fetchObject",
      id,
      purpose: "create",
      inboxId: activity.id,
      sender: activity.actor,
    };
    return { ...done([], { messages: [fetch] }), pending: true };
  }
  if (!isObject(object) || !NOTE_TYPES.has(typeOf(object) ?? "")) return done();
  const note = parseNote(object, { owner: ctx.config.urls.owner.id });
  // A server may only create notes in its own actors' names, under its own ids.
  if (note === undefined || !isOwnNote(activity, note)) return done();
  if (!(await concernsOwner(ctx, note))) return done();
  const owner = ctx.config.urls.owner.id;
  const receivedAt = activity.receivedAt;
  // The note it answers gives the reply its context; fetching it is slow work.
  const { inReplyTo } = note;
  const otherParent = inReplyTo?.startsWith(`${owner}/`) ? undefined : inReplyTo;
  const [author, parent] = await Promise.all([
    findActor(ctx.db, activity.actor),
    otherParent === undefined ? undefined : findNote(ctx.db, otherParent),
  ]);
  const stored = await remoteNote(note, {
    visibility: visibilityOf(note, author?.followers),
    receivedAt,
  });
  const messages: QueueMessage[] =
    otherParent !== undefined && parent === undefined
      ? [{ v: 1, type: "fetchObject", id: otherParent, purpose: "context" }]
      : [];
  const mention = mentionStatements(ctx.db, { owner, note, receivedAt });
  return done([...insertNoteStatements(ctx.db, stored), ...mention], {
    messages,
    streams: noteStreams({ note, mentioned: mention.length > 0, at: receivedAt }),
    publicChanges: repliesChanged(ctx.config.urls, note),
  });
}

export async function onUpdate(ctx: AppContext, activity: Inbound): Promise<Outcome> {
  const { object } = activity;
  if (!isObject(object)) return done();
  const type = typeOf(object);
  if (type !== undefined && ACTOR_TYPES.has(type)) {
    // Only an actor may update itself.
    const actor = parseActor(object);
    if (actor === undefined || actor.id !== activity.actor) return done();
    const known = await findActor(ctx.db, activity.actor);
    // Without a key in the update, the one we verified with stays.
    const row = await toActorRow(
      {
        ...actor,
        publicKeyId: actor.publicKeyId ?? known?.publicKeyId ?? null,
        publicKeyPem: actor.publicKeyPem ?? known?.publicKeyPem ?? null,
      },
      activity.receivedAt,
    );
    // The cached copy is replaced at once, not when its TTL runs out; D1 is refreshed when
    // it keeps the actor.
    return done(known === undefined ? [] : [upsertActorStatement(ctx.db, row)], {
      actorCache: { kind: "replace", actor: toCachedActor(row) },
    });
  }
  if (type === undefined || !NOTE_TYPES.has(type)) return done();
  const note = parseNote(object, { owner: ctx.config.urls.owner.id });
  if (note === undefined || !isOwnNote(activity, note)) return done();
  const edit = await remoteEdit(note, activity.receivedAt);
  // The version it replaces is kept for the note's edit history, in the same batch.
  return done([...keepVersionStatements(ctx.db, edit.note), ...editNoteStatements(ctx.db, edit)], {
    streams: [{ kind: "edit", id: note.id }],
    publicChanges: repliesChanged(ctx.config.urls, note),
  });
}

export async function onDelete(ctx: AppContext, activity: Inbound): Promise<Outcome> {
  const { db } = ctx;
  const target = objectIdOf(activity);
  if (target === undefined) return done();
  if (target === activity.actor) {
    // Its follows go (the collections' counts); its likes and boosts of the owner's notes
    // too, whose counts catch up with the cache's lifetime (`cache/public-documents.ts`).
    return done(forgetActorStatements(db, activity.actor), {
      actorCache: { kind: "gone", id: target },
      publicChanges: FOLLOWS_CHANGED,
    });
  }
  const at = activity.receivedAt;
  return done(
    [
      ...tombstoneStatements(db, { id: target, author: activity.actor, at }),
      forgetNoteNotifications(db, target, activity.actor),
    ],
    { streams: [{ kind: "delete", id: target, at }] },
  );
}
