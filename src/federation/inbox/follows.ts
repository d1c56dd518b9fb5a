/** Follows: someone follows the owner, answers the owner's request, or blocks the owner. */
import { objectIdOf } from "../../activitypub/activity";
import { idOf, isObject, typeOf } from "../../activitypub/parse";
import type { AppContext } from "../../context";
import type { Statement } from "../../storage/db";
import {
  acceptFollowStatement,
  deleteEdgeStatement,
  deleteEdgesBetweenStatement,
  edgeQuery,
  followedStatement,
} from "../../storage/follows";
import { forgetMemberStatement } from "../../storage/lists";
import {
  forgetFollowRequestNotification,
  groupKeyFor,
  latestGroupQuery,
  notifyStatement,
} from "../../storage/notifications";
import { effectiveProfile, profileQuery } from "../../storage/owner-profile";
import { answerFollow } from "../publish/follow-requests";
import { done, type Inbound, type Outcome } from "./outcome";

/** Who follows whom changed: the collections and the profile page's counts. */
export const FOLLOWS_CHANGED = [{ kind: "follows" }] as const;

export async function onFollow(ctx: AppContext, activity: Inbound): Promise<Outcome> {
  const { db, config } = ctx;
  const owner = config.urls.owner.id;
  if (objectIdOf(activity) !== owner) return done();
  const at = activity.receivedAt;
  const edge = { actor: owner, follower: activity.actor };
  const [[existing], [latestGroup], profile] = await db.batch([
    edgeQuery(db, edge),
    latestGroupQuery(db, "follow"),
    profileQuery(db),
  ]);
  // Once accepted, always accepted; a pending request is accepted when the owner no longer
  // approves by hand (their profile is locked).
  const { locked } = effectiveProfile(config.owner, profile);
  const state = existing?.state === "accepted" || !locked ? "accepted" : "pending";
  const statements: Statement[] = [
    followedStatement(db, {
      ...edge,
      state,
      activityId: activity.id,
      at,
      previous: existing?.state,
    }),
  ];
  // The owner hears of a new follower or request, and of a request that went through; not
  // of a repeated Follow.
  const notified = existing === undefined || existing.state !== state;
  if (notified) {
    const type = state === "accepted" ? "follow" : "follow_request";
    statements.push(
      notifyStatement(db, {
        type,
        account: activity.actor,
        groupKey: groupKeyFor({ type, at, latest: latestGroup?.groupKey }),
        createdAt: at,
      }),
    );
    if (existing !== undefined) {
      statements.push(forgetFollowRequestNotification(db, activity.actor));
    }
  }
  const streams = notified ? [{ kind: "notifications", account: activity.actor, at } as const] : [];
  if (state === "pending") return done(statements, { streams });
  // Every accepted Follow is answered, a repeated one too: the follower may have lost ours.
  const accept = answerFollow(
    ctx,
    { follower: activity.actor, activityId: activity.id },
    { type: "Accept", at },
  );
  return done([...statements, accept.statement], {
    fanouts: [accept.id],
    // A new follower is counted and listed.
    publicChanges: existing?.state === "accepted" ? [] : FOLLOWS_CHANGED,
    streams,
  });
}

/**
 * The activity an `Undo`, `Accept` or `Reject` refers to: embedded (its type and fields at
 * hand) or only its id (looked up among what we stored).
 */
export function innerOf(activity: Inbound) {
  const inner = activity.object;
  const object = isObject(inner) ? inner : undefined;
  return { id: idOf(inner), type: typeOf(object), object };
}

/** `Accept` of the owner's follow request, sent by the account the owner asked to follow. */
export async function onAccept(ctx: AppContext, activity: Inbound): Promise<Outcome> {
  const inner = innerOf(activity);
  if (inner.type !== undefined && inner.type !== "Follow") return done();
  const edge = { actor: activity.actor, follower: ctx.config.urls.owner.id };
  return done([acceptFollowStatement(ctx.db, { ...edge, at: activity.receivedAt })], {
    publicChanges: FOLLOWS_CHANGED,
  });
}

/**
 * `Reject` of the owner's follow request, or the end of an accepted follow; the account
 * leaves the owner's lists with it (members are accounts the owner follows).
 */
export async function onReject(ctx: AppContext, activity: Inbound): Promise<Outcome> {
  const inner = innerOf(activity);
  if (inner.type !== undefined && inner.type !== "Follow") return done();
  const edge = { actor: activity.actor, follower: ctx.config.urls.owner.id };
  return done([deleteEdgeStatement(ctx.db, edge), forgetMemberStatement(ctx.db, activity.actor)], {
    publicChanges: FOLLOWS_CHANGED,
  });
}

/** Blocked by someone: neither follows the other any more, and it leaves the owner's lists. */
export async function onBlock(ctx: AppContext, activity: Inbound): Promise<Outcome> {
  const owner = ctx.config.urls.owner.id;
  if (objectIdOf(activity) !== owner) return done();
  return done(
    [
      deleteEdgesBetweenStatement(ctx.db, owner, activity.actor),
      forgetMemberStatement(ctx.db, activity.actor),
    ],
    { publicChanges: FOLLOWS_CHANGED },
  );
}
