/**
 * What the owner blocked never reaches storage, and a repeat changes nothing: once the
 * signature named the sender, one D1 round trip asks whether the activity was received
 * before, whether the sender is blocked and whether its domain is. A blocked sender's or
 * domain's activity is answered 202 and nothing is stored: the owner's blocks are the owner's
 * business (Mastodon, too, accepts a blocked account's deliveries and drops them, telling the
 * sender nothing), and a 4xx would only make some servers send again. Counted in
 * `activitypub_inbox_activities_total` as `blocked_domain` or `blocked_actor`. A blocked
 * domain's key is never fetched either: the key store refuses to (`cache/key-store.ts`), and
 * `verifySignature` drops the activity the same way.
 *
 * A blocked sender may still take back what it said: its `Delete` (of a note, or of
 * itself) and its `Undo` are applied as anyone's, so that what it deleted while blocked does
 * not come back when the block is lifted (Mastodon, which keeps a blocked account's posts,
 * applies its deletes too). A blocked domain's are dropped all the same: checking them would
 * take a key from it.
 *
 * A repeat is answered 202 too, and the follow-ups it may not have sent the first time are
 * sent now.
 */
import type { Context, MiddlewareHandler } from "hono";
import { hostOf } from "../../activitypub/parse";
import { sendFollowUps } from "../../federation/queue/follow-ups";
import { screenReceived } from "../../storage/inbox";
import type { InboxEnv, InboxRefusal } from "./env";

/** What a blocked sender sends that is still applied: it only takes back. */
const TAKEN_BACK: ReadonlySet<string> = new Set(["Delete", "Undo"]);

/** Accepts an activity and drops it unread. */
export function drop(c: Context<InboxEnv>, why: InboxRefusal) {
  c.set("dropped", why);
  return c.body(null, 202);
}

export function screenActivity(): MiddlewareHandler<InboxEnv> {
  return async function screenActivity(c, next) {
    const { ctx, activity, signer } = c.var;
    const screened = await screenReceived(ctx.db, {
      id: activity.id,
      sender: signer,
      domain: hostOf(signer),
    });
    if (screened.domainBlocked) return drop(c, "blocked_domain");
    if (screened.blocked && !TAKEN_BACK.has(activity.type)) return drop(c, "blocked_actor");
    const seen = screened.received;
    if (seen === undefined) return next();
    if (seen.followUps !== null) {
      await sendFollowUps(ctx, { id: activity.id, followUps: seen.followUps });
    }
    c.set("duplicate", true);
    return c.body(null, 202);
  };
}
