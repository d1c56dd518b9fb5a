/** Likes and boosts of the owner's notes. */
import { objectIdOf } from "../../activitypub/activity";
import { isPublicCollection } from "../../activitypub/context";
import { asArray } from "../../activitypub/parse";
import type { AppContext } from "../../context";
import { liveNoteOfQuery } from "../../storage/notes";
import { groupKeyFor, latestGroupQuery, notifyStatement } from "../../storage/notifications";
import { reactStatements } from "../../storage/reactions";
import { done, type Inbound, type Outcome } from "./outcome";

/**
 * Likes and boosts of the owner's notes (that exist), once per actor and note: the note's
 * count is recounted and the owner notified in the same batch.
 */
export async function onReaction(ctx: AppContext, activity: Inbound): Promise<Outcome> {
  const { db } = ctx;
  const owner = ctx.config.urls.owner.id;
  const target = objectIdOf(activity);
  if (target === undefined || !target.startsWith(`${owner}/statuses/`)) return done();
  const type = activity.type === "Like" ? "Like" : "Announce";
  const kind = type === "Like" ? "favourite" : "reblog";
  // A boost must be public, or it is not a boost anyone sees.
  const { to, cc } = activity.document;
  if (type === "Announce" && ![...asArray(to), ...asArray(cc)].some(isPublicCollection))
    return done();
  const [[note], [latestGroup]] = await db.batch([
    liveNoteOfQuery(db, { id: target, author: owner }),
    latestGroupQuery(db, kind, target),
  ]);
  if (note === undefined) return done();
  const at = activity.receivedAt;
  const statements = [
    ...reactStatements(
      db,
      { id: activity.id, type, actor: activity.actor, object: target, at },
      "ignored",
    ),
    notifyStatement(db, {
      type: kind,
      account: activity.actor,
      target,
      groupKey: groupKeyFor({ type: kind, statusSeq: note.seq, at, latest: latestGroup?.groupKey }),
      createdAt: at,
    }),
  ];
  // The note's counts are in its document.
  return done(statements, { publicChanges: [{ kind: "reactions", note: target }] });
}
