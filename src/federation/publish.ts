/**
 * What the owner does: post, edit, delete, like, boost, follow, and their undoing. Each
 * action stores its rows and its activity in one D1 batch, answers, and leaves delivery to
 * the queue (one fan-out message per activity, ids only).
 */
import { and, eq, isNull, sql } from "drizzle-orm";
import { addressFor } from "../activitypub/addressing";
import { composeHtml, findHandles, type ResolvedMention } from "../activitypub/compose";
import { PUBLIC_COLLECTION } from "../activitypub/context";
import { toNote } from "../activitypub/note";
import type { ParsedNote } from "../activitypub/remote-note";
import { newObjectId } from "../activitypub/urls";
import { fetchActor, type RemoteContext } from "../cache/remote-actors";
import type { Config } from "../env";
import { type Db, runBatch, type Statement } from "../storage/db";
import { findFollow } from "../storage/follows";
import { recountReactions } from "../storage/reactions";
import {
  type ActorRow,
  actors,
  follows,
  idempotencyKeys,
  type NoteRow,
  notes,
  outbox,
  reactions,
  type Visibility,
} from "../storage/schema";
import { startFanouts } from "./outbox";
import { editStatements, noteColumns, noteStatements } from "./remote-notes";
import { resolveHandle } from "./resolve";

export interface PublishContext {
  readonly db: Db;
  readonly config: Config;
  readonly env: Env;
  readonly now: Date;
}

export type ActionResult<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly status: 404 | 409 | 422; readonly error: string };

const fail = (status: 404 | 409 | 422, error: string) => ({ ok: false, status, error }) as const;

/** Mentions resolved per post, at most: each may cost a WebFinger and an actor fetch. */
const MAX_MENTIONS = 20;

export interface StatusInput {
  readonly text: string;
  readonly visibility: Visibility;
  readonly inReplyTo?: number;
  readonly spoilerText?: string;
  readonly sensitive?: boolean;
  readonly language?: string;
}

const remote = (ctx: PublishContext): RemoteContext => ({
  db: ctx.db,
  config: ctx.config,
  cache: ctx.env.ACTOR_CACHE,
});

/** A bound value as a selected column (for INSERT ... SELECT). */
const sqlValue = (value: string | number) => sql`${value}`;

/** Stores the statements and starts the delivery of the activities among them. */
async function commit(
  ctx: PublishContext,
  statements: Statement[],
  activityIds: string[],
): Promise<void> {
  await runBatch(ctx.db, statements);
  await startFanouts(ctx.env, ctx.db, activityIds);
}

function outboxRow(
  ctx: PublishContext,
  activity: Record<string, unknown> & { id: string; type: string },
  visibility: Visibility,
  objectId: string,
) {
  return ctx.db.insert(outbox).values({
    id: activity.id,
    actor: ctx.config.urls.owner.id,
    type: activity.type,
    objectId,
    visibility,
    payload: activity,
    published: ctx.now,
  });
}

/** Resolves the handles a text mentions, concurrently; those that fail stay text. */
async function resolveMentions(ctx: PublishContext, text: string): Promise<ResolvedMention[]> {
  const handles = findHandles(text).slice(0, MAX_MENTIONS);
  const resolved = await Promise.all(handles.map((h) => resolveHandle(remote(ctx), h)));
  return resolved.flatMap((r, i) =>
    r.ok
      ? [
          {
            ...(handles[i] as { username: string; host: string }),
            id: r.actor.id,
            url: r.actor.url ?? r.actor.id,
          },
        ]
      : [],
  );
}

interface Draft {
  readonly note: ParsedNote;
  readonly visibility: Visibility;
}

/** The note a text makes: its HTML, tags, and addressing. */
async function draft(
  ctx: PublishContext,
  input: StatusInput,
  id: string,
  parent: NoteRow | undefined,
): Promise<Draft> {
  const { urls } = ctx.config;
  const mentions = await resolveMentions(ctx, input.text);
  const composed = composeHtml(input.text, {
    mentions,
    tagUrl: (tag) => `${ctx.config.origin}/tags/${encodeURIComponent(tag)}`,
  });
  // The author replied to is addressed too (unless the post is direct: then only mentions).
  const replied =
    parent !== undefined && parent.attributedTo !== urls.owner.id && input.visibility !== "direct"
      ? [parent.attributedTo]
      : [];
  const { to, cc } = addressFor(input.visibility, urls.owner.followers, [
    ...composed.mentions.map((m) => m.id),
    ...replied,
  ]);
  return {
    visibility: input.visibility,
    note: {
      id: urls.note(id),
      type: "Note",
      attributedTo: urls.owner.id,
      inReplyTo: parent?.id,
      content: composed.html,
      summary: input.spoilerText || undefined,
      sensitive: input.sensitive ?? (input.spoilerText ?? "") !== "",
      language: input.language,
      url: urls.notePage(id),
      published: ctx.now,
      updated: undefined,
      to,
      cc,
      tags: [
        ...composed.hashtags.map((name) => ({
          type: "Hashtag" as const,
          name,
          href: `${ctx.config.origin}/tags/${encodeURIComponent(name)}`,
        })),
        ...composed.mentions.map((m) => ({
          type: "Mention" as const,
          name: `${m.username}@${m.host}`,
          href: m.id,
        })),
      ],
      attachments: [],
    },
  };
}

/** A note's ActivityStreams form, from a draft (for the activity that carries it). */
function noteObject(note: ParsedNote, visibility: Visibility, pinnedAt: Date | null = null) {
  const row: NoteRow = {
    seq: 0,
    ...noteColumns(note, visibility, new Date()),
    pinnedAt,
    deletedAt: null,
    likesCount: 0,
    sharesCount: 0,
  };
  return toNote(row, {
    recipients: [
      ...note.to.map((recipient) => ({ recipient, field: "to" as const })),
      ...note.cc.map((recipient) => ({ recipient, field: "cc" as const })),
    ],
    tags: note.tags,
  });
}

async function noteBySeq(db: Db, seq: number): Promise<NoteRow | undefined> {
  const [row] = await db
    .select()
    .from(notes)
    .where(and(eq(notes.seq, seq), isNull(notes.deletedAt)));
  return row;
}

async function ownNote(ctx: PublishContext, seq: number): Promise<NoteRow | undefined> {
  const note = await noteBySeq(ctx.db, seq);
  return note?.attributedTo === ctx.config.urls.owner.id ? note : undefined;
}

/** Posts a status. A repeated `Idempotency-Key` returns the post it made the first time. */
export async function publishStatus(
  ctx: PublishContext,
  input: StatusInput,
  idempotencyKey?: string,
): Promise<ActionResult<NoteRow>> {
  const { db } = ctx;
  const earlier = async () => {
    if (idempotencyKey === undefined) return undefined;
    const [row] = await db
      .select({ note: notes })
      .from(idempotencyKeys)
      .innerJoin(notes, eq(notes.seq, idempotencyKeys.noteSeq))
      .where(eq(idempotencyKeys.key, idempotencyKey));
    return row?.note;
  };
  const before = await earlier();
  if (before !== undefined) return { ok: true, value: before };

  let parent: NoteRow | undefined;
  if (input.inReplyTo !== undefined) {
    parent = await noteBySeq(db, input.inReplyTo);
    if (parent === undefined) return fail(404, "the status replied to does not exist");
  }
  const id = newObjectId(ctx.now.getTime());
  const { note, visibility } = await draft(ctx, input, id, parent);
  const activity = {
    id: ctx.config.urls.noteActivity(id),
    type: "Create",
    actor: ctx.config.urls.owner.id,
    published: ctx.now.toISOString(),
    to: note.to,
    cc: note.cc,
    object: noteObject(note, visibility),
  };
  const statements: Statement[] = [
    ...noteStatements(db, note, visibility, ctx.now),
    outboxRow(ctx, activity, visibility, note.id),
  ];
  if (idempotencyKey !== undefined) {
    statements.push(
      db.insert(idempotencyKeys).select(
        db
          .select({
            key: sqlValue(idempotencyKey).as("key"),
            noteSeq: notes.seq,
            createdAt: sqlValue(ctx.now.getTime()).as("created_at"),
          })
          .from(notes)
          .where(eq(notes.id, note.id)),
      ),
    );
  }
  try {
    await runBatch(db, statements);
  } catch (error) {
    // The same key posted twice at once: the second batch loses on the key, and rolls back.
    const raced = await earlier();
    if (raced !== undefined) return { ok: true, value: raced };
    throw error;
  }
  await startFanouts(ctx.env, db, [activity.id]);
  const [stored] = await db.select().from(notes).where(eq(notes.id, note.id));
  if (stored === undefined) throw new Error("status not stored");
  return { ok: true, value: stored };
}

/** Edits a status (text, content warning, sensitivity): an `Update` to the same audience. */
export async function editStatus(
  ctx: PublishContext,
  seq: number,
  input: Omit<StatusInput, "visibility" | "inReplyTo">,
): Promise<ActionResult<NoteRow>> {
  const current = await ownNote(ctx, seq);
  if (current === undefined) return fail(404, "no such status");
  const parent =
    current.inReplyTo === null
      ? undefined
      : (await ctx.db.select().from(notes).where(eq(notes.id, current.inReplyTo)))[0];
  const id = current.id.split("/").pop() ?? "";
  const base = await draft(ctx, { ...input, visibility: current.visibility }, id, parent);
  const note: ParsedNote = {
    ...base.note,
    published: current.published,
    updated: ctx.now,
    url: current.url ?? base.note.url,
  };
  const object = noteObject(note, current.visibility, current.pinnedAt);
  const { urls } = ctx.config;
  const update = {
    id: urls.activity(newObjectId(ctx.now.getTime())),
    type: "Update",
    actor: urls.owner.id,
    published: ctx.now.toISOString(),
    to: note.to,
    cc: note.cc,
    object,
  };
  const [create] = await ctx.db
    .select()
    .from(outbox)
    .where(eq(outbox.id, urls.noteActivity(id)));
  await commit(
    ctx,
    [
      ...editStatements(ctx.db, note, ctx.now),
      outboxRow(ctx, update, current.visibility, note.id),
      // The outbox shows the post as it is now.
      ...(create === undefined
        ? []
        : [
            ctx.db
              .update(outbox)
              .set({ payload: { ...create.payload, object } })
              .where(eq(outbox.id, create.id)),
          ]),
    ],
    [update.id],
  );
  const [stored] = await ctx.db.select().from(notes).where(eq(notes.seq, seq));
  return stored === undefined ? fail(404, "no such status") : { ok: true, value: stored };
}

/** Deletes a status: a tombstone stays (its id answers 410), and a `Delete` goes out. */
export async function deleteStatus(
  ctx: PublishContext,
  seq: number,
): Promise<ActionResult<NoteRow>> {
  const note = await ownNote(ctx, seq);
  if (note === undefined) return fail(404, "no such status");
  const [create] = await ctx.db
    .select()
    .from(outbox)
    .where(eq(outbox.id, ctx.config.urls.noteActivity(note.id.split("/").pop() ?? "")));
  const payload = create?.payload ?? {};
  const { urls } = ctx.config;
  const activity = {
    id: urls.activity(newObjectId(ctx.now.getTime())),
    type: "Delete",
    actor: urls.owner.id,
    to: (payload.to as string[] | undefined) ?? [PUBLIC_COLLECTION],
    cc: (payload.cc as string[] | undefined) ?? [],
    object: { id: note.id, type: "Tombstone" },
  };
  await commit(
    ctx,
    [
      ctx.db
        .update(notes)
        .set({ deletedAt: ctx.now, content: "", summary: null, attachments: [], pinnedAt: null })
        .where(eq(notes.seq, seq)),
      outboxRow(ctx, activity, note.visibility, note.id),
    ],
    [activity.id],
  );
  return { ok: true, value: note };
}

/** The owner's like or boost of a note, if there is one. */
export async function ownerReaction(
  ctx: Pick<PublishContext, "db" | "config">,
  type: "Like" | "Announce",
  object: string,
): Promise<typeof reactions.$inferSelect | undefined> {
  const [row] = await ctx.db
    .select()
    .from(reactions)
    .where(
      and(
        eq(reactions.actor, ctx.config.urls.owner.id),
        eq(reactions.type, type),
        eq(reactions.object, object),
      ),
    );
  return row;
}

/** Likes (`Like`) or boosts (`Announce`) any stored status, once. */
export async function react(
  ctx: PublishContext,
  seq: number,
  type: "Like" | "Announce",
): Promise<ActionResult<NoteRow>> {
  const note = await noteBySeq(ctx.db, seq);
  if (note === undefined) return fail(404, "no such status");
  if (type === "Announce" && note.visibility !== "public" && note.visibility !== "unlisted") {
    return fail(422, "only public and unlisted statuses can be boosted");
  }
  const { urls } = ctx.config;
  const owner = urls.owner.id;
  const existing = await ownerReaction(ctx, type, note.id);
  if (existing !== undefined) return { ok: true, value: note };
  const author = note.attributedTo === owner ? [] : [note.attributedTo];
  const activity =
    type === "Like"
      ? {
          id: urls.activity(newObjectId(ctx.now.getTime())),
          type,
          actor: owner,
          object: note.id,
          to: author,
        }
      : {
          id: urls.activity(newObjectId(ctx.now.getTime())),
          type,
          actor: owner,
          object: note.id,
          published: ctx.now.toISOString(),
          to: [PUBLIC_COLLECTION],
          cc: [...author, urls.owner.followers],
        };
  await commit(
    ctx,
    [
      ctx.db
        .insert(reactions)
        .values({ id: activity.id, type, actor: owner, object: note.id, createdAt: ctx.now }),
      recountReactions(ctx.db, note.id),
      outboxRow(ctx, activity, type === "Like" ? "direct" : "public", note.id),
    ],
    [activity.id],
  );
  return { ok: true, value: note };
}

/** Undoes the owner's like or boost of a status: `Undo` to whom the original went. */
export async function unreact(
  ctx: PublishContext,
  seq: number,
  type: "Like" | "Announce",
): Promise<ActionResult<NoteRow>> {
  const note = await noteBySeq(ctx.db, seq);
  if (note === undefined) return fail(404, "no such status");
  const owner = ctx.config.urls.owner.id;
  const existing = await ownerReaction(ctx, type, note.id);
  if (existing === undefined) return { ok: true, value: note };
  const [original] = await ctx.db.select().from(outbox).where(eq(outbox.id, existing.id));
  const payload = original?.payload ?? { id: existing.id, type, actor: owner, object: note.id };
  const undo = {
    id: ctx.config.urls.activity(newObjectId(ctx.now.getTime())),
    type: "Undo",
    actor: owner,
    to: payload.to ?? [],
    cc: payload.cc ?? [],
    object: payload,
  };
  await commit(
    ctx,
    [
      ctx.db.delete(reactions).where(eq(reactions.id, existing.id)),
      recountReactions(ctx.db, note.id),
      outboxRow(ctx, undo, "direct", existing.id),
    ],
    [undo.id],
  );
  return { ok: true, value: note };
}

async function actorBySeq(db: Db, seq: number): Promise<ActorRow | undefined> {
  const [row] = await db.select().from(actors).where(eq(actors.seq, seq));
  return row;
}

/** Asks to follow an account: `Follow`, pending until it answers with `Accept`. */
export async function followAccount(
  ctx: PublishContext,
  seq: number,
): Promise<ActionResult<ActorRow>> {
  const account = await actorBySeq(ctx.db, seq);
  if (account === undefined) return fail(404, "no such account");
  const owner = ctx.config.urls.owner.id;
  if ((await findFollow(ctx.db, account.id, owner)) !== undefined)
    return { ok: true, value: account };
  // Refreshed first: its inbox may have moved since we stored it.
  const fresh = await fetchActor(remote(ctx), account.id);
  const target = fresh.ok ? fresh.actor : account;
  const activity = {
    id: ctx.config.urls.activity(newObjectId(ctx.now.getTime())),
    type: "Follow",
    actor: owner,
    object: target.id,
    to: [target.id],
  };
  await commit(
    ctx,
    [
      ctx.db
        .insert(follows)
        .values({
          actor: target.id,
          follower: owner,
          state: "pending",
          activityId: activity.id,
          createdAt: ctx.now,
        })
        .onConflictDoNothing(),
      outboxRow(ctx, activity, "direct", target.id),
    ],
    [activity.id],
  );
  return { ok: true, value: target };
}

/** Stops following (or withdraws the request): `Undo` of the `Follow`. */
export async function unfollowAccount(
  ctx: PublishContext,
  seq: number,
): Promise<ActionResult<ActorRow>> {
  const account = await actorBySeq(ctx.db, seq);
  if (account === undefined) return fail(404, "no such account");
  const owner = ctx.config.urls.owner.id;
  const edge = await findFollow(ctx.db, account.id, owner);
  if (edge === undefined) return { ok: true, value: account };
  const undo = {
    id: ctx.config.urls.activity(newObjectId(ctx.now.getTime())),
    type: "Undo",
    actor: owner,
    to: [account.id],
    object: { id: edge.activityId, type: "Follow", actor: owner, object: account.id },
  };
  await commit(
    ctx,
    [
      ctx.db.delete(follows).where(eq(follows.seq, edge.seq)),
      outboxRow(ctx, undo, "direct", account.id),
    ],
    [undo.id],
  );
  return { ok: true, value: account };
}
