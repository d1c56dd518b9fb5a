/**
 * The owner's posts: published, edited, deleted. Each action stores its rows and its
 * activity in one D1 batch (the files it attaches too), answers, and leaves delivery to the
 * queue (one fan-out message per activity, ids only) and the owner's streams to the time
 * after the answer (`streamAfter`).
 */
import { PUBLIC_COLLECTION } from "../../activitypub/context";
import { newObjectId } from "../../activitypub/urls";
import { purgePublic } from "../../cache/public-documents";
import type { AppContext } from "../../context";
import { runBatch } from "../../storage/db";
import { keyStatement, noteOfKey } from "../../storage/idempotency";
import { attachMediaStatements } from "../../storage/media";
import { keepVersionStatements } from "../../storage/note-versions";
import {
  editNoteStatements,
  findNote,
  insertNoteStatements,
  liveNoteByApiId,
  tombstoneStatements,
} from "../../storage/notes";
import {
  findOutboxActivity,
  insertActivityStatement,
  replacePayloadStatement,
} from "../../storage/outbox";
import type { NoteRow } from "../../storage/schema";
import { noteOfStatusId } from "../../storage/statuses";
import { type Background, streamAfter } from "../../streaming/stream";
import { startFanouts } from "../outbox";
import {
  chooseMedia,
  describeAttached,
  type MediaAttribute,
  mediaOfEdit,
  toNoteAttachment,
} from "./attachments";
import { type ActionResult, commit, fail } from "./commit";
import { draftNote, noteObject, type StatusInput } from "./draft";

export type { StatusInput } from "./draft";

/** A post: its text and options, and the owner's uploads it carries (Mastodon media ids). */
export interface PostInput extends StatusInput {
  readonly mediaIds?: readonly string[];
}

/** An edit: what a post says, and, when given, its files (the set replaced, in order). */
export interface EditInput extends Omit<StatusInput, "visibility" | "inReplyTo"> {
  /** The files it carries from now on; undefined keeps those it has. */
  readonly mediaIds?: readonly string[];
  /** Alt text and focus of its files (Mastodon's `media_attributes`). */
  readonly mediaAttributes?: readonly MediaAttribute[];
}

/** Mastodon's rule: a status has text, media, or both. */
const blank = () => fail(422, "Validation failed: status can't be blank");

/** The last segment of one of the owner's note ids: what its URLs are built from. */
const slugOf = (note: Pick<NoteRow, "id">) => note.id.split("/").pop() ?? "";

/** One of the owner's notes, not deleted, by its Mastodon status id. */
async function ownNote(ctx: AppContext, id: bigint): Promise<NoteRow | undefined> {
  const note = await liveNoteByApiId(ctx.db, id);
  return note?.attributedTo === ctx.config.urls.owner.id ? note : undefined;
}

/** Posts a status. A repeated `Idempotency-Key` returns the post it made the first time. */
export async function publishStatus(
  ctx: AppContext & Background,
  input: PostInput,
  idempotencyKey?: string,
): Promise<ActionResult<NoteRow>> {
  const { db, config } = ctx;
  const earlier = () => (idempotencyKey === undefined ? undefined : noteOfKey(db, idempotencyKey));
  const before = await earlier();
  if (before !== undefined) return { ok: true, value: before };
  const media = await chooseMedia(ctx, input.mediaIds ?? []);
  if (!media.ok) return media;
  if (input.text === "" && media.value.length === 0) return blank();

  let parent: NoteRow | undefined;
  if (input.inReplyTo !== undefined) {
    parent = await noteOfStatusId(db, input.inReplyTo);
    if (parent === undefined) return fail(404, "the status replied to does not exist");
  }
  const now = ctx.now();
  const slug = newObjectId(now);
  const draft = await draftNote(ctx, {
    status: input,
    slug,
    parent,
    published: now,
    attachments: media.value.map((row) => toNoteAttachment(row, config.urls)),
  });
  const { to, cc } = draft.relations;
  const activity = {
    id: config.urls.noteActivity(slug),
    type: "Create",
    actor: config.urls.owner.id,
    published: now.toISOString(),
    to,
    cc,
    object: noteObject(draft),
  };
  const statements = [
    ...insertNoteStatements(db, draft),
    ...(media.value.length === 0
      ? []
      : attachMediaStatements(
          db,
          draft.note.id,
          media.value.map((row) => row.seq),
        )),
    insertActivityStatement(db, {
      payload: activity,
      objectId: draft.note.id,
      visibility: input.visibility,
      published: now,
    }),
    ...(idempotencyKey === undefined
      ? []
      : [keyStatement(db, { key: idempotencyKey, noteId: draft.note.id, at: now })]),
  ];
  try {
    await runBatch(db, statements);
  } catch (error) {
    // The same key posted twice at once: the second batch loses on the key, and rolls back.
    const raced = await earlier();
    if (raced !== undefined) return { ok: true, value: raced };
    throw error;
  }
  try {
    await purgePublic(config.urls, [{ kind: "note", id: draft.note.id }]);
    await startFanouts(ctx, [activity.id]);
  } finally {
    // After the rest, and whatever came of it: what is stored is streamed.
    streamAfter(ctx, [{ kind: "note", id: draft.note.id }]);
  }
  const stored = await findNote(db, draft.note.id);
  if (stored === undefined) throw new Error("status not stored");
  return { ok: true, value: stored };
}

/**
 * Edits a status (text, content warning, sensitivity, files and their alt text): an
 * `Update` to the same audience.
 */
export async function editStatus(
  ctx: AppContext & Background,
  id: bigint,
  input: EditInput,
): Promise<ActionResult<NoteRow>> {
  const current = await ownNote(ctx, id);
  if (current === undefined) return fail(404, "no such status");
  const { db, config } = ctx;
  const { urls } = config;
  const attributes = input.mediaAttributes ?? [];
  const media =
    input.mediaIds === undefined && attributes.length === 0
      ? undefined
      : await mediaOfEdit(ctx, { note: current.id, ids: input.mediaIds });
  if (media !== undefined && !media.ok) return media;
  const count = media === undefined ? (current.attachments ?? []).length : media.value.length;
  if (input.text === "" && count === 0) return blank();
  const attachments =
    media === undefined
      ? (current.attachments ?? [])
      : (await describeAttached(ctx, media.value, attributes)).map((row) =>
          toNoteAttachment(row, urls),
        );
  const now = ctx.now();
  const slug = slugOf(current);
  const [parent, create] = await Promise.all([
    current.inReplyTo === null ? undefined : findNote(db, current.inReplyTo),
    findOutboxActivity(db, urls.noteActivity(slug)),
  ]);
  const drafted = await draftNote(ctx, {
    status: { ...input, visibility: current.visibility },
    slug,
    parent,
    published: current.published,
    updated: now,
    attachments,
  });
  const draft = { ...drafted, note: { ...drafted.note, url: current.url ?? drafted.note.url } };
  const object = noteObject(draft);
  const update = {
    id: urls.activity(newObjectId(now)),
    type: "Update",
    actor: urls.owner.id,
    published: now.toISOString(),
    to: draft.relations.to,
    cc: draft.relations.cc,
    object,
  };
  await commit(
    ctx,
    [
      // The version the edit replaces, for the status's history.
      ...keepVersionStatements(db, draft.note),
      ...editNoteStatements(db, draft),
      ...(input.mediaIds === undefined || media === undefined
        ? []
        : attachMediaStatements(
            db,
            current.id,
            media.value.map((row) => row.seq),
          )),
      insertActivityStatement(db, {
        payload: update,
        objectId: draft.note.id,
        visibility: current.visibility,
        published: now,
      }),
      // The outbox shows the post as it is now.
      ...(create === undefined
        ? []
        : [replacePayloadStatement(db, { id: create.id, payload: { ...create.payload, object } })]),
    ],
    [update.id],
  );
  await purgePublic(urls, [{ kind: "note", id: current.id }]);
  const stored = await findNote(db, current.id);
  streamAfter(ctx, [{ kind: "edit", id: current.id }]);
  return stored === undefined ? fail(404, "no such status") : { ok: true, value: stored };
}

/** Deletes a status: a tombstone stays (its id answers 410), and a `Delete` goes out. */
export async function deleteStatus(
  ctx: AppContext & Background,
  id: bigint,
): Promise<ActionResult<NoteRow>> {
  const note = await ownNote(ctx, id);
  if (note === undefined) return fail(404, "no such status");
  const { db, config } = ctx;
  const { urls } = config;
  const now = ctx.now();
  const create = await findOutboxActivity(db, urls.noteActivity(slugOf(note)));
  const addressed = (field: "to" | "cc") => {
    const value = create?.payload[field];
    return Array.isArray(value)
      ? value.filter((v): v is string => typeof v === "string")
      : undefined;
  };
  const activity = {
    id: urls.activity(newObjectId(now)),
    type: "Delete",
    actor: urls.owner.id,
    to: addressed("to") ?? [PUBLIC_COLLECTION],
    cc: addressed("cc") ?? [],
    object: { id: note.id, type: "Tombstone" },
  };
  await commit(
    ctx,
    [
      ...tombstoneStatements(db, { id: note.id, author: note.attributedTo, at: now }),
      insertActivityStatement(db, {
        payload: activity,
        objectId: note.id,
        visibility: note.visibility,
        published: now,
      }),
    ],
    [activity.id],
  );
  await purgePublic(urls, [{ kind: "note", id: note.id }]);
  streamAfter(ctx, [{ kind: "delete", id: note.id, at: now }]);
  return { ok: true, value: note };
}
