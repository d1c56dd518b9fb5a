/** The owner likes (`Like`) or boosts (`Announce`) a note, and undoes it. */
import { PUBLIC_COLLECTION } from "../../activitypub/context";
import { newObjectId } from "../../activitypub/urls";
import type { AppContext } from "../../context";
import { noteBySeq } from "../../storage/notes";
import { findOutboxActivity, insertActivityStatement } from "../../storage/outbox";
import {
  findReaction,
  type ReactionType,
  reactStatements,
  removeReactionsStatements,
} from "../../storage/reactions";
import type { NoteRow } from "../../storage/schema";
import { type ActionResult, commit, fail } from "./commit";

/** Likes or boosts any stored status, once. */
export async function react(
  ctx: AppContext,
  seq: number,
  type: ReactionType,
): Promise<ActionResult<NoteRow>> {
  const { db, config } = ctx;
  const note = await noteBySeq(db, seq);
  if (note === undefined) return fail(404, "no such status");
  if (type === "Announce" && note.visibility !== "public" && note.visibility !== "unlisted") {
    return fail(422, "only public and unlisted statuses can be boosted");
  }
  const { urls } = config;
  const owner = urls.owner.id;
  const existing = await findReaction(db, { actor: owner, type, object: note.id });
  if (existing !== undefined) return { ok: true, value: note };
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
      ...reactStatements(db, { id, type, actor: owner, object: note.id, at: now }),
      insertActivityStatement(db, {
        payload: activity,
        objectId: note.id,
        visibility: type === "Like" ? "direct" : "public",
        published: now,
      }),
    ],
    [id],
  );
  return { ok: true, value: note };
}

/** Undoes the owner's like or boost of a status: `Undo` to whom the original went. */
export async function unreact(
  ctx: AppContext,
  seq: number,
  type: ReactionType,
): Promise<ActionResult<NoteRow>> {
  const { db, config } = ctx;
  const note = await noteBySeq(db, seq);
  if (note === undefined) return fail(404, "no such status");
  const owner = config.urls.owner.id;
  const existing = await findReaction(db, { actor: owner, type, object: note.id });
  if (existing === undefined) return { ok: true, value: note };
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
  return { ok: true, value: note };
}
