/** Likes and boosts of the owner's notes, and boosts by the accounts the owner follows. */
import { objectIdOf } from "../../activitypub/activity";
import { isPublicCollection } from "../../activitypub/context";
import { asArray } from "../../activitypub/parse";
import type { AppContext } from "../../context";
import { edgeQuery } from "../../storage/follows";
import { liveNoteOfQuery, storedNoteQuery } from "../../storage/notes";
import { groupKeyFor, latestGroupQuery, notifyStatement } from "../../storage/notifications";
import { reactStatements } from "../../storage/reactions";
import type { QueueMessage } from "../queue/messages";
import { done, type Inbound, type Outcome } from "./outcome";

/**
 * Likes and boosts of the owner's notes (that exist), once per actor and note: the note's
 * count is recounted and the owner notified in the same batch. A boost of anyone else's note
 * is kept when the owner follows its booster, for the home timeline.
 */
export async function onReaction(ctx: AppContext, activity: Inbound): Promise<Outcome> {
  const { db } = ctx;
  const owner = ctx.config.urls.owner.id;
  const target = objectIdOf(activity);
  if (target === undefined) return done();
  const type = activity.type === "Like" ? "Like" : "Announce";
  // A boost must be public, or it is not a boost anyone sees.
  const { to, cc } = activity.document;
  if (type === "Announce" && ![...asArray(to), ...asArray(cc)].some(isPublicCollection))
    return done();
  if (!target.startsWith(`${owner}/statuses/`)) {
    return type === "Announce" ? onFollowedBoost(ctx, activity, target) : done();
  }
  const kind = type === "Like" ? "favourite" : "reblog";
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
  // The note's counts are in its document. A boost by an account the owner follows may show
  // in the home too (its rules decide, the falloff among them).
  const boost = { kind: "boost", activity: activity.id } as const;
  return done(statements, {
    publicChanges: [{ kind: "reactions", note: target }],
    streams: [
      { kind: "notifications", account: activity.actor, at },
      ...(type === "Announce" ? [boost] : []),
    ],
  });
}

/**
 * A boost by an account the owner follows, of a note not the owner's: stored at once, in the
 * home timeline from when it arrived (as Mastodon orders it). A note not stored yet is
 * fetched by the queue (never here: the boost is stored whether or not the note's server
 * answers), and the boost shows once it is. Anyone else's boost of anyone else's note
 * concerns no one here.
 */
async function onFollowedBoost(
  ctx: AppContext,
  activity: Inbound,
  target: string,
): Promise<Outcome> {
  const { db } = ctx;
  const owner = ctx.config.urls.owner.id;
  const [[edge], [note]] = await db.batch([
    edgeQuery(db, { actor: activity.actor, follower: owner }),
    storedNoteQuery(db, target),
  ]);
  if (edge?.state !== "accepted") return done();
  const statements = reactStatements(
    db,
    {
      id: activity.id,
      type: "Announce",
      actor: activity.actor,
      object: target,
      at: activity.receivedAt,
    },
    "ignored",
  );
  const fetch: QueueMessage = { v: 1, type: "fetchObject", id: target, purpose: "boost" };
  // A boost of a note not stored yet streams once the queue has fetched it.
  return note === undefined
    ? done(statements, { messages: [fetch] })
    : done(statements, { streams: [{ kind: "boost", activity: activity.id }] });
}
