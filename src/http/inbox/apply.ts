/**
 * The end of the chain: the activity's handler says what it changes, the activity is stored
 * with its effects in one batch (exactly once), then what follows from it is set going:
 * the actor cache learns of a changed actor, cached copies of our documents it changed are
 * purged, follow-ups are queued, our answers delivered, and the owner's streams told (after
 * the answer: the events' reads are not the sender's to wait for).
 */
import type { Handler } from "hono";
import { objectIdOf } from "../../activitypub/activity";
import { applyActorChange } from "../../cache/actor-cache";
import { purgePublic } from "../../cache/public-documents";
import { handleActivity } from "../../federation/inbox";
import { startFanouts } from "../../federation/outbox";
import { sendFollowUps } from "../../federation/queue/follow-ups";
import { storeReceived } from "../../storage/inbox";
import { streamAfter } from "../../streaming/stream";
import { waitUntilOf } from "../background";
import type { InboxEnv } from "./env";

export const applyActivity: Handler<InboxEnv> = async (c) => {
  const { ctx, activity, signer } = c.var;
  const receivedAt = ctx.now();
  const outcome = await handleActivity(ctx, { ...activity, actor: signer, receivedAt });
  const stored = await storeReceived(
    ctx.db,
    {
      id: activity.id,
      actor: ctx.config.urls.owner.id,
      sender: signer,
      type: activity.type,
      objectId: objectIdOf(activity),
      payload: new TextDecoder().decode(c.var.body),
      receivedAt,
      pending: outcome.pending,
      followUps: outcome.messages,
    },
    outcome.statements,
  );
  if (stored === "duplicate") {
    c.set("duplicate", true);
    return c.body(null, 202);
  }
  try {
    if (outcome.actorCache !== undefined) {
      await applyActorChange(ctx.cache, outcome.actorCache, receivedAt);
    }
    if (outcome.publicChanges !== undefined) {
      await purgePublic(ctx.config.urls, outcome.publicChanges);
    }
    if (outcome.messages.length > 0) {
      await sendFollowUps(ctx, { id: activity.id, followUps: outcome.messages });
    }
    await startFanouts(ctx, outcome.fanouts);
  } finally {
    // Last (the object is called a tick after this, when the answer is on its way), and
    // whatever came before: what is stored is streamed.
    streamAfter({ ...ctx, waitUntil: waitUntilOf(c) }, outcome.streams ?? []);
  }
  return c.body(null, 202);
};
