/**
 * Idempotency: an activity received before is answered 202 and changes nothing; the
 * follow-ups it may not have sent the first time are sent now.
 */
import type { MiddlewareHandler } from "hono";
import { sendFollowUps } from "../../federation/queue/follow-ups";
import { findReceived } from "../../storage/inbox";
import type { InboxEnv } from "./env";

export function skipRepeats(): MiddlewareHandler<InboxEnv> {
  return async function skipRepeats(c, next) {
    const { ctx, activity } = c.var;
    const seen = await findReceived(ctx.db, activity.id);
    if (seen === undefined) return next();
    if (seen.followUps !== null) {
      await sendFollowUps(ctx, { id: activity.id, followUps: seen.followUps });
    }
    c.set("duplicate", true);
    return c.body(null, 202);
  };
}
