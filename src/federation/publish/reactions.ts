/** The owner likes (`Like`) or boosts (`Announce`) a note, and undoes it. */
import { PUBLIC_COLLECTION } from "../../activitypub/context";
import { newObjectId } from "../../activitypub/urls";
import { purgePublic } from "../../cache/public-documents";
import type { AppContext } from "../../context";
import { boostId } from "../../mastodon/ids";
import { findOutboxActivity, insertActivityStatement } from "../../storage/outbox";
import {
  findReaction,
  type ReactionType,
  reactStatements,
  removeReactionsStatements,
} from "../../storage/reactions";
import type { NoteRow } from "../../storage/schema";
import { noteOfStatusId } from "../../storage/statuses";
import { type Background, streamAfter } from "../../streaming/stream";
import { type ActionResult, commit, fail } from "./commit";

/**
 * A stored status by its Mastodon id (a boost's names the note it boosts), and the owner's
 * reaction of this type to it, if any.
 */
async function reactionTo(ctx: AppContext, id: bigint, type: ReactionType) {
  const note = await noteOfStatusId(ctx.db, id);
  if (note === undefined) return undefined;
  const owner = ctx.config.urls.owner.id;
  return { note, existing: await findReaction(ctx.db, { actor: owner, type, object: note.id }) };
}

/** Likes or boosts any stored status, once. */
export async function react(
  ctx: AppContext & Background,
  statusId: bigint,
  type: ReactionType,
): Promise<ActionResult<NoteRow>> {
  const found = await reactionTo(ctx, statusId, type);
  if (found === undefined) return fail(404, "no such status");
  const { note, existing } = found;
  if (type === "Announce" && note.visibility !== "public" && note.visibility !== "unlisted") {
    return fail(422, "only public and unlisted statuses can be boosted");
  }
  if (existing !== undefined) return { ok: true, value: note };
  const { db, config } = ctx;
  const { urls } = config;
  const owner = urls.owner.id;
  const now = ctx.now();
  const author = note.attributedTo === owner ? [] : [note.attributedTo];
  const id = urls.activity(newObjectId(now));
  const activity =
    type === "Like"
      ? { id, type, actor: owner, object: note.id, to: author }
      : {
          id,
          type,
          actor: owner,
          object: note.id,
          published: now.toISOString(),
          to: [PUBLIC_COLLECTION],
          cc: [...author, urls.owner.followers],
        };
  await commit(
    ctx,
    [
      ...reactStatements(db, { id, type, actor: owner, object: note.id, at: now }, "refused"),
      insertActivityStatement(db, {
        payload: activity,
        objectId: note.id,
        visibility: type === "Like" ? "direct" : "public",
        published: now,
      }),
    ],
    [id],
  );
  // The note's counts (when it is the owner's), and a boost is in the outbox.
  await purgePublic(urls, [
    { kind: "reactions", note: note.id },
    ...(type === "Announce" ? [{ kind: "outbox" } as const] : []),
  ]);
  // A boost comes into the home (a like shows nowhere).
  if (type === "Announce") streamAfter(ctx, [{ kind: "boost", activity: id }]);
  return { ok: true, value: note };
}

/** Undoes the owner's like or boost of a status: `Undo` to whom the original went. */
export async function unreact(
  ctx: AppContext & Background,
  statusId: bigint,
  type: ReactionType,
): Promise<ActionResult<NoteRow>> {
  const found = await reactionTo(ctx, statusId, type);
  if (found === undefined) return fail(404, "no such status");
  const { note, existing } = found;
  if (existing === undefined) return { ok: true, value: note };
  const { db, config } = ctx;
  const owner = config.urls.owner.id;
  const now = ctx.now();
  const original = await findOutboxActivity(db, existing.id);
  const payload = original?.payload ?? { id: existing.id, type, actor: owner, object: note.id };
  const undo = {
    id: config.urls.activity(newObjectId(now)),
    type: "Undo",
    actor: owner,
    to: payload.to ?? [],
    cc: payload.cc ?? [],
    object: payload,
  };
  await commit(
    ctx,
    [
      ...removeReactionsStatements(db, { actor: owner, id: existing.id }),
      insertActivityStatement(db, {
        payload: undo,
        objectId: existing.id,
        visibility: "direct",
        published: now,
      }),
    ],
    [undo.id],
  );
  await purgePublic(config.urls, [
    { kind: "reactions", note: note.id },
    ...(type === "Announce" ? [{ kind: "outbox", activity: existing.id } as const] : []),
  ]);
  if (type === "Announce") streamAfter(ctx, [{ kind: "unboost", statusId: boostId(existing) }]);
  return { ok: true, value: note };
}
