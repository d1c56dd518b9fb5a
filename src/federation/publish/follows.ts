/** The owner follows an account (`Follow`, pending until it answers) and stops (`Undo`). */
import { newObjectId } from "../../activitypub/urls";
import { fetchActor } from "../../cache/actors";
import { purgePublic } from "../../cache/public-documents";
import type { AppContext } from "../../context";
import { actorByApiId } from "../../storage/actors";
import { runBatch, type Statement } from "../../storage/db";
import {
  deleteEdgeStatement,
  edgeQuery,
  findFollow,
  followActivityStatement,
  requestFollowStatement,
  storedActivities,
} from "../../storage/follows";
import { forgetMemberStatement } from "../../storage/lists";
import { insertActivityStatement } from "../../storage/outbox";
import type { ActorRow } from "../../storage/schema";
import { startFanouts } from "../outbox";
import { type ActionResult, commit, fail } from "./commit";

/** Asks to follow an account: `Follow`, pending until it answers with `Accept`. */
export async function followAccount(ctx: AppContext, id: bigint): Promise<ActionResult<ActorRow>> {
  const { db, config } = ctx;
  const account = await actorByApiId(db, id);
  if (account === undefined) return fail(404, "no such account");
  const owner = config.urls.owner.id;
  if ((await findFollow(db, { actor: account.id, follower: owner })) !== undefined) {
    return { ok: true, value: account };
  }
  // Refreshed first: its inbox may have moved since we stored it.
  const fresh = await fetchActor(ctx, account.id);
  const target = fresh.ok ? fresh.actor : account;
  await commitFollows(ctx, [followStatements(ctx, target, ctx.now())]);
  return { ok: true, value: target };
}

/** The owner's `Follow` of one actor, as `followStatements` stores it. */
export interface FollowStatements {
  readonly activityId: string;
  readonly statements: Statement[];
}

/**
 * The owner's `Follow` of an actor as stored: the pending edge (unless there is one) and the
 * activity, stored only if its edge is new (`followActivityStatement`), to run in one batch
 * (`commitFollows`). The follow button and an import's batches
 * (`federation/import-follows.ts`) both follow through it.
 */
export function followStatements(
  ctx: Pick<AppContext, "db" | "config">,
  target: Pick<ActorRow, "id">,
  now: Date,
): FollowStatements {
  const { db, config } = ctx;
  const owner = config.urls.owner.id;
  const activity = {
    id: config.urls.activity(newObjectId(now)),
    type: "Follow",
    actor: owner,
    object: target.id,
    to: [target.id],
  };
  return {
    activityId: activity.id,
    statements: [
      requestFollowStatement(db, {
        actor: target.id,
        follower: owner,
        activityId: activity.id,
        at: now,
      }),
      followActivityStatement(db, {
        actor: target.id,
        follower: owner,
        payload: activity,
        objectId: target.id,
        visibility: "direct",
        published: now,
      }),
    ],
  };
}

/**
 * Stores follows, with other statements, in one batch, and fans out the `Follow`s that were
 * stored: one whose edge was there already (another follow of the same account got there
 * first) was not, and nothing is sent for it.
 */
export async function commitFollows(
  ctx: Pick<AppContext, "db" | "queue" | "now">,
  follows: readonly FollowStatements[],
  more: readonly Statement[] = [],
): Promise<void> {
  await runBatch(ctx.db, [...follows.flatMap((f) => f.statements), ...more]);
  const ids = follows.map((f) => f.activityId);
  await startFanouts(ctx, await storedActivities(ctx.db, ids));
}

/**
 * Stops following (or withdraws the request): `Undo` of the `Follow`, and the account leaves
 * the owner's lists (members are accounts the owner follows). The edge is read and deleted
 * in one batch, so that the `Undo` is sent once however often the owner asks at once.
 */
export async function unfollowAccount(
  ctx: AppContext,
  id: bigint,
): Promise<ActionResult<ActorRow>> {
  const { db, config } = ctx;
  const account = await actorByApiId(db, id);
  if (account === undefined) return fail(404, "no such account");
  const owner = config.urls.owner.id;
  const ours = { actor: account.id, follower: owner };
  const [[edge]] = await db.batch([
    edgeQuery(db, ours),
    deleteEdgeStatement(db, ours),
    forgetMemberStatement(db, account.id),
  ]);
  if (edge === undefined) return { ok: true, value: account };
  const now = ctx.now();
  const undo = {
    id: config.urls.activity(newObjectId(now)),
    type: "Undo",
    actor: owner,
    to: [account.id],
    object: { id: edge.activityId, type: "Follow", actor: owner, object: account.id },
  };
  await commit(
    ctx,
    [
      insertActivityStatement(db, {
        payload: undo,
        objectId: account.id,
        visibility: "direct",
        published: now,
      }),
    ],
    [undo.id],
  );
  // Only an accepted follow is counted and listed; a request withdrawn changes nothing shown.
  if (edge.state === "accepted") await purgePublic(config.urls, [{ kind: "follows" }]);
  return { ok: true, value: account };
}
