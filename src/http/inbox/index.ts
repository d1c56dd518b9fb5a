/**
 * The owner's inbox and the shared inbox: both take any activity for this instance, through
 * the same chain of steps, cheapest first, each refusing with its own status:
 *
 *   count → limit by address (429) → read the activity (413, 415, 400, 403)
 *         → verify its signature (401, 403; 202 for a blocked domain's)
 *         → limit by sending host (429) → drop a blocked sender's or a repeat (202)
 *         → apply it (202)
 */
import { Hono } from "hono";
import { jsonError } from "../responses";
import { applyActivity } from "./apply";
import { screenActivity } from "./blocks";
import { countActivities } from "./count";
import type { InboxEnv } from "./env";
import { readActivity } from "./envelope";
import { limitByAddress, limitBySender } from "./limits";
import { verifySignature } from "./signature";

export const inboxes = new Hono<InboxEnv>();

const chain = [
  countActivities(),
  limitByAddress(),
  readActivity(),
  verifySignature(),
  limitBySender(),
  screenActivity(),
  applyActivity,
] as const;

inboxes.post("/users/:username/inbox", async (c, next) => {
  if (c.req.param("username") !== c.var.ctx.config.owner.username) {
    return jsonError(c, 404, "no such actor");
  }
  await next();
});
inboxes.post("/users/:username/inbox", ...chain);
inboxes.post("/inbox", ...chain);
