/** `Undo`: of a Follow of the owner, of a like or boost; named whole or by its id alone. */
import { idOf } from "../../activitypub/parse";
import type { AppContext } from "../../context";
import type { Statement } from "../../storage/db";
import {
  deleteEdgeBySeqStatement,
  deleteEdgeStatement,
  findFollowByActivity,
} from "../../storage/follows";
import { forgetFollowNotifications } from "../../storage/notifications";
import { removeReactionsStatements } from "../../storage/reactions";
import { FOLLOWS_CHANGED, innerOf } from "./follows";
import { done, type Inbound, type Outcome } from "./outcome";

export async function onUndo(ctx: AppContext, activity: Inbound): Promise<Outcome> {
  const { db } = ctx;
  const inner = innerOf(activity);
  // An embedded activity must be the sender's own.
  const innerActor = idOf(inner.object?.actor);
  if (innerActor !== undefined && innerActor !== activity.actor) return done();
  const owner = ctx.config.urls.owner.id;
  const unfollowed = (edge: Statement) =>
    done([edge, forgetFollowNotifications(db, activity.actor)], {
      publicChanges: FOLLOWS_CHANGED,
    });
  switch (inner.type) {
    case "Follow":
      if (idOf(inner.object?.object) !== owner) return done();
      return unfollowed(deleteEdgeStatement(db, { actor: owner, follower: activity.actor }));
    case "Like":
    case "Announce": {
      const object = idOf(inner.object?.object);
      const target = object === undefined ? undefined : { type: inner.type, object };
      // With neither an id nor a target there is nothing to match: undo nothing.
      if (inner.id === undefined && target === undefined) return done();
      return done(removeReactionsStatements(db, { actor: activity.actor, id: inner.id, target }), {
        publicChanges: object === undefined ? [] : [{ kind: "reactions", note: object }],
      });
    }
    case "Block":
      return done();
  }
  if (inner.id === undefined) return done();
  // Only the id: it names the Follow or the reaction it undoes.
  const follow = await findFollowByActivity(db, { activityId: inner.id, follower: activity.actor });
  if (follow !== undefined) return unfollowed(deleteEdgeBySeqStatement(db, follow.seq));
  // Which note the reaction was of is not known here: its counts catch up with the cache's
  // lifetime (`cache/public-documents.ts`).
  return done(removeReactionsStatements(db, { actor: activity.actor, id: inner.id }));
}
