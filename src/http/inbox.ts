/** The owner's inbox and the shared inbox: both take any activity for this instance. */
import { type Context, Hono } from "hono";
import type { AppEnv } from "../env";
import { receiveActivity } from "../federation/inbox/receive";
import { recorder } from "../metrics/recorder";
import { jsonError } from "./responses";

export const inboxes = new Hono<AppEnv>();

/** Activity types counted by name; any other is "Other", so the label set stays bounded. */
const COUNTED_TYPES = new Set([
  "Follow",
  "Undo",
  "Accept",
  "Reject",
  "Create",
  "Update",
  "Delete",
  "Like",
  "Announce",
  "Block",
  "Move",
  "Add",
  "Remove",
  "Flag",
  "EmojiReact",
]);

async function receive(c: Context<AppEnv>) {
  const result = await receiveActivity(c.req.raw, { env: c.env, config: c.var.config });
  recorder().inc("activitypub_inbox_activities_total", {
    type: result.type !== undefined && COUNTED_TYPES.has(result.type) ? result.type : "Other",
    result:
      result.status !== 202 ? String(result.status) : result.duplicate ? "duplicate" : "accepted",
  });
  if (result.status === 202) return c.body(null, 202);
  if (result.retryAfter !== undefined) c.header("Retry-After", String(result.retryAfter));
  return jsonError(c, result.status, result.error);
}

inboxes.post("/users/:username/inbox", async (c) => {
  if (c.req.param("username") !== c.var.config.owner.username) {
    return jsonError(c, 404, "no such actor");
  }
  return receive(c);
});

inboxes.post("/inbox", receive);
