/**
 * The owner answers a follow request (their profile is locked): `Accept` or `Reject` of the
 * `Follow` we stored, sent to the account that asked. As on Mastodon, the request's
 * notification goes away either way, and an accepted one becomes a follow notification.
 */
import { newObjectId } from "../../activitypub/urls";
import { purgePublic } from "../../cache/public-documents";
import type { AppContext } from "../../context";
import { actorByApiId } from "../../storage/actors";
import type { Statement } from "../../storage/db";
import { acceptFollowStatement, deleteRequestStatement, edgeQuery } from "../../storage/follows";
import {
  forgetFollowRequestNotification,
  groupKeyFor,
  latestGroupQuery,
  notifyStatement,
} from "../../storage/notifications";
import { insertActivityStatement } from "../../storage/outbox";
import type { ActorRow } from "../../storage/schema";
import { type ActionResult, commit, fail } from "./commit";

export type Answer = "Accept" | "Reject";

/**
 * Our `Accept` or `Reject` of a received `Follow`, for its follower alone, and the statement
 * that stores it (its delivery starts with the batch's, `commit`): the one builder of these,
 * whether the owner answers a request, the inbox accepts a follow at once, or a block ends
 * one. Servers match it by the `Follow`'s id, or by its actor and object (an edge stored
 * without the id). `answer.id` names it when the caller hands out ids itself.
 */
export function answerFollow(
  ctx: Pick<AppContext, "config" | "db">,
  follow: { readonly follower: string; readonly activityId: string | null },
  answer: { readonly type: Answer; readonly at: Date; readonly id?: string },
): { id: string; statement: Statement } {
  const { urls } = ctx.config;
  const owner = urls.owner.id;
  const id = answer.id ?? urls.activity(newObjectId(answer.at));
  const payload = {
    id,
    type: answer.type,
    actor: owner,
    object: {
      ...(follow.activityId === null ? {} : { id: follow.activityId }),
      type: "Follow",
      actor: follow.follower,
      object: owner,
    },
    to: [follow.follower],
  };
  const statement = insertActivityStatement(ctx.db, {
    payload,
    objectId: follow.activityId ?? follow.follower,
    visibility: "direct",
    published: answer.at,
  });
  return { id, statement };
}

/**
 * Accepts or rejects the account's follow request. 404 when the account is unknown or has
 * no request waiting (Mastodon's `find_by!`). The request is claimed in one batch: read as
 * it was, and accepted or removed only while it waits, so that of two answers given at once
 * (a double tap) the second finds none waiting and sends nothing: the follower gets one
 * answer, the owner one notification.
 */
export async function answerFollowRequest(
  ctx: AppContext,
  id: bigint,
  type: Answer,
): Promise<ActionResult<ActorRow>> {
  const { db, config } = ctx;
  const account = await actorByApiId(db, id);
  if (account === undefined) return fail(404, "Record not found");
  const edge = { actor: config.urls.owner.id, follower: account.id };
  const at = ctx.now();
  const [[request], [latestGroup]] = await db.batch([
    edgeQuery(db, edge),
    latestGroupQuery(db, "follow"),
    type === "Accept"
      ? acceptFollowStatement(db, { ...edge, at })
      : deleteRequestStatement(db, edge),
  ]);
  if (request?.state !== "pending") return fail(404, "Record not found");
  const answer = answerFollow(
    ctx,
    { follower: account.id, activityId: request.activityId },
    {
      type,
      at,
    },
  );
  // An accepted request becomes a follow notification, as Mastodon makes one.
  const followed =
    type === "Accept"
      ? [
          notifyStatement(db, {
            type: "follow",
            account: account.id,
            groupKey: groupKeyFor({ type: "follow", at, latest: latestGroup?.groupKey }),
            createdAt: at,
          }),
        ]
      : [];
  await commit(
    ctx,
    [...followed, forgetFollowRequestNotification(db, account.id), answer.statement],
    [answer.id],
  );
  // A follower let in is counted and listed; a request turned down changes nothing shown.
  if (type === "Accept") await purgePublic(config.urls, [{ kind: "follows" }]);
  return { ok: true, value: account };
}
