/**
 * The owner pins a status of theirs to their profile (Mastodon's featured statuses) and
 * unpins it. The featured collection federates as Mastodon's does: an `Add` of the note to
 * it, or a `Remove`, sent to the followers through the usual fan-out.
 */
import { PUBLIC_COLLECTION } from "../../activitypub/context";
import { newObjectId } from "../../activitypub/urls";
import { purgePublic } from "../../cache/public-documents";
import type { AppContext } from "../../context";
import { isBoostId } from "../../mastodon/ids";
import { MAX_PINNED_STATUSES } from "../../mastodon/instance";
import { insertActivityStatement } from "../../storage/outbox";
import { pinnedIdsQuery, pinStatement, unpinStatement } from "../../storage/pins";
import { boostByApiId } from "../../storage/reactions";
import type { NoteRow } from "../../storage/schema";
import { visibleNoteByApiId } from "../../storage/threads";
import { type ActionResult, commit, fail } from "./commit";

/** The `Add` or `Remove` of a note to the owner's featured collection, for their followers. */
function featuredActivity(
  ctx: AppContext,
  note: NoteRow,
  change: { type: "Add" | "Remove"; at: Date },
) {
  const { urls } = ctx.config;
  return {
    id: urls.activity(newObjectId(change.at)),
    type: change.type,
    actor: urls.owner.id,
    object: note.id,
    target: urls.owner.featured,
    to: [PUBLIC_COLLECTION],
    cc: [urls.owner.followers],
  };
}

/**
 * Stores the `Add` or `Remove` of a pin this request made, starts its delivery, and purges
 * the cached featured collection. The note is answered as it was read: the route reads the
 * status again to answer it.
 */
async function federatePin(
  ctx: AppContext,
  note: NoteRow,
  change: { type: "Add" | "Remove"; at: Date },
): Promise<ActionResult<NoteRow>> {
  const payload = featuredActivity(ctx, note, change);
  await commit(
    ctx,
    [
      insertActivityStatement(ctx.db, {
        payload,
        objectId: note.id,
        visibility: note.visibility,
        published: change.at,
      }),
    ],
    [payload.id],
  );
  // The featured collection and the profile page show the pins.
  await purgePublic(ctx.config.urls, [{ kind: "note", id: note.id }]);
  return { ok: true, value: note };
}

/**
 * Pins one of the owner's public or unlisted statuses, at most `MAX_PINNED_STATUSES` of
 * them (Mastodon's limit). A status already pinned stays as it is, and nothing is sent.
 * Refused (422) as Mastodon refuses it: a boost, another's status, one not public or
 * unlisted, one pin too many. The limit is kept by the write itself (`pinStatement`), read
 * in its batch with the pins there are, so that two pins at once cannot make six, and a pin
 * given twice at once sends one `Add`.
 */
export async function pinStatus(ctx: AppContext, id: bigint): Promise<ActionResult<NoteRow>> {
  if (isBoostId(id)) {
    const boost = await boostByApiId(ctx.db, id);
    return boost === undefined
      ? fail(404, "no such status")
      : fail(422, "Validation failed: a boost cannot be pinned");
  }
  const { db } = ctx;
  const owner = ctx.config.urls.owner.id;
  const note = await visibleNoteByApiId(db, { id, owner });
  if (note === undefined) return fail(404, "no such status");
  if (note.attributedTo !== owner) {
    return fail(422, "Validation failed: someone else's status cannot be pinned");
  }
  if (note.visibility !== "public" && note.visibility !== "unlisted") {
    return fail(422, "Validation failed: only public and unlisted statuses can be pinned");
  }
  if (note.pinnedAt !== null) return { ok: true, value: note };
  const at = ctx.now();
  const [pinned, pins] = await db.batch([
    pinStatement(db, { id: note.id, author: owner, at, max: MAX_PINNED_STATUSES }),
    pinnedIdsQuery(db, owner),
  ]);
  if (pinned.length > 0) return federatePin(ctx, { ...note, pinnedAt: at }, { type: "Add", at });
  // Pinned meanwhile (asked twice at once), or one pin too many.
  if (pins.some((pin) => pin.id === note.id)) return { ok: true, value: note };
  if (pins.length >= MAX_PINNED_STATUSES) {
    return fail(
      422,
      `Validation failed: at most ${MAX_PINNED_STATUSES} statuses can be pinned; unpin one first`,
    );
  }
  // Deleted meanwhile.
  return fail(404, "no such status");
}

/** Unpins a status; one that is not pinned (or not the owner's) is answered as it is. */
export async function unpinStatus(ctx: AppContext, id: bigint): Promise<ActionResult<NoteRow>> {
  if (isBoostId(id)) return fail(404, "no such status");
  const owner = ctx.config.urls.owner.id;
  const note = await visibleNoteByApiId(ctx.db, { id, owner });
  if (note === undefined) return fail(404, "no such status");
  if (note.attributedTo !== owner || note.pinnedAt === null) return { ok: true, value: note };
  const [unpinned] = await ctx.db.batch([unpinStatement(ctx.db, { id: note.id, author: owner })]);
  // Unpinned meanwhile: the other request sent the `Remove`.
  if (unpinned.length === 0) return { ok: true, value: note };
  return federatePin(ctx, { ...note, pinnedAt: null }, { type: "Remove", at: ctx.now() });
}
